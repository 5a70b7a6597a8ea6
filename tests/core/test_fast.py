"""The contract of rnn_core.fast: every fast path gives the generic engine's numbers, to rounding.

Each case runs the same computation twice, once with the fast paths (``fast.ENABLED``) and once through the generic
engine alone, and compares every output. The thresholds that decide when two halves of a batch run on two cores are
lowered so that the threaded paths run at test sizes too. N = 131 is a size where OpenBLAS rounds a product of a few
rows differently from one of the whole batch, so "equal" really means "equal to rounding" there.

Tolerances: each path sums the same terms in another order (blocks of 16 steps normalized at once instead of every
step; parameter-gradient terms added as the backward loop goes, or by two threads): relative differences of a few
ulps per step, grown by the conditioning of the chain. 1e-10 relative on norms, mantissas and parameter gradients
is ~1e6 ulps of headroom for T <= 300 (measured: < 1e-12); a wrong term (relative size >= 1e-3) fails at once.
Chaotic networks are avoided (gain <= 1 for saturating activations): there, rounding differences grow by e^(lambda t).
"""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import Config, backward, fast, forward, gradients, init_inputs, init_params, param_grads
from rnn_core.bptt import loss_steps
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
    """Run ``fn`` on the fast paths (halves of the batch from 2 rows) and on the generic engine: (fast, generic)."""
    monkeypatch.setitem(fast.THRESHOLDS, "halves_min_rows", 2)
    monkeypatch.setitem(fast.THRESHOLDS, "halves_min_work", 1)

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


def _log_close(a, b, what):
    """log10 norms: equal infinities and NaN, finite values to RTOL relative on the norm (RTOL / ln 10 in log10)."""
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=what)
    np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b), err_msg=what)
    ok = np.isfinite(b)
    np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=RTOL / np.log(10), err_msg=what)


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


def test_fast_paths_are_actually_taken(monkeypatch):
    monkeypatch.setattr(fast, "ENABLED", True)  # as by default (RNN_CORE_FAST=0 turns them off)
    c = Config(hidden_size=8, seq_len=5)
    p, x = init_params(c), init_inputs(c)
    traj = forward(p, x, "tanh")
    assert fast.forward_loop(traj.cell, p, traj.x, traj.s.copy()) is not None
    assert fast.gradients(p, traj, loss_steps(traj, "last")) is not None
    monkeypatch.setattr(fast, "ENABLED", False)
    assert fast.forward_loop(traj.cell, p, traj.x, traj.s.copy()) is None
    assert fast.gradients(p, traj, loss_steps(traj, "last")) is None


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
