"""Log-domain BPTT: finite differences, exact linear cases, the Pascanu bound, the Jacobian products."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rnn_core import (
    Config,
    Params,
    analyze,
    backward,
    bptt,
    forward,
    gradients,
    init_inputs,
    init_params,
    jacobian_products,
    param_grads,
    step_contributions,
)
from rnn_core.bptt import ParamGrads

FD_STEP = 1e-6  # central differences: truncation ~ FD_STEP^2 = 1e-12, rounding ~ 1e-16 / FD_STEP = 1e-10
FD_RTOL = 1e-7  # the bound; measured errors are ~1e-9, so a wrong term (relative size >> 1e-7) fails
KINK_MARGIN = 1e-2  # |a_t| at least this far from relu's kink, far beyond what a 1e-6 step can move it


def _fd_dh(reference, p, x, act, loss):
    """(T+1, B, N): dL/dh_t by central differences, h_t bumped after it is computed."""
    T, B, _ = x.shape
    N = p.W_hh.shape[0]
    out = np.zeros((T + 1, B, N))
    for t in range(T + 1):
        for b, n in np.ndindex(B, N):
            e = np.zeros((B, N))
            e[b, n] = FD_STEP
            plus, minus = reference.loss(p, x, act, loss, t, e), reference.loss(p, x, act, loss, t, -e)
            out[t, b, n] = (plus - minus) / (2 * FD_STEP)
    return out


def _fd_param(reference, p, x, act, loss, name):
    arr = getattr(p, name)
    out = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        plus, minus = arr.copy(), arr.copy()
        plus[idx] += FD_STEP
        minus[idx] -= FD_STEP
        fields = {"W_hh": p.W_hh, "W_xh": p.W_xh, "b": p.b, "u": p.u}
        lp = reference.loss(Params(**{**fields, name: plus}), x, act, loss)
        lm = reference.loss(Params(**{**fields, name: minus}), x, act, loss)
        out[idx] = (lp - lm) / (2 * FD_STEP)
    return out


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _assert_away_from_kink(traj, act):
    if act in ("relu", "leaky_relu"):
        assert np.abs(traj.a[1:]).min() > KINK_MARGIN


# ---------------------------------------------------------------------------------------------------------------
# Finite differences, every activation, both losses, B = 3


def test_dL_dh_matches_finite_differences(check_network, activation, loss, reference):
    p, x = check_network
    traj = forward(p, x, activation)
    _assert_away_from_kink(traj, activation)
    analytic = backward(p, traj, loss).values()  # (T+1, B, N)
    fd = _fd_dh(reference, p, x, activation, loss)
    assert analytic.shape == fd.shape == (x.shape[0] + 1, x.shape[1], p.W_hh.shape[0])
    for t in range(x.shape[0] + 1):  # per step, so a small early gradient is checked on its own scale
        assert np.linalg.norm(fd[t]) > 1e-3  # a non-trivial gradient at every step: the check has teeth
        assert _rel(analytic[t], fd[t]) < FD_RTOL, t


def test_param_grads_match_finite_differences(check_network, activation, loss, reference):
    p, x = check_network
    traj = forward(p, x, activation)
    _assert_away_from_kink(traj, activation)
    dW_hh, dW_xh, db = param_grads(backward(p, traj, loss), traj, x).values()
    for name, analytic in (("W_hh", dW_hh), ("W_xh", dW_xh), ("b", db)):
        fd = _fd_param(reference, p, x, activation, loss, name)
        assert analytic.shape == fd.shape
        assert _rel(analytic, fd) < FD_RTOL, name


def test_analysis_param_grads_match_finite_differences(activation, loss, reference):
    # The same through the public entry point: analyze() with explicit weights, then Analysis.param_grads().
    p, x = reference.network(activation, seed=0)
    cfg = Config(seq_len=x.shape[0], batch_size=x.shape[1], hidden_size=5, input_size=4, activation=activation,
                 loss=loss)
    a = analyze(cfg, params=p, x=x)
    _assert_away_from_kink(a.traj, activation)
    for name, analytic in zip(("W_hh", "W_xh", "b"), a.param_grads().values(), strict=True):
        assert _rel(analytic, _fd_param(reference, p, x, activation, loss, name)) < FD_RTOL, name
    fd_dh = _fd_dh(reference, p, x, activation, loss)
    assert _rel(a.grad.values(), fd_dh) < FD_RTOL


def test_loss_all_is_the_sum_of_last_step_losses(check_network, activation):
    # dL_all/dh_t = sum over s >= max(t, 1) of dL_s/dh_t with L_s = u·h_s: run 'last' on each prefix and add.
    p, x = check_network
    total = backward(p, forward(p, x, activation), "all").values()
    expected = np.zeros_like(total)
    for s in range(1, x.shape[0] + 1):
        expected[: s + 1] += backward(p, forward(p, x[:s], activation), "last").values()
    np.testing.assert_allclose(total, expected, rtol=1e-12, atol=1e-14)  # same arithmetic up to rounding


# ---------------------------------------------------------------------------------------------------------------
# Exact cases: a linear RNN with W = g Q has ||dh_T/dh_t||_2 = ||dL/dh_t|| = g^(T-t)


@pytest.mark.parametrize("g", [0.5, 0.9, 1.0, 1.1, 2.0])
def test_linear_orthogonal_norms_are_powers_of_the_gain(g):
    cfg = Config(activation="linear", init="orthogonal", gain=g, seq_len=50, hidden_size=6, batch_size=2)
    a = analyze(cfg, all_singular_values=True)
    lag = cfg.seq_len - np.arange(cfg.seq_len + 1)
    expected = lag * np.log10(g)  # log10 g^(T-t)
    # 1e-12 relative on the norm = 1e-12 / ln 10 on its log10; measured ~5e-15 (50 renormalizations)
    tol = 1e-12 / np.log(10)
    np.testing.assert_allclose(a.jacobians.log10_norm, expected, rtol=0, atol=tol)
    np.testing.assert_allclose(a.grad.log10_norm, np.repeat(expected[:, None], 2, axis=1), rtol=0, atol=tol)
    # every singular value of g^(T-t) Q^(T-t) is g^(T-t)
    np.testing.assert_allclose(a.jacobians.log10_sv, np.repeat(expected[:, None], 6, axis=1), rtol=0, atol=tol)
    # and on the plain scale
    np.testing.assert_allclose(np.linalg.norm(a.grad.values(), axis=-1), g ** lag[:, None] * np.ones((1, 2)),
                               rtol=1e-12)


def test_log_domain_survives_where_float64_overflows():
    # g = 2, T = 5000: ||dL/dh_0|| = 2^5000 ~ 1e1505, far past float64's 1.8e308. Zero input keeps the states at 0
    # (a linear net with input would overflow its states near t = 1024), so the loss stays at T = 5000.
    g, T = 2.0, 5000
    cfg = Config(activation="linear", init="orthogonal", gain=g, seq_len=T, hidden_size=4, input_kind="zeros")
    a = analyze(cfg, lyapunov_k=1)
    assert a.diagnosis.overflow_step is None and a.loss_step == T
    exact = T * np.log10(g)  # 1505.149978...
    assert abs(a.grad.log10_norm[0, 0] / exact - 1) < 1e-9  # measured ~6e-14: 5000 renormalizations
    assert abs(a.jacobians.log10_norm[0] / exact - 1) < 1e-9
    # The naive float64 computations overflow: the product of the factors, and repeated W^T products.
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.prod(np.full(T, g)) == np.inf
        v = a.params.u.copy()
        for _ in range(T):
            v = a.params.W_hh.T @ v
        assert not np.isfinite(np.linalg.norm(v))
    # The plain values leave float64 as documented: inf where the norm is beyond 1.8e308, and no NaN.
    vals = a.grad.values()
    assert np.isinf(vals[0]).any() and not np.isnan(vals).any()
    assert np.isfinite(vals[T - 1000:]).all()  # 2^1000 ~ 1e301 still fits


def test_values_keep_exact_zeros_when_the_scale_overflows():
    # Regression: v * 10**s with s > 308 gave 0 * inf = NaN for the zero components of v (and a RuntimeWarning).
    p = Params(2.0 * np.eye(2), np.zeros((2, 1)), np.zeros(2), np.array([1.0, 0.0]))
    traj = forward(p, np.zeros((1100, 1, 1)), "linear")
    grad = backward(p, traj, "last")
    assert grad.log10_norm[0, 0] == pytest.approx(1100 * np.log10(2.0), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vals = grad.values()
    np.testing.assert_array_equal(vals[0, 0], [np.inf, 0.0])


def test_param_grad_values_beyond_float64_are_inf_not_an_error():
    # Regression: ParamGrads.values() computed 10.0 ** log10_scale with a Python float, which raises OverflowError
    # above 1e308 instead of giving inf; and 0 * inf gave NaN for exactly-zero entries.
    pg = ParamGrads({"W_hh": np.array([[1.0, 0.0]]), "W_xh": np.array([[-2.0]]), "b": np.array([0.0, 0.5])},
                    400.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dW_hh, dW_xh, db = pg.values()
    np.testing.assert_array_equal(dW_hh, [[np.inf, 0.0]])
    np.testing.assert_array_equal(dW_xh, [[-np.inf]])
    np.testing.assert_array_equal(db, [0.0, np.inf])
    # and through analyze: a linear net whose gradient reaches 1e1505
    cfg = Config(activation="linear", init="orthogonal", gain=2.0, seq_len=5000, hidden_size=2, input_kind="zeros")
    a = analyze(cfg, jacobians=False, lyapunov_k=1)
    assert a.param_grads().log10_scale > 1000
    _, _, db = a.param_grads().values()
    assert np.isinf(db).all()


# ---------------------------------------------------------------------------------------------------------------
# The Pascanu bound ||dh_T/dh_t||_2 <= (gamma sigma_max)^(T-t) on random networks


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
@pytest.mark.parametrize("gain", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pascanu_bound_holds(activation, gain, seed):
    cfg = Config(activation=activation, gain=gain, seed=seed, seq_len=60, hidden_size=7, batch_size=2,
                 bias_scale=0.5)
    a = analyze(cfg, lyapunov_k=1)
    T = a.loss_step
    lag = T - np.arange(T + 1)
    bound = lag * np.log10(a.diagnosis.pascanu)
    jac = a.jacobians.log10_norm[: T + 1]
    assert np.isfinite(jac).all() or activation == "relu"  # only dead relus can zero the product exactly
    TOL = 1e-9  # log10 rounding of T renormalized products (measured worst excess ~7e-15)
    finite = np.isfinite(jac)
    assert (jac[finite] <= bound[finite] + TOL).all()
    # ||dL/dh_t|| = ||(dh_T/dh_t)^T u|| <= ||dh_T/dh_t||_2 <= bound since ||u|| = 1 (jacobians: sequence 0)
    grad = a.grad_last.log10_norm[: T + 1]  # (T+1, B)
    ok = np.isfinite(grad[:, 0])
    assert (grad[ok, 0] <= jac[ok] + TOL).all()
    ok = np.isfinite(grad)
    assert (grad[ok] <= np.broadcast_to(bound[:, None], grad.shape)[ok] + TOL).all()


# ---------------------------------------------------------------------------------------------------------------
# Jacobian products against the explicit matrix product


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("gain", [0.7, 2.0])
def test_jacobian_products_match_explicit_products(activation, gain):
    cfg = Config(activation=activation, gain=gain, seq_len=25, hidden_size=6, batch_size=2, seed=3)
    a = analyze(cfg, all_singular_values=True, lyapunov_k=1)
    p, traj, T = a.params, a.traj, cfg.seq_len
    jn = jacobian_products(p, traj, all_singular_values=True)
    M = np.eye(6)
    for t in range(T, -1, -1):
        if t < T:
            M = M @ (traj.dact[t + 1, 0][:, None] * p.W_hh)  # dh_T/dh_t = dh_T/dh_{t+1} J_{t+1}
        sv = np.linalg.svd(M, compute_uv=False)
        if sv[0] == 0:
            assert jn.log10_norm[t] == -np.inf
            continue
        # power iteration stops at a relative rise of 1e-11 in sigma^2: 1e-9 in log10 is ample (measured 2e-11)
        assert jn.log10_norm[t] == pytest.approx(np.log10(sv[0]), abs=1e-9)
        # the smaller singular values: an SVD of the product, exact to ~1e-16 sigma_max in absolute terms
        big = sv > 1e-6 * sv[0]
        np.testing.assert_allclose(jn.log10_sv[t][big], np.log10(sv[big]), rtol=0, atol=1e-8)
    np.testing.assert_allclose(jn.log10_sv_full[:1], np.log10(np.linalg.svd(M, compute_uv=False)[:1]), atol=1e-9)


def test_jacobian_products_reject_stacked_networks():
    p, x = _net("tanh")
    stacked = Params(np.stack([p.W_hh, p.W_hh]), np.stack([p.W_xh] * 2), np.stack([p.b] * 2), np.stack([p.u] * 2))
    with pytest.raises(ValueError, match="single network"):
        jacobian_products(stacked, forward(stacked, x, "tanh"))


# ---------------------------------------------------------------------------------------------------------------
# Zero gradients, row gains, contributions, overflow


def test_zero_recurrent_weights_give_exactly_zero_gradient():
    cfg = Config(gain=0.0, seq_len=10, hidden_size=4, batch_size=2)
    a = analyze(cfg)
    assert (a.grad.log10_norm[-1] == 0).all()  # the loss u·h_T: norm 1
    assert np.isneginf(a.grad.log10_norm[:-1]).all()
    assert (a.grad.values()[:-1] == 0).all()
    assert np.isneginf(a.jacobians.log10_norm[:-1]).all()


def test_step_contributions_match_the_explicit_outer_products(activation, loss):
    p, x = _net(activation)
    traj = forward(p, x, activation)
    grad = backward(p, traj, loss)
    contrib = step_contributions(grad, traj)  # (T,)
    delta = traj.dact[1:] * grad.values()[1:]  # (T, B, N): dL/da_t
    terms = np.einsum("tbn,tbm->tnm", delta, traj.h[:-1])  # sum over the batch of delta_t h_{t-1}^T
    with np.errstate(divide="ignore"):
        expected = np.log10(np.linalg.norm(terms, axis=(1, 2)))
    assert contrib[0] == -np.inf  # h_0 = 0
    np.testing.assert_allclose(contrib[1:], expected[1:], rtol=0, atol=1e-12)  # log10 of a norm: ~1e-15
    # and they add up to dL/dW_hh
    np.testing.assert_allclose(terms.sum(axis=0), param_grads(grad, traj, x).values()[0], rtol=1e-12, atol=1e-15)


def test_backward_after_overflow_starts_at_the_last_valid_step():
    cfg = Config(activation="linear", gain=3.0, seq_len=2000, hidden_size=8, batch_size=2)
    a = analyze(cfg, lyapunov_k=1, jacobians=False)
    Tv = a.loss_step
    assert 0 < Tv < cfg.seq_len
    # 'last': the loss u·h_Tv injects u (norm 1) at the last valid step
    np.testing.assert_array_equal(a.grad.log10_norm[Tv], [0.0, 0.0])
    assert np.isfinite(a.grad.log10_norm[: Tv + 1]).all()
    assert np.isnan(a.grad.log10_norm[Tv + 1:]).all()
    # a linear net: dL/dh_t = (W^T)^(Tv - t) u regardless of the states; check a few steps back exactly
    v = a.params.u.copy()
    for lag in range(1, 40):
        v = a.params.W_hh.T @ v
        assert a.grad.log10_norm[Tv - lag, 0] == pytest.approx(np.log10(np.linalg.norm(v)), abs=1e-12)


def _net(activation):
    rng = np.random.default_rng(7)
    N, D, T, B = 4, 3, 8, 3
    u = rng.normal(size=N)
    p = Params(rng.normal(0, 1.2 / np.sqrt(N), (N, N)), rng.normal(0, 1, (N, D)), rng.normal(0, 0.3, N),
               u / np.linalg.norm(u))
    return p, rng.normal(size=(T, B, D))


@pytest.mark.parametrize("activation,gain,N,T,seed", [("tanh", 1.0, 64, 100, 0), ("sigmoid", 1.0, 64, 100, 0),
                                                      ("tanh", 1.0, 16, 150, 1), ("sigmoid", 2.0, 16, 150, 0),
                                                      ("leaky_relu", 0.5, 16, 150, 0), ("tanh", 2.0, 16, 150, 0)])
def test_jacobian_norms_follow_the_top_singular_value_when_the_order_changes(activation, gain, N, T, seed):
    # From an identity W_hh the singular values of dh_T/dh_t start equal and trade places along t: a power iteration
    # warm-started from the previous step's vector used to settle on a smaller one (up to 20 decades off).
    cfg = Config(activation=activation, init="identity", gain=gain, hidden_size=N, seq_len=T, seed=seed)
    a = analyze(cfg, all_singular_values=True, lyapunov_k=1)
    jn = a.jacobians
    ok = np.isfinite(jn.log10_sv[:, 0])
    assert ok.sum() > T // 2
    np.testing.assert_allclose(jn.log10_norm[ok], jn.log10_sv[ok, 0], rtol=0, atol=1e-9)


def test_top_singular_value_from_a_start_orthogonal_to_the_top_direction():
    from rnn_core.bptt import top_singular_value as _top_singular_value

    M = np.diag([1.0, 0.9, 0.1, 0.05])
    sigma, _ = _top_singular_value(M, np.array([0.0, 1.0, 0.0, 0.0]))
    assert sigma == pytest.approx(1.0, rel=1e-12)
    # all singular values equal (an orthogonal product): the certificate cannot hold, the exact value is used
    Q = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 6)))[0]
    Q /= np.abs(Q).max()
    sigma, _ = _top_singular_value(Q, np.ones(6) / np.sqrt(6))
    assert sigma == pytest.approx(np.linalg.svd(Q, compute_uv=False)[0], rel=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# gradients(): backward and parameter gradients in one pass


def test_gradients_are_backward_then_param_grads(activation, loss):
    p, x = _net(activation)
    traj = forward(p, x, activation)
    grad, pg = gradients(p, traj, x, loss)
    alone = backward(p, traj, loss)
    np.testing.assert_array_equal(grad.v, alone.v)
    np.testing.assert_array_equal(grad.log10_norm, alone.log10_norm)
    # the same terms summed in another order (the fast path adds them as the backward loop goes): rounding
    for a, b in zip(pg.values(), param_grads(alone, traj, x).values(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15 * np.abs(b).max())
    assert list(pg.as_dict()) == ["W_hh", "W_xh", "b"]
    np.testing.assert_array_equal(pg.W_hh, pg.mantissas["W_hh"])


def test_zero_gradients_have_scale_minus_infinity():
    # a zero readout: every dL/dh_t is exactly zero, and so is every parameter gradient, on scale -inf
    c = Config(hidden_size=64, batch_size=32, seq_len=50, input_kind="noise")
    p = init_params(c)
    p = Params(p.W_hh, p.W_xh, p.b, np.zeros_like(p.u))
    x = init_inputs(c)
    traj = forward(p, x, c.activation)
    for grad, pg in (gradients(p, traj, x), (backward(p, traj), param_grads(backward(p, traj), traj, x))):
        assert np.isneginf(grad.log10_norm).all() and not grad.v.any()
        assert pg.log10_scale == -np.inf
        assert not any(a.any() for a in pg.values())


def test_param_grads_of_chunks_far_apart_in_scale(monkeypatch):
    # linear, orthogonal, gain 0.3 over T = 900: dL/dh_t spans ~470 decades, so the chunks' own scales (60 steps a
    # chunk) differ by far more than float64's range; the sum on the largest scale is the explicit sum of the terms
    # representable there
    monkeypatch.setattr(bptt, "PARAM_CHUNK", 8 * 60)
    c = Config(activation="linear", init="orthogonal", gain=0.3, seq_len=900, hidden_size=8, batch_size=1,
               input_kind="noise")
    p, x = init_params(c), init_inputs(c)
    traj = forward(p, x, "linear")
    grad = backward(p, traj, "last")
    pg = param_grads(grad, traj, x)
    assert grad.log10_norm[1, 0] < -400
    assert pg.log10_scale == grad.log10_norm[1:, 0].max()
    top = pg.log10_scale
    # the terms within 300 decades of the top, summed explicitly relative to it
    dW = np.zeros((8, 8))
    for t in range(1, 901):
        rel = grad.log10_norm[t, 0] - top
        if rel > -300:
            delta = grad.v[t, 0] * 10.0**rel  # act' = 1
            dW += np.outer(delta, traj.h[t - 1, 0])
    np.testing.assert_allclose(pg.W_hh, dW, rtol=1e-9, atol=1e-12 * np.abs(dW).max())
