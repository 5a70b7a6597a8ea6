"""The batch split over threads (rnn_core.threads): the same numbers as one block, for every path that uses it."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import Config, backward, forward, init_inputs, init_params, param_grads, threads


def _run(config: Config, row_gain=None):
    p, x = init_params(config), init_inputs(config)
    traj = forward(p, x, config.activation, row_gain=row_gain)
    grad = backward(p, traj, config.loss)
    return traj, grad, (param_grads(grad, traj, x) if row_gain is None else None)


@pytest.mark.parametrize("activation,gain,loss", [("tanh", 1.0, "last"), ("relu", 3.0, "all"),
                                                  ("linear", 30.0, "last")])
def test_threaded_rows_equal_one_block(monkeypatch, activation, gain, loss):
    # linear gain 30 overflows float64 within the sequence: the split must not change where or how
    # B = 9: above the small networks' compiled whole loop (B <= 8), so tanh runs the fused step in the blocks
    config = Config(activation=activation, gain=gain, loss=loss, seq_len=300, hidden_size=16, batch_size=9)
    monkeypatch.setattr(threads, "MIN_BLOCK_WORK", 2**60)
    assert len(threads.row_blocks(9, 16 * 16)) == 1
    one = _run(config)
    monkeypatch.setattr(threads, "MIN_BLOCK_WORK", 1)
    monkeypatch.setattr(threads, "MIN_THREADED_ROWS", 1)
    monkeypatch.setattr(threads, "WORKERS", 3)
    assert [b.stop - b.start for b in threads.row_blocks(9, 16 * 16)] == [3, 3, 3]
    split = _run(config)
    # A matrix product of fewer rows may round differently (BLAS picks kernels by shape): equal to rounding
    for a, b in [(one[0].h, split[0].h), (one[0].dact, split[0].dact), (one[1].v, split[1].v),
                 (one[1].log10_norm, split[1].log10_norm)]:
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    np.testing.assert_array_equal(one[0].valid_T, split[0].valid_T)
    if gain == 30.0:
        assert (one[0].valid_T < config.seq_len).all()
    # the mantissas and their common scale (the values themselves leave float64 at gain 30); entries that are sums
    # cancelling to a small value carry the rounding of the large terms: atol relative to the largest entry
    assert one[2].log10_scale == pytest.approx(split[2].log10_scale, rel=1e-13)
    for name in ("W_hh", "W_xh", "b"):
        a, b = getattr(one[2], name), getattr(split[2], name)
        assert np.isfinite(b).all() and np.abs(b).max() > 0
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13 * np.abs(b).max())


def test_threaded_rows_with_row_gains(monkeypatch):
    config = Config(seq_len=50, hidden_size=8, batch_size=6)
    gains = np.array([0.5, 0.5, 1.0, 1.0, 1.5, 1.5])  # not chaotic: rounding differences stay at rounding
    one = _run(config, gains)
    monkeypatch.setattr(threads, "MIN_BLOCK_WORK", 1)
    monkeypatch.setattr(threads, "MIN_THREADED_ROWS", 1)
    monkeypatch.setattr(threads, "WORKERS", 2)
    split = _run(config, gains)
    np.testing.assert_allclose(one[0].h, split[0].h, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(one[1].log10_norm, split[1].log10_norm, rtol=1e-11, atol=1e-13)


def test_run_rows_propagates_a_workers_exception(monkeypatch):
    monkeypatch.setattr(threads, "MIN_BLOCK_WORK", 1)
    monkeypatch.setattr(threads, "MIN_THREADED_ROWS", 1)
    monkeypatch.setattr(threads, "WORKERS", 2)
    seen = []

    def fn(rows: slice) -> None:
        seen.append(rows)
        if rows.start > 0:
            raise RuntimeError("boom in a worker")

    with pytest.raises(RuntimeError, match="boom in a worker"):
        threads.run_rows(fn, 4, 1)
    assert sorted(s.start for s in seen) == [0, 2]


def test_blocks_have_two_rows_at_least(monkeypatch):
    monkeypatch.setattr(threads, "MIN_BLOCK_WORK", 1)
    monkeypatch.setattr(threads, "MIN_THREADED_ROWS", 1)
    monkeypatch.setattr(threads, "WORKERS", 4)
    for B in range(1, 12):
        sizes = [b.stop - b.start for b in threads.row_blocks(B, 1)]
        assert sum(sizes) == B and (B == 1 or min(sizes) >= 2), (B, sizes)


def test_row_blocks_where_measured_to_pay(monkeypatch):
    monkeypatch.setattr(threads, "WORKERS", 2)
    blocks = {(N, B): len(threads.row_blocks(B, N * N)) for N, B in
              [(64, 16), (128, 16), (64, 64), (64, 128), (128, 32), (256, 16), (256, 64), (128, 128)]}
    # 64 rows and more, and 2^19 multiply-adds a step: two blocks (see MIN_BLOCK_WORK for the measurements)
    assert blocks == {(64, 16): 1, (128, 16): 1, (64, 64): 1, (64, 128): 2, (128, 32): 1, (256, 16): 1, (256, 64): 2,
                      (128, 128): 2}


class _FakeBlas:
    def __init__(self) -> None:
        self.threads, self.calls = 2, []

    def __call__(self, n: int) -> int:
        old, self.threads = self.threads, n
        self.calls.append(n)
        return old


def test_serial_blas_nests_and_restores_after_an_exception():
    fake = _FakeBlas()
    serial = threads.SerialBlas(fake)
    with serial:
        assert fake.threads == 1
        with serial:
            assert fake.threads == 1
        assert fake.threads == 1  # the inner exit must not restore while the outer is inside
    assert fake.threads == 2 and fake.calls == [1, 2]
    with pytest.raises(ValueError), serial:
        raise ValueError
    assert fake.threads == 2
    with threads.SerialBlas(None):  # no OpenBLAS found: nothing to set
        pass


def test_serial_blas_with_concurrent_callers_restores_once_the_last_leaves():
    import threading

    fake = _FakeBlas()
    serial = threads.SerialBlas(fake)
    inside, release = threading.Barrier(3), threading.Event()

    def worker() -> None:
        with serial:
            inside.wait()
            release.wait()

    ts = [threading.Thread(target=worker) for _ in range(2)]
    for t in ts:
        t.start()
    inside.wait()  # both workers are inside
    assert fake.threads == 1
    release.set()
    for t in ts:
        t.join()
    assert fake.threads == 2 and fake.calls == [1, 2]


def test_populate_pages_in_without_changing_contents():
    a = np.arange(3 * 2**16, dtype=np.float64)  # 1.5 MiB: many pages, start not page-aligned in general
    before = a.copy()
    threads.populate(a)
    np.testing.assert_array_equal(a, before)  # nothing written, whether or not the kernel could populate
    assert threads.populate(a[::2]) is False  # not contiguous: left alone
    assert threads.populate(np.empty(10)) is False  # smaller than two pages


@pytest.mark.skipif(threads.WORKERS < 2, reason="one core: one block, nothing to page in beside it")
def test_paging_in_the_outputs_changes_no_number(monkeypatch):
    # the forward pass and the backward pass in row blocks, each block's thread first paging in its share of the
    # fresh output (forced here at any size): the same numbers as without
    config = Config(hidden_size=128, batch_size=64, seq_len=60, input_kind="noise", loss="all")
    assert len(threads.row_blocks(64, 128 * 128)) == 2
    monkeypatch.setattr(threads, "POPULATE_BYTES", 2**62)
    plain = _run(config)
    called = []
    real = threads.populate
    monkeypatch.setattr(threads, "populate", lambda a: called.append(a.shape) or real(a))
    monkeypatch.setattr(threads, "POPULATE_BYTES", 0)
    paged = _run(config)
    assert len(called) >= 2  # forward and backward, one share per block
    for a, b in [(plain[0].h, paged[0].h), (plain[1].v, paged[1].v), (plain[1].log10_norm, paged[1].log10_norm)]:
        np.testing.assert_array_equal(a, b)
