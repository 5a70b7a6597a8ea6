"""ui.worker: the analyses of a server in a process of their own, with the same results as in the server's thread."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from rnn_core import Config, fast
from ui import worker
from ui.view import build_view


@pytest.fixture
def one_worker(monkeypatch):
    """A pool of one worker process, whatever the machine, shut down after the test."""
    monkeypatch.setattr(worker, "WORKERS", 1)
    monkeypatch.setattr(worker, "_pool", None)
    yield worker
    if worker._pool is not None:
        worker._pool.shutdown(wait=True, cancel_futures=True)


def test_a_view_computed_in_the_worker_is_the_view_computed_here(one_worker):
    """The same numbers as the server's own thread: the worker holds BLAS to one thread as the server does (here,
    as in the server, for the comparison); what rounding a different split of a product may leave is below 1e-12."""
    config = Config(cell="lstm", seq_len=40, hidden_size=16)
    there = one_worker.compute(build_view, config)
    with fast.serial_blas:
        here = build_view(config)
    assert one_worker.worker_pids() and os.getpid() not in one_worker.worker_pids()
    assert there.diagnosis.regime == here.diagnosis.regime
    assert there.diagnosis.rate == pytest.approx(here.diagnosis.rate, rel=1e-12)
    for name in ("gradient", "steps", "states", "spectrum", "lyapunov"):
        a, b = getattr(there, name), getattr(here, name)
        assert list(a.columns) == list(b.columns) and len(a) == len(b), name
        for column in a.columns:
            if a[column].dtype.kind == "f":
                np.testing.assert_allclose(a[column], b[column], rtol=1e-12, atol=1e-12, err_msg=f"{name}.{column}")
            else:
                assert a[column].equals(b[column]), f"{name}.{column}"


def test_the_work_runs_in_the_worker_and_errors_come_back_as_raised(one_worker):
    assert one_worker.compute(os.getpid) != os.getpid()
    with pytest.raises(ValueError, match="activation"):
        one_worker.compute(Config.from_dict, {"activation": "tahn"})


def test_a_full_worker_never_makes_another_session_wait(one_worker):
    """While the worker holds its QUEUE of calls (one sleeping, the others waiting), another session's work is done
    in its own thread at once."""
    one_worker.compute(os.getpid)  # the worker is up
    sleepers = [threading.Thread(target=one_worker.compute, args=(time.sleep, 1.0)) for _ in range(one_worker.QUEUE)]
    for sleeper in sleepers:
        sleeper.start()
    time.sleep(0.3)
    start = time.perf_counter()
    assert one_worker.compute(os.getpid) == os.getpid()
    assert time.perf_counter() - start < 0.5
    for sleeper in sleepers:
        sleeper.join()
    assert one_worker.compute(os.getpid) != os.getpid()  # free again


def test_a_dead_worker_is_replaced(one_worker):
    old = one_worker.compute(os.getpid)
    os.kill(old, 9)
    deadline = time.time() + 10
    while time.time() < deadline:  # the pool notices the death; the call that does is computed here
        if one_worker.compute(os.getpid) == os.getpid():
            break
        time.sleep(0.1)
    new = one_worker.compute(os.getpid)
    assert new not in (old, os.getpid())


def test_without_a_spare_core_everything_stays_here(monkeypatch):
    monkeypatch.setattr(worker, "WORKERS", 0)
    monkeypatch.setattr(worker, "_pool", None)
    assert worker.compute(os.getpid) == os.getpid()
    assert worker._pool is None
