"""The forward pass and the parameters: against a plain loop, stacked networks, row gains, overflow."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import ACTIVATIONS, Config, Params, analyze, forward, init_inputs, init_params


def test_forward_matches_the_reference_loop(activation, reference):
    p, x = reference.network(activation, seed=1, T=9, B=3)
    traj = forward(p, x, activation)
    expected = reference.states(p, x, activation)
    assert traj.h.shape == (10, 3, 5) and traj.T == 9
    # the same operations in a different order (precomputed input drive): a few ulps
    np.testing.assert_allclose(traj.h, expected, rtol=1e-13, atol=1e-15)
    assert not traj.h[0].any() and not traj.a[0].any()
    a = np.stack([traj.h[t - 1] @ p.W_hh.T + x[t - 1] @ p.W_xh.T + p.b for t in range(1, 10)])
    np.testing.assert_allclose(traj.a[1:], a, rtol=1e-13, atol=1e-15)
    # traj.a is recomputed with BLAS; the compiled loop of a small network (rnn_core.kernels) summed its products in
    # another order, so act'(a) can differ by a few ulps where 1 - h^2 cancels
    np.testing.assert_allclose(traj.dact[1:], ACTIVATIONS[activation].derivative(traj.a[1:]), rtol=1e-13)
    np.testing.assert_array_equal(traj.valid_T, [9, 9, 9])
    np.testing.assert_array_equal(traj.overflow_step, [-1, -1, -1])


def test_stacked_networks_equal_separate_runs(activation, reference):
    nets = [reference.network(activation, seed=s, T=6, B=2) for s in range(3)]
    stacked = Params(*(np.stack([getattr(p, f) for p, _ in nets]) for f in ("W_hh", "W_xh", "b", "u")))
    x = np.stack([x for _, x in nets], axis=1)  # (T, G, B, D): one input per network
    traj = forward(stacked, x, activation)
    assert traj.h.shape == (7, 3, 2, 5)
    for g, (p, xg) in enumerate(nets):
        np.testing.assert_allclose(traj.h[:, g], forward(p, xg, activation).h, rtol=1e-13, atol=1e-15)
    # a shared input (T, B, D) is broadcast over the stack
    shared = forward(stacked, nets[0][1], activation)
    np.testing.assert_allclose(shared.h[:, 2], forward(nets[2][0], nets[0][1], activation).h, rtol=1e-13,
                               atol=1e-15)


def test_initial_state_is_used_and_checked(activation, reference):
    p, x = reference.network(activation, seed=2, T=6, B=3)
    h0 = np.random.default_rng(5).normal(0, 0.5, (3, p.W_hh.shape[0]))
    traj = forward(p, x, activation, h0=h0)
    np.testing.assert_array_equal(traj.h[0], h0)
    expected = reference.states(p, x, activation, bump_step=0, bump=h0)  # h_0 = 0 + h0
    np.testing.assert_allclose(traj.h, expected, rtol=1e-13, atol=1e-15)
    one = forward(p, x, activation, h0=h0[0])  # one state for every sequence
    np.testing.assert_array_equal(one.h[0], np.broadcast_to(h0[0], (3, h0.shape[1])))
    with pytest.raises(ValueError, match="h0 must have shape"):
        forward(p, x, activation, h0=np.zeros(p.W_hh.shape[0] + 1))
    with pytest.raises(ValueError, match="non-finite"):
        forward(p, x, activation, h0=np.full(p.W_hh.shape[0], np.nan))


@pytest.mark.parametrize("name", ["W_hh", "W_xh", "b", "u"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_params_reject_non_finite_weights(name, bad):
    arrays = {"W_hh": np.eye(3), "W_xh": np.ones((3, 2)), "b": np.zeros(3), "u": np.ones(3) / np.sqrt(3)}
    arrays[name] = arrays[name].copy()
    arrays[name].flat[1] = bad
    with pytest.raises(ValueError, match=rf"{name} contains 1 non-finite entries"):
        Params(**arrays)
    with pytest.raises(ValueError, match=name):
        Params.from_arrays(**arrays)


@pytest.mark.parametrize("arrays, match", [
    ({"W_hh": np.ones((3, 4)), "W_xh": np.ones((3, 2)), "b": np.zeros(3), "u": np.ones(3)}, "W_hh must be square"),
    ({"W_hh": np.ones((3, 3)), "W_xh": np.ones((4, 2)), "b": np.zeros(3), "u": np.ones(3)}, "W_xh must have shape"),
    ({"W_hh": np.ones((3, 3)), "W_xh": np.ones((3, 2)), "b": np.zeros(2), "u": np.ones(3)}, "b and u must"),
    ({"W_hh": np.ones((3, 3)), "W_xh": np.ones((3, 2)), "b": np.zeros(3), "u": np.ones(4)}, "b and u must"),
])
def test_params_reject_wrong_shapes(arrays, match):
    with pytest.raises(ValueError, match=match):
        Params(**arrays)


def test_from_arrays_defaults():
    W = [[0.5, 0.1], [0.0, 0.9]]
    p = Params.from_arrays(W, input_size=3, seed=2)
    assert p.W_hh.dtype == np.float64 and p.hidden_size == 2
    np.testing.assert_array_equal(p.W_xh, np.zeros((2, 3)))
    np.testing.assert_array_equal(p.b, np.zeros(2))
    assert np.linalg.norm(p.u) == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_array_equal(p.u, Params.from_arrays(W, seed=2).u)  # seeded
    assert not np.array_equal(p.u, Params.from_arrays(W, seed=3).u)


def test_user_nan_weights_raise_before_any_analysis():
    W = np.eye(4)
    W[2, 2] = np.nan
    with pytest.raises(ValueError, match="W_hh contains 1 non-finite"):
        analyze(Config(hidden_size=4, seq_len=5), params=Params.from_arrays(W, input_size=8))


def test_analyze_checks_explicit_shapes():
    cfg = Config(hidden_size=4, seq_len=5)
    with pytest.raises(ValueError, match="hidden size 3"):
        analyze(cfg, params=Params.from_arrays(np.eye(3), input_size=8))
    with pytest.raises(ValueError, match="x has shape"):
        analyze(cfg, x=np.zeros((6, 1, 8)))


# ---------------------------------------------------------------------------------------------------------------
# Overflow: detected, not hidden


@pytest.fixture(scope="module")
def overflowing():
    """Linear, gain 3, T = 2000: the states grow ~2.4x per step and leave float64 around step 800."""
    cfg = Config(activation="linear", gain=3.0, seq_len=2000, hidden_size=8, batch_size=2)
    return cfg, analyze(cfg, lyapunov_k=2)


def test_overflow_is_reported(overflowing):
    cfg, a = overflowing
    d = a.diagnosis
    assert d.overflow_step is not None and 1 < d.overflow_step < cfg.seq_len
    assert d.loss_step == d.overflow_step - 1 == a.loss_step
    np.testing.assert_array_equal(a.traj.valid_T, [d.loss_step] * 2)
    np.testing.assert_array_equal(a.traj.overflow_step, [d.overflow_step] * 2)
    # the first non-finite state is at overflow_step in the reference: the step before is finite
    h = a.traj.h
    assert np.isfinite(h[: d.overflow_step]).all()
    assert np.isnan(h[d.overflow_step:]).all() and np.isnan(a.traj.a[d.overflow_step:]).all()
    assert not a.traj.dact[d.overflow_step:].any()
    assert np.abs(h[d.loss_step]).max() > 1e300  # it really was about to overflow


def test_overflow_gradient_is_finite_up_to_the_loss_step(overflowing):
    _, a = overflowing
    Tv = a.loss_step
    for g in (a.grad, a.grad_last):
        assert np.isfinite(g.log10_norm[: Tv + 1]).all()
        assert np.isnan(g.log10_norm[Tv + 1:]).all()
    assert np.isfinite(a.grad_log10_norm()[: Tv + 1]).all()
    assert np.isfinite(a.jacobians.log10_norm[: Tv + 1]).all()
    assert np.isnan(a.jacobians.log10_norm[Tv + 1:]).all()
    assert np.isfinite(a.contributions[1:Tv]).all()
    assert np.isfinite(a.diagnosis.rate) and a.diagnosis.regime == "exploding"
    # the per-step states summaries stay finite up to the loss step (scaled before squaring: no overflow at 1e307)
    assert np.isfinite(a.mean_abs_h[: Tv + 1]).all()
    assert np.isfinite(a.log10_norm_h[1: Tv + 1]).all()
    assert np.isnan(a.saturated[Tv + 1:]).all()


def test_overflow_is_judged_per_network_in_a_stack():
    good = Params.from_arrays(0.5 * np.eye(3), np.ones((3, 1)))
    bad = Params.from_arrays(3.0 * np.eye(3), np.ones((3, 1)))
    stacked = Params(*(np.stack([getattr(good, f), getattr(bad, f)]) for f in ("W_hh", "W_xh", "b", "u")))
    x = np.ones((800, 2, 1))
    traj = forward(stacked, x, "linear")
    assert (traj.valid_T[0] == 800).all()
    assert (traj.valid_T[1] < 800).all() and np.isfinite(traj.h[:, 0]).all()
    # the two rows of one network share their overflow step, even when one of them stays finite
    p = Params.from_arrays(np.diag([0.5, 3.0]), np.ones((2, 1)))
    traj = forward(p, np.stack([np.ones((800, 1)), np.zeros((800, 1))], axis=1), "linear")
    assert traj.valid_T[0] == traj.valid_T[1] < 800


def test_init_params_draws_what_the_config_says():
    cfg = Config(hidden_size=5, input_size=3, init="orthogonal", gain=2.0, seed=8)
    p = init_params(cfg)
    np.testing.assert_allclose(p.W_hh @ p.W_hh.T, 4.0 * np.eye(5), atol=1e-12)
    assert p.W_xh.shape == (5, 3) and p.u.shape == (5,)
    assert init_inputs(cfg).shape == (cfg.seq_len, 1, 3)


def test_derivatives_come_from_the_states_for_any_rows(activation):
    c = Config(activation=activation, hidden_size=12, batch_size=5, seq_len=30, input_kind="noise", gain=1.3)
    p, x = init_params(c), init_inputs(c)
    traj = forward(p, x, activation)
    # 1 - h^2 with one rounding (a fused multiply-add) or two, as the compiled loop's vector body or tail, or NumPy
    # (for a strided block), computes it: equal to an ulp of 1
    np.testing.assert_allclose(traj.derivative([0, 3]), traj.dact[:, [0, 3]], rtol=0, atol=2.3e-16)
    np.testing.assert_allclose(traj.derivative(slice(1, 2)), traj.dact[:, 1:2], rtol=0, atol=2.3e-16)
    np.testing.assert_allclose(traj.dact[1:], ACTIVATIONS[activation].derivative(traj.a[1:]), rtol=1e-13)


def test_derivatives_are_zero_after_an_overflow_for_every_activation(activation):
    # linear with a huge gain overflows; for the others the states stay bounded or overflow later: force it with NaN
    c = Config(activation=activation, hidden_size=6, batch_size=2, seq_len=40, input_kind="noise")
    p, x = init_params(c), init_inputs(c)
    x[25, 0, 0] = np.nan  # a NaN input: every state of the network is invalid from step 26 on
    traj = forward(p, x, activation)
    np.testing.assert_array_equal(traj.valid_T, [25, 25])
    assert not traj.dact[26:].any() and not traj.derivative([1])[26:].any()
    assert np.isfinite(traj.dact).all()
