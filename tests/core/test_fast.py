"""The contract of rnn_core.fast: every fast path gives the generic engine's numbers, to rounding.

Each case runs the same computation twice, once with the fast paths (``fast.ENABLED``) and once through the generic
engine alone, and compares every output. The thresholds that decide when work runs on two cores (two halves of a
batch, the gated cells' parameter sums) and when the power iteration goes by products are lowered so that those paths
run at test sizes too. N = 131 is a size where OpenBLAS rounds a product of a few
rows differently from one of the whole batch, so "equal" really means "equal to rounding" there.

Tolerances: each path sums the same terms in another order (blocks of 16 steps normalized at once instead of every
step; parameter-gradient terms added as the backward loop goes, or by two threads): relative differences of a few
ulps per step, grown by the conditioning of the chain. 1e-10 relative on norms, mantissas and parameter gradients
is ~1e6 ulps of headroom for T <= 300 (measured: < 1e-12); a wrong term (relative size >= 1e-3) fails at once.
Chaotic networks are avoided (gain <= 1 for saturating activations): there, rounding differences grow by e^(lambda t).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnn_core import (
    Config,
    analyze,
    backward,
    fast,
    forward,
    gradients,
    init_inputs,
    init_params,
    jacobian_products,
    lyapunov_spectrum,
    param_grads,
)
from rnn_core.bptt import loss_steps
from rnn_core.cells import LRU, LSTM, LRUParams, LSTMParams, make_cell
from rnn_core.cells.lru import NU_MAX, PHASE_MIN
from rnn_core.sweep import sweep

RTOL = 1e-10

CASES = [  # activation, gain, N, T, B, loss, input_scale
    ("tanh", 1.0, 131, 120, 4, "last", 1.0),     # N where rounding differs between row blocks
    ("tanh", 0.9, 64, 300, 66, "all", 1.0),      # two halves of the batch; 'all' ends a block at every step
    ("sigmoid", 4.0, 33, 200, 8, "last", 1.0),
    ("relu", 0.8, 40, 150, 64, "last", 0.5),
    ("leaky_relu", 1.0, 24, 150, 3, "all", 1.0),
    ("linear", 0.97, 16, 400, 2, "last", 1.0),   # blocks far from 1 in norm, no saturation
    ("linear", 30.0, 8, 250, 64, "last", 1.0),   # the states overflow mid-sequence
    ("linear", 0.01, 8, 200, 2, "last", 1.0),    # 1e-400 within a run: blocks fall back to step-by-step
]


@pytest.fixture
def both_paths(monkeypatch):
    """Run ``fn`` on the fast paths (every size threshold lowered, so that the threaded paths and the power iteration
    by products run at test sizes) and on the generic engine: (fast, generic)."""
    monkeypatch.setitem(fast.THRESHOLDS, "halves_min_rows", 2)
    monkeypatch.setitem(fast.THRESHOLDS, "halves_min_work", 1)
    monkeypatch.setitem(fast.THRESHOLDS, "power_by_products_min_size", 1)
    monkeypatch.setitem(fast.THRESHOLDS, "worker_min_rows", 2)
    monkeypatch.setitem(fast.THRESHOLDS, "worker_min_work", 1)

    def run(fn):
        monkeypatch.setattr(fast, "ENABLED", True)
        quick = fn()
        monkeypatch.setattr(fast, "ENABLED", False)
        generic = fn()
        monkeypatch.setattr(fast, "ENABLED", True)
        return quick, generic
    return run


def _close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b), err_msg=what)  # NaN and -inf at the same places
    ok = np.isfinite(b)
    scale = np.abs(b[ok]).max() if ok.any() else 1.0
    np.testing.assert_allclose(a[ok], b[ok], rtol=RTOL, atol=RTOL * scale, err_msg=what)


LOG_ATOL = RTOL / np.log(10)  # RTOL relative on a norm, in log10


def _log_close(a, b, what, atol=LOG_ATOL):
    """log10 norms: equal infinities and NaN, finite values to RTOL relative on the norm (RTOL / ln 10 in log10)."""
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=what)
    np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b), err_msg=what)
    ok = np.isfinite(b)
    np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=atol, err_msg=what)


@pytest.mark.parametrize("activation,gain,N,T,B,loss,scale", CASES)
def test_every_fast_path_equals_the_generic_engine(both_paths, activation, gain, N, T, B, loss, scale):
    c = Config(activation=activation, gain=gain, hidden_size=N, seq_len=T, batch_size=B, loss=loss,
               input_scale=scale, bias_scale=0.1, seed=3)
    p, x = init_params(c), init_inputs(c)
    h0 = np.random.default_rng(1).normal(0, 0.1, (B, N))

    def everything():
        traj = forward(p, x, activation, h0=h0)
        grad = backward(p, traj, loss)
        one_pass = gradients(p, traj, x, loss)
        return traj, grad, param_grads(grad, traj, x), one_pass

    (tf, gf, pf, (g1f, p1f)), (tg, gg, pg, (_, p1g)) = both_paths(everything)
    np.testing.assert_array_equal(tf.valid_T, tg.valid_T)
    assert tf.overflowed == (gain == 30.0)
    _close(tf.s, tg.s, "states")
    for got, what in ((gf, "backward"), (g1f, "gradients")):
        _log_close(got.log10_norm, gg.log10_norm, f"{what}: log10 ||dL/dh_t||")
        _close(got.v, gg.v, f"{what}: mantissas")
    for got, what in ((pf, "param_grads"), (p1f, "gradients")):
        for name, a, b in zip(pg.mantissas, got.values(), pg.values(), strict=True):
            _close(a, b, f"{what}: dL/d{name}")
    for a, b in zip(p1g.values(), pg.values(), strict=True):  # the generic engine agrees with itself
        np.testing.assert_array_equal(a, b)


def test_stacked_networks_take_the_fast_path_too(both_paths):
    base = Config(hidden_size=24, seq_len=80, batch_size=2)
    table_f, table_g = both_paths(lambda: sweep(base, np.geomspace(0.3, 1.2, 5), seeds=(0, 1),
                                                activations=("tanh", "relu")))
    for col in ("log10_rate", "lyapunov_max", "sigma_max", "pascanu"):
        _close(table_f[col].to_numpy(float), table_g[col].to_numpy(float), col)
    assert (table_f["regime"] == table_g["regime"]).all()


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru", "lru"])
def test_fast_paths_are_actually_taken(monkeypatch, name):
    c = Config(cell=name, hidden_size=8, seq_len=5)
    cell = make_cell(c)
    p, x = cell.init_params(c), init_inputs(c)
    traj = forward(p, x, cell)
    inject = loss_steps(traj, "last")
    hooks = {  # what each cell has a fast path for
        "forward_loop": lambda: fast.forward_loop(cell, p, traj.x, traj.s.copy(), {}),
        "backward_loop": lambda: fast.backward_loop(cell, p, traj, np.zeros(traj.s.shape), np.zeros(traj.s.shape[:-1]),
                                                    inject, traj.T),
        "gradients": lambda: fast.gradients(p, traj, inject) if name != "lru" else "no path",
        "jacobian_products": lambda: fast.jacobian_products(p, traj, False) if name == "lru" else "no path",
        "cotangent_map": lambda: fast.cotangent_map(cell, p, traj) if name in ("lstm", "gru") else "no path",
    }
    monkeypatch.setattr(fast, "ENABLED", True)  # as by default (RNN_CORE_FAST=0 turns them off)
    assert all(hook() is not None for hook in hooks.values())
    monkeypatch.setattr(fast, "ENABLED", False)
    assert all(hook() in (None, "no path") for hook in hooks.values())


@pytest.mark.parametrize("gain,B,loss", [(1.0, 3, "last"), (4.0, 2, "all"), (60.0, 1, "last")])
def test_the_lstm_gates_kept_by_the_forward_loop_give_the_recomputed_gradients(both_paths, monkeypatch, gain, B, loss):
    """The fast forward loop keeps the LSTM's gates for the backward pass, Jacobian products and Lyapunov exponents;
    above ``saved_gates_max_bytes`` it keeps none and they are recomputed from the states: the same numbers (gain 60
    saturates every gate)."""
    c = Config(cell="lstm", hidden_size=12, seq_len=60, batch_size=B, gain=gain, loss=loss, seed=3)

    def run():
        a = analyze(c)
        return a, gradients(a.params, a.traj, a.x, loss=loss)
    (kept, (grad_k, pg_k)), _ = both_paths(run)
    assert kept.traj.saved["gates"].shape == (60, B, 48)
    monkeypatch.setitem(fast.THRESHOLDS, "saved_gates_max_bytes", 0)
    (fresh, (grad_f, pg_f)), _ = both_paths(run)
    assert fresh.traj.saved == {}
    _log_close(grad_k.log10_norm, grad_f.log10_norm, "log10 ||dL/ds_t||", atol=1e-13)
    _log_close(kept.jacobians.log10_norm, fresh.jacobians.log10_norm, "log10 ||ds_T/ds_t||", atol=1e-13)
    # the gates agree to rounding (one product of the whole chunk against one a step); the QR iteration's smallest
    # exponents amplify it (the 8th to ~3e-8 relative), its largest, the diagnosis's lambda_max, does not
    assert kept.diagnosis.lyapunov_max == pytest.approx(fresh.diagnosis.lyapunov_max, rel=1e-12)
    np.testing.assert_allclose(kept.lyapunov, fresh.lyapunov, rtol=1e-6)
    for (name, a), b in zip(pg_k.as_dict().items(), pg_f.as_dict().values(), strict=True):
        _close(a, b, name)


def test_halves_run_both_halves_and_propagate_errors(monkeypatch):
    if fast._pool is None or fast.serial_blas.setter is None:
        pytest.skip("one core, or a BLAS whose threads cannot be held to one: no halves")
    monkeypatch.setitem(fast.THRESHOLDS, "halves_min_rows", 2)
    monkeypatch.setitem(fast.THRESHOLDS, "halves_min_work", 1)
    p = init_params(Config(hidden_size=4))
    seen = []
    fast._in_halves(seen.append, p, np.empty((3, 10, 4)))
    assert sorted((r.start or 0, r.stop) for r in seen) == [(0, 5), (5, 10)]

    def fail(rows):
        if rows.start:
            raise RuntimeError("the other half failed")
    with pytest.raises(RuntimeError, match="other half"):
        fast._in_halves(fail, p, np.empty((3, 10, 4)))


def test_serial_blas_nests_and_restores():
    calls = []

    def setter(n):
        calls.append(n)
        return 7  # the count before
    held = fast.SerialBlas(setter)
    with held:
        with held:
            pass
        assert calls == [1]
    assert calls == [1, 7]
    with pytest.raises(ValueError), held:
        raise ValueError
    assert calls == [1, 7, 1, 7]


# ----------------------------------------------------------------------------------------------------------------
# The gated cells and the linear recurrent unit
#
# Same tolerances as above, for the same reasons: the gated cells' paths sum the same terms in another order (blocks
# of 16 steps normalized at once; the drive x W_ih^T + b_ih + b_hh added in another order). The LRU's scan adds the
# state entering a block of ~sqrt(T) steps times lambda^k to the block's own sum (one rounding per term, as the time
# loop's): states within 3e-15. Its last-step gradient is a closed form, n log10|lambda_i| and the phase
# n arg(lambda_i) each rounded once, where the engine's log10 norm is a running sum of one rounded logarithm per step:
# the engine's error grows by up to ~1e-15 a step (against a 40-digit reference at T = 20,000: the engine 1.9e-11 in
# log10, the closed form 2.4e-13), so the LRU's log10 norms are compared to RTOL / ln 10 + T * 1e-15.

GATED_CASES = [  # cell, config overrides, loss
    ("lstm", {}, "last"),
    ("lstm", {"hidden_size": 33, "batch_size": 5, "gain": 1.5, "forget_bias": 3.0}, "all"),
    ("gru", {}, "last"),
    ("gru", {"hidden_size": 33, "batch_size": 5, "gain": 2.0, "input_scale": 3.0}, "all"),
]


@pytest.mark.parametrize("name,overrides,loss", GATED_CASES)
def test_gated_fast_paths_equal_the_generic_engine(both_paths, name, overrides, loss):
    c = Config(cell=name, hidden_size=overrides.get("hidden_size", 24), seq_len=150,
               batch_size=overrides.get("batch_size", 3), loss=loss, bias_scale=0.1, seed=4,
               **{k: v for k, v in overrides.items() if k not in ("hidden_size", "batch_size")})
    cell = make_cell(c)
    p, x = cell.init_params(c), init_inputs(c)
    h0 = np.random.default_rng(2).normal(0, 0.3, (c.batch_size, cell.state_size(p)))

    def everything():
        traj = forward(p, x, cell, h0=h0)
        return (traj, backward(p, traj, loss), gradients(p, traj, x, loss), jacobian_products(p, traj, True),
                lyapunov_spectrum(p, traj, k=8, seed=1))

    (tf, gf, (g1f, pf), jf, lf), (tg, gg, (_, pg), jg, lg) = both_paths(everything)
    _close(lf, lg, "Lyapunov exponents")
    _close(tf.s, tg.s, "states")
    for got, what in ((gf, "backward"), (g1f, "gradients")):
        _log_close(got.log10_norm, gg.log10_norm, f"{what}: log10 ||dL/ds_t||")
        _close(got.v, gg.v, f"{what}: mantissas")
    for pname, a, b in zip(pg.mantissas, pf.values(), pg.values(), strict=True):
        _close(a, b, f"dL/d{pname}")
    _log_close(jf.log10_norm, jg.log10_norm, "log10 ||ds_T/ds_t||")
    # the singular values within 4 decades of the largest: the SVD's relative error on sigma_i is ~eps sigma_1/sigma_i
    top = jg.log10_sv[:, :1]
    _log_close(np.maximum(jf.log10_sv, top - 4), np.maximum(jg.log10_sv, top - 4), "singular values")


@pytest.mark.parametrize("loss", ["last", "all"])
def test_gated_blocks_that_leave_float64_are_redone_step_by_step(both_paths, loss):
    """W_hh = 0 and a forget gate of sigmoid(-30) = 1e-13 at every step: dL/dc_t falls by 1e-13 a step, so every block
    of 16 steps leaves [1e-150, 1e150] and is redone step by step; the gradient reaches 1e-1900."""
    rng = np.random.default_rng(0)
    N, D, T = 5, 3, 150
    W_ih, b_ih = rng.normal(size=(4 * N, D)), rng.normal(size=4 * N)
    W_ih[N:2 * N], b_ih[N:2 * N] = 0.0, -30.0
    p = LSTMParams.from_arrays(W_ih, np.zeros((4 * N, N)), b_ih)
    x = rng.normal(size=(T, 2, D))
    (tf, gf), (tg, gg) = both_paths(lambda: (lambda traj: (traj, backward(p, traj, loss)))(forward(p, x, LSTM())))
    _close(tf.s, tg.s, "states")
    _log_close(gf.log10_norm, gg.log10_norm, "log10 ||dL/ds_t||")
    _close(gf.v, gg.v, "mantissas")
    assert np.nanmin(gg.log10_norm) < -1500 or loss == "all"  # 'all' reads every step: blocks of one step


@pytest.mark.parametrize("name,init,gain", [
    ("rnn", "orthogonal", 1.0), ("rnn", "normal", 3.0), ("leaky", "normal", 1.0), ("lstm", "normal", 1.0),
    ("lstm", "orthogonal", 0.5), ("gru", "normal", 2.0)])
def test_jacobian_norms_by_products_equal_the_engine(both_paths, name, init, gain):
    """The power iteration with G^4 y as products with vectors (and the gated cells' rows of M J_t): the engine's
    numbers. An orthogonal W_hh starts with equal singular values, where the iteration falls back to the exact
    eigenvalue; 1e-12 in log10 is ~1000 ulps of the engine's own rounding."""
    c = Config(cell=name, init=init, gain=gain, hidden_size=40, seq_len=120, seed=2)
    cell = make_cell(c)
    p = cell.init_params(c)
    traj = forward(p, init_inputs(c), cell)
    quick, generic = both_paths(lambda: jacobian_products(p, traj))
    _log_close(quick.log10_norm, generic.log10_norm, "log10 ||ds_T/ds_t||", atol=1e-12)
    top = generic.log10_sv_full[0] - 4  # the SVD's relative error on sigma_i is ~eps sigma_1 / sigma_i
    _log_close(np.maximum(quick.log10_sv_full, top), np.maximum(generic.log10_sv_full, top), "singular values")


def _lru(lam, *, N_in=2, seed=0, u=None, gamma_one=False):
    """An LRU with the eigenvalues ``lam`` (any |lam| in [0, 1): 0 is set through nu_log, as the ring's r = 0), and the
    input normalization sqrt(1 - |lam|^2), or 1 (``gamma_one``)."""
    lam = np.asarray(lam, dtype=complex)
    rng = np.random.default_rng(seed)
    r, phase = np.abs(lam), np.where(np.angle(lam) > 0, np.angle(lam), np.angle(lam) + 2 * np.pi)
    with np.errstate(divide="ignore"):
        nu_log = np.log(np.minimum(-np.log(r), NU_MAX))
    gamma_log = np.zeros(lam.shape) if gamma_one else None
    return LRUParams.from_arrays(nu_log, np.log(np.maximum(phase, PHASE_MIN)), gamma_log,
                                 rng.normal(size=(*lam.shape, N_in)), rng.normal(size=(*lam.shape, N_in)), u,
                                 input_size=N_in, seed=seed)


NOISE = 1.0
LRU_CASES = {  # name: (parameters, T, B, input: the scale of a noise input, or a constant input of this size)
    "ring": (lambda: LRU().init_params(Config(cell="lru", hidden_size=16, input_size=2)), 300, 3, NOISE),
    "near one": (lambda: _lru(np.array([1 - 1e-12, (1 - 1e-9) * np.exp(1e-6j), 0.9999 * np.exp(2j), 0.5])), 400, 2,
                 NOISE),
    "zero": (lambda: _lru(np.array([0.0, 0.0, 0.7 * np.exp(0.3j), 0.2j])), 200, 2, NOISE),
    "all zero": (lambda: _lru(np.zeros(3)), 50, 2, NOISE),
    "long": (lambda: _lru(np.array([0.985 * np.exp(3j), 0.98 * np.exp(0.1j), 0.5 * np.exp(-1j), 0.9])), 20_000, 1,
             NOISE),
    "stack": (lambda: _stack_of(_lru(np.array([0.9, 0.5j, 0.99 * np.exp(1j)]), seed=1),
                                _lru(np.array([0.0, 0.3, 0.999 * np.exp(-2j)]), seed=2)), 250, 2, NOISE),
    # a constant input of 1e307 into a unit that keeps (almost) all of it: the states overflow after ~100 steps
    "overflow": (lambda: _lru(np.array([1 - 1e-9, 0.5]), gamma_one=True), 300, 2, 1e307),
}


def _stack_of(*params):
    return type(params[0])(**{f.name: np.stack([getattr(q, f.name) for q in params])
                              for f in dataclasses.fields(params[0])})


@pytest.mark.parametrize("case", LRU_CASES)
@pytest.mark.parametrize("loss", ["last", "all"])
def test_lru_fast_paths_equal_the_generic_engine(both_paths, case, loss):
    make, T, B, size = LRU_CASES[case]
    p = make()
    rng = np.random.default_rng(5)
    x = rng.normal(size=(T, B, p.input_size)) if size == NOISE else np.full((T, B, p.input_size), size)
    h0 = rng.normal(0, 0.5, (B, 2 * p.hidden_size))
    single = p.nu_log.ndim == 1

    def everything():
        traj = forward(p, x, LRU(), h0=h0)
        grad = backward(p, traj, loss)
        return traj, grad, jacobian_products(p, traj, True) if single else None

    (tf, gf, jf), (tg, gg, jg) = both_paths(everything)
    np.testing.assert_array_equal(tf.valid_T, tg.valid_T)
    assert tf.overflowed == (case == "overflow")
    _close(tf.s, tg.s, "states")
    _log_close(gf.log10_norm, gg.log10_norm, "log10 ||dL/ds_t||", atol=LOG_ATOL + T * 1e-15)
    _close(gf.v, gg.v, "mantissas")
    if case == "long":
        assert gg.log10_norm[0].max() < -100 or loss == "all"  # far below float64 at t = 0
    if jf is not None:
        _log_close(jf.log10_norm, jg.log10_norm, "log10 ||ds_T/ds_t||")
        # the engine's SVD resolves singular values down to ~1e-15 of the largest; the closed form is exact below
        top = jg.log10_sv[:, :1]
        _log_close(np.maximum(jf.log10_sv, top - 10), np.maximum(jg.log10_sv, top - 10), "singular values")
        _log_close(np.maximum(jf.log10_sv_full, jg.log10_sv_full[0] - 10),
                   np.maximum(jg.log10_sv_full, jg.log10_sv_full[0] - 10), "singular values of ds_T/ds_0")


@pytest.mark.parametrize("name", ["lstm", "gru", "lru"])
def test_stacked_networks_of_other_cells_take_the_fast_paths_too(both_paths, name):
    base = Config(cell=name, hidden_size=12, seq_len=60, batch_size=2)
    table_f, table_g = both_paths(lambda: sweep(base, np.geomspace(0.5, 2.0, 4), seeds=(0, 1)))
    for col in ("log10_rate", "lyapunov_max"):
        _close(table_f[col].to_numpy(float), table_g[col].to_numpy(float), col)
    assert (table_f["regime"] == table_g["regime"]).all()


def test_the_lru_last_step_gradient_is_exact_far_below_float64(monkeypatch):
    """``||dL/ds_t|| = |lambda|^(T-t)`` for a single unit read at T: 1e-30,000 at 100,000 steps from the loss."""
    monkeypatch.setattr(fast, "ENABLED", True)
    p = _lru(np.array([0.5 * np.exp(2j)]), u=np.array([0.6, 0.8]))
    traj = forward(p, np.zeros((100_000, 1, 2)), LRU())
    got = backward(p, traj, "last").log10_norm[:, 0]
    lag = 100_000 - np.arange(100_001)
    np.testing.assert_allclose(got, lag * np.log10(0.5), rtol=1e-13, atol=1e-12)
