"""ui.worker: the analyses of a server in a process of their own, with the same results as in the server's thread."""

from __future__ import annotations

import os
import threading
import time

import pytest

from rnn_core import Config
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
    config = Config(cell="lstm", seq_len=40, hidden_size=16)
    there, here = one_worker.compute(build_view, config), build_view(config)
    assert one_worker.worker_pids() and os.getpid() not in one_worker.worker_pids()
    assert repr(there.diagnosis) == repr(here.diagnosis)  # every number, NaN included
    for name in ("gradient", "steps", "states", "spectrum", "lyapunov"):
        assert getattr(there, name).equals(getattr(here, name)), name


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
