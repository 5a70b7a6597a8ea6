"""The server's second core: the analyses of new settings in a process of their own.

A Streamlit server is one process, and its sessions' script threads share Python's GIL: under a room of users it
runs at one core while the others idle (benchmarks/README.md, "A workshop room"). The analyses behind the cached
views are pure functions of their settings, so they can run in another process: ``compute(fn, *args)`` sends
``fn(*args)`` to a worker process, where it may wait behind one other analysis (``QUEUE``), and computes it in the
calling thread when more are waiting: the worker takes the analyses while the server's own core draws, and a session
never waits behind a queue of others'. ``fn`` and ``args`` must pickle (module-level functions, ``Config`` dicts);
exceptions come back as raised.

One worker per spare core (none on a single core: everything stays in the server's process). Each worker holds
BLAS to one thread, as the server does (dashboard.py). A worker that dies (out of memory, killed) is replaced on the
next call, and that call is computed here.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from rnn_core import fast

R = TypeVar("R")

WORKERS = max(0, fast.CORES - 1)  # the cores this process may use, as rnn_core.fast counts them
if os.environ.get("RNN_LAB_WORKERS"):  # "0": no worker process (tests compare the two)
    WORKERS = int(os.environ["RNN_LAB_WORKERS"])

# Calls a worker holds at once, running or waiting. Under a room's load (benchmarks/load_ws.py --workshop) the server's
# own process is the bottleneck: 1 (compute here whenever the worker is busy) left a fifth of its time in analyses.
QUEUE = 2

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_busy = 0  # calls running in the workers now


def compute(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)``, in a worker process if it holds fewer than ``QUEUE`` calls, else in this thread."""
    global _busy
    with _lock:
        pool = _pool_now() if _busy < WORKERS * QUEUE else None
        if pool is not None:
            _busy += 1
    if pool is None:
        return fn(*args)
    try:
        return pool.submit(fn, *args).result()
    except BrokenProcessPool:  # the worker died: replace it next time, compute this one here
        _forget(pool)
        return fn(*args)
    finally:
        with _lock:
            _busy -= 1


def _pool_now() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # spawn, not fork: the server has threads (a forked copy could inherit a lock one of them holds)
        _pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=_start)
    _main_stays_here()
    return _pool


def _main_stays_here() -> None:
    """Streamlit runs the page as a module named ``__main__`` without a spec, and a new process would run the page's
    file again to rebuild its ``__main__`` (dashboard.py outside a server fails). A spec named ``__main__`` tells
    multiprocessing that there is nothing to rebuild: the worker needs only the modules of the functions it runs."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None:
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)


def _start() -> None:
    """A new worker: BLAS held to one thread, as in the server (dashboard.py); the views' modules imported."""
    if fast.serial_blas.setter is not None:
        fast.serial_blas.setter(1)
    importlib.import_module("ui.view")


def _forget(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def worker_pids() -> list[int]:
    """The worker processes' ids (none before the first call; for tests and the load test's memory figures)."""
    pool = _pool
    return [] if pool is None else list(getattr(pool, "_processes", {}) or {})
