"""The rows of a batch on all cores: the time loops run one thread per block of sequences.

The sequences of a batch never interact, so the forward and backward loops can run each block of rows in its own
thread from start to end, without synchronizing per step. NumPy releases the GIL inside BLAS and ufunc loops, so the
threads really run in parallel, and the whole step is parallel (matrix product, activation, bookkeeping), not just
the matrix product that a threaded BLAS would split.

BLAS keeps its own threads: holding it to one thread while the blocks run measured no faster here, and OpenBLAS
0.3.31 ignores ``openblas_set_num_threads`` called from a non-main thread once the main thread has called it (a
Streamlit script never runs in the main thread).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

# The per-step work (multiply-adds) of one block below which threads cost more than they save: every NumPy call
# hands the GIL over, and with short calls the threads mostly wait for each other (measured here: two blocks of
# 8 x 128 took 1.6x the CPU time of one block of 16 for a 9% shorter wall time; blocks of 32 x 256 pay off).
MIN_BLOCK_WORK = 2**19
MAX_WORKERS = 4  # a container may report many more CPUs than its quota grants

_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
WORKERS = max(1, min(MAX_WORKERS, _cores))
_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="rnn_core") if WORKERS > 1 else None


def row_blocks(B: int, row_work: int) -> list[slice]:
    """Split ``B`` rows into at most ``WORKERS`` blocks, each with enough work per step to be worth a thread.

    ``row_work`` is the work of one row per step (multiply-adds, ``N**2`` for one network, more for a stack).
    """
    # At least 2 rows a block: BLAS takes another path for a single row (a matrix-vector product) and rounds
    # differently, and chaos amplifies that; with 2 or more rows a block's numbers equal the whole batch's to the bit
    # here, so they do not depend on how many cores the machine has.
    n = max(1, min(WORKERS, B // 2, (B * row_work) // MIN_BLOCK_WORK))
    edges = [B * i // n for i in range(n + 1)]
    return [slice(edges[i], edges[i + 1]) for i in range(n)]


def run_rows(fn: Callable[[slice], None], B: int, row_work: int) -> None:
    """Call ``fn(rows)`` for every block of :func:`row_blocks`, in parallel threads when there is more than one.

    ``fn`` must only write its own rows. The first block runs in the calling thread; exceptions propagate.
    """
    blocks = row_blocks(B, row_work)
    if len(blocks) == 1 or _pool is None:
        for rows in blocks:
            fn(rows)
        return
    futures = [_pool.submit(fn, rows) for rows in blocks[1:]]
    try:
        fn(blocks[0])
    finally:
        wait(futures)  # never leave while a worker still writes
    for f in futures:
        f.result()  # re-raises a worker's exception
