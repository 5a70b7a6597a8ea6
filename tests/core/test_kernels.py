"""The compiled kernels (rnn_core.kernels) against the NumPy code they replace, and the core with them turned off."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import (
    Config,
    analyze,
    backward,
    bptt,
    forward,
    get_activation,
    init_inputs,
    init_params,
    jacobian_products,
    kernels,
)
from rnn_core.activations import LEAKY_SLOPE
from rnn_core.sweep import sweep

needs_numba = pytest.mark.skipif(not kernels.ENABLED, reason="numba not installed (or RNN_CORE_NUMBA=0)")


def _ulps(x: np.ndarray) -> np.ndarray:
    """Error of the kernel's tanh in units in the last place, against tanh in extended precision."""
    out = np.empty_like(x)
    kernels.tanh(x, out)
    ref = np.tanh(x.astype(np.longdouble))
    return np.abs((out.astype(np.longdouble) - ref) / np.spacing(np.abs(ref).astype(np.float64)))


@needs_numba
def test_tanh_is_accurate_to_a_couple_of_ulps():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 3, 1_000_000), np.linspace(-25, 25, 1_000_001),
                        np.geomspace(1e-300, 25, 50_000), -np.geomspace(1e-300, 25, 50_000),
                        # both sides of the switch between the two formulas, and where tanh rounds to 1
                        np.nextafter(0.625, [-1, 1]), [0.625, 19.0, 19.1, 20.0, 20.5, 700.0, 1e300]])
    err = _ulps(x)
    assert err.max() < 1.5  # measured 1.33 (np.tanh here: 1.19)
    assert err.mean() < 0.3


@needs_numba
def test_tanh_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-200])
    out = np.empty_like(x)
    kernels.tanh(x, out)
    np.testing.assert_array_equal(out[:4], [0.0, -0.0, 1.0, -1.0])
    assert np.signbit(out[1]) and not np.signbit(out[0])
    assert np.isnan(out[4])
    np.testing.assert_array_equal(out[5:], x[5:])  # tanh(x) = x below ~1e-8, subnormals included


@needs_numba
def test_tanh_step_fuses_drive_and_activation():
    rng = np.random.default_rng(1)
    a, x = rng.normal(0, 2, (3, 4, 5)), rng.normal(0, 1, (3, 4, 2))
    W, b = rng.normal(0, 1, (3, 2, 5)), rng.normal(0, 1, (3, 5))
    expected = np.tanh(a + (x @ W + b[:, None, :]))
    h = np.empty_like(a)
    kernels.tanh_step(a.copy(), x, W, b, h)
    np.testing.assert_allclose(h, expected, rtol=1e-15, atol=1e-16)
    # a strided block of rows (a block of a stack of networks) gives the same numbers as the whole
    h2 = np.empty_like(a)
    kernels.tanh_step(a[:, 1:3].copy(), x[:, 1:3], W, b, h2[:, 1:3])
    np.testing.assert_array_equal(h2[:, 1:3], h[:, 1:3])
    # one input and one W_xh for the whole stack (broadcast)
    h3 = np.empty_like(a)
    kernels.tanh_step(a.copy(), x[:1], W[:1], b[:1], h3)
    np.testing.assert_allclose(h3, np.tanh(a + (x[:1] @ W[:1] + b[:1, None, :])), rtol=1e-15, atol=1e-16)


@needs_numba
@pytest.mark.parametrize("batch_size", [1, 16])  # the small compiled loop, and the fused step after BLAS products
def test_forward_reports_nan_from_the_kernels(batch_size):
    c = Config(seq_len=20, hidden_size=8, batch_size=batch_size, input_kind="noise")
    assert kernels.is_small(batch_size, 8) == (batch_size == 1)
    x = init_inputs(c)
    x[7, 0, 0] = np.nan  # NaN in the input at step 8: tanh gives NaN, the kernel must see it
    traj = forward(init_params(c), x, "tanh")
    assert (traj.valid_T == 7).all()
    assert np.isnan(traj.h[8:]).all() and np.isfinite(traj.h[:8]).all()


@needs_numba
@pytest.mark.parametrize("kw", [dict(), dict(init="identity", activation="sigmoid"), dict(gain=3.0, seq_len=300),
                                dict(hidden_size=16, batch_size=4, init="orthogonal", gain=0.9),
                                dict(hidden_size=32, batch_size=16, gain=0.9, bias_scale=0.3),  # fused step
                                dict(hidden_size=64, batch_size=128, seq_len=60, gain=0.8, loss="all")])  # + threads
def test_the_numpy_path_agrees_with_the_kernels(monkeypatch, kw):
    """The same analysis with the kernels off (numba missing, or RNN_CORE_NUMBA=0): equal to rounding."""
    c = Config(**kw)
    on = analyze(c)
    monkeypatch.setattr(kernels, "ENABLED", False)
    off = analyze(c)
    chaotic = on.diagnosis.lyapunov_max > 0  # rounding differences grow like e^(lambda t): compare statistics only
    if not chaotic:
        np.testing.assert_allclose(off.traj.h, on.traj.h, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(off.grad.log10_norm, on.grad.log10_norm, rtol=0, atol=1e-11)
        np.testing.assert_allclose(off.jacobians.log10_norm, on.jacobians.log10_norm, rtol=0, atol=1e-9)
    assert off.diagnosis.regime == on.diagnosis.regime
    assert off.diagnosis.rate == pytest.approx(on.diagnosis.rate, rel=1e-6 if not chaotic else 0.05)


@needs_numba
def test_compiled_jacobian_norms_match_the_svd_when_the_top_direction_changes():
    # identity W_hh: the singular values of dh_T/dh_t start equal and trade places along t (see test_bptt)
    for act in ("tanh", "sigmoid", "leaky_relu"):
        c = Config(activation=act, init="identity", gain=1.5, hidden_size=16, seq_len=80)
        p, x = init_params(c), init_inputs(c)
        jn = jacobian_products(p, forward(p, x, act), all_singular_values=True)
        ok = np.isfinite(jn.log10_sv[:, 0])
        np.testing.assert_allclose(jn.log10_norm[ok], jn.log10_sv[ok, 0], rtol=0, atol=1e-11)


@needs_numba
def test_top_singular_value_kernel_reports_when_it_is_not_certain():
    M = np.diag([1.0, 0.999999, 0.5, 0.1])  # top two within 1e-6: no convergence in a few steps
    y = np.array([0.0, 1.0, 0.0, 0.0])
    assert kernels.top_singular_value(M, y, np.zeros(4), 0.1, 1e-13, 8) == -1.0
    y = np.array([0.0, 1.0, 0.0, 0.0])
    rho = kernels.top_singular_value(np.diag([1.0, 0.5, 0.2, 0.1]), y, np.zeros(4), 0.1, 1e-13, 200)
    assert rho == pytest.approx(1.0, rel=1e-13)
    assert abs(y[0]) == pytest.approx(1.0, rel=1e-6)


@needs_numba
@pytest.mark.parametrize("loss,nan_at", [("last", None), ("all", None), ("last", 200), ("all", 200)])
def test_compiled_backward_of_a_small_network_agrees_with_numpy(monkeypatch, loss, nan_at):
    # one trajectory, backward with the compiled whole loop (a small network) and with NumPy's; with a NaN input the
    # states are invalid from that step on, and the loss moves to the last valid step
    c = Config(hidden_size=16, batch_size=3, seq_len=300, gain=0.9, loss=loss)
    p, x = init_params(c), init_inputs(c)
    if nan_at is not None:
        x[nan_at, 1, 0] = np.nan
    traj = forward(p, x, "tanh")
    assert (traj.valid_T == (nan_at if nan_at is not None else 300)).all()
    on = backward(p, traj, loss)
    monkeypatch.setattr(kernels, "ENABLED", False)
    off = backward(p, traj, loss)
    np.testing.assert_array_equal(np.isnan(on.log10_norm), np.isnan(off.log10_norm))
    np.testing.assert_allclose(on.log10_norm, off.log10_norm, rtol=0, atol=1e-12)
    np.testing.assert_allclose(on.v, off.v, rtol=0, atol=1e-12)
    if loss == "last":
        assert off.log10_norm[0, 0] < -3  # vanishing over 300 steps: the renormalization was exercised


@needs_numba
def test_small_loop_applies_only_where_it_should():
    W, N = np.eye(8), 8
    drive = np.zeros((5, 2, N))
    h = np.zeros((6, 2, N))
    assert kernels.tanh_forward(W, drive, h) is True
    big = np.zeros((5, 16, N))  # a batch above SMALL_BATCH: BLAS's path
    assert kernels.tanh_forward(W, big, np.zeros((6, 16, N))) is None
    assert kernels.tanh_forward(np.eye(8)[None], drive, h) is None  # stacked networks
    drive[2, 1, 3] = np.nan
    assert kernels.tanh_forward(W, drive, h) is False


@needs_numba
def test_sweep_rows_agree_with_and_without_kernels(monkeypatch):
    # stacked networks with row gains: the fused step on (seeds, gains x batch) blocks, threads included
    base = Config(hidden_size=32, seq_len=80, batch_size=4)
    gains = [0.3, 0.7, 0.9]  # not chaotic: rounding differences stay at rounding
    on = sweep(base, gains, seeds=(0, 1))
    monkeypatch.setattr(kernels, "ENABLED", False)
    off = sweep(base, gains, seeds=(0, 1))
    for col in ("rate", "lyapunov_max", "sigma_max"):
        np.testing.assert_allclose(on[col], off[col], rtol=1e-9)
    assert list(on["regime"]) == list(off["regime"])


@needs_numba
def test_fused_step_rejects_mispaired_stacks():
    a = np.zeros((2, 3, 4, 5))  # a stack of (2, 3) networks
    x, h = np.zeros((1, 2, 3, 4, 1)), np.zeros((1, 2, 3, 4, 5))
    ok = kernels.tanh_steps(a, x, np.zeros((2, 3, 1, 5)), np.zeros((2, 3, 5)), h)
    assert ok is not None
    # W_xh stacked (3, 2): the same number of networks, arranged differently; NumPy would refuse to broadcast it
    assert kernels.tanh_steps(a, x, np.zeros((3, 2, 1, 5)), np.zeros((2, 3, 5)), h) is None


def test_tanh_activation_takes_scalars_and_lists():
    tanh = get_activation("tanh")
    assert tanh(0.5) == pytest.approx(np.tanh(0.5), rel=1e-15)
    np.testing.assert_allclose(tanh([0.5, -1.0]), np.tanh([0.5, -1.0]), rtol=1e-15)
    np.testing.assert_allclose(tanh(np.array([0.5], dtype=np.float32)), np.tanh(0.5), rtol=1e-15)


@needs_numba
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
@pytest.mark.parametrize("safe", [False, True])
def test_backward_step_kernel_matches_numpy(activation, safe):
    rng = np.random.default_rng(3)
    T, K, R, N = 4, 2, 5, 7  # a stack of 2 networks, 5 rows each
    v = rng.normal(0, 10.0, (T + 1, K, R, N))
    v[3] = 0.0  # the first step's product is zero (relative to 10**-inf): the readout starts the gradient
    v[2, 1, 3] = 0.0  # an exactly zero gradient stays zero with scale -inf
    h = get_activation(activation)(rng.normal(0, 1.5, (T + 1, K, R, N)))
    if safe:
        h[3, 0, 2, 4] = np.nan  # a state after an overflow: act' = 0 there
    s = rng.normal(0, 3, (T + 1, K, R))
    s[3, 1, 1] = -np.inf
    u = rng.normal(0, 1, (K, 1, N))
    inject = rng.random((T + 1, K, R)) < 0.3
    inject[3] = True
    kv, ks, kw = v.copy(), s.copy(), np.empty((K, R, N))
    step = kernels.backward_steps(kv, ks, h, kw, u, inject, activation, LEAKY_SLOPE, safe)
    assert step is not None
    nv, ns, nw = v.copy(), s.copy(), np.empty((K, R, N))
    for t in (3, 2):  # t = 3 as the first step (scale -inf + ...), then t = 2 from s[3]
        step(t, t == 3)
        s_next = np.full((K, R), -np.inf) if t == 3 else ns[t + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            bptt._backward_step(nv[t], s_next, ns[t], h[t], nw, u, inject[t], get_activation(activation).df, True,
                                safe)
        np.testing.assert_allclose(kv[t], nv[t], rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(np.isneginf(ks[t]), np.isneginf(ns[t]))
        np.testing.assert_allclose(ks[t], ns[t], rtol=1e-14)
        np.testing.assert_allclose(kw, nw, rtol=1e-14, atol=1e-15)  # tanh: 1 - h^2 with one rounding or two
        assert np.isfinite(kw).all()
    assert (not kv[2, 1, 3].any() and ks[2, 1, 3] == -np.inf) or inject[2, 1, 3]


@needs_numba
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
def test_deltas_kernel_matches_numpy(activation):
    rng = np.random.default_rng(4)
    v, h = rng.normal(0, 1, (50, 9)), get_activation(activation)(rng.normal(0, 2, (50, 9)))
    scale = rng.random(50)
    out = np.empty_like(v)
    assert kernels.deltas(v, h, scale, activation, LEAKY_SLOPE, out, False)
    expected = get_activation(activation).df(h, np.empty_like(h)) * v * scale[:, None]
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-16)
    h[7, 2] = np.nan
    assert kernels.deltas(v, h, scale, activation, LEAKY_SLOPE, out, True)
    assert out[7, 2] == 0.0 and np.isfinite(out).all()


@pytest.mark.parametrize("scale", [1e-170, 1e-313, 1e170, 1e307])
def test_normalization_survives_sums_of_squares_beyond_float64(scale):
    # a step whose product is entirely below ~1e-154 (or above ~1e154): its sum of squares under- or overflows, yet
    # the gradient is not zero (or infinite); both paths rescale by the largest entry first. 1e-313: subnormal
    # entries, whose norm has no float64 inverse; 1e307: a norm beyond float64
    rng = np.random.default_rng(5)
    v0 = rng.normal(0, 1, (1, 3, 16))
    given = v0 * scale  # (subnormals keep fewer digits: the expected norm is the given vector's)
    m = np.abs(given).max(axis=-1)
    expected = np.log10(np.linalg.norm(given / m[..., None], axis=-1)) + np.log10(m)
    h = np.zeros((2, 1, 3, 16))
    for compiled in (False, True):
        if compiled and not kernels.ENABLED:
            continue
        v = np.stack([given, given])  # (T+1 = 2, 1, 3, 16); step 0's product relative to s[1] = 0
        s = np.zeros((2, 1, 3))
        w = np.empty((1, 3, 16))
        if compiled:
            kernels.backward_steps(v, s, h, w, np.zeros((1, 1, 16)), np.zeros((2, 1, 3), bool), "tanh",
                                   LEAKY_SLOPE, False)(0, False)
        else:
            bptt._backward_step(v[0], s[1], s[0], h[0], w, np.zeros((1, 1, 16)), None,
                                get_activation("tanh").df, False, False)
        np.testing.assert_allclose(s[0], expected, rtol=1e-13)
        np.testing.assert_allclose(np.linalg.norm(v[0], axis=-1), 1.0, rtol=1e-14)
