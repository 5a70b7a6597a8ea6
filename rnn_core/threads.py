"""The rows of a batch on all cores: the time loops run one thread per block of sequences.

The sequences of a batch never interact, so the forward and backward loops can run each block of rows in its own
thread from start to end, without synchronizing per step (``rnn_core.bptt.gradients`` instead runs the backward
chain over the whole batch beside a worker thread that sums the parameter gradients: :func:`start`). NumPy releases
the GIL inside BLAS and ufunc loops, so the threads really run in parallel, and the whole step is parallel (matrix
product, activation, bookkeeping), not just the matrix product that a threaded BLAS would split.

While blocks run in parallel, BLAS is held to one thread (:class:`SerialBlas`): two threads that each call a
multi-threaded OpenBLAS ask for 4 threads on 2 cores, and two such threads ran 2.4x slower together than one alone
(32 x 256 x 256 products); with one BLAS thread each, two blocks run 1.7x faster than one. NumPy has no API for this,
so it calls ``openblas_set_num_threads_local`` of the OpenBLAS that NumPy's wheels bundle (it works from any thread;
``openblas_set_num_threads`` is ignored from a non-main thread, where a Streamlit script runs). Where that library is
not found (another BLAS), BLAS keeps its threads: slower, never wrong.
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

import numpy as np

# When row blocks pay (per-step work W = B * row_work multiply-adds; forward pass, tanh kernel, 2 cores, measured
# time in blocks / in one): with fewer than MIN_THREADED_ROWS rows, never. On this session's AVX-512 host a step of
# a small batch is a few microseconds of products and tanh, and handing the GIL between two threads at every call
# costs about as much: (N, B) = (128, 16) 1.38, (64, 32) 1.55, (64, 64) 1.05 in two blocks (an AVX2 host with a
# slower tanh measured 0.71-0.85 at W = 2^18 in session 3). From 64 rows and W >= MIN_BLOCK_WORK they pay:
# (64, 128) 0.78, (128, 64) 0.74, (256, 64) 0.73. Below, one thread runs the batch (and BLAS may use its own threads
# for a large product: (256, 32) 1.01, (512, 16) 0.98 against two blocks, a wash).
MIN_BLOCK_WORK = 2**19
MIN_THREADED_ROWS = 64
MAX_WORKERS = 4  # a container may report many more CPUs than its quota grants

_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
WORKERS = max(1, min(MAX_WORKERS, _cores))
_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="rnn_core") if WORKERS > 1 else None


def _find_blas_setter() -> Callable[[int], int] | None:
    """``openblas_set_num_threads_local`` of NumPy's bundled OpenBLAS (returns the previous count), or None."""
    here = os.path.dirname(np.__file__)
    for pattern in ("../numpy.libs/*openblas*", ".dylibs/*openblas*"):  # Linux/Windows wheels, macOS wheels
        for path in glob.glob(os.path.join(here, pattern)):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for name in ("openblas_set_num_threads_local", "scipy_openblas_set_num_threads_local64_"):
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
                    return fn
    return None


class SerialBlas:
    """Hold BLAS to one thread while any caller is inside (nesting and concurrent callers count; the last restores).

    In NumPy's OpenBLAS builds the setting is process-wide, so a count under a lock decides who saves and restores
    it: two sessions of a server computing at once must not leave BLAS at one thread for good. Process-wide also
    means: while any caller is inside, all BLAS work of the process runs on one thread (on a shared server that
    avoids oversubscription rather than costing), and a change made by others meanwhile (threadpoolctl) is undone by
    the last one out.
    """

    def __init__(self, setter: Callable[[int], int] | None) -> None:
        self.setter = setter
        self._lock = threading.Lock()
        self._depth = 0
        self._saved = 0

    def __enter__(self) -> SerialBlas:
        if self.setter is not None:
            with self._lock:
                if self._depth == 0:
                    self._saved = self.setter(1)
                self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        if self.setter is not None:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    self.setter(self._saved)


serial_blas = SerialBlas(_find_blas_setter())


def row_blocks(B: int, row_work: int) -> list[slice]:
    """Split ``B`` rows into at most ``WORKERS`` blocks, each with enough work per step to be worth a thread.

    ``row_work`` is the work of one row per step (multiply-adds, ``N**2`` for one network, more for a stack).
    """
    # At least 2 rows a block: BLAS takes another path for a single row (a matrix-vector product) and rounds
    # differently, and chaos amplifies that. With 2 or more rows a block's numbers equal the whole batch's to the bit
    # with MKL (rnn_core.blas; every shape tried) and with OpenBLAS for most sizes (N <= 128 and the powers of 2
    # here, not N = 129-132, 137-139, 255, 257, 300, 500 at B = 64), and then they do not depend on how many cores
    # the machine has; otherwise they agree to rounding.
    work = B * row_work
    worth = work >= MIN_BLOCK_WORK and B >= MIN_THREADED_ROWS
    n = max(1, min(WORKERS, B // 2)) if worth else 1
    edges = [B * i // n for i in range(n + 1)]
    return [slice(edges[i], edges[i + 1]) for i in range(n)]


def run_rows(fn: Callable[[slice], None], B: int, row_work: int) -> None:
    """Call ``fn(rows)`` for every block of :func:`row_blocks`, in parallel threads when there is more than one.

    ``fn`` must only write its own rows. The first block runs in the calling thread; exceptions propagate.
    """
    run_blocks(fn, row_blocks(B, row_work))


_MADV_POPULATE_WRITE = 23  # Linux 5.14+: fault pages in as if written, without writing them
_PAGE = 4096


def _find_madvise() -> Callable[[int, int, int], int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.madvise
    except (OSError, AttributeError):  # not a POSIX libc
        return None
    fn.argtypes, fn.restype = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int], ctypes.c_int
    return fn


# The advice's number means "populate" on Linux only; elsewhere it may mean something else entirely
_madvise = _find_madvise() if sys.platform.startswith("linux") else None


def populate(a: np.ndarray) -> bool:
    """Fault in the pages of ``a`` (a contiguous array) now, in this thread, without changing its contents.

    A fresh large array costs a page fault (and the zeroing of the page) at the first write to each page; an
    otherwise idle thread can take that cost off a busy one. Safe while other threads write into ``a``: nothing is
    written. Returns False where the kernel cannot (before Linux 5.14, other systems): the pages then fault in as
    they are written, as before.
    """
    if _madvise is None or not a.flags.c_contiguous or a.nbytes < 2 * _PAGE:
        return False
    first = -(-a.ctypes.data // _PAGE) * _PAGE  # whole pages inside the array
    last = (a.ctypes.data + a.nbytes) // _PAGE * _PAGE
    return last > first and _madvise(first, last - first, _MADV_POPULATE_WRITE) == 0


POPULATE_BYTES = 2**23  # arrays from this size on are paged in by the threads that will write them (8 MiB)


def run_rows_paging_in(fn: Callable[[slice], None], blocks: list[slice], out: np.ndarray) -> None:
    """:func:`run_blocks` for time loops that write a fresh array ``out`` (time first): each block's thread first
    pages in its share of ``out``'s steps (:func:`populate`), so that the zeroing of the new pages runs on all cores
    at once.

    Left to the loops, a page of ``out`` (2 MiB with transparent huge pages: 16 steps of a (64, 256) batch) is
    zeroed by whichever thread touches it first while the others wait for it: at (N, T, B) = (256, 500, 64) the
    fresh states cost the forward pass 10-14 ms over writing into pages already there, paging in first 5-9 ms less.
    """
    if len(blocks) < 2 or out.nbytes < POPULATE_BYTES or not out.flags.c_contiguous:
        run_blocks(fn, blocks)
        return
    T1, n = out.shape[0], len(blocks)
    share = {b.start: slice(T1 * k // n, T1 * (k + 1) // n) for k, b in enumerate(blocks)}

    def paged(rows: slice) -> None:
        populate(out[share[rows.start]])
        fn(rows)
    run_blocks(paged, blocks)


def start(fn: Callable[[], None]) -> Future:
    """Run ``fn()`` in a worker thread beside the caller (only where ``WORKERS > 1``); ``result()`` of what this
    returns waits for it and re-raises its exception."""
    if _pool is None:
        raise RuntimeError("no worker thread on a single core: run the work in turn instead")
    return _pool.submit(fn)


def run_blocks(fn: Callable[[slice], None], blocks: list[slice]) -> None:
    """Call ``fn(block)`` for every block, in parallel threads (BLAS on one thread each) when there is more than one.

    Every pass of one analysis (forward, backward, parameter gradients; or the chain and its worker in
    ``bptt.gradients``) runs in Python threads with BLAS on one thread, so BLAS's own threads stay unused: after a
    multi-threaded product OpenBLAS's worker keeps spinning for ~0.1 s (a timeout fixed at load time; setting the
    thread count does not stop it), and Python threads started meanwhile share the cores with it. Forward +
    backward + parameter gradients called back to back, the last two in blocks against the same on BLAS's threads
    (same process, interleaved): 0.84x at (N, T, B) = (256, 500, 64), 0.75x at (128, 1000, 16); after a 0.2 s
    pause, when nothing spins, 0.98x and 1.02x.
    """
    if len(blocks) == 1 or _pool is None:
        for rows in blocks:
            fn(rows)
        return
    with serial_blas:
        futures = [_pool.submit(fn, rows) for rows in blocks[1:]]
        try:
            fn(blocks[0])
        finally:
            wait(futures)  # never leave while a worker still writes
    for f in futures:
        f.result()  # re-raises a worker's exception
