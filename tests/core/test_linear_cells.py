"""The leaky RNN and the linear recurrent unit: finite differences, the vanilla limit, exact theory, properties.

The references here are written from the equations (a plain loop; the LRU in complex arithmetic), not from rnn_core,
so that a test comparing the two can fail. The LRU's theory is exact (every step Jacobian is ``|lambda_i|`` times a
rotation per unit), so its Jacobian norms, gradient norms and Lyapunov exponents are checked to rounding.
"""

from __future__ import annotations

import dataclasses
import doctest
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rnn_core import (
    ACTIVATIONS,
    INITIALIZERS,
    INPUT_KINDS,
    Config,
    analyze,
    backward,
    forward,
    gradients,
    jacobian_products,
    lyapunov_spectrum,
)
from rnn_core.cells import leaky as leaky_module
from rnn_core.cells import lru as lru_module
from rnn_core.cells.elman import Elman, Params
from rnn_core.cells.leaky import Leaky
from rnn_core.cells.lru import LRU, PHASE_MIN, LRUParams, curse_of_memory
from rnn_core.config import LOSSES

Array = np.ndarray
FD_STEP = 1e-6  # central differences: truncation ~ FD_STEP^2 = 1e-12, rounding ~ 1e-16 / FD_STEP = 1e-10
FD_RTOL = 1e-7  # measured errors are ~1e-10..1e-9, so a wrong term (relative size >> 1e-7) fails
KINK_MARGIN = 1e-2  # |a_t| at least this far from relu's kink, far beyond what a 1e-6 step can move it


def _fd(loss_of, arr: Array) -> Array:
    """dL/d(arr) by central differences; ``loss_of(a)`` is the loss with ``arr`` replaced by ``a``."""
    out = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        plus, minus = arr.copy(), arr.copy()
        plus[idx] += FD_STEP
        minus[idx] -= FD_STEP
        out[idx] = (loss_of(plus) - loss_of(minus)) / (2 * FD_STEP)
    return out


def _rel(got: Array, want: Array) -> float:
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


# ----------------------------------------------------------------------------------------------------------------
# The leaky RNN


def _leaky_network(seed: int = 0, N: int = 5, D: int = 3, T: int = 8, B: int = 2, gain: float = 1.5):
    rng = np.random.default_rng(seed)
    u = rng.normal(size=N)
    p = Params(rng.normal(0.0, gain / np.sqrt(N), (N, N)), rng.normal(0.0, 1 / np.sqrt(D), (N, D)),
               rng.normal(0.0, 0.3, N), u / np.linalg.norm(u))
    return p, rng.normal(size=(T, B, D)), 0.5 * rng.normal(size=(B, N))


def _leaky_reference_loss(p: Params, x: Array, h0: Array, act, alpha: float, loss: str) -> float:
    """h_t = (1 - alpha) h_{t-1} + alpha act(W_hh h_{t-1} + W_xh x_t + b); 'last': sum_b u·h_T, 'all': all t >= 1."""
    h, total = h0, 0.0
    for t in range(x.shape[0]):
        h = (1 - alpha) * h + alpha * act(h @ p.W_hh.T + x[t] @ p.W_xh.T + p.b)
        if loss == "all" or t == x.shape[0] - 1:
            total += float((h @ p.u).sum())
    return total


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_leaky_gradients_match_finite_differences(activation, loss, reference_act):
    alpha, act = 0.3, reference_act[activation]
    p, x, h0 = _leaky_network()
    cell = Leaky(activation, alpha)
    traj = forward(p, x, cell, h0=h0)
    if activation == "relu":
        assert np.abs(cell.preactivation(p, traj.s[:-1], x)).min() > KINK_MARGIN
    grad, pg = gradients(p, traj, loss=loss)
    fields = dataclasses.asdict(p)
    for name, got in pg.as_dict().items():
        fd = _fd(lambda a, name=name: _leaky_reference_loss(Params(**{**fields, name: a}), x, h0, act, alpha, loss),
                 getattr(p, name))
        assert _rel(got, fd) < FD_RTOL, name
    fd_h0 = _fd(lambda a: _leaky_reference_loss(p, x, a, act, alpha, loss), h0)
    assert _rel(grad.values()[0], fd_h0) < FD_RTOL  # dL/ds_0


def test_leaky_at_alpha_one_is_the_vanilla_cell(activation, reference):
    p, x = reference.network(activation, seed=3, T=25)
    leaky, vanilla = forward(p, x, Leaky(activation, 1.0)), forward(p, x, Elman(activation))
    # 1e-12 relative: the two compute a_t in different orders (the vanilla fast path adds the input drive last)
    np.testing.assert_allclose(leaky.s, vanilla.s, rtol=1e-12, atol=1e-12)
    for loss in LOSSES:
        (g1, pg1), (g2, pg2) = gradients(p, leaky, loss=loss), gradients(p, vanilla, loss=loss)
        np.testing.assert_allclose(g1.log10_norm, g2.log10_norm, rtol=0, atol=1e-12)
        np.testing.assert_allclose(g1.values(), g2.values(), rtol=1e-12, atol=1e-12)  # dL/dh_t
        for name, want in pg2.as_dict().items():
            np.testing.assert_allclose(pg1.as_dict()[name], want, rtol=1e-12, atol=1e-12 * np.abs(want).max(),
                                       err_msg=name)
    j1, j2 = jacobian_products(p, leaky), jacobian_products(p, vanilla)
    np.testing.assert_allclose(j1.log10_norm, j2.log10_norm, rtol=0, atol=1e-12)
    np.testing.assert_allclose(Leaky(activation, 1.0).dact_steps(p, leaky.s[:-1], x), vanilla.dact[1:], rtol=1e-12,
                               atol=1e-12)
    theory = Leaky(activation, 1.0).theory(p)
    np.testing.assert_array_equal(theory.recurrent, p.W_hh)
    sigma = np.linalg.svd(p.W_hh, compute_uv=False)[0]
    assert theory.bound(sigma) == pytest.approx(ACTIVATIONS[activation].gamma * sigma, rel=1e-14)


def test_leaky_theory_and_reference_curve():
    p, x, _ = _leaky_network(seed=4, T=40, B=1)
    cell = Leaky("tanh", 0.25)
    theory = cell.theory(p)
    np.testing.assert_allclose(theory.recurrent, 0.75 * np.eye(5) + 0.25 * p.W_hh, rtol=0, atol=1e-15)
    sigma_w = np.linalg.svd(p.W_hh, compute_uv=False)[0]
    assert theory.step_bound == pytest.approx(0.75 + 0.25 * sigma_w, rel=1e-14)
    traj = forward(p, x, cell)
    # the bound holds at every step: ||J_t||_2 from the dense Jacobian (jvp on the identity)
    for t in range(1, traj.T + 1):
        J = cell.jvp(p, np.eye(5), traj.s[t - 1, 0], traj.s[t, 0], x[t - 1, 0])
        assert np.linalg.norm(J, 2) <= theory.step_bound * (1 + 1e-12)
    (name, curve), = cell.reference_curves(p, traj).items()
    rho = np.abs(np.linalg.eigvals(theory.recurrent)).max()
    np.testing.assert_allclose(curve, (traj.T - np.arange(traj.T + 1)) * np.log10(rho), rtol=0, atol=1e-12)
    assert "ρ((1-α)I + αW_hh)" in name


def test_leaky_reference_curve_is_nan_past_an_overflow_and_zero_radius_is_minus_inf():
    p = Params.from_arrays(30.0 * np.eye(2), np.ones((2, 1)))
    traj = forward(p, np.ones((400, 1, 1)), Leaky("linear", 1.0))
    Tv = int(traj.valid_T[0])
    assert Tv < 400
    curve = Leaky("linear", 1.0).reference_curves(p, traj)
    (c,) = curve.values()
    assert c[Tv] == 0.0 and np.isnan(c[Tv + 1:]).all() and np.isfinite(c[:Tv + 1]).all()
    zero = Params.from_arrays(np.zeros((2, 2)))  # alpha = 1, W_hh = 0: the matrix is 0
    (c0,) = Leaky("tanh", 1.0).reference_curves(zero, forward(zero, np.zeros((3, 1, 1)), Leaky("tanh", 1.0))).values()
    assert c0.tolist() == [-math.inf, -math.inf, -math.inf, 0.0]


def test_leaky_validates_its_settings():
    with pytest.raises(ValueError, match=r"alpha=0.0 is outside the allowed range \(0, 1\]"):
        Leaky(alpha=0.0)
    for bad in (1.5, -0.1, float("nan"), True):
        with pytest.raises(ValueError, match="alpha="):
            Leaky(alpha=bad)
    with pytest.raises(ValueError, match="activation='tahn' is not one of"):
        Leaky("tahn")
    cfg = Config(cell="leaky", activation="sigmoid", leak=0.05, hidden_size=7, input_size=3, seed=5)
    cell = Leaky.from_config(cfg)
    assert (cell.activation, cell.alpha, cell.name) == ("sigmoid", 0.05, "leaky")
    p, q = cell.init_params(cfg), Elman("sigmoid").init_params(cfg)
    for name in ("W_hh", "W_xh", "b", "u"):
        np.testing.assert_array_equal(getattr(p, name), getattr(q, name))


def test_leaky_saturation_is_measured_on_act_a_not_on_the_state():
    # a slow leak averages a saturated act(a) = +-1 that alternates in sign: the state stays small
    p = Params.from_arrays(np.zeros((1, 1)), 50.0 * np.ones((1, 1)))
    x = np.tile([[[1.0]], [[-1.0]]], (10, 1, 1))
    cell = Leaky("tanh", 0.1)
    traj = forward(p, x, cell)
    assert np.abs(traj.s).max() < 0.2
    assert np.isnan(cell.saturated(traj.s)).all()  # undefined from a state alone
    np.testing.assert_array_equal(cell.saturated_steps(p, traj.s[:-1], x), np.ones((20, 1)))


# ----------------------------------------------------------------------------------------------------------------
# The linear recurrent unit


def _lru_network(seed: int = 0, N: int = 4, D: int = 3, radius=(0.6, 0.95)) -> LRUParams:
    """Random eigenvalues in a ring, a complex B, and a gamma_log off its initial value (it is a free parameter)."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(*radius, N) * np.exp(1j * rng.uniform(0.1, 3.0, N))
    B = rng.normal(size=(N, D)) + 1j * rng.normal(size=(N, D))
    p = LRUParams.from_eigenvalues(lam, B, seed=seed)
    return dataclasses.replace(p, gamma_log=p.gamma_log + rng.normal(0.0, 0.3, N))


def _lru_reference_loss(p: LRUParams, x: Array, s0: Array, loss: str) -> float:
    """h_t = lambda h_{t-1} + gamma (B x_t) in complex arithmetic; L = u·[Re h, Im h] at T ('last') or summed."""
    N = p.nu_log.shape[-1]
    lam = np.exp(-np.exp(p.nu_log) + 1j * np.exp(p.theta_log))
    gamma, B = np.exp(p.gamma_log), p.B_re + 1j * p.B_im
    h, total = s0[:, :N] + 1j * s0[:, N:], 0.0
    for t in range(x.shape[0]):
        h = lam * h + gamma * (x[t] @ B.T)
        if loss == "all" or t == x.shape[0] - 1:
            total += float((np.concatenate([h.real, h.imag], axis=-1) @ p.u).sum())
    return total


def test_lru_gradients_match_finite_differences(loss):
    p = _lru_network()
    rng = np.random.default_rng(1)
    x, s0 = rng.normal(size=(10, 2, 3)), rng.normal(size=(2, 8))
    traj = forward(p, x, LRU(), h0=s0)
    grad, pg = gradients(p, traj, loss=loss)
    assert list(pg.as_dict()) == ["nu_log", "theta_log", "gamma_log", "B_re", "B_im"]
    for name, got in pg.as_dict().items():
        fd = _fd(lambda a, name=name: _lru_reference_loss(dataclasses.replace(p, **{name: a}), x, s0, loss),
                 getattr(p, name))
        assert _rel(got, fd) < FD_RTOL, name
    assert _rel(grad.values()[0], _fd(lambda a: _lru_reference_loss(p, x, a, loss), s0)) < FD_RTOL  # dL/ds_0
    # the forward pass is the reference's
    np.testing.assert_allclose(traj.s[-1] @ p.u, [_lru_reference_loss(p, x[:, [b]], s0[[b]], "last")
                                                   for b in range(2)], rtol=1e-13)


@pytest.mark.parametrize("make", [
    lambda: (Leaky("tanh", 0.4), *_leaky_network(seed=2, B=1)[:2]),
    lambda: (LRU(), _lru_network(seed=2), np.random.default_rng(2).normal(size=(8, 1, 3))),
], ids=["leaky", "lru"])
def test_jvp_is_the_transpose_of_backward_and_the_derivative_of_step(make):
    cell, p, x = make()
    traj = forward(p, x, cell)
    S, k = traj.s.shape[-1], 3
    rng = np.random.default_rng(5)
    for t in range(1, traj.T + 1):
        s_prev, s, xt = traj.s[t - 1, 0], traj.s[t, 0], x[t - 1, 0]
        G, Q = rng.normal(size=(k, S)), rng.normal(size=(S, k))  # rows g_i and columns q_j
        JtG, JQ = cell.backward(p, G, s_prev, s, xt), cell.jvp(p, Q, s_prev, s, xt)
        np.testing.assert_allclose(JtG @ Q, G @ JQ, rtol=1e-12, atol=1e-12 * np.abs(G @ JQ).max())  # q·J^T g = g·J q
        fd = (cell.step(p, s_prev + FD_STEP * Q.T, xt[None]) - cell.step(p, s_prev - FD_STEP * Q.T, xt[None])).T
        assert _rel(JQ, fd / (2 * FD_STEP)) < FD_RTOL


def test_lru_jacobian_products_are_max_modulus_powers():
    p = _lru_network(seed=2, N=5, radius=(0.6, 0.9))
    r = np.abs(p.lam)
    T = 300
    traj = forward(p, np.random.default_rng(3).normal(size=(T, 1, 3)), LRU())
    jac = jacobian_products(p, traj, all_singular_values=True)
    expected = (T - np.arange(T + 1)) * np.log10(r.max())
    # ds_T/ds_t is the real form of diag(lambda^(T-t)): its norm is max|lambda|^(T-t)
    np.testing.assert_allclose(jac.log10_norm, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(jac.log10_sv_full, np.sort(np.repeat(T * np.log10(r), 2))[::-1], rtol=0, atol=1e-9)
    (name, curve), = LRU().reference_curves(p, traj).items()
    assert name == "max|λ|^(T-t)"
    np.testing.assert_allclose(curve, expected, rtol=0, atol=1e-12)
    theory = LRU().theory(p)
    np.testing.assert_allclose(np.linalg.svd(theory.recurrent, compute_uv=False), np.sort(np.repeat(r, 2))[::-1],
                               rtol=1e-14)
    assert theory.bound(r.max()) == pytest.approx(r.max(), rel=1e-15)
    assert LRU().state_parts(p) == {"h": slice(None)}  # one complex vector: no curve per real or imaginary half


def test_lru_log_domain_gradient_at_one_hundred_thousand_steps():
    # every |lambda| = r: ||dL/ds_t|| = r^(T-t) exactly (u has norm 1 and J^T is r times an orthogonal matrix):
    # 10^-436.5 at t = 0, which float64 cannot hold
    T, r = 100_000, 0.99
    p = LRUParams.from_eigenvalues(r * np.exp(1j * np.array([0.3, 1.1, 2.0])), input_size=2, seed=3)
    traj = forward(p, np.random.default_rng(0).normal(size=(T, 1, 2)), LRU())
    grad = backward(p, traj, "last")
    np.testing.assert_allclose(grad.log10_norm[:, 0], (T - np.arange(T + 1)) * np.log10(r), rtol=0, atol=1e-9)
    assert grad.log10_norm[0, 0] < -400


def test_lru_lyapunov_exponents_are_the_log_moduli_each_twice():
    p = _lru_network(seed=6, N=4, radius=(0.3, 0.95))
    T, S = 200, 8
    traj = forward(p, np.random.default_rng(7).normal(size=(T, 1, 3)), LRU())
    exact = np.sort(np.repeat(np.log(np.abs(p.lam)), 2))
    # from the canonical frame, QR never mixes units (each unit's plane is invariant): exact at any T
    lyap = lyapunov_spectrum(p, traj, k=S, start=np.eye(S))[0]
    np.testing.assert_allclose(np.sort(lyap), exact, rtol=0, atol=1e-8)
    # from the default random frame, finite-time estimates off by O(1/T), but their sum is (1/T) ln|det|
    lyap = lyapunov_spectrum(p, traj, k=S, seed=0)[0]
    assert lyap.sum() == pytest.approx(exact.sum(), abs=1e-10)
    np.testing.assert_allclose(np.sort(lyap), exact, rtol=0, atol=5 / T)


def test_lru_ring_initialization():
    cfg = Config(cell="lru", hidden_size=400, input_size=5, r_min=0.4, r_max=0.9, max_phase=3.0, seed=7)
    p = LRU().init_params(cfg)
    r, phase = np.exp(-np.exp(p.nu_log)), np.exp(p.theta_log)
    assert 0.4 - 1e-12 <= r.min() and r.max() <= 0.9 + 1e-12
    assert 0.0 <= phase.min() and phase.max() <= 3.0
    # |lambda|^2 uniform on [r_min^2, r_max^2]: its mean within 4 standard errors (sd of U(a, b) is (b - a)/sqrt 12)
    assert abs((r**2).mean() - (0.16 + 0.81) / 2) < 4 * (0.81 - 0.16) / math.sqrt(12 * 400)
    assert abs(phase.mean() - 1.5) < 4 * 3.0 / math.sqrt(12 * 400)
    np.testing.assert_allclose(np.exp(p.gamma_log), np.sqrt(1 - r**2), rtol=1e-13)
    for B in (p.B_re, p.B_im):  # N(0, 1/(2D)): 2000 draws, the sd within 8% (4 standard errors)
        assert B.shape == (400, 5) and abs(B.std() * math.sqrt(10) - 1) < 0.08
    assert p.u.shape == (800,) and np.linalg.norm(p.u) == pytest.approx(1.0, abs=1e-14)
    assert (p.hidden_size, p.input_size, p.cell_name) == (400, 5, "lru")
    # reproducible, and blind to the settings it ignores
    q = LRU().init_params(cfg.replace(init="orthogonal", gain=5.0, bias_scale=1.0))
    for name in ("nu_log", "theta_log", "gamma_log", "B_re", "B_im", "u"):
        np.testing.assert_array_equal(getattr(p, name), getattr(q, name))


def test_lru_ring_extremes_give_finite_parameters():
    p = LRU().init_params(Config(cell="lru", hidden_size=3, r_min=0.0, r_max=0.0, max_phase=0.0))
    assert np.all(p.lam == 0)
    np.testing.assert_allclose(np.exp(p.theta_log), PHASE_MIN, rtol=1e-13)
    np.testing.assert_array_equal(p.gamma_log, 0.0)  # gamma = sqrt(1 - 0)
    traj = forward(p, np.ones((3, 1, 8)), LRU())
    assert np.isneginf(backward(p, traj, "last").log10_norm[:-1]).all()  # lambda = 0: the gradient stops at once
    near = LRU().init_params(Config(cell="lru", hidden_size=50, r_min=0.9999, r_max=0.9999))
    np.testing.assert_allclose(np.abs(near.lam), 0.9999, rtol=1e-13)
    assert np.isfinite(near.gamma_log).all()


def test_lru_parameters_are_validated():
    p = _lru_network()
    with pytest.raises(ValueError, match=r"u must have shape \(\.\.\., 8\)"):
        dataclasses.replace(p, u=np.ones(4) / 2)
    with pytest.raises(ValueError, match="B_re and B_im"):
        dataclasses.replace(p, B_im=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="theta_log must have the shape"):
        dataclasses.replace(p, theta_log=np.zeros(3))
    with pytest.raises(ValueError, match="nu_log contains 1 non-finite"):
        dataclasses.replace(p, nu_log=np.array([0.0, np.inf, 0.0, 0.0]))
    with pytest.raises(ValueError, match=r"\|lam\| must be in \(0, 1\)"):
        LRUParams.from_eigenvalues(np.array([0.5, 1.0]))
    q = LRUParams.from_eigenvalues(np.array([0.5, -0.5j, 0.7 * np.exp(-2j)]))
    np.testing.assert_allclose(q.lam, [0.5, -0.5j, 0.7 * np.exp(-2j)], atol=1e-15)
    assert np.exp(q.theta_log[0]) == pytest.approx(PHASE_MIN, rel=1e-13) and np.all(np.exp(q.theta_log[1:]) > np.pi)


def test_analyze_an_lru_end_to_end():
    T = 200
    # all |lambda| = 0.9: ||dL/ds_t|| = 0.9^(T-t), down 1000-fold at the first lag k with 0.9^k <= 1e-3
    cfg = Config(cell="lru", hidden_size=8, seq_len=T, input_size=3, r_min=0.9, r_max=0.9)
    a = analyze(cfg, params=LRU().init_params(cfg), cell=LRU())
    d = a.diagnosis
    assert d.regime == "vanishing" and d.rate == pytest.approx(0.9, rel=1e-9)
    assert d.horizons[1000] == math.ceil(math.log(1e-3) / math.log(0.9)) == 66
    assert d.sigma_max == pytest.approx(0.9, rel=1e-13) and d.spectral_radius == pytest.approx(0.9, rel=1e-13)
    assert d.lyapunov_max == pytest.approx(math.log(0.9), abs=1e-10)  # one modulus: the QR exponents are exact
    # a ring [0.5, 0.9]: the slowest unit sets the rate; the faster ones only shorten the horizon
    cfg = cfg.replace(r_min=0.5, seed=3)
    p = LRU().init_params(cfg)
    a = analyze(cfg, params=p, cell=LRU())
    d, r = a.diagnosis, np.abs(p.lam)
    top = int(r.argmax())
    assert d.regime == "vanishing" and d.rate == pytest.approx(r.max(), rel=0.02)
    weight = p.u[top] ** 2 + p.u[top + 8] ** 2  # the slowest unit's share of ||u||^2: ||dL/ds_t|| >= sqrt(w) r^(T-t)
    assert (-3 - 0.5 * math.log10(weight)) / math.log10(r.max()) <= d.horizons[1000]
    assert d.horizons[1000] <= math.ceil(math.log(1e-3) / math.log(r.max())) <= 66  # r.max() <= r_max = 0.9
    np.testing.assert_allclose(a.jacobians.log10_norm, (T - np.arange(T + 1)) * np.log10(r.max()), rtol=0, atol=1e-12)
    assert np.isnan(a.saturated).all()  # a linear cell saturates nothing


def test_analyze_a_leaky_rnn_states_its_own_bound():
    cfg = Config(cell="leaky", activation="tanh", init="orthogonal", gain=0.5, leak=0.2, hidden_size=6, seq_len=80)
    cell = Leaky.from_config(cfg)
    a = analyze(cfg, params=cell.init_params(cfg), cell=cell)
    # ||J_t|| <= (1 - alpha) + alpha * gamma * sigma_max(W_hh) = 0.8 + 0.2 * 0.5 = 0.9 < 1
    assert a.diagnosis.pascanu == pytest.approx(0.9, rel=1e-12)
    assert a.diagnosis.regime == "vanishing" and a.diagnosis.rate <= 0.9 * (1 + 1e-9)


@pytest.mark.parametrize("cell, make", [
    (Leaky("tanh", 0.3), lambda rng: Params(rng.normal(0, 0.5, (3, 4, 4)), rng.normal(size=(3, 4, 2)),
                                            rng.normal(size=(3, 4)), np.tile(np.eye(4)[0], (3, 1)))),
    (LRU(), lambda rng: LRUParams.from_arrays(rng.normal(-1, 0.5, (3, 4)), rng.normal(0, 0.5, (3, 4)), None,
                                              rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2)),
                                              np.tile(np.eye(8)[0], (3, 1)))),
], ids=["leaky", "lru"])
def test_a_stack_of_networks_equals_each_network_alone(cell, make):
    stack = make(np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(30, 2, 2))
    traj = forward(stack, x, cell)
    grad = backward(stack, traj, "all")
    lyap = lyapunov_spectrum(stack, traj, k=3)
    for g in range(3):
        one = type(stack)(**{f.name: getattr(stack, f.name)[g] for f in dataclasses.fields(stack)})
        alone = forward(one, x, cell)
        np.testing.assert_allclose(traj.s[:, g], alone.s, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(grad.log10_norm[:, g], backward(one, alone, "all").log10_norm, rtol=0, atol=1e-12)
        np.testing.assert_allclose(lyap[g], lyapunov_spectrum(one, alone, k=3)[0], rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# The curse of memory


def test_curse_of_memory_sums_and_limits():
    r = np.array([0.0, 0.3, 0.9, 0.999, 1.0])
    for T in (1, 2, 3, 10, 1000):
        k = np.arange(1, T)  # dh_T/dlambda = sum_{k=1}^{T-1} k lambda^(k-1) x_{T-k}
        exact = (k**2 * r[:, None] ** (2 * (k - 1))).sum(axis=-1)
        np.testing.assert_allclose(10 ** curse_of_memory(r, T), exact, rtol=1e-12)
        with np.errstate(divide="ignore"):
            np.testing.assert_allclose(curse_of_memory(r, T, normalized=True),
                                       np.log10(exact) + np.log10(1 - r**2), rtol=0, atol=1e-12)
    r = np.array([0.0, 0.3, 0.9, 0.99])
    np.testing.assert_allclose(10 ** curse_of_memory(r), (1 + r**2) / (1 - r**2) ** 3, rtol=1e-12)
    np.testing.assert_allclose(10 ** curse_of_memory(r, normalized=True), (1 + r**2) / (1 - r**2) ** 2, rtol=1e-12)
    np.testing.assert_allclose(curse_of_memory(r, 10**6), curse_of_memory(r), rtol=0, atol=1e-12)  # r^(2T) = 0
    # near r = 1 the finite sum tends to the polynomial sum_{k<T} k^2, not to the closed form's cancellation
    assert 10 ** curse_of_memory(1 - 1e-13, 1001) == pytest.approx(1000 * 1001 * 2001 / 6, rel=1e-9)
    assert curse_of_memory(1.0) == math.inf and curse_of_memory(0.5).shape == ()
    with pytest.raises(ValueError, match="r must be in"):
        curse_of_memory(1.5)


@pytest.mark.parametrize("normalized", [False, True])
def test_curse_of_memory_against_monte_carlo(normalized):
    # h_t = lambda h_{t-1} + c x_t, x white noise; forward-mode dh_t/dlambda = h_{t-1} + lambda dh_{t-1}/dlambda
    r, T, M = 0.8, 40, 40_000
    lam, c = r * np.exp(0.7j), math.sqrt(1 - r * r) if normalized else 1.0
    x = np.random.default_rng(11).normal(size=(T, M))
    h, dh = np.zeros(M, complex), np.zeros(M, complex)
    for t in range(T):
        h, dh = lam * h + c * x[t], h + lam * dh
    sq = np.abs(dh) ** 2
    want = 10 ** curse_of_memory(r, T, normalized=normalized)
    assert abs(sq.mean() - want) < 4 * sq.std() / math.sqrt(M)


# ----------------------------------------------------------------------------------------------------------------
# Properties over random configurations, extremes included


@st.composite
def linear_cell_configs(draw):
    """Valid Configs of the leaky RNN and the LRU, small enough to analyze in milliseconds, extremes drawn often."""
    init = draw(st.sampled_from(tuple(INITIALIZERS)))
    gain = draw(st.one_of(st.sampled_from([0.0, 1.0, 20.0]), st.floats(0.0, 20.0, allow_nan=False)))
    if init == "spectral_radius" and gain == 0.0:
        gain = 1.0  # the one combination Config forbids
    r_max = draw(st.one_of(st.sampled_from([0.0, 0.5, 0.99, 0.9999]), st.floats(0.0, 0.9999)))
    return Config(
        cell=draw(st.sampled_from(["leaky", "lru"])),
        seq_len=draw(st.one_of(st.sampled_from([1, 2]), st.integers(1, 150))),
        hidden_size=draw(st.integers(1, 6)),
        batch_size=draw(st.integers(1, 3)),
        activation=draw(st.sampled_from(tuple(ACTIVATIONS))),
        init=init,
        gain=gain,
        input_kind=draw(st.sampled_from(INPUT_KINDS)),
        input_scale=draw(st.sampled_from([0.0, 1.0, 5.0, 100.0])),
        input_size=draw(st.integers(1, 4)),
        text=draw(st.text(min_size=1, max_size=12)),
        loss=draw(st.sampled_from(LOSSES)),
        seed=draw(st.integers(0, 2**32 - 1)),
        bias_scale=draw(st.sampled_from([0.0, 0.5, 10.0])),
        leak=draw(st.one_of(st.sampled_from([0.001, 1.0]), st.floats(0.001, 1.0))),
        r_min=r_max * draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
        r_max=r_max,
        max_phase=draw(st.one_of(st.sampled_from([0.0, 6.2832]), st.floats(0.0, 6.2832))),
    )


LINEAR_EXTREMES = [
    Config(cell="leaky", leak=0.001, gain=0.0, seq_len=50, hidden_size=4),
    Config(cell="leaky", leak=0.001, gain=20.0, activation="linear", seq_len=150, hidden_size=5),
    Config(cell="leaky", leak=1.0, gain=20.0, activation="tanh", seq_len=60, hidden_size=6),  # saturated
    Config(cell="leaky", leak=1.0, gain=20.0, activation="linear", seq_len=400, hidden_size=4, batch_size=2,
           loss="all"),  # the states overflow float64
    Config(cell="leaky", leak=0.5, gain=20.0, activation="relu", seq_len=100, hidden_size=5, bias_scale=10.0),
    Config(cell="leaky", leak=1.0, seq_len=1, hidden_size=1, activation="sigmoid", gain=20.0),
    Config(cell="lru", r_min=0.9999, r_max=0.9999, seq_len=150, hidden_size=4, input_scale=100.0),
    Config(cell="lru", r_min=0.0, r_max=0.0, max_phase=0.0, seq_len=20, hidden_size=3, loss="all"),
    Config(cell="lru", seq_len=1, hidden_size=1, input_kind="zeros"),
]


def _with_linear_extremes(test):
    for cfg in LINEAR_EXTREMES:
        test = example(cfg)(test)
    return test


@_with_linear_extremes
@given(linear_cell_configs())
@settings(max_examples=40, deadline=None, database=None)
def test_linear_cells_report_only_finite_or_flagged_numbers(cfg):
    cell = Leaky.from_config(cfg) if cfg.cell == "leaky" else LRU()
    params = cell.init_params(cfg)
    a = analyze(cfg, params=params, cell=cell)
    Tv = a.loss_step
    if cfg.cell == "lru":
        assert Tv == cfg.seq_len  # |lambda| < 1 and bounded inputs: the states never overflow
    # before the overflow (if any), every log-norm is a number or -inf (exactly zero), never NaN
    for grad in (a.grad, a.grad_last):
        assert not np.isnan(grad.log10_norm[:Tv + 1]).any()
        assert not np.isnan(grad.v[:Tv + 1]).any()
    assert not np.isnan(a.contributions[:Tv]).any()
    for mantissa in a.param_grads().mantissas.values():
        assert not np.isnan(mantissa).any()
    if a.jacobians is not None:
        assert not np.isnan(a.jacobians.log10_norm[:Tv + 1]).any()
    if Tv > 0:
        assert not np.isnan(a.lyapunov).any()
        assert math.isfinite(a.diagnosis.rate) or a.diagnosis.zero_from_lag is not None
    for curve in cell.reference_curves(params, a.traj).values():
        assert not np.isnan(curve[:Tv + 1]).any() and np.isnan(curve[Tv + 1:]).all()
    assert math.isfinite(cell.theory(params).bound(float(a.spectrum.sigma_max)))


# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [leaky_module, lru_module], ids=["leaky", "lru"])
def test_docstring_examples(module):
    # tests/test_doctests.py collects rnn_core's top-level modules only, not rnn_core.cells.*
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
