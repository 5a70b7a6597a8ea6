"""The one place where speed is chosen: faster loops for a (cell, shape), each checked against the generic engine.

The engine (``rnn.forward``, ``bptt.backward``, ``bptt.jacobian_products``, ``spectra.lyapunov_spectrum``) asks this
module once per pass; None means "run the generic loop", which is the definition. A fast path computes the same
numbers to rounding (tests/core/test_fast.py compares every path here with the generic engine) and is taken only
where a benchmark showed that it pays. What it is allowed to assume, and the measurement behind each threshold, is
written in ``THRESHOLDS``.

The vanilla cell, in NumPy: the same two lines per step as ``cells/elman.py``, but

* forward: written into preallocated arrays (``np.matmul(..., out=)``, the activation in place), with the input drive
  ``W_xh x_t + b`` computed for a chunk of steps in one product rather than one small product per step;
* backward: ``delta = act'(h_t) * v_t`` into a buffer and ``v_{t-1} = delta @ W_hh`` written in place, normalized
  once per block of ``RENORMALIZE_EVERY`` steps instead of every step (a block whose norms leave
  ``[1/SAFE, SAFE]``, or vanish to zero, is redone step by step, normalized at every step as the engine does);
* both, for a large batch, in two halves of the batch on two cores at once (the sequences never interact), with
  BLAS held to one thread meanwhile (:class:`SerialBlas`): OpenBLAS's own threads split one product of a few rows
  worse than two Python threads split the rows.

The gated cells (``cells/lstm.py``, ``cells/gru.py``): forward, the same step written in place with the input drive
of a chunk of steps in one product. Everything after it recomputes the gates, and from them the elementwise factors
of the step Jacobians, for a block of steps in one product from the stored states, instead of at every step: the
backward loop (a step is then a few elementwise products and one product with ``W_hh``, normalized once per block as
the vanilla cell's, and the parameter gradients of the block are summed from the same factors), the Jacobian
products (``M J_t`` with the step Jacobian written out, as ``M`` has as many rows as the state) and the Lyapunov
exponents' tangent vectors.

The Jacobian products of any cell with a large state: the power iteration for ``||ds_T/ds_t||_2`` applies ``G^4``
as products with vectors instead of forming ``G^4`` (``THRESHOLDS``).

The linear recurrent unit (``cells/lru.py``), a diagonal linear recurrence ``h_t = lambda h_{t-1} + d_t``: forward,
the drive of all steps in a few products and the recurrence as a blocked scan (no loop over steps); backward, the
gradient does not depend on the states (``dL/dh_{t-1} = conj(lambda) dL/dh_t``), so it is a closed form for the
last-step loss and the same scan for the loss at every step; the Jacobian products are ``|lambda_i|^(T-t)`` exactly.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .cells import GRU, LRU, LSTM, Elman, GRUParams, LRUParams, LSTMParams, Params
from .cells import gru as gru_cell
from .cells import lstm as lstm_cell
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
    # ...and the parameter gradients summed in two halves only up to this many bytes of parameters: each half holds
    # its own sums. An uploaded LSTM of 1024 units with 300 inputs (43 MB) at T = 1000: 241 MB at the peak and 1.24 s
    # in halves, 121 MB and 1.13 s in one thread. The dashboard's own networks stay below 10 MB.
    "halves_max_param_bytes": 2**24,
    # The Jacobian products' power iteration (bptt.top_singular_value) by products of M or M^T with a vector, one G y
    # at a time, from S x S products of this size on, instead of forming G = M M^T, G^2 and G^4 (three S^3 products a
    # step). jacobian_products() at the default T = 100, one BLAS thread, min of 8 interleaved: S = 128 (LSTM N = 64)
    # 18.4 ms against 22.1 (with the rows of J_t below); S = 64: vanilla 7.6 against 8.3, GRU 8.8 against 9.6, but
    # the leaky network 35 against 20 (its steps are near (1 - alpha) I: near-equal top singular values, slow to
    # separate one product at a time, where G^4 takes eight steps of the iteration per check).
    "power_by_products_min_size": 96,
    # ...stopping when the Rayleigh quotient y^T G y rises by less than this (relative), after at most this many
    # products G y (then the exact eigenvalue, as the engine after POWER_MAX_ITER rounds of G^4). Against rounds of
    # G^4 y (stop at a rise of 1e-11 in sigma^8), LSTM N = 64, T = 100: 28.3 ms against 29.5 for analyze(), and closer
    # to the SVD: 4e-14 in log10 at worst over six initializations (the rounds: 1.7e-13). A rise of 1e-12: 28.7 ms,
    # 4e-13. At most 25 products: as slow as the rounds (more exact fallbacks); 100: 31 ms.
    "rayleigh_tol": 1e-13,
    "rayleigh_max_products": 60,
    # The gated cells' parameter gradients (fast.gradients) summed block by block on the second core while the
    # backward chain goes on, with BLAS held to one thread, from this many sequences and multiply-adds a step (B N^2).
    # Interleaved pairs, the host shared with ~1 busy core: (N, T, B) = (128, 1000, 16) 0.78x the time (LSTM), 0.77x
    # (GRU); (128, 300, 16) 0.90x both; below, the hand-over costs more than the second core gives: (128, 500, 8)
    # 1.07x, (128, 300, 4) 1.29x (LSTM) / 1.24x (GRU), (64, 500, 16) 0.86x (LSTM) but 1.04x (GRU), (64, 100, 1) 1.57x.
    "worker_min_rows": 16,
    "worker_min_work": 2**18,
    # The LSTM's gates kept by the forward loop for the backward pass (and the Jacobian products and Lyapunov
    # exponents of analyze()) up to this many bytes, instead of recomputed there from the states (as autograd keeps
    # them): (N, T, B) = (128, 1000, 16), 65.5 MB of gates, forward + gradients 388 ms against 439 (medians of 7
    # interleaved, the host shared with ~1 busy core); an uploaded LSTM of 1024 units at T = 1000 keeps 33 MB.
    "saved_gates_max_bytes": 2**27,
}
DRIVE_CHUNK = THRESHOLDS["drive_chunk"]
RENORMALIZE_EVERY = THRESHOLDS["renormalize_every"]
SAFE = THRESHOLDS["safe"]
LN10 = math.log(10.0)
ENABLED = os.environ.get("RNN_CORE_FAST", "1") != "0"  # "0": the generic engine only (tests compare the two)
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rnn_core") if CORES > 1 else None


def forward_loop(cell: Any, params: Any, x: Array, s: Array, saved: dict[str, Array]) -> Callable[[], bool] | None:
    """A faster forward time loop that fills ``s[1:]`` from ``s[0]`` and returns whether every state is finite, or
    None for the generic one; it may put into ``saved`` what the backward pass would otherwise recompute
    (``Trajectory.saved``)."""
    kind = type(cell)
    if not ENABLED:
        return None
    if kind is Elman:
        finite: list[bool] = []  # one entry per chunk of steps of each half

        def run() -> bool:
            _in_halves(lambda rows: _elman_forward(cell, params, x[..., rows, :], s[..., rows, :], finite), params, s)
            return all(finite)
        return run
    if kind is LRU:
        return lambda: _lru_forward(cell, params, x, s)
    if kind is LSTM:
        return lambda: _lstm_forward(params, x, s, saved)
    if kind is GRU:
        return lambda: _gru_forward(params, x, s)
    return None


def backward_loop(cell: Any, params: Any, traj: Any, v: Array, scale: Array, inject: Array,
                  top: int) -> Callable[[], None] | None:
    """A faster backward loop that fills ``v[:top]`` and ``scale[:top]`` from step ``top``, or None."""
    kind = type(cell)
    if not ENABLED:
        return None
    if kind is Elman:
        def run(rows: slice) -> None:
            valid_T = traj.valid_T[..., rows] if traj.overflowed else None
            _elman_backward(cell, params, traj.s[..., rows, :], valid_T, v[..., rows, :], scale[..., rows],
                            inject[..., rows], top)
        return lambda: _in_halves(run, params, v)
    if kind is LRU:
        return _lru_backward(params, traj, v, scale, inject, top)
    if kind in GATED and not traj.overflowed:  # after an overflow: the engine's loop, which stops each network there
        return lambda: _gated_backward(kind, params, traj, v, scale, inject, top)
    return None


def jacobian_products(params: Any, traj: Any, all_singular_values: bool) -> tuple[Array, Array | None, Array] | None:
    """``bptt.jacobian_products`` in closed form, as ``(log10_norm, log10_sv, log10_sv_full)``, or None.

    The LRU: every step Jacobian is the same normal matrix, ``|lambda_i|`` times a rotation per unit, so the singular
    values of ``ds_T/ds_t`` are ``|lambda_i|^(T-t)``, each twice, exactly (no products, no power iteration; where
    the engine's SVD of the whole product reaches float64's resolution, ~15 decades below the largest, these stay
    exact).
    """
    if not (ENABLED and type(traj.cell) is LRU):
        return None
    log_r = np.repeat(np.sort(params.log10_modulus)[::-1], 2)  # (2N,): log10 |lambda_i|, each twice, descending
    lag = int(traj.valid_T[0]) - np.arange(traj.T + 1)[:, None]  # (T+1, 1): steps from t to the loss's step
    with np.errstate(invalid="ignore"):
        sv = np.where(lag > 0, lag * log_r, 0.0)  # (T+1, 2N); 0 at the loss's step (also for lambda = 0)
    sv[lag[:, 0] < 0] = np.nan  # past an overflow
    return sv[:, 0].copy(), sv if all_singular_values else None, sv[0].copy()


def top_singular_value(S: int) -> Callable[[Array, Array], tuple[float, Array]] | None:
    """A faster ``bptt.top_singular_value`` for S x S products, or None (see ``THRESHOLDS``)."""
    if not (ENABLED and S >= THRESHOLDS["power_by_products_min_size"]):
        return None
    from . import bptt  # the engine's start (bptt imports this module)

    start = bptt.START_SHARE * bptt._generic_direction(S)
    return lambda M, y: _top_singular_value_by_products(M, y, start, bptt.START_SHARE)


def _top_singular_value_by_products(M: Array, y: Array, generic: Array, share: float) -> tuple[float, Array]:
    """``bptt.top_singular_value`` by products of ``M`` or ``M^T`` with a vector instead of forming ``G = M M^T``
    and ``G^4``: the same start (``y``, the heaviest row's direction and ``generic``), the same lower-bound check and
    exact fallback, but ``G`` applied one product pair at a time, ``w = M^T y`` then ``z = M w``. The first half gives
    the Rayleigh quotient ``y^T G y = w^T w`` of every iterate for free, so the iteration stops as soon as it rises by
    less than ``THRESHOLDS["rayleigh_tol"]`` (relative) instead of after whole rounds of ``G^4``."""
    tol, most = THRESHOLDS["rayleigh_tol"], THRESHOLDS["rayleigh_max_products"]
    Mt = M.T  # M^T z by BLAS's transposed product: 1.6 us at S = 128, where a contiguous copy of M^T takes 15
    rows = np.einsum("ij,ij->i", M, M)  # diag(G): the squared norms of M's rows
    k = int(rows.argmax())
    heavy = M.dot(M[k])  # G[:, k]
    y = y + (share / math.sqrt(heavy.dot(heavy))) * heavy + generic
    y /= math.sqrt(y.dot(y))
    rho_before = 0.0
    for _ in range(most):
        w = Mt.dot(y)
        rho = float(w.dot(w))  # y^T G y: rises to sigma_max^2 (G is positive semi-definite)
        if rho - rho_before <= tol * rho:
            if rho >= float(rows[k]):
                return math.sqrt(rho), y
            break
        rho_before = rho
        z = M.dot(w)  # G y
        n = math.sqrt(z.dot(z))
        if n == 0.0:
            break
        y = z / n
    return math.sqrt(max(float(np.linalg.eigvalsh(M @ M.T)[-1]), 0.0)), y


def cotangent_map(cell: Any, params: Any, traj: Any) -> Callable[[Array, int], Array] | None:
    """A faster ``cell.backward`` for ``bptt.jacobian_products``, or None: ``(M, t) -> M J_t``, the rows of ``M``
    times the Jacobian of step ``t`` along the first sequence, for the gated cells. ``M`` has as many rows as the
    state, so the step Jacobian is written out first (:func:`_lstm_times_J`, :func:`_gru_times_J`), from the factors
    of a chunk of steps computed in one call (:func:`_step_factors`) instead of the gates at every step."""
    kind = type(cell)
    if not (ENABLED and kind in GATED):
        return None
    N = params.hidden_size
    W = np.ascontiguousarray(params.W_hh.reshape(-1, N, N).transpose(1, 0, 2))  # unit i's rows of the gate blocks
    if kind is LSTM:
        at = _step_factors(lambda *a: _lstm_columns(W, *a), params, traj, 2 * N * N)
        return lambda M, t: _lstm_times_J(*at(t), M)
    at = _step_factors(lambda *a: _gru_jacobians(W, *a), params, traj, N * N)
    return lambda M, t: M @ at(t)[0]


def gradients(params: Any, traj: Any, inject: Array) -> tuple[Any, Any] | None:
    """``bptt.gradients`` in one pass, or None: the backward loop adds up the parameter gradients of each block of
    steps as it goes, from the deltas it has just computed (as min-char-rnn adds ``dWhh`` in its backward loop),
    instead of a second pass that recomputes them (and, for the gated cells, the gates) from the stored gradients."""
    cell = traj.cell
    kind = type(cell)
    if not (ENABLED and traj.valid_T.ndim == 1 and (kind is Elman or (kind in GATED and not traj.overflowed))):
        return None
    s, x = traj.s, traj.x
    v, scale = np.zeros(s.shape), np.full(s.shape[:-1], -np.inf)
    top = int(traj.valid_T.max())
    total = None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if kind is Elman:
            halves: dict[int, Any] = {}

            def run(rows: slice) -> None:
                add_readout(v[top, rows], scale[top, rows], params.u[None], inject[top, rows])
                halves[rows.start or 0] = _elman_backward(
                    cell, params, s[:, rows], traj.valid_T[rows] if traj.overflowed else None, v[:, rows],
                    scale[:, rows], inject[:, rows], top, x[:, rows])

            _in_halves(run, params, v)
            for start in sorted(halves):
                total = add_sums(total, halves[start])
        else:
            add_readout(v[top], scale[top], cell.readout(params)[None], inject[top])
            total = _gated_backward(kind, params, traj, v, scale, inject, top, param_sums=True)
    steps = np.arange(traj.T + 1)[:, None]
    grad = LogGrad(v, np.where(steps <= traj.valid_T, scale, np.nan))
    if total is None:  # every gradient exactly zero: zeros shaped like the parameters (the readout excluded)
        zeros = {f.name: np.zeros_like(getattr(params, f.name)) for f in fields(params) if f.name != "u"}
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

    for end, t in _blocks(top, any_inject):
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
    if x is not None:
        flush(0)
    return total


def _blocks(top: int, any_inject: Array):  # -> Iterator[tuple[int, int]]
    """The backward loops' blocks ``(end, t)``, from the loss back: ``v[t]`` and ``scale[t]`` are final, and the
    block computes steps ``end..t-1``, at most ``RENORMALIZE_EVERY`` of them, ending early at a step where the loss
    reads the state (``any_inject``)."""
    t = top
    while t > 0:
        end = max(0, t - RENORMALIZE_EVERY)
        later = np.flatnonzero(any_inject[end:t])
        if later.size:
            end += int(later[-1])
        yield end, t
        t = end


# ----------------------------------------------------------------------------------------------------------------
# The linear recurrent unit: a diagonal linear recurrence, so a scan instead of a time loop, and closed forms


def _lru_forward(cell: LRU, p: LRUParams, x: Array, s: Array) -> bool:
    """``s[t] = lambda s[t-1] + gamma (B x_t)``: the drive of a chunk of steps in one product (``[B_re; B_im]``),
    written into ``s``, then :func:`_diagonal_scan`. A non-finite state stays non-finite (every later state adds
    lambda times it, and 0 * inf is NaN), so the last state tells whether all are finite; after an overflow the time
    loop is redone step by step, so that the first non-finite step is the engine's."""
    T = x.shape[0]
    B = np.concatenate([p.B_re, p.B_im], axis=-2).mT  # (..., D, 2N): x_t B^T gives [Re, Im] as the state
    gamma = np.concatenate([p.gamma, p.gamma], axis=-1)[..., None, :]  # (..., 1, 2N)
    chunk = max(1, DRIVE_CHUNK // s[0].size)
    for t0 in range(0, T, chunk):
        rows = s[t0 + 1:t0 + 1 + chunk]  # (L, ..., B, 2N): the states of steps t0+1..
        np.matmul(x[t0:t0 + chunk], B, out=rows)
        rows *= gamma  # gamma * (B x_t), as LRU.step
    _diagonal_scan(p.lam, s)
    if np.isfinite(s[-1]).all():
        return True
    for t in range(1, T + 1):  # the engine's loop
        s[t] = cell.step(p, s[t - 1], x[t - 1])
    return False


def _diagonal_scan(lam: Array, s: Array) -> None:
    """In place, ``s[t] = lambda * s[t-1] + s[t]`` for t = 1..T: ``lam`` (..., N) complex, one per unit, acting on
    states kept as ``[Re, Im]`` halves, ``s`` (T+1, ..., B, 2N); ``s[0]`` is the initial state, ``s[t]`` the drive.

    In blocks of ``L ~ sqrt(T)`` steps: first within every block at once from a zero state (``L - 1`` steps, each a
    vectorized step of all the blocks), then block by block, in order, the state entering the block times
    ``lambda^k`` added to its k-th step. The powers are repeated products, as the time loop's: ``|lambda| <= 1`` only
    shrinks them (no overflow), and ``lambda = 0`` gives 1, 0, 0, ...
    """
    T, N = s.shape[0] - 1, s.shape[-1] // 2
    L = max(1, math.isqrt(T))
    a, b = lam.real[..., None, :], lam.imag[..., None, :]  # (..., 1, N): the same lambda for every sequence
    re, im = s[..., :N], s[..., N:]
    for k in range(1, L):  # step k+1 of every block (rows 1+k, 1+k+L, ...) from its step k
        cur_re, cur_im = re[1 + k::L], im[1 + k::L]
        n = len(cur_re)
        prev_re, prev_im = re[k::L][:n], im[k::L][:n]
        cur_re += a * prev_re - b * prev_im
        cur_im += b * prev_re + a * prev_im
    powers = np.cumprod(np.broadcast_to(lam[..., None, :], (L, *a.shape)), axis=0)  # lambda^1..lambda^L
    p_re, p_im = np.ascontiguousarray(powers.real), np.ascontiguousarray(powers.imag)
    tmp = np.empty((2, L, *s.shape[1:-1], N))  # scratch, so that a block makes no temporaries
    for start in range(1, T + 1, L):  # the block of steps start..start+L-1
        rows = s[start:start + L]
        n = len(rows)
        c_re, c_im = re[start - 1], im[start - 1]  # the state entering the block (final: the blocks go in order)
        t1, t2 = tmp[0, :n], tmp[1, :n]
        np.multiply(p_re[:n], c_re, out=t1)
        t1 -= np.multiply(p_im[:n], c_im, out=t2)
        rows[..., :N] += t1  # Re(lambda^k c)
        np.multiply(p_im[:n], c_re, out=t1)
        t1 += np.multiply(p_re[:n], c_im, out=t2)
        rows[..., N:] += t1  # Im(lambda^k c)


def _lru_backward(p: LRUParams, traj: Any, v: Array, scale: Array, inject: Array,
                  top: int) -> Callable[[], None] | None:
    """The LRU's gradient needs no states: ``dL/dh_{t-1} = conj(lambda) dL/dh_t`` per unit (``LRU.backward`` in
    complex form), plus the readout where the loss reads ``h_{t-1}``. Every sequence read at ``top`` alone (the loss
    'last'): :func:`_lru_last`, a closed form. Read at every valid step from 1 (the loss 'all'): :func:`_lru_all`, the
    forward pass's scan. Any other readout: None."""
    steps = np.arange(traj.T + 1).reshape(-1, *([1] * traj.valid_T.ndim))
    if inject[top].all() and not inject[:top].any():
        return lambda: _lru_last(p, v, scale, top)
    if np.array_equal(inject, (steps >= 1) & (steps <= traj.valid_T)):
        return lambda: _lru_all(p, v, scale, inject, top)
    return None


def _lru_last(p: LRUParams, v: Array, scale: Array, top: int) -> None:
    """``dL/dh_t = conj(lambda)^n u`` with ``n = top - t`` steps to the loss (``u`` in complex form, unit by unit), in
    the log domain: ``log10 |.| = n log10|lambda_i| + log10|u_i|`` and the phase ``arg u_i - n arg lambda_i``.

    Each step's mantissa is taken relative to its largest unit (exponents <= 0: nothing overflows; a unit below 1e-300
    of the largest is set to 0, far below what its norm resolves, as ``exp()`` takes 35x as long where its result is
    subnormal). The phase is ``e^{i(arg u - n0 arg lambda)}`` per chunk of steps times ``e^{-i k arg lambda}`` from
    tables of ``cos`` and ``sin`` (they take 14-100 ns a value, so never for every value), in real arithmetic
    (NumPy's complex product took 3x as long as the four real ones).
    """
    N = p.hidden_size
    u = p.u[..., :N] + 1j * p.u[..., N:]  # (..., N): the readout as complex numbers
    with np.errstate(divide="ignore"):
        log_u = np.log10(np.abs(u))  # -inf for a unit the readout does not see
    log_r, phi = p.log10_modulus, np.angle(p.lam)  # of the lambda the arithmetic uses; log_r = -inf for lambda = 0
    rows = max(1, min(top, DRIVE_CHUNK // (2 * log_r.size)))  # steps per chunk
    k = np.arange(rows).reshape(-1, *([1] * log_r.ndim))
    cos_k, sin_k = np.cos(k * phi), np.sin(k * phi)  # (rows, ..., N): e^{-i k arg lambda} = cos_k - i sin_k
    log_g, tmp = np.empty(cos_k.shape), np.empty(cos_k.shape)  # scratch
    back, back_scale = v[top::-1], scale[top::-1]  # [n]: n steps before the loss (n = 0 is the engine's v[top])
    for n0 in range(1, top + 1, rows):
        L = min(rows, top + 1 - n0)
        lg, tm = log_g[:L], tmp[:L]
        np.multiply(n0 + k[:L], log_r, out=lg)
        lg += log_u  # log10 |dL/dh_t| per unit; n >= 1, so lambda = 0 gives -inf, not NaN
        ref = lg.max(axis=-1, keepdims=True)  # (L, ..., 1): the largest unit's
        ok = np.isfinite(ref)  # False: lambda = 0 for every unit the readout sees, an exact zero
        lg -= np.where(ok, ref, 0.0)
        np.maximum(lg, -300.0, out=lg)  # relative to the largest unit, cut at 1e-300
        mag = np.multiply(lg, LN10, out=tm)
        np.exp(mag, out=mag)
        mag[lg == -300.0] = 0.0
        beta = np.angle(u) - n0 * phi  # the phase at the chunk's first step
        c, s = np.cos(beta), np.sin(beta)
        rows_n = back[n0:n0 + L]  # (L, ..., B, 2N): the same for every sequence, made for the first
        m = rows_n[..., 0, :]  # [Re, Im] as the state
        re, im = m[..., :N], m[..., N:]
        np.multiply(cos_k[:L], c, out=re)  # (c + i s)(cos_k - i sin_k), times the modulus
        re += np.multiply(sin_k[:L], s, out=lg)
        re *= mag
        np.multiply(cos_k[:L], s, out=im)
        im -= np.multiply(sin_k[:L], c, out=lg)
        im *= mag
        norm = np.sqrt(np.einsum("...i,...i->...", m, m))[..., None]  # >= 1 where ok
        m /= np.where(ok, norm, 1.0)
        rows_n[..., 1:, :] = m[..., None, :]
        with np.errstate(divide="ignore"):
            back_scale[n0:n0 + L] = np.where(ok, ref + np.log10(norm), -np.inf)


def _lru_all(p: LRUParams, v: Array, scale: Array, inject: Array, top: int) -> None:
    """``dL/dh_{t-1} = conj(lambda) dL/dh_t + u`` (where the loss reads ``h_{t-1}``) by :func:`_diagonal_scan` from
    step ``top`` down, on plain floats: per unit a sum of powers ``sum_k conj(lambda)^k u_i`` of at most ``T + 1``
    terms whose modulus stays above ``|u_i| (1 - |lambda_i|) / 2`` (nowhere near float64's limits), then normalized.
    At ``t = 0``, which the loss does not read, ``conj(lambda) dL/dh_1`` may be tiny or zero: ``normalize`` takes care
    of that."""
    engine_top = v[top].copy()  # the engine's mantissa at the loss's last step, restored below
    with np.errstate(under="ignore"):
        v[top] *= np.where(np.isfinite(scale[top]), 10.0 ** scale[top], 0.0)[..., None]  # dL/ds_top itself
    v[:top] = inject[:top, ..., None] * p.u[..., None, :]  # the loss's own term at each step it reads
    _diagonal_scan(np.conj(p.lam), v[top::-1])  # from step top down: rows top, top-1, ..., 0
    v[top] = engine_top
    normalize(v[:top], 0.0, v[:top], scale[:top])


# ----------------------------------------------------------------------------------------------------------------
# The gated cells: forward, the input drive of a chunk of steps in one product; after it, the factors of the step
# Jacobians of a block of steps from the stored states in one product, then per step one product with W_hh

sigmoid = lstm_cell.sigmoid  # the cells' own overflow-free sigmoid


def _lstm_forward(p: LSTMParams, x: Array, s: Array, saved: dict[str, Array]) -> bool:
    """``LSTM.step`` in place: ``a_t = h_{t-1} W_hh^T + (x_t W_ih^T + b_ih + b_hh)``, the drive of a chunk of steps in
    one product; the gates into ``saved["gates"][t - 1]`` (kept for the backward pass, as autograd keeps them, up to
    ``THRESHOLDS["saved_gates_max_bytes"]``; else into one buffer); ``c_t`` and ``h_t`` into ``s[t]``. Returns whether
    all states are finite (judged a chunk at a time, as the vanilla cell's)."""
    T, N = x.shape[0], p.hidden_size
    W = np.ascontiguousarray(p.W_hh.mT)  # (..., N, 4N)
    b = (p.b_ih + p.b_hh)[..., None, :]
    a = np.empty((*s.shape[1:-1], 4 * N))  # a_t, rows [a_i, a_f, a_g, a_o], reused
    keep = T * a.size * 8 <= THRESHOLDS["saved_gates_max_bytes"]
    if keep:
        saved["gates"] = np.empty((T, *a.shape))  # (T, ..., B, 4N): the gates of step t at t - 1
    z = np.empty_like(a)  # the gates of the step, when they are not kept
    finite = True
    chunk = max(1, DRIVE_CHUNK // a.size)
    for t0 in range(0, T, chunk):
        drive = x[t0:t0 + chunk] @ p.W_ih.mT + b  # (L, ..., B, 4N)
        for t in range(t0 + 1, t0 + len(drive) + 1):
            if keep:
                z = saved["gates"][t - 1]
            i, f, g, o = (z[..., k * N:(k + 1) * N] for k in range(4))
            h, c = s[t, ..., :N], s[t, ..., N:]
            np.matmul(s[t - 1, ..., :N], W, out=a)
            a += drive[t - 1 - t0]
            sigmoid.f(a, z)  # i, f, o (the g block is overwritten next)
            np.tanh(a[..., 2 * N:3 * N], out=g)
            np.multiply(f, s[t - 1, ..., N:], out=c)  # c_t = f * c_{t-1} + i * g
            c += np.multiply(i, g, out=h)  # (h as scratch)
            np.tanh(c, out=h)  # h_t = o * tanh(c_t)
            h *= o
        finite = finite and bool(np.isfinite(s[t0 + 1:t0 + len(drive) + 1].sum()))
    return finite


def _gru_forward(p: GRUParams, x: Array, s: Array) -> bool:
    """``GRU.step`` in place: the input's part ``x_t W_ih^T + b_ih`` of a chunk of steps in one product, the recurrent
    part ``h_{t-1} W_hh^T + b_hh`` into a buffer, ``h_t = n + z (h_{t-1} - n)`` into ``s[t]``."""
    T, N = x.shape[0], p.hidden_size
    W, b_hh = np.ascontiguousarray(p.W_hh.mT), p.b_hh[..., None, :]  # (..., N, 3N), (..., 1, 3N)
    a = np.empty((*s.shape[1:-1], 3 * N))  # the recurrent part [h_r, h_z, h_n], then scratch
    rz = np.empty((*s.shape[1:-1], 2 * N))  # the gates r, z
    r, z = rz[..., :N], rz[..., N:]
    finite = True
    chunk = max(1, DRIVE_CHUNK // a.size)
    for t0 in range(0, T, chunk):
        drive = x[t0:t0 + chunk] @ p.W_ih.mT + p.b_ih[..., None, :]  # (L, ..., B, 3N): [x_r, x_z, x_n]
        for t in range(t0 + 1, t0 + len(drive) + 1):
            h_prev, h, x_t = s[t - 1], s[t], drive[t - 1 - t0]
            np.matmul(h_prev, W, out=a)
            a += b_hh
            a[..., :2 * N] += x_t[..., :2 * N]
            sigmoid.f(a[..., :2 * N], rz)  # r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
            np.multiply(r, a[..., 2 * N:], out=h)
            h += x_t[..., 2 * N:]
            np.tanh(h, out=h)  # n = tanh(x_n + r * h_n)
            d = np.subtract(h_prev, h, out=a[..., :N])
            d *= z
            h += d  # h_t = (1 - z) n + z h_{t-1}
        finite = finite and bool(np.isfinite(s[t0 + 1:t0 + len(drive) + 1].sum()))
    return finite


def _lstm_factors(p: LSTMParams, s_prev: Array, s: Array, x: Array, saved: dict[str, Array]) -> list[Array]:
    """The elementwise factors of ``J_t^T`` at the steps from ``s_prev`` to ``s`` with inputs ``x`` (any leading axes),
    as in ``LSTM._chain``: ``k_h = o (1 - tanh(c_t)^2)`` (from h_t into c_t), ``K = [g i(1-i), c_{t-1} f(1-f),
    i(1-g^2)]`` (..., 3, N) (``dL/da_{i,f,g} = dL/dc_t * K``), ``k_o = tanh(c_t) o(1-o)`` (``dL/da_o = dh * k_o``)
    and ``f``; the gates from ``saved`` when the forward loop kept them (:func:`_saved_steps`)."""
    N, shape = p.hidden_size, s.shape[:-1]
    if "gates" in saved:
        s_prev, s, gates = _as_rows(p, s_prev, s, saved["gates"])
        i, f, g, o = (gates[..., k * N:(k + 1) * N] for k in range(4))
    else:
        s_prev, s, x = _as_rows(p, s_prev, s, x)
        i, f, g, o = lstm_cell.gates(p, s_prev[..., :N], x)
    c_prev, tanh_c = s_prev[..., N:], np.tanh(s[..., N:])
    K = np.stack([g * i * (1.0 - i), c_prev * f * (1.0 - f), i * (1.0 - g**2)], axis=-2)
    return [a.reshape(*shape, *a.shape[s.ndim - 1:]) for a in (o * (1.0 - tanh_c**2), K, tanh_c * o * (1.0 - o), f)]


def _lstm_vjp(W_hh: Array, F: tuple[Array, ...], ds: Array, out: Array, delta: Array) -> Array:
    """``out = J_t^T ds`` for rows ``ds = [dh, dc]`` from the factors ``F`` of step t (``LSTM.backward``); ``delta``
    (..., R, 4, N) is scratch for ``dL/da_t``."""
    k_h, K, k_o, f = F
    N = k_h.shape[-1]
    dh, dc = ds[..., :N], ds[..., N:]
    dc_t = out[..., N:]  # the whole dL/dc_t (directly and through h_t), then dL/dc_{t-1} = dc_t * f
    np.multiply(dh, k_h, out=dc_t)
    dc_t += dc
    np.multiply(dc_t[..., None, :], K, out=delta[..., :3, :])
    np.multiply(dh, k_o, out=delta[..., 3, :])
    np.matmul(delta.reshape(*delta.shape[:-2], 4 * N), W_hh, out=out[..., :N])  # dL/dh_{t-1} = W_hh^T delta
    dc_t *= f
    return out


def _lstm_times_J(J: Array, right: Array, M: Array) -> Array:
    """``M J_t`` for rows ``M`` (R, 2N), with the step Jacobian of the state ``[h, c]`` written out (one sequence)::

        J_t = [[dh_t/dh_{t-1}, diag(k_h f)],      dc_t/dh_{t-1} = A = sum over the blocks i, f, g of diag(K) W_block
               [dc_t/dh_{t-1}, diag(f)     ]]     dh_t/dh_{t-1} = diag(k_h) A + diag(k_o) W_o

    so that ``M`` meets one 2N x N matrix (the first block column ``J``, :func:`_lstm_columns`) instead of 4N gate rows
    through ``delta``: half the multiply-adds of ``LSTM.backward`` on 2N rows. ``right`` is ``[k_h f, f]`` (2, N)."""
    N = J.shape[-1]
    out = np.empty_like(M)
    np.matmul(M, J, out=out[:, :N])
    # the second block column, M_h k_h f + M_c f, as one call (three on the strided halves of M take twice as long)
    np.einsum("rbi,bi->ri", M.reshape(len(M), 2, N), right, out=out[:, N:])
    return out


def _lstm_columns(W: Array, p: LSTMParams, s_prev: Array, s: Array, x: Array, saved: dict[str, Array]) -> list[Array]:
    """For a chunk of steps of one sequence: the first block column of each step's Jacobian (L, 2N, N) and the factors
    of its second, ``[k_h f, f]`` (L, 2, N) (:func:`_lstm_times_J`). ``W`` (N, 4, N) holds unit i's rows of the gate
    blocks of W_hh; each row of the column is a combination of them: row i of dc_t/dh_{t-1} is ``sum_b K[b, i] W_b[i]``
    and row i of dh_t/dh_{t-1} is ``k_h[i] sum_b K[b, i] W_b[i] + k_o[i] W_o[i]``."""
    k_h, K, k_o, f = (a[:, 0] for a in _lstm_factors(p, s_prev, s, x, saved))  # (L, N), (L, 3, N), (L, N)
    L, N = f.shape
    coef = np.zeros((N, 2, L, 4))  # unit, row block (dh, dc), step, gate block
    coef[:, 0, :, :3] = (k_h[:, None] * K).transpose(2, 0, 1)
    coef[:, 0, :, 3] = k_o.T
    coef[:, 1, :, :3] = K.transpose(2, 0, 1)
    return [_gate_rows(coef, W).reshape(L, 2 * N, N), np.stack([k_h * f, f], axis=1)]


def _gru_jacobians(W: Array, p: GRUParams, h_prev: Array, h: Array, x: Array, saved: dict[str, Array]) -> list[Array]:
    """For a chunk of steps of one sequence: each step's Jacobian ``J_t = sum over the blocks r, z, n of
    diag(K) W_block + diag(z)`` (L, N, N), from ``W`` (N, 3, N), unit i's rows of the gate blocks of W_hh: one N x N
    matrix for the rows of ``M`` instead of 3N gate rows through ``delta``."""
    K, z, _ = (a[:, 0] for a in _gru_factors(p, h_prev, h, x, saved))  # (L, 3, N), (L, N)
    L, N = z.shape
    J = _gate_rows(np.ascontiguousarray(K.transpose(2, 0, 1))[:, None], W)[:, 0]
    J.reshape(L, N * N)[:, ::N + 1] += z
    return [J]


def _gate_rows(coef: Array, W: Array) -> Array:
    """``out[t, r, i] = sum_b coef[i, r, t, b] W[i, b]``: rows of a chunk of step Jacobians as combinations of the gate
    blocks' rows, (N, R, L, B) coefficients (contiguous: BLAS's layout) and (N, B, N) rows -> (L, R, N, N), as one
    product per hidden unit over all steps, written straight into place (LSTM N = 64: 3.7 us a step, where each step's
    own einsum and products take 14)."""
    N, R, L, _ = coef.shape
    out = np.empty((L, R, N, N))
    np.matmul(coef, W[:, None], out=out.transpose(2, 1, 0, 3))
    return out


def _gru_factors(p: GRUParams, h_prev: Array, h: Array, x: Array, saved: dict[str, Array]) -> list[Array]:
    """As ``GRU._chain``: ``K = [k_n h_n r(1-r), (h_{t-1} - n) z(1-z), k_n r]`` (..., 3, N) with
    ``k_n = (1-z)(1-n^2)``, so that ``dL/d[h_r, h_z, h_n] = dh * K`` (what ``W_hh`` sees), ``z`` and ``k_n``
    (``dL/dx_n = dh * k_n``, what ``W_ih`` sees on the n block)."""
    shape = h.shape[:-1]
    h_prev, h, x = _as_rows(p, h_prev, h, x)
    r, z, n, h_n = gru_cell.gates(p, h_prev, x)
    k_n = (1.0 - z) * (1.0 - n**2)
    K = np.stack([k_n * h_n * r * (1.0 - r), (h_prev - n) * z * (1.0 - z), k_n * r], axis=-2)
    return [a.reshape(*shape, *a.shape[h.ndim - 1:]) for a in (K, z, k_n)]


def _as_rows(p: Any, *arrays: Array) -> tuple[Array, ...]:
    """For a single network, each array (steps, ..., B, K) as one matrix of rows: NumPy multiplies a stack of
    matrices by ``W`` one matrix at a time (16 steps of 16 rows by a 128 x 384 matrix: 0.65 ms, as 256 rows: 0.33)."""
    if p.W_hh.ndim > 2:  # a stack of networks: each its own W
        return arrays
    return tuple(a.reshape(-1, a.shape[-1]) for a in arrays)


def _gru_vjp(W_hh: Array, F: tuple[Array, ...], dh: Array, out: Array, delta: Array) -> Array:
    """``out = J_t^T dh`` from the factors of step t (``GRU.backward``); ``delta`` (..., R, 3, N) is scratch."""
    K, z, _ = F
    np.multiply(dh[..., None, :], K, out=delta)
    np.matmul(delta.reshape(*delta.shape[:-2], 3 * z.shape[-1]), W_hh, out=out)  # through the gates
    out += dh * z  # and along z * h_{t-1}
    return out


def _lstm_jvp(W_hh: Array, F: tuple[Array, ...], q: Array) -> Array:
    """``J_t q`` for columns ``q = [q_h; q_c]`` (2N, k) from the factors of step t (one sequence), as ``LSTM.jvp``."""
    k_h, K, k_o, f = (a[0, ..., None] for a in F)  # as columns: (N, 1), K (3, N, 1)
    N = f.shape[0]
    a = (W_hh @ q[:N]).reshape(4, N, -1)  # the tangent of a_t, per gate block
    dc = f * q[N:] + (K * a[:3]).sum(axis=0)
    return np.concatenate([k_h * dc + k_o * a[3], dc])


def _gru_jvp(W_hh: Array, F: tuple[Array, ...], q: Array) -> Array:
    """``J_t q`` for columns ``q`` (N, k) from the factors of step t (one sequence), as ``GRU.jvp``:
    ``sum over the blocks of K * (W_hh q) + z q``."""
    K, z, _ = (a[0, ..., None] for a in F)
    return (K * (W_hh @ q).reshape(3, z.shape[0], -1)).sum(axis=0) + z * q


def _step_factors(factors: Callable[..., list[Array]], p: Any, traj: Any,
                  step_values: int | None = None) -> Callable[[int], tuple[Array, ...]]:
    """``at(t)``: the factors of step t along the first sequence (each with a batch axis of one), computed for a chunk
    of steps at once when a step of it is first asked for (the engine goes through the steps in order, forward or
    backward), so that a long sequence never holds the factors of all its steps (~1 MiB a chunk, from ``step_values``
    numbers a step; by default the factors' few vectors of the state's size)."""
    s, x = traj.s[:, :1], traj.x[:, :1]  # the first sequence, as a batch of one
    L = max(1, DRIVE_CHUNK // (step_values or 8 * s.shape[-1]))  # steps per chunk
    chunk: dict[int, list[tuple[Array, ...]]] = {}

    def at(t: int) -> tuple[Array, ...]:
        c = (t - 1) // L
        if c not in chunk:
            chunk.clear()
            t0, t1 = c * L, min(c * L + L, len(x))  # steps t0+1 .. t1
            F = factors(p, s[t0:t1], s[t0 + 1:t1 + 1], x[t0:t1], _saved_steps(traj, t0, t1, first=True))
            chunk[c] = list(zip(*F, strict=True))
        return chunk[c][t - 1 - c * L]
    return at


def _saved_steps(traj: Any, lo: int, hi: int, first: bool = False) -> dict[str, Array]:
    """What the forward loop kept (``Trajectory.saved``) for the steps lo+1..hi, of the first sequence with ``first``
    (as ``_step_factors`` takes it)."""
    return {name: a[lo:hi, ..., :1, :] if first else a[lo:hi] for name, a in traj.saved.items()}


# cell -> (factors of a block of steps, the step's vjp from them, row blocks of dL/da_t)
GATED: dict[type, tuple[Callable[..., list[Array]], Callable[..., Array], int]] = {
    LSTM: (_lstm_factors, _lstm_vjp, 4),
    GRU: (_gru_factors, _gru_vjp, 3),
}
GATED_JVP = {LSTM: _lstm_jvp, GRU: _gru_jvp}


def _gated_backward(kind: type, p: Any, traj: Any, v: Array, scale: Array, inject: Array, top: int,
                    param_sums: bool = False) -> tuple[float, dict[str, Array]] | None:
    """The engine's backward loop for a gated cell (no overflow), normalized once per block of ``RENORMALIZE_EVERY``
    steps as the vanilla cell's (a block that leaves ``[1/SAFE, SAFE]`` or hits an exact zero is redone step by step),
    with the factors of a block's steps in one call. With ``param_sums`` (a single network), also the parameter
    gradients, as ``(log10 scale, {name: mantissa})``: each block's from the factors it has just used, on the second
    core while the chain goes on where that pays (``THRESHOLDS``)."""
    factors, vjp, blocks = GATED[kind]
    s, x = traj.s, traj.x
    u = kind().readout(p)[..., None, :]
    delta = np.empty((*v.shape[1:-1], blocks, p.hidden_size))  # dL/da_t, reused
    any_inject = inject.reshape(inject.shape[0], -1).any(axis=1)
    B = v.shape[-2]
    worker = (param_sums and _pool is not None and serial_blas.setter is not None
              and B >= THRESHOLDS["worker_min_rows"] and B * p.hidden_size**2 >= THRESHOLDS["worker_min_work"])
    sums: list[Any] = []  # each block's parameter sums, or the worker's future of them
    with serial_blas if worker else contextlib.nullcontext():
        for end, t in _blocks(top, any_inject):
            F = factors(p, s[end:t], s[end + 1:t + 1], x[end:t], _saved_steps(traj, end, t))  # steps end+1..t
            F_step = list(zip(*F, strict=True))  # F_step[k]: step end+1+k
            g = v[t]
            for tau in range(t, end, -1):
                g = vjp(p.W_hh, F_step[tau - end - 1], g, v[tau - 1], delta)  # J_tau^T g, not normalized
            block = v[end:t]  # (L, ..., B, S): raw products relative to 10**scale[t]
            n = np.sqrt(np.einsum("...i,...i->...", block, block))
            if n.min() > 1 / SAFE and n.max() < SAFE:  # the common case (NaN fails both comparisons)
                scale[end:t] = scale[t] + np.log10(n)
                block /= n[..., None]
            else:  # out of float64's comfortable range, or an exact zero: step by step, exactly
                for tau in range(t, end, -1):
                    g = vjp(p.W_hh, F_step[tau - end - 1], v[tau], v[tau - 1], delta)
                    normalize(g, scale[tau], v[tau - 1], scale[tau - 1])
            if param_sums:  # the steps end+1..t: their dL/ds_t are final now, and nothing writes them again
                args = (kind, p, F, v[end + 1:t + 1], scale[end + 1:t + 1], s[end:t], x[end:t])
                sums.append(_pool.submit(_as_here(_block_param_sums_of), args) if worker else _block_param_sums(*args))
            if any_inject[end]:
                add_readout(v[end], scale[end], u, inject[end])
        total = None
        for item in sums:  # in the order of the blocks
            total = add_sums(total, item.result() if worker else item)
    return total


def _block_param_sums_of(args: tuple) -> tuple[float, dict[str, Array]] | None:
    return _block_param_sums(*args)


def _block_param_sums(kind: type, p: Any, F: list[Array], v: Array, scale: Array, s_prev: Array,
                      x: Array) -> tuple[float, dict[str, Array]] | None:
    """The parameter gradients of a block of steps, relative to its largest ``dL/ds_t`` (``10**ref``), from the
    factors ``F`` of its steps: ``dL/da_t`` as in ``LSTM._chain`` / ``GRU._chain``, then ``delta^T x_t``,
    ``delta^T h_{t-1}`` and ``sum delta`` as in the cells' ``param_grads`` (every step and row in one product)."""
    ref = float(scale.max())
    if ref == -np.inf:
        return None
    with np.errstate(under="ignore"):
        g = v * np.where(np.isfinite(scale), 10.0 ** (scale - ref), 0.0)[..., None]  # dL/ds_t / 10**ref
    N = p.hidden_size
    h_prev, x = s_prev[..., :N].reshape(-1, N), x.reshape(-1, x.shape[-1])
    if kind is LSTM:
        k_h, K, k_o, _ = F
        dh, dc = g[..., :N], g[..., N:] + g[..., :N] * k_h  # the whole dL/dc_t
        delta = np.concatenate([(dc[..., None, :] * K).reshape(*dc.shape[:-1], 3 * N), dh * k_o], axis=-1)
        delta = delta.reshape(-1, 4 * N)  # dL/da_t of every step and row
        db = delta.sum(axis=0)
        return ref, {"W_ih": delta.T @ x, "W_hh": delta.T @ h_prev, "b_ih": db, "b_hh": db.copy()}
    K, _, k_n = F
    delta_h = (g[..., None, :] * K).reshape(-1, 3 * N)  # dL/d[h_r, h_z, h_n]: what W_hh and b_hh see
    delta = delta_h.copy()  # dL/d[x_r, x_z, x_n]: the same but for r on the n block
    delta[:, 2 * N:] = (g * k_n).reshape(-1, N)
    return ref, {"W_ih": delta.T @ x, "W_hh": delta_h.T @ h_prev, "b_ih": delta.sum(axis=0),
                 "b_hh": delta_h.sum(axis=0)}


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


def tangent_map(cell: Any, params: Any, traj: Any) -> Callable[[Array, int], Array] | None:
    """A faster ``cell.jvp`` for the Lyapunov exponents, or None: ``(Q, t) -> J_t Q`` along each network's first
    sequence. A ScaledStack's tangent vectors of all gains multiplied by each unit matrix at once; a gated cell's
    (a single network) from the factors of its steps, computed a chunk of steps at a time (:func:`_step_factors`)."""
    kind = type(cell)
    if not ENABLED:
        return None
    if kind in GATED and np.ndim(params.W_hh) == 2:
        factors, jvp = GATED[kind][0], GATED_JVP[kind]
        at = _step_factors(factors, params, traj)
        return lambda q, t: jvp(params.W_hh, at(t), q)
    if not (kind is Elman and isinstance(params, ScaledStack)):
        return None
    W, gains = params.W_unit, params.gains[..., None, None]  # (S, N, N), (S, G, 1, 1)

    def scaled_jvp(q: Array, t: int) -> Array:  # q (S, G, N, k) -> J_t q, as Elman.jvp
        S, G, N, k = q.shape
        Wq = np.matmul(W, q.transpose(0, 2, 1, 3).reshape(S, N, G * k)).reshape(S, N, G, k).transpose(0, 2, 1, 3)
        return cell.act.dact(traj.s[t, ..., 0, :])[..., :, None] * (gains * Wq)
    return scaled_jvp


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


def fold_in_parallel(fold: Callable[[list], Any], items: list, add: Callable[[Any, Any], Any], work: int,
                     size: int = 0) -> Any:
    """``add(fold(items[0::2]), fold(items[1::2]))`` on two cores, or ``NOT_TAKEN`` where that does not pay.

    The engine's parameter gradients: each thread sums every other chunk of steps (``work`` multiply-adds a step,
    ``B S^2``; ``size``: bytes of the sums, which each half holds). Sums in another order: equal to the engine's
    one-thread sum to rounding.
    """
    if not (ENABLED and _pool is not None and serial_blas.setter is not None and len(items) > 1
            and work >= THRESHOLDS["halves_min_work"] and size <= THRESHOLDS["halves_max_param_bytes"]):
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
