"""MKL's products (rnn_core.blas) against NumPy's, alone and inside the passes that use them."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from rnn_core import Config, backward, blas, forward, gradients, init_inputs, init_params, param_grads, threads

needs_mkl = pytest.mark.skipif(not blas.ENABLED, reason="MKL not installed (pip install mkl) or RNN_CORE_MKL=0")

# Both libraries sum each dot product of K terms in some order with FMAs: agreement to a few ulps of the largest
# term times sqrt(K) is what rounding allows (they agreed to the bit on every shape tried here).
RTOL = 1e-13


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * np.abs(b).max())


@needs_mkl
@pytest.mark.parametrize("rows,K,N", [(64, 256, 256), (32, 256, 256), (16, 128, 128), (5, 300, 200)])
def test_right_products_equal_numpy_on_step_views(rows, K, N):
    rng = np.random.default_rng(rows)
    M = rng.standard_normal((K, N))
    # a block of rows of a (T, B, K) array: rows evenly spaced, the steps further apart
    a = rng.standard_normal((7, rows + 3, K))[:, 2:rows + 2]
    out = np.full((7, rows + 1, N), np.nan)[:, :rows]
    product = blas.right_products(a, M, out, batch_rows=64)  # a block of a batch of 64
    assert product is not None
    for t in range(6):
        product(t, t + 1)
        _close(out[t + 1], a[t] @ M)
    assert np.isnan(out[0]).all()  # only the asked-for step was written
    # one fixed input, one output per step (the backward pass's pattern)
    w = np.ascontiguousarray(a[3])
    product = blas.right_products(w, M, out, batch_rows=64)
    product(0, 0)
    _close(out[0], w @ M)


@needs_mkl
def test_right_products_decline_what_they_cannot_take():
    M = np.ones((256, 256))
    # NumPy is faster for small matrices and small batches (a ctypes call costs ~2 us); the whole batch decides,
    # not the block of rows
    assert blas.right_products(np.ones((2, 64, 64)), np.ones((64, 64)), np.empty((64, 64)), batch_rows=64) is None
    assert blas.right_products(np.ones((2, 4, 256)), M, np.empty((4, 256)), batch_rows=4) is None
    assert blas.right_products(np.ones((2, 4, 256)), M, np.empty((4, 256)), batch_rows=64) is not None
    for a, out in [(np.ones((2, 64, 512))[:, :, ::2], np.empty((64, 256))),  # column stride 2
                   (np.ones((2, 64, 256), dtype=np.float32), np.empty((64, 256))),
                   (np.ones((2, 64, 256)), np.empty((64, 200)))]:  # shapes do not fit
        assert blas.right_products(a, M, out, batch_rows=64) is None


@needs_mkl
def test_forward_in_many_blocks_equals_one_block(monkeypatch):
    # N = 131, B = 64 in four blocks of 16 rows: a block's product (16 x 131 x 131) is below MIN_WORK, the batch's
    # above, so every block takes MKL as the single block does, and each row's numbers do not depend on the block
    # (at N = 131 MKL and OpenBLAS round differently: deciding by the block's work fails this test)
    assert 16 * 131 * 131 < blas.MIN_WORK <= 64 * 131 * 131 and 131 * 131 >= blas.MIN_MATRIX
    c = Config(hidden_size=131, batch_size=64, seq_len=60, input_kind="noise")
    p, x = init_params(c), init_inputs(c)
    monkeypatch.setattr(threads, "WORKERS", 4)
    assert [b.stop - b.start for b in threads.row_blocks(64, 131 * 131)] == [16] * 4
    many = forward(p, x, c.activation)
    monkeypatch.setattr(threads, "MIN_BLOCK_WORK", 2**60)
    assert len(threads.row_blocks(64, 131 * 131)) == 1
    one = forward(p, x, c.activation)
    np.testing.assert_array_equal(many.h, one.h)


@needs_mkl
@pytest.mark.parametrize("activation,loss,gain", [("tanh", "all", 1.0), ("linear", "last", 30.0)])  # 30: overflows
def test_gradients_equal_backward_and_param_grads_with_mkl(activation, loss, gain):
    # N = 130, B = 64: backward() in two row blocks of 32, gradients() in one of 64, both through MKL (the chain and
    # the chunks' gram products); MKL rounds a row alike in both (OpenBLAS does not at N = 130: see the next test)
    c = Config(hidden_size=130, batch_size=64, seq_len=250, activation=activation, loss=loss, gain=gain,
               input_kind="noise")
    p, x = init_params(c), init_inputs(c)
    traj = forward(p, x, activation)
    assert traj.overflowed == (gain == 30.0)
    assert len(threads.row_blocks(64, 130 * 130)) == min(2, threads.WORKERS)
    grad, pg = gradients(p, traj, x, loss)
    grad2 = backward(p, traj, loss)
    np.testing.assert_array_equal(grad.v, grad2.v)
    np.testing.assert_array_equal(grad.log10_norm, grad2.log10_norm)
    pg2 = param_grads(grad2, traj, x)
    assert pg.log10_scale == pg2.log10_scale
    for a, b in zip(pg.values(), pg2.values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_gradients_equal_backward_and_param_grads_to_rounding_at_any_size(monkeypatch):
    # With NumPy's OpenBLAS a row of a 32-row block and of the 64-row batch round differently at N = 130: the two
    # ways agree to rounding (float64, 60 steps of a contracting tanh network: errors stay near 1e-15)
    monkeypatch.setattr(blas, "_mkl", None)
    c = Config(hidden_size=130, batch_size=64, seq_len=60, input_kind="noise")
    p, x = init_params(c), init_inputs(c)
    traj = forward(p, x, c.activation)
    grad, pg = gradients(p, traj, x)
    grad2 = backward(p, traj)
    _close(grad.v, grad2.v)
    np.testing.assert_allclose(grad.log10_norm, grad2.log10_norm, rtol=RTOL)
    for a, b in zip(pg.values(), param_grads(grad2, traj, x).values(), strict=True):
        _close(a, b)


@needs_mkl
def test_gram_equals_numpy_and_declines_strided_columns():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((1024, 256)), rng.standard_normal((1100, 200))[50:1074]
    out = np.empty((256, 200))
    assert blas.gram(a, b, out)
    _close(out, a.T @ b)
    strided = np.empty((128, 200))
    assert not blas.gram(a[:, ::2], b, strided)  # NumPy's product instead
    np.testing.assert_array_equal(strided, a[:, ::2].T @ b)


@pytest.mark.parametrize("mkl", [True, False])
def test_step_products_fall_back_to_numpy_with_the_same_indexing(monkeypatch, mkl):
    # the passes call step_products whatever the library: the same (i, j) contract on both paths, for a stack of
    # steps on either side, and for stacked networks (NumPy's matmul)
    if mkl and not blas.ENABLED:
        pytest.skip("MKL not installed")
    if not mkl:
        monkeypatch.setattr(blas, "_mkl", None)
    rng = np.random.default_rng(3)
    M, steps, one = rng.standard_normal((256, 256)), rng.standard_normal((5, 64, 256)), rng.standard_normal((64, 256))
    out_steps, out_one = np.zeros((5, 64, 256)), np.zeros((64, 256))
    blas.step_products(steps, M, out_one, batch_rows=64)(3, 0)
    _close(out_one, steps[3] @ M)
    blas.step_products(one, M, out_steps, batch_rows=64)(0, 2)
    _close(out_steps[2], one @ M)
    Ms, xs, outs = rng.standard_normal((3, 16, 16)), rng.standard_normal((4, 3, 2, 16)), np.zeros((3, 2, 16))
    blas.step_products(xs, Ms, outs, batch_rows=2)(1, 0)
    _close(outs, np.matmul(xs[1], Ms))


@needs_mkl
@pytest.mark.parametrize("activation,loss", [("tanh", "last"), ("relu", "all")])
def test_passes_with_mkl_equal_passes_with_numpy(monkeypatch, activation, loss):
    # (N, B) = (128, 64): the forward's two row blocks (32 rows) and the backward chain (64 rows) take MKL's packed
    # products, the parameter gradients MKL's gram; the same run with NumPy's products must agree to rounding
    c = Config(hidden_size=128, batch_size=64, seq_len=120, activation=activation, loss=loss, input_kind="noise")
    p, x = init_params(c), init_inputs(c)
    calls = []
    real = blas.right_products
    monkeypatch.setattr(blas, "right_products", lambda *a, **k: calls.append(a[0].shape) or real(*a, **k))
    traj = forward(p, x, activation)
    grad, pg = gradients(p, traj, x, loss)
    assert len(calls) == len(threads.row_blocks(64, 128 * 128)) + 1  # every forward block, and the chain
    monkeypatch.setattr(blas, "_mkl", None)
    traj_np = forward(p, x, activation)
    grad_np, pg_np = gradients(p, traj_np, x, loss)
    _close(traj.h, traj_np.h)
    _close(grad.v, grad_np.v)
    np.testing.assert_allclose(grad.log10_norm, grad_np.log10_norm, rtol=RTOL)
    assert pg.log10_scale == pytest.approx(pg_np.log10_scale, rel=RTOL)
    for a, b in zip(pg.values(), pg_np.values(), strict=True):
        _close(a, b)


@needs_mkl
def test_mkl_can_be_turned_off():
    env = dict(os.environ, RNN_CORE_MKL="0")
    out = subprocess.run([sys.executable, "-c", "from rnn_core import blas; print(blas.ENABLED)"], env=env,
                         capture_output=True, text=True, check=True, cwd=os.path.dirname(os.path.dirname(
                             os.path.dirname(os.path.abspath(__file__)))))
    assert out.stdout.strip() == "False"


@needs_mkl
@pytest.mark.parametrize("env", [{"MKL_INTERFACE_LAYER": "ILP64"}, {"MKL_THREADING_LAYER": "INTEL"}])
def test_mkl_settings_in_the_environment_do_not_change_what_rnn_core_asks_for(env):
    # ILP64 would read the bindings' 32-bit integers as 64-bit (a crash); the rows must still come out right, and
    # MKL must stay sequential (rnn_core's threads each run one product)
    code = ("import numpy as np; from rnn_core import blas\n"
            "a, M, out = np.ones((2, 64, 256)), np.ones((256, 256)), np.empty((64, 256))\n"
            "blas.right_products(a, M, out, batch_rows=64)(1, 0)\n"
            "print(blas.ENABLED, out.min(), out.max(), blas._mkl.MKL_Set_Threading_Layer(-1))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env), capture_output=True, text=True,
                         cwd=root, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "256.0", "256.0", "1"]


@needs_mkl
def test_mkl_is_not_taken_when_numpy_does_not_use_its_openblas(monkeypatch):
    # a NumPy built on MKL (conda): choosing MKL's threading layer would change NumPy's own products
    monkeypatch.setattr(threads.serial_blas, "setter", None)
    assert blas._load() is None
