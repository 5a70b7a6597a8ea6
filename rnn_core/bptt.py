"""Backpropagation through time in the log domain.

Norms of gradients that vanish or explode leave float64 within a few hundred steps (1e-3000 and 1e+3000 are
ordinary here). So a vector ``g`` is carried as a *mantissa* ``v`` (unit norm, or zero) and a *log10 scale* ``s``
with ``g = v * 10**s``, renormalized at every step; ``log10 ||g|| = s`` is then exact to rounding. ``s = -inf`` means
the gradient is exactly zero.

The backward step is the transpose of the forward Jacobian ``J_t = diag(act'(a_t)) W_hh`` (see :mod:`rnn_core.rnn`):
``dL/dh_{t-1} = J_t^T dL/dh_t + dL_direct/dh_{t-1}``.
"""

from __future__ import annotations

import bisect
import functools
import math
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import blas, kernels, threads
from .activations import LEAKY_SLOPE, get_activation
from .rnn import Params, Trajectory

Array = np.ndarray
CHUNK = 32  # Jacobian products per batched SVD call
CHUNK_BYTES = 2**25  # and at most 32 MiB of them
# The NumPy path normalizes once per block of steps (see _backward_blocks), redone step by step outside [1/SAFE, SAFE]
RENORMALIZE_EVERY = 16
SAFE = 1e150
PARAM_CHUNK = 2**18  # elements (2 MiB) of the scaled deltas per matrix product in param_grads
PARAM_SUMS_BYTES = 2**25  # and the chunks' partial sums, (N, N) each until folded in, at most 32 MiB
# gradients() runs the chain beside a worker thread from this many multiply-adds a step (B * N^2): at (N, T, B) =
# (128, 1000, 16), 2^18, 25.5 ms against 29 for backward() then param_grads()
PIPELINE_WORK = 2**17


@dataclass(frozen=True)
class LogGrad:
    """``dL/dh_t`` for every step, as mantissa and log10 scale.

    Attributes
    ----------
    v : ndarray, shape (T+1, ..., B, N) — unit-norm (or zero) direction of ``dL/dh_t``.
    log10_norm : ndarray, shape (T+1, ..., B) — ``log10 ||dL/dh_t||``; -inf where the gradient is exactly zero,
        NaN after an overflow of the states (no loss is defined there).
    """

    v: Array
    log10_norm: Array

    def values(self) -> Array:
        """The gradients as plain float64 (inf/0 where they leave float64's range): ``v * 10**log10_norm``."""
        with np.errstate(over="ignore", invalid="ignore"):
            scale = np.where(np.isfinite(self.log10_norm), 10.0 ** np.nan_to_num(self.log10_norm), 0.0)
            return _times(self.v, scale[..., None])


def _times(mantissa: Array, scale: Array) -> Array:
    """``mantissa * scale`` where an exact zero stays zero even when the scale is inf (not ``0 * inf = NaN``)."""
    return np.where(mantissa == 0, 0.0, mantissa * scale)


def backward(params: Params, traj: Trajectory, loss: str = "last") -> LogGrad:
    """Propagate ``dL/dh_t`` from the loss back to ``t = 0``.

    Parameters
    ----------
    loss : {'last', 'all'}
        ``'last'``: ``L = sum_b u·h_T`` (``T`` = the last valid step, so the gradient starts with norm 1);
        ``'all'``: ``L = sum_b sum_{t=1..T} u·h_t``.

    Returns
    -------
    LogGrad with ``v`` of shape ``(T+1, ..., B, N)``.

    Each step is one matrix product ``(act'(a_{t+1}) * v_{t+1}) @ W_hh`` (rows: the transpose of ``J_{t+1}``) and
    one pass over its rows while they are in cache (:func:`_backward_step`): normalize, add the readout where the
    loss reads ``h_t``, and form the next product's input with the derivatives taken from ``h_t``.
    """
    return _backward(params, traj, loss)


def _backward(params: Params, traj: Trajectory, loss: str, ready: Callable[[int], None] | None = None,
              out: tuple[Array, Array] | None = None) -> LogGrad:
    """:func:`backward`; with ``ready``, in one block of rows in the calling thread, calling ``ready(t)`` as soon as
    ``v[t]`` and ``s[t]`` are final (t = top, ..., 0; the steps above the top are final from the start), with
    ``out = (v, s)`` the arrays to write into (then ``s`` keeps -inf, not NaN, above the loss step)."""
    T = traj.T
    W = params.W_hh
    lead = W.shape[:-2]
    B, N = traj.h.shape[-2:]
    valid = traj.valid_T  # (..., B)
    g = None if traj.row_gain is None else traj.row_gain[..., None]  # (..., B, 1)
    v, s = (np.empty((T + 1, *lead, B, N)), np.empty((T + 1, *lead, B))) if out is None else out
    u = params.u[..., None, :]  # (..., 1, N): the same readout for every sequence of a network
    # inject[t] (..., B): does the loss touch h_t directly? 'last': only at the last valid step.
    steps = np.arange(T + 1).reshape(-1, *([1] * (len(lead) + 1)))
    inject = (steps == valid) if loss == "last" else ((steps >= 1) & (steps <= valid))
    slope = LEAKY_SLOPE
    df, overflowed = get_activation(traj.activation).df, traj.overflowed

    def run(rows: slice) -> None:
        """The backward loop for one block of sequences (they never interact), writing only their rows."""
        vr, sr, hr, inj = v[..., rows, :], s[..., rows], traj.h[..., rows, :], inject[..., rows]
        gr = None if g is None else g[..., rows, :]
        # Above the latest step any of these sequences' loss reads, every gradient is exactly zero.
        top = int(valid[..., rows].max())
        vr[top + 1:] = 0.0
        sr[top + 1:] = -np.inf
        any_inject = inj.reshape(T + 1, -1).any(axis=1)
        w = np.empty(vr.shape[1:])  # the next product's input; large temporaries cost more than the arithmetic here
        compiled = kernels.backward_steps(vr, sr, hr, w, u, inj, traj.activation, slope, overflowed)
        vs, ss, hs = list(vr), list(sr), list(hr)  # per-step views made once (call overhead dominates at small sizes)
        # vs[t] = w @ W_hh: product(0, t), through MKL with W_hh packed once where it is installed
        product = blas.step_products(w, W, vr, batch_rows=B)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            vs[top][...] = 0.0  # the raw product "above" the loss step: zero, relative to 10**-inf
            if compiled is None:
                _backward_blocks(vs, ss, hs, vr, sr, top, inj, any_inject, w, product, gr, u, df, overflowed, ready)
                return
            t = top
            while True:
                compiled(t, t == top)
                if ready is not None:
                    ready(t)
                if t == 0:
                    break
                t -= 1
                product(0, t)  # J_{t+1}^T v_{t+1} (not yet normalized)
                if gr is not None:
                    vs[t] *= gr

    if ready is not None:
        run(slice(0, B))
        return LogGrad(v, np.where(steps <= valid, s, np.nan))
    # A small single network: the whole pass compiled (at N = 64, B = 1 the per-step calls are the cost).
    small = g is None and not lead and kernels.is_small(B, N)
    if small:
        v.fill(0.0)  # the compiled loop's contract
        s.fill(-np.inf)
        small = kernels.backward_small(v, s, np.ascontiguousarray(traj.h), np.ascontiguousarray(W),
                                       np.ascontiguousarray(params.u), np.ascontiguousarray(inject), traj.activation,
                                       slope)
    if not small:
        # In the forward pass's row blocks (see rnn_core.threads.run_blocks) when they hold 32 rows or more; with
        # fewer, a step's two short calls per block spend more time handing the GIL over than they save.
        blocks = threads.row_blocks(B, int(np.prod(lead, dtype=int)) * N * N)
        threads.run_rows_paging_in(run, blocks if min(b.stop - b.start for b in blocks) >= 32 else [slice(0, B)], v)
    s = np.where(steps <= valid, s, np.nan)
    return LogGrad(v, s)


def _backward_blocks(vs: list[Array], ss: list[Array], hs: list[Array], vr: Array, sr: Array, top: int,
                     inj: Array, any_inject: Array, w: Array, product: Callable[[int, int], None],
                     gr: Array | None, u: Array,
                     df: Callable[[Array, Array], Array], overflowed: bool,
                     ready: Callable[[int], None] | None) -> None:
    """The backward loop of the NumPy path, from step ``top`` down: normalized once per block of steps.

    Normalizing every step takes ~10 NumPy calls a step (5x the time of the loop's two, the next input
    ``w = v * act'(h)`` and the product, at N = 64, B = 1): without the compiled step, a block of up to
    ``RENORMALIZE_EVERY`` steps is propagated relative to the scale at its start and normalized at once. Growth per
    step is at most ``gamma * sigma_max``, so a block stays inside float64 for any ``sigma_max`` below ~1e18; a block
    whose norms leave ``[1/SAFE, SAFE]`` (or vanish to zero) is redone step by step (:func:`_backward_step`). A block
    ends early at a step where the loss adds its readout. ``vs``, ``ss``, ``hs``: per-step views of ``vr``, ``sr``
    and the states; ``product(0, tau)`` writes ``w @ W_hh`` into ``vs[tau]``.
    """
    def step(tau: int, cur: Array) -> Array:
        """vs[tau] = J_{tau+1}^T cur, in row form (act'(a_{tau+1}) * cur) @ W_hh, not normalized."""
        _times_dact(cur, hs[tau + 1], df, w, overflowed)
        out = vs[tau]
        product(0, tau)
        if gr is not None:
            out *= gr
        return out

    inject_steps = np.flatnonzero(any_inject[:top + 1]).tolist()  # ascending
    ss[top][...] = -np.inf
    if any_inject[top]:
        vs[top][...], ss[top][...] = _add_readout(vs[top], ss[top], u, inj[top])
    if ready is not None:
        ready(top)
    t = top - 1
    while t >= 0:
        end = max(0, t - RENORMALIZE_EVERY + 1)
        i = bisect.bisect_right(inject_steps, t) - 1  # the latest step <= t where the loss reads h
        if i >= 0 and inject_steps[i] >= end:
            end = inject_steps[i]
        base_s = ss[t + 1]
        cur = vs[t + 1]
        for tau in range(t, end - 1, -1):
            cur = step(tau, cur)
        block = vr[end:t + 1]  # (L, ..., R, N): the raw products relative to 10**base_s
        n = np.sqrt(np.einsum("...i,...i->...", block, block))
        # Safe only if no value left float64's comfortable range and nothing vanished to zero on the way (a zero
        # could be an underflow, not a true zero): otherwise redo the block normalizing every step. The common case
        # first, in two reductions (NaN fails both comparisons).
        if n.min() > 1 / SAFE and n.max() < SAFE:
            sr[end:t + 1] = base_s + np.log10(n)
            block /= n[..., None]
        elif np.all(np.isfinite(n) & (n < SAFE) & ((n > 1 / SAFE) | ((n == 0) & np.isneginf(base_s)))):
            sr[end:t + 1] = np.where(n > 0, base_s + np.log10(n), -np.inf)
            block /= np.where(n > 0, n, 1.0)[..., None]
        else:
            for tau in range(t, end - 1, -1):
                step(tau, vs[tau + 1])
                _backward_step(vs[tau], ss[tau + 1], ss[tau], hs[tau], w, u, None, df, False, overflowed)
        if any_inject[end]:
            vs[end][...], ss[end][...] = _add_readout(vs[end], ss[end], u, inj[end])
        if ready is not None:
            for tau in range(t, end - 1, -1):
                ready(tau)
        t = end - 1


def _backward_step(v: Array, s_next: Array, s: Array, h: Array, w: Array, u: Array, inject: Array | None,
                   df: Callable[[Array, Array], Array], make_w: bool, overflowed: bool) -> None:
    """After a step's matrix product: ``v`` (..., R, N) normalized in place with its log10 scale
    ``s_next + log10 ||v||`` into ``s`` (..., R); the readout ``u`` added where ``inject``; then, if ``make_w``,
    ``w = v * act'(h)`` (``df``: the activation's derivative from its value), the next product's input (0 where ``h``
    is NaN, after an overflow).

    The NumPy code of :func:`rnn_core.kernels.backward_steps`; the NumPy path runs it where a block of steps leaves
    float64's comfortable range (:func:`_backward_blocks`).
    """
    n2 = np.einsum("...i,...i->...", v, v)
    log_m = 0.0
    if not np.all((n2 >= kernels.SUMSQ_TINY) & (n2 < np.inf)):
        # a sum of squares outside float64's comfortable range (subnormal entries included), 0 or NaN: v divided by
        # its largest entry first, so that 1 <= ||v|| <= sqrt(N) (or 0, or NaN) and its inverse is safe
        m = np.max(np.abs(v), axis=-1)
        m1 = np.where(m > 0, m, 1.0)
        v /= m1[..., None]
        n2 = np.einsum("...i,...i->...", v, v)
        log_m = np.log10(m1)
    n = np.sqrt(n2)
    if n.min() > 0:  # the common case in few calls
        v *= (1.0 / n)[..., None]
        np.log10(n, out=n)
        np.add(s_next, n + log_m, out=s)
    else:  # exact zeros stay zero with scale -inf; NaN stays NaN
        pos = n > 0
        v *= (1.0 / np.where(pos, n, 1.0))[..., None]
        s[...] = np.where(pos, s_next + (np.log10(np.where(pos, n, 1.0)) + log_m),
                          np.where(n == 0, -np.inf, np.nan))
    if inject is not None:
        v[...], s[...] = _add_readout(v, s, u, inject)
    if make_w:
        _times_dact(v, h, df, w, overflowed)


def _times_dact(v: Array, h: Array, df: Callable[[Array, Array], Array], out: Array, overflowed: bool) -> Array:
    """``out = v * act'(h)`` (``df``: the derivative from the value), 0 where ``h`` is NaN if ``overflowed``: the
    states after an overflow, whose ``v`` is zero but whose ``act'`` may be NaN. The NumPy code of
    ``kernels._times_dact``."""
    df(h, out)
    np.multiply(out, v, out=out)
    if overflowed:
        np.copyto(out, 0.0, where=np.isnan(h))
    return out


def _add_readout(v: Array, s: Array, u: Array, mask: Array) -> tuple[Array, Array]:
    """``(v, s) + u`` where ``mask``, in the log domain: scale both terms by the larger magnitude first."""
    c = mask[..., None].astype(float)  # (..., B, 1): 1 where the readout is added
    ref = np.maximum(s, np.where(mask, 0.0, -np.inf))  # (..., B): log10 of the larger term
    ref_safe = np.where(np.isfinite(ref), ref, 0.0)
    a = np.where(np.isfinite(s), 10.0 ** (s - ref_safe), 0.0)
    vec = v * a[..., None] + c * u * 10.0 ** (-ref_safe)[..., None]
    n = np.sqrt(np.einsum("...i,...i->...", vec, vec))
    new_v = vec / np.where(n > 0, n, 1.0)[..., None]
    new_s = np.where(n > 0, ref_safe + np.log10(np.where(n > 0, n, 1.0)), -np.inf)
    return new_v, new_s


@dataclass(frozen=True)
class ParamGrads:
    """``dL/dW_hh``, ``dL/dW_xh``, ``dL/db`` as mantissas times ``10**log10_scale`` (one scale for all three)."""

    W_hh: Array
    W_xh: Array
    b: Array
    log10_scale: float

    def values(self) -> tuple[Array, Array, Array]:
        """The plain float64 gradients (inf or 0 where they leave float64's range)."""
        with np.errstate(over="ignore", invalid="ignore"):
            # np.float64, not float: a Python float power raises OverflowError instead of giving inf
            k = np.float64(10.0) ** self.log10_scale if np.isfinite(self.log10_scale) else np.float64(0.0)
            return _times(self.W_hh, k), _times(self.W_xh, k), _times(self.b, k)


def _delta_scales(grad: LogGrad, top: Array | float) -> Array:
    """``10**(log10 ||dL/dh_t|| - top)`` for t = 1..T, shape ``(T, ..., B)``; 0 where the gradient is 0 or undefined."""
    ds = np.nan_to_num(grad.log10_norm[1:], nan=-np.inf, neginf=-np.inf)
    top_safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore", invalid="ignore"):
        return np.where(np.isfinite(ds), 10.0 ** (ds - top_safe), 0.0)


def _scaled_deltas(grad: LogGrad, traj: Trajectory, top: Array) -> Array:
    """``dL/da_t / 10**top`` (shape ``(T, ..., B, N)``), built in one buffer."""
    w = np.multiply(traj.dact[1:], grad.v[1:])
    w *= _delta_scales(grad, top)[..., None]
    return w


def _states_before(traj: Trajectory) -> Array:
    """``h_{t-1}`` for t = 1..T with the NaN of overflowed steps as 0 (their deltas are 0); a view when none."""
    h_prev = traj.h[:-1]
    return np.nan_to_num(h_prev) if traj.overflowed else h_prev


def param_grads(grad: LogGrad, traj: Trajectory, x: Array) -> ParamGrads:
    """The full gradients of a single network (no leading dimensions), for training and for checks.

    ``dL/dW_hh = sum_t delta_t h_{t-1}^T``, ``dL/dW_xh = sum_t delta_t x_t^T``, ``dL/db = sum_t delta_t``, summed
    over the batch, each term scaled relative to the largest so that nothing overflows. :func:`gradients` computes
    them together with ``grad``, faster.
    """
    sums = _ParamSums(grad.v, grad.log10_norm, traj, x)
    # The chunks in our threads, BLAS on one thread each (see rnn_core.threads.run_blocks; and MKL runs
    # sequentially): both cores whenever there are two chunks. Thread k takes chunks k, k + n, ..., so that chunks
    # finish about in order and are folded into the total as they come.
    n = min(threads.WORKERS, len(sums.chunks))
    if n:
        def add(every: slice) -> None:
            for i in range(len(sums.chunks))[every]:
                sums.add(i)
        threads.run_blocks(add, [slice(k, None, n) for k in range(n)])
    return sums.total()


class _ParamSums:
    """The parameter gradients as partial sums over chunks of steps, each relative to its own largest delta.

    Chunk ``i`` holds the steps ``chunks[i] = (t0, t1)``, ``1 <= t0 <= t < t1``, about ``PARAM_CHUNK`` values of
    deltas: its sums are matrix products (BLAS) on deltas made in cache, never a (T*B, N) array in memory. Each
    chunk's sums are folded into the running total as soon as every chunk before it is folded, so always in chunk
    order, whatever thread computed them and when: the same numbers whatever the number of threads. Folding as the
    chunks arrive (not all at the end) takes the additions off the end of :func:`gradients` (~3.5 ms of 32 partial
    sums at N = 256) and keeps few partial sums alive. ``add(i)`` reads only the steps of chunk ``i`` of ``v`` and
    ``s`` (``dL/dh_t = v[t] * 10**s[t]``, see :class:`LogGrad`), which may still be being written elsewhere.
    """

    def __init__(self, v: Array, s: Array, traj: Trajectory, x: Array) -> None:
        if traj.h.ndim != 3 or traj.row_gain is not None:
            raise ValueError("parameter gradients take a single network (no stacked weights, no row gains)")
        self.v, self.s, self.traj, self.x = v, s, traj, x
        self.chunks = self.bounds(traj.T, *traj.h.shape[1:])
        # chunk i's sums (ref, dW, dX, db) until folded; `finished[i]`: computed (an all-zero chunk has no sums)
        self.parts: list[tuple[float, Array, Array, Array] | None] = [None] * len(self.chunks)
        self.finished = [False] * len(self.chunks)
        self._folded = 0  # chunks 0 .. _folded - 1 are in the running total
        self._total: tuple[float, Array, Array, Array] | None = None
        self._taken = False  # total() handed the running total's arrays out
        self._lock = threading.Lock()
        self._buf = threading.local()  # one deltas buffer per thread

    @staticmethod
    def bounds(T: int, B: int, N: int) -> list[tuple[int, int]]:
        """The chunks ``(t0, t1)`` of steps 1..T: about ``PARAM_CHUNK`` deltas each, and few enough that their
        partial sums (N x N each, kept until folded in) take at most ``PARAM_SUMS_BYTES`` (a bound: in order, few
        wait at any time)."""
        max_chunks = max(4, PARAM_SUMS_BYTES // (8 * N * N))
        per = max(1, PARAM_CHUNK // (B * N), -(-T // max_chunks))
        return [(t0, min(t0 + per, T + 1)) for t0 in range(1, T + 1, per)]

    def add(self, i: int, zero: bool = False) -> None:
        """Compute chunk ``i``'s sums (none if ``zero``: every delta is known to be zero), then fold in every
        finished chunk next in order."""
        part = None if zero else self._sums(i)
        with self._lock:
            self.parts[i], self.finished[i] = part, True
            while self._folded < len(self.chunks) and self.finished[self._folded]:
                part, self.parts[self._folded] = self.parts[self._folded], None
                if part is not None:
                    self._fold(part)
                self._folded += 1

    def _fold(self, part: tuple[float, Array, Array, Array]) -> None:
        """Add a chunk's sums to the running total, both on the larger of their two scales."""
        if self._total is None:
            self._total = part  # the partial sums are this object's own: no copy
            return
        ref, *sums = part
        top, *total = self._total
        if ref > top:  # a larger delta than any so far: the total moves to its scale
            ref, sums, top, total = top, total, ref, sums
        with np.errstate(under="ignore"):
            k = 10.0 ** (ref - top)  # <= 1: nothing overflows; far smaller sums underflow to 0, as they would
            for acc, add in zip(total, sums, strict=True):
                if k != 1.0:
                    add *= k  # scaled in place, no temporaries
                acc += add
        self._total = (top, *total)

    def _sums(self, i: int) -> tuple[float, Array, Array, Array] | None:
        """Chunk ``i``'s sums relative to its largest delta, None if every delta is exactly zero."""
        t0, t1 = self.chunks[i]
        traj = self.traj
        N, D = traj.h.shape[-1], self.x.shape[-1]
        with np.errstate(under="ignore", invalid="ignore"):
            # (L, B); NaN after an overflow: no gradient there
            ds = np.nan_to_num(self.s[t0:t1], nan=-np.inf, neginf=-np.inf)
            ref = float(ds.max())
            if not np.isfinite(ref):
                return None  # every delta of the chunk is exactly zero
            scale = np.where(np.isfinite(ds), 10.0 ** (ds - ref), 0.0).reshape(-1)
        v, h_next = self.v[t0:t1].reshape(-1, N), traj.h[t0:t1].reshape(-1, N)  # act'(a_t) comes from h_t
        h_prev, xs = traj.h[t0 - 1:t1 - 1].reshape(-1, N), self.x[t0 - 1:t1 - 1].reshape(-1, D)
        buf = getattr(self._buf, "w", None)
        if buf is None or buf.shape[0] < v.shape[0]:
            buf = self._buf.w = np.empty((v.shape[0], N))
        w = buf[:v.shape[0]]
        if not kernels.deltas(v, h_next, scale, traj.activation, LEAKY_SLOPE, w, traj.overflowed):
            _times_dact(v, h_next, get_activation(traj.activation).df, w, traj.overflowed)
            w *= scale[:, None]
        # NaN states after an overflow (their deltas are 0) must not poison the sums
        h_prev = np.nan_to_num(h_prev) if traj.overflowed else h_prev
        dW = np.empty((N, N))
        blas.gram(w, h_prev, dW)
        return ref, dW, w.T @ xs, w.sum(axis=0)

    def total(self) -> ParamGrads:
        """The sums of all chunks (each must have been added), on one scale: the largest delta's. Once: the arrays
        returned are the running total's own."""
        if self._taken:
            raise RuntimeError("the total of these parameter gradients was already taken")
        if self._folded < len(self.chunks):
            raise RuntimeError(f"chunks {self._folded}.. of the parameter gradients were never added")
        self._taken = True
        if self._total is None:
            N, D = self.traj.h.shape[-1], self.x.shape[-1]
            return ParamGrads(np.zeros((N, N)), np.zeros((N, D)), np.zeros(N), -np.inf)
        top, dW, dX, db = self._total
        return ParamGrads(dW, dX, db, top)


def gradients(params: Params, traj: Trajectory, x: Array, loss: str = "last") -> tuple[LogGrad, ParamGrads]:
    """``dL/dh_t`` for every t and the parameter gradients of a single network, in one pass.

    What ``grad = backward(params, traj, loss)`` and ``param_grads(grad, traj, x)`` give (the same products row by
    row, the same chunks added in the same order), bit for bit where BLAS rounds a row alike in a block of rows and
    in the whole batch (always with MKL, see :mod:`rnn_core.blas`; with OpenBLAS for most sizes, not N = 130 say:
    there to rounding, see :func:`rnn_core.threads.row_blocks`), faster: the backward pass is a chain of small
    matrix products, one step after the other, and the parameter gradients are large products over chunks of
    finished steps. With two cores the chain runs in this thread over the whole batch and a second thread sums each
    chunk as soon as the chain has passed it, so both cores do large products at once. Small networks, and machines
    with one core, run the two passes one after the other.

    Parameters
    ----------
    params : Params of one network (no leading dimensions).
    traj : its forward pass (no row gains).
    x : ndarray, shape (T, B, D) — the inputs ``traj`` was run on.
    loss : {'last', 'all'} — as in :func:`backward`.

    Returns
    -------
    (LogGrad, ParamGrads) — ``v`` of shape (T+1, B, N), ``log10_norm`` (T+1, B); the gradients with respect to
    ``W_hh`` (N, N), ``W_xh`` (N, D) and ``b`` (N,) on one log10 scale.

    Examples
    --------
    >>> from rnn_core import Config, forward, gradients, init_inputs, init_params
    >>> c = Config(hidden_size=32, seq_len=40, batch_size=4)
    >>> p, x = init_params(c), init_inputs(c)
    >>> grad, pg = gradients(p, forward(p, x, c.activation), x)
    >>> grad.v.shape, pg.values()[0].shape
    ((41, 4, 32), (32, 32))
    """
    if traj.h.ndim != 3 or traj.row_gain is not None:
        raise ValueError("gradients() takes a single network (no stacked weights, no row gains); use backward()")
    T, B, N = traj.T, *traj.h.shape[1:]
    if threads.WORKERS < 2 or kernels.is_small(B, N) or B * N * N < PIPELINE_WORK or T < 1:
        grad = backward(params, traj, loss)
        return grad, param_grads(grad, traj, x)
    v, s = np.empty((T + 1, B, N)), np.empty((T + 1, B))
    sums = _ParamSums(v, s, traj, x)
    by_start = {t0: i for i, (t0, _) in enumerate(sums.chunks)}
    done: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    top = int(traj.valid_T.max())  # the chain starts there: above it every delta is zero (after an overflow)
    for i, (t0, _) in enumerate(sums.chunks):
        if t0 > top:
            sums.add(i, zero=True)

    def work() -> None:
        # (Paging in v here, ahead of the chain, made this thread fall behind by ~25 chunks in most calls: paging in
        # beside the chain's own page faults took ~90 ms instead of ~7.)
        while (i := done.get()) is not None:
            sums.add(i)

    def ready(t: int) -> None:  # steps t..T are final: the chunk that starts at t can be summed
        i = by_start.get(t)
        if i is not None:
            done.put(i)

    with threads.serial_blas:  # both threads' products on one BLAS thread each
        worker = threads.start(work)
        try:
            grad = _backward(params, traj, loss, ready, out=(v, s))
            # the chain is done; the chunks it finished last are shared with the worker
            while (i := _take(done)) is not None:
                sums.add(i)
        finally:
            done.put(None)
            worker.result()  # waits for its last chunk; re-raises the worker's exception
    return grad, sums.total()


def _take(q: queue.SimpleQueue[int | None]) -> int | None:
    """The next item of ``q`` without waiting, None if there is none (or the end marker, which is put back)."""
    try:
        i = q.get_nowait()
    except queue.Empty:
        return None
    if i is None:
        q.put(None)
    return i


def step_contributions(grad: LogGrad, traj: Trajectory) -> Array:
    """``log10 ||delta_t h_{t-1}^T||_F`` for t = 1..T: how much each step's term adds to ``dL/dW_hh``.

    Summed over the batch before the norm (the batch's update is the sum). Shape ``(T, ...)``; -inf where the term is
    exactly zero (for instance at ``t = 1``, since ``h_0 = 0``).
    """
    ds = np.nan_to_num(grad.log10_norm[1:], nan=-np.inf, neginf=-np.inf)
    top = np.max(ds, axis=-1, keepdims=True)  # (T, ..., 1)
    top_safe = np.where(np.isfinite(top), top, 0.0)
    w = _scaled_deltas(grad, traj, top)
    h_prev = _states_before(traj)
    h_top = np.max(np.abs(h_prev), axis=(-1, -2), keepdims=True)  # (T, ..., 1, 1): states near 1e308 square to inf
    h_prev = h_prev / np.where(h_top > 0, h_top, 1.0)
    # ||sum_b d_b h_b^T||_F^2 = sum_{b,c} (d_b·d_c)(h_b·h_c): B x B Gram matrices instead of N x N outer products
    gd = np.matmul(w, np.swapaxes(w, -1, -2))  # (T, ..., B, B)
    gh = np.matmul(h_prev, np.swapaxes(h_prev, -1, -2))
    sq = np.maximum((gd * gh).sum(axis=(-1, -2)), 0.0)
    with np.errstate(divide="ignore"):
        out = np.where(np.isfinite(top[..., 0]), top_safe[..., 0] + np.log10(h_top[..., 0, 0]) + 0.5 * np.log10(sq),
                       -np.inf)
    return out


@dataclass(frozen=True)
class JacobianNorms:
    """Singular values of the Jacobian products ``dh_T/dh_t = J_T ... J_{t+1}`` (sequence 0), in log10.

    Attributes
    ----------
    log10_norm : ndarray, shape (T+1,) — ``log10 ||dh_T/dh_t||_2`` (largest singular value); NaN after an overflow.
    log10_sv : ndarray, shape (T+1, N) or None — all singular values for every t, descending, when asked for.
    log10_sv_full : ndarray, shape (N,) — all singular values of the whole product ``dh_T/dh_0``, descending.
        Values more than ~15 decades below the largest are at float64's resolution and not meaningful.
    """

    log10_norm: Array
    log10_sv: Array | None
    log10_sv_full: Array


POWER_TOL = 1e-11  # relative rise of sigma_max^8 per power iteration at which to stop
START_SHARE = 0.1  # weight of the heavy-row and generic directions beside the warm start (see _top_singular_value)
POWER_MAX_ITER = 25  # then the exact eigenvalue: slower convergence means near-equal top singular values


@functools.lru_cache(maxsize=8)
def _generic_direction(N: int) -> Array:
    """A fixed pseudo-random unit vector: almost surely not orthogonal to any singular direction."""
    v = np.random.default_rng(20130201).normal(size=N)
    return v / np.linalg.norm(v)


def _top_singular_value(M: Array, y: Array, generic: Array | None = None) -> tuple[float, Array]:
    """Largest singular value of ``M`` by power iteration on ``G^4``, ``G = M M^T``, warm-started.

    Successive products ``dh_T/dh_t`` share their output side (h_T), so the left singular vector ``y`` of the
    previous step is usually an excellent start. But the order of the top singular values can change along t (from an
    identity W_hh they start equal): a start with almost nothing along the new top direction makes the iteration
    settle, by the stopping rule below, near a smaller singular value. So the start is the warm vector plus, with
    weight ``START_SHARE`` each, the direction of ``M``'s heaviest row and a fixed generic vector: every direction has
    a share that the iteration amplifies visibly. Iterating with ``G^4`` (two more small matrix products) needs a
    quarter of the iterations on ``G``, and each iteration is mostly Python overhead at these sizes. With ``y`` of
    unit norm, ``||G^4 y||`` rises to ``sigma_max^8``; iteration stops when it rises by less than ``POWER_TOL``
    (relative), and
    the value is the Rayleigh quotient ``y^T G y`` (error quadratic in ``y``'s). It is checked against the lower bound
    ``max_k G_kk <= sigma_max^2``; below it, the exact largest eigenvalue of ``G`` is used.
    ``M`` is scaled to a largest entry of 1, so ``1 <= sigma_max <= N``: nothing overflows, and ``G`` has a positive
    diagonal entry.
    """
    G = M @ M.T
    G2 = G @ G
    G4 = G2 @ G2
    diag = np.diagonal(G)
    k = int(diag.argmax())
    heavy = G[:, k]
    generic = START_SHARE * _generic_direction(y.size) if generic is None else generic
    y = y + (START_SHARE / math.sqrt(heavy @ heavy)) * heavy + generic  # y: unit norm (the previous step's vector)
    y /= math.sqrt(y @ y)
    g8 = 0.0
    for _ in range(POWER_MAX_ITER):
        z = G4 @ y
        new = math.sqrt(z @ z)
        if new == 0.0:  # not expected (the start has a share along G's range), but never divide by it
            break
        y = z / new
        if new - g8 <= POWER_TOL * new:
            rho = float(y @ (G @ y))
            if rho >= float(diag[k]):
                return math.sqrt(rho), y
            break
        g8 = new
    # Not converged (the top two singular values within a fraction of a percent: each iteration gains little), or
    # below the lower bound: the exact largest eigenvalue of G (~0.2 ms at N = 64); y stays the next warm start.
    return math.sqrt(max(float(np.linalg.eigvalsh(G)[-1]), 0.0)), y / math.sqrt(y @ y)


def jacobian_products(params: Params, traj: Trajectory, all_singular_values: bool = False) -> JacobianNorms:
    """Singular values of ``dh_T/dh_t`` for every ``t`` (single network, first sequence), in the log domain.

    ``T`` is the last valid step. The product is renormalized at each step (mantissa ``M``, log10 scale). The norm
    comes from warm-started power iteration (``O(N^3)`` for the Gram matrix, then ``O(N^2)`` per iteration);
    ``all_singular_values`` adds a batched SVD per chunk of steps.
    """
    W = params.W_hh
    N = W.shape[-1]
    T = traj.T
    if traj.row_gain is not None:
        raise ValueError("jacobian_products takes a single network without row gains")
    Tv = int(traj.valid_T[0])
    d = traj.derivative(slice(0, 1))[:, 0]  # (T+1, N): diagonal of J_t for the first sequence
    norm = np.full(T + 1, np.nan)
    allsv = np.full((T + 1, N), np.nan) if all_singular_values else None
    chunk = max(1, min(CHUNK, CHUNK_BYTES // (8 * N * N)))
    mats = np.empty((chunk, N, N))
    scales = np.empty(chunk)
    M = np.eye(N)
    scale = 0.0
    y = np.ones(N) / np.sqrt(N)
    generic = START_SHARE * _generic_direction(N)
    n, first = 0, Tv
    compiled = kernels.ENABLED
    if compiled:  # one BLAS product and one compiled call a step (scaling, power iteration, next left factor)
        W = np.ascontiguousarray(W, dtype=np.float64)
        d = np.ascontiguousarray(d)
        Md = np.empty((N, N))
    with np.errstate(divide="ignore", under="ignore"):
        for t in range(Tv, -1, -1):
            if compiled:
                if t < Tv:
                    np.dot(Md, W, out=M)  # dh_T/dh_t = dh_T/dh_{t+1} · J_{t+1}; Md = dh_T/dh_{t+1} diag(d_{t+1})
                m, rho = kernels.jacobian_step(M, d[t], Md, y, generic, START_SHARE, POWER_TOL / 4, 4 * POWER_MAX_ITER)
                if t < Tv:
                    scale = scale + math.log10(m) if m > 0 else -math.inf
                if math.isfinite(scale):
                    if rho < 0:  # not certain: the exact largest eigenvalue of G
                        rho = max(float(np.linalg.eigvalsh(M @ M.T)[-1]), 0.0)
                    norm[t] = 0.5 * math.log10(rho) + scale if rho > 0 else -math.inf
                else:
                    norm[t] = -np.inf
            else:
                if t < Tv:
                    M = (M * d[t + 1]) @ W  # dh_T/dh_t = dh_T/dh_{t+1} · J_{t+1}
                    m = float(np.abs(M).max())  # (methods and math: the per-call overhead is the cost at N = 64)
                    if m > 0:
                        M /= m
                        scale += math.log10(m)
                    else:
                        scale = -math.inf
                if math.isfinite(scale):
                    sigma, y = _top_singular_value(M, y, generic)
                    norm[t] = math.log10(sigma) + scale if sigma > 0 else -math.inf
                else:
                    norm[t] = -np.inf
            if allsv is None:
                continue
            mats[n] = M
            scales[n] = scale
            n += 1
            if n == chunk or t == 0:
                rows = np.arange(first, first - n, -1)  # the steps t held in mats[:n]
                if allsv is not None:
                    allsv[rows] = _log10_sv(mats[:n], scales[:n])
                first -= n
                n = 0
        full = _log10_sv(M[None], np.array([scale]))[0]
    return JacobianNorms(norm, allsv, full)


def _log10_sv(mats: Array, scales: Array) -> Array:
    sv = np.linalg.svd(mats, compute_uv=False)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(scales)[:, None], np.log10(sv) + scales[:, None], -np.inf)
