"""The one place where speed is chosen: faster loops for a (cell, shape), each checked against the generic engine.

The engine (``rnn.forward``, ``bptt.backward``) asks this module once per pass; None means "run the generic loop",
which is the definition. A fast path computes the same numbers to rounding (tests/core/test_fast.py compares every
path here with the generic engine) and is taken only where a benchmark showed that it pays. What it is allowed to
assume, and the measurement behind each threshold, is written in ``THRESHOLDS``.

The only fast path is the vanilla cell's, in NumPy: the same two lines per step as ``cells/elman.py``, but

* forward: written into preallocated arrays (``np.matmul(..., out=)``, the activation in place), with the input drive
  ``W_xh x_t + b`` computed for a chunk of steps in one product rather than one small product per step;
* backward: ``delta = act'(h_t) * v_t`` into a buffer and ``v_{t-1} = delta @ W_hh`` written in place, normalized
  once per block of ``RENORMALIZE_EVERY`` steps instead of every step (a block whose norms leave
  ``[1/SAFE, SAFE]``, or vanish to zero, is redone step by step, normalized at every step as the engine does);
* both, for a large batch, in two halves of the batch on two cores at once (the sequences never interact), with
  BLAS held to one thread meanwhile (:class:`SerialBlas`): OpenBLAS's own threads split one product of a few rows
  worse than two Python threads split the rows.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .cells import Elman, Params
from .logdomain import PARAM_CHUNK, LogGrad, ParamGrads, add_readout, add_sums, normalize

Array = np.ndarray

# Every threshold of the fast paths, with the measurement that justifies it (AMD EPYC, 2 cores, NumPy 2.4 on
# OpenBLAS 0.3.31; benchmarks/bench_core.py).
THRESHOLDS = {
    # Values of the input drive made at once: 1 MiB stays in cache.
    "drive_chunk": 2**17,
    # Steps per normalization of the backward pass. A block stays inside float64 for any growth per step below
    # SAFE ** (1 / RENORMALIZE_EVERY) = 2e9; beyond, the block is redone step by step.
    "renormalize_every": 16,
    "safe": 1e150,
    # Two halves of the batch on two cores from this many sequences and multiply-adds a step (B N^2): forward pass of
    # (N, B) = (256, 64) in halves 0.72x the time of one thread with OpenBLAS's 2 threads (55 ms vs 77, 500 steps);
    # below, the GIL handed between two threads at every call costs more than the second core gives (session 5's
    # Intel host: (128, 16) 1.38x, (64, 32) 1.55x, (64, 64) 1.05x the time; (64, 128) 0.78x, (128, 64) 0.74x).
    "halves_min_rows": 64,
    "halves_min_work": 2**19,
}
DRIVE_CHUNK = THRESHOLDS["drive_chunk"]
RENORMALIZE_EVERY = THRESHOLDS["renormalize_every"]
SAFE = THRESHOLDS["safe"]
ENABLED = os.environ.get("RNN_CORE_FAST", "1") != "0"  # "0": the generic engine only (tests compare the two)
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rnn_core") if CORES > 1 else None


def forward_loop(cell: Any, params: Any, x: Array, s: Array) -> Callable[[], bool] | None:
    """A faster forward time loop that fills ``s[1:]`` from ``s[0]`` and returns whether every state is finite, or
    None for the generic one."""
    if not (ENABLED and type(cell) is Elman):
        return None
    finite: list[bool] = []  # one entry per chunk of steps of each half

    def run() -> bool:
        _in_halves(lambda rows: _elman_forward(cell, params, x[..., rows, :], s[..., rows, :], finite), params, s)
        return all(finite)
    return run


def backward_loop(cell: Any, params: Any, traj: Any, v: Array, scale: Array, inject: Array,
                  top: int) -> Callable[[], None] | None:
    """A faster backward loop that fills ``v[:top]`` and ``scale[:top]`` from step ``top``, or None."""
    if not (ENABLED and type(cell) is Elman):
        return None

    def run(rows: slice) -> None:
        valid_T = traj.valid_T[..., rows] if traj.overflowed else None
        _elman_backward(cell, params, traj.s[..., rows, :], valid_T, v[..., rows, :], scale[..., rows],
                        inject[..., rows], top)
    return lambda: _in_halves(run, params, v)


def gradients(params: Any, traj: Any, inject: Array) -> tuple[Any, Any] | None:
    """``bptt.gradients`` in one pass, or None: the vanilla cell's backward loop adds up the parameter gradients of
    each block of steps as it goes, from the deltas it has just computed (as min-char-rnn adds ``dWhh`` in its
    backward loop), instead of a second pass that recomputes them from the stored gradients."""
    cell = traj.cell
    if not (ENABLED and type(cell) is Elman and traj.valid_T.ndim == 1):
        return None
    s, x = traj.s, traj.x
    v, scale = np.zeros(s.shape), np.full(s.shape[:-1], -np.inf)
    top = int(traj.valid_T.max())
    halves: dict[int, Any] = {}

    def run(rows: slice) -> None:
        add_readout(v[top, rows], scale[top, rows], params.u[None], inject[top, rows])
        halves[rows.start or 0] = _elman_backward(
            cell, params, s[:, rows], traj.valid_T[rows] if traj.overflowed else None, v[:, rows], scale[:, rows],
            inject[:, rows], top, x[:, rows])

    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        _in_halves(run, params, v)
    total = None
    for start in sorted(halves):
        total = add_sums(total, halves[start])
    steps = np.arange(traj.T + 1)[:, None]
    grad = LogGrad(v, np.where(steps <= traj.valid_T, scale, np.nan))
    if total is None:
        zeros = {"W_hh": np.zeros_like(params.W_hh), "W_xh": np.zeros_like(params.W_xh), "b": np.zeros_like(params.b)}
        return grad, ParamGrads(zeros, -np.inf)
    return grad, ParamGrads(total[1], total[0])


def _elman_forward(cell: Elman, p: Any, x: Array, s: Array, finite: list[bool]) -> None:
    """``s[t] = act(s[t-1] @ W_hh^T + (x[t-1] @ W_xh^T + b))``, in place, the drive a chunk of steps at a time; for
    each chunk, whether its states are all finite goes to ``finite`` (a sum is finite only if every term is, and
    it is taken while the chunk is in cache: after the loop, one pass over all states cost 6% of the forward pass
    at (N, T, B) = (256, 500, 64))."""
    T = x.shape[0]
    product, W_xh_t, f = _recurrent_product(p, transpose=True), p.W_xh.mT, cell.act.f
    a = np.empty(s.shape[1:])  # a_t, reused
    chunk = max(1, DRIVE_CHUNK // a.size)
    for t0 in range(0, T, chunk):
        drive = x[t0:t0 + chunk] @ W_xh_t + p.b[..., None, :]  # (L, ..., B, N)
        for t in range(t0 + 1, t0 + len(drive) + 1):
            product(s[t - 1], a)
            a += drive[t - 1 - t0]
            f(a, s[t])
        finite.append(bool(np.isfinite(s[t0 + 1:t0 + len(drive) + 1].sum())))


def _elman_backward(cell: Elman, p: Any, s: Array, valid_T: Array | None, v: Array, scale: Array, inject: Array,
                    top: int, x: Array | None = None) -> tuple[float, dict[str, Array]] | None:
    """The engine's backward loop for the vanilla cell, normalized once per block of steps (see the module).

    ``valid_T`` (..., B): the last valid step of each sequence, None when nothing overflowed. With the inputs ``x``
    (a single network), also the parameter gradients of these sequences, as ``(log10 scale, {name: mantissa})``:
    the deltas of the steps done are kept (up to ``PARAM_CHUNK`` values) and summed in one product.
    """
    product, df = _recurrent_product(p, transpose=False), cell.act.df
    u = p.u[..., None, :]
    any_inject = inject.reshape(inject.shape[0], -1).any(axis=1)
    keep = max(RENORMALIZE_EVERY, min(top, PARAM_CHUNK // v[0].size)) if x is not None else RENORMALIZE_EVERY
    deltas = np.empty((keep, *v.shape[1:]))  # dL/da of the steps kept, the latest step last; each block relative
    kept: list[tuple[int, Array]] = []  # to its own scale: (steps in the block, log10 scale per sequence)
    total = None

    def dact(t0: int, t1: int, out: Array) -> None:
        """act'(a_tau) for tau = t0..t1-1 into ``out``, in one call; 0 past an overflow (the states there are NaN)."""
        df(s[t0:t1], out)
        if valid_T is not None:
            np.copyto(out, 0.0, where=(np.arange(t0, t1).reshape(-1, *([1] * valid_T.ndim)) > valid_T)[..., None])

    def step(tau: int, g: Array, delta: Array) -> Array:
        """v[tau-1] = J_tau^T g (not normalized): (act'(h_tau) * g) @ W_hh; ``delta`` holds act'(h_tau) and is
        left holding delta = act'(h_tau) * g."""
        np.multiply(delta, g, out=delta)
        return product(delta, v[tau - 1])

    def flush(lowest: int) -> None:
        """Add the parameter gradients of the steps kept (lowest + 1 .. ) to the total, on their largest scale."""
        nonlocal total
        n = sum(L for L, _ in kept)
        refs = np.concatenate([np.broadcast_to(sc, (L, *sc.shape)) for L, sc in reversed(kept)])  # (n, ..., B)
        kept.clear()
        ref = refs.max()
        if n == 0 or ref == -np.inf:
            return
        d = deltas[keep - n:]
        with np.errstate(under="ignore"):
            d *= np.where(np.isfinite(refs), 10.0 ** (refs - ref), 0.0)[..., None]
        h_prev = s[lowest:lowest + n] if valid_T is None else np.nan_to_num(s[lowest:lowest + n])
        total = add_sums(total, (float(ref), cell.param_grads(p, d, h_prev, x[lowest:lowest + n])))

    def room(L: int, t: int) -> Array:
        """Space for the deltas of the L steps below t, flushing what is kept first when it would not fit."""
        used = sum(n for n, _ in kept)
        if used + L > keep:
            flush(t) if x is not None else kept.clear()
            used = 0
        return deltas[keep - used - L:keep - used]

    t = top  # v[t] and scale[t] are final; the block computes steps end..t-1
    while t > 0:
        end = max(0, t - RENORMALIZE_EVERY)
        later = np.flatnonzero(any_inject[end:t])  # a block ends early at a step where the loss reads h
        if later.size:
            end += int(later[-1])
        g, d = v[t], room(t - end, t)
        dact(end + 1, t + 1, d)
        for tau in range(t, end, -1):
            g = step(tau, g, d[tau - end - 1])
        block = v[end:t]  # (L, ..., B, N): raw products relative to 10**scale[t]
        n = np.sqrt(np.einsum("...i,...i->...", block, block))
        if n.min() > 1 / SAFE and n.max() < SAFE:  # the common case (NaN fails both comparisons)
            scale[end:t] = scale[t] + np.log10(n)
            block /= n[..., None]
            kept.append((t - end, scale[t].copy()))
        else:  # a block that left float64's comfortable range, or hit an exact zero: step by step, exactly
            dact(end + 1, t + 1, d)
            for tau in range(t, end, -1):
                normalize(step(tau, v[tau], d[tau - end - 1]), scale[tau], v[tau - 1], scale[tau - 1])
                kept.append((1, scale[tau].copy()))
        if any_inject[end]:
            add_readout(v[end], scale[end], u, inject[end])
        t = end
    if x is not None:
        flush(0)
    return total


# ----------------------------------------------------------------------------------------------------------------
# A stack of networks that share their recurrent matrix up to a gain (a sweep)


@dataclass(frozen=True)
class ScaledStack(Params):
    """Stacked vanilla-cell parameters whose recurrent matrices are gains times a few unit matrices.

    ``W_hh[s, g] = gains[s, g] * W_unit[s]`` (materialized, so the generic engine reads them as any stack); the fast
    path multiplies by ``W_unit[s]`` once for all the gains of ``s`` instead: one product of ``G * B`` rows per unit
    matrix, read from cache, rather than ``G`` products of ``B`` rows that each read their own matrix from memory
    (the regime map: 120 matrices of 128 x 128 per step, 15.7 MB; 2.3 s instead of 0.7 for the default map).
    """

    W_unit: Array | None = None  # (S, N, N)
    gains: Array | None = None  # (S, G)

    @classmethod
    def build(cls, W_unit: Array, gains: Array, W_xh: Array, b: Array, u: Array) -> ScaledStack:
        """From ``W_unit`` (S, N, N), ``gains`` (S, G) and the other parameters stacked to (S, G, ...)."""
        return cls(gains[..., None, None] * W_unit[:, None], W_xh, b, u, W_unit=W_unit, gains=gains)


def tangent_map(cell: Any, params: Any) -> Callable[[Array, Array, Array, Array], Array] | None:
    """A faster ``cell.jvp`` for the Lyapunov exponents, or None: a ScaledStack's tangent vectors of all gains
    multiplied by each unit matrix at once."""
    if not (ENABLED and type(cell) is Elman and isinstance(params, ScaledStack)):
        return None
    W, gains = params.W_unit, params.gains[..., None, None]  # (S, N, N), (S, G, 1, 1)

    def jvp(q: Array, h_prev: Array, h: Array, x: Array) -> Array:  # q (S, G, N, k) -> J q, as Elman.jvp
        S, G, N, k = q.shape
        Wq = np.matmul(W, q.transpose(0, 2, 1, 3).reshape(S, N, G * k)).reshape(S, N, G, k).transpose(0, 2, 1, 3)
        return cell.act.dact(h)[..., :, None] * (gains * Wq)
    return jvp


def _recurrent_product(p: Params, transpose: bool) -> Callable[[Array, Array], Array]:
    """``product(rows, out)``: ``rows @ W_hh.mT`` (``transpose``, the forward pass) or ``rows @ W_hh`` into ``out``."""
    if not isinstance(p, ScaledStack):
        W = np.ascontiguousarray(p.W_hh.mT) if transpose else p.W_hh
        if W.ndim == 2:  # np.dot: a third of np.matmul's call overhead for a (1, 64) x (64, 64) product
            return lambda rows, out: np.dot(rows, W, out=out)
        return lambda rows, out: np.matmul(rows, W, out=out)
    W = np.ascontiguousarray(p.W_unit.mT if transpose else p.W_unit)  # (S, N, N)
    S = W.shape[0]
    gains = p.gains[:, :, None, None]

    def product(rows: Array, out: Array) -> Array:  # rows (S, G, B, N): the G gains' rows in one product per unit
        unit = np.matmul(rows.reshape(S, -1, rows.shape[-1]), W)  # (S, G * B, N); rows may be a strided half
        return np.multiply(unit.reshape(out.shape), gains, out=out)
    return product


# ----------------------------------------------------------------------------------------------------------------
# Two halves of a batch, or of a list of chunks, on two cores

NOT_TAKEN = object()


def fold_in_parallel(fold: Callable[[list], Any], items: list, add: Callable[[Any, Any], Any], work: int) -> Any:
    """``add(fold(items[0::2]), fold(items[1::2]))`` on two cores, or ``NOT_TAKEN`` where that does not pay.

    The engine's parameter gradients: each thread sums every other chunk of steps (``work`` multiply-adds a step,
    ``B S^2``). Sums in another order: equal to the engine's one-thread sum to rounding.
    """
    if not (ENABLED and _pool is not None and serial_blas.setter is not None and len(items) > 1
            and work >= THRESHOLDS["halves_min_work"]):
        return NOT_TAKEN
    with serial_blas:
        other = _pool.submit(_as_here(fold), items[1::2])
        try:
            mine = fold(items[0::2])
        finally:
            theirs = other.result()
    return add(mine, theirs)


def _in_halves(fn: Callable[[slice], None], params: Any, out: Array) -> None:
    """``fn(rows)`` for the whole batch, or for its two halves at once where that pays (``THRESHOLDS``)."""
    B, N = out.shape[-2], np.shape(params.u)[-1]
    work = B * N * N * int(np.prod(out.shape[1:-2], dtype=int))
    if (_pool is None or serial_blas.setter is None or B < THRESHOLDS["halves_min_rows"]
            or work < THRESHOLDS["halves_min_work"]):
        fn(slice(None))
        return
    with serial_blas:
        other = _pool.submit(_as_here(fn), slice(B // 2, B))
        try:
            fn(slice(0, B // 2))
        finally:
            other.result()  # waits, and re-raises the other half's exception


def _as_here(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` for another thread, under this thread's floating-point error settings (``np.errstate`` is per thread)."""
    settings = np.geterr()

    def run(arg: Any) -> Any:
        with np.errstate(**settings):
            return fn(arg)
    return run


def _find_blas_setter() -> Callable[[int], int] | None:
    """``openblas_set_num_threads_local`` of NumPy's bundled OpenBLAS (returns the previous count), or None.

    The thread-local setter works from any thread (a Streamlit script runs in a non-main thread, where OpenBLAS
    ignores ``openblas_set_num_threads``, which threadpoolctl calls). Another BLAS: None, and no halves.
    """
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

    The setting is process-wide in NumPy's OpenBLAS, so a count under a lock decides who saves and restores it: two
    sessions of a server computing at once must not leave BLAS at one thread for good.
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
