"""Backpropagation through time in the log domain, for any cell.

Norms of gradients that vanish or explode leave float64 within a few hundred steps (1e-3000 and 1e+3000 are
ordinary here). So a vector ``g`` is carried as a *mantissa* ``v`` (unit norm, or zero) and a *log10 scale* ``s``
with ``g = v * 10**s``, renormalized at every step; ``log10 ||g|| = s`` is then exact to rounding. ``s = -inf`` means
the gradient is exactly zero.

The backward step is the cell's vector-Jacobian product (``Cell.backward``), which is linear, so it can be applied
to the mantissa alone::

    dL/ds_{t-1} = J_t^T dL/ds_t  (+ the loss's own term where it reads s_{t-1})
    v_{t-1} = J_t^T v_t / ||J_t^T v_t||,   s_{t-1} = s_t + log10 ||J_t^T v_t||
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import fast
from .logdomain import PARAM_CHUNK, LogGrad, ParamGrads, add_readout, add_sums, normalize
from .rnn import Trajectory

Array = np.ndarray
CHUNK = 32  # Jacobian products per batched SVD call
CHUNK_BYTES = 2**25  # and at most 32 MiB of them


def loss_steps(traj: Trajectory, loss: str) -> Array:
    """Where the loss reads the state directly, shape (T+1, ..., B) of bool.

    ``'last'``: ``L = sum_b u·h_T``, at the last valid step (T unless the states overflowed); ``'all'``:
    ``L = sum_b sum_{t=1..T} u·h_t``, at every valid step from 1.
    """
    if loss not in ("last", "all"):
        raise ValueError(f"loss={loss!r} is not one of 'last', 'all'")
    steps = np.arange(traj.T + 1).reshape(-1, *([1] * traj.valid_T.ndim))
    return steps == traj.valid_T if loss == "last" else (steps >= 1) & (steps <= traj.valid_T)


def backward(params: Any, traj: Trajectory, loss: str = "last") -> LogGrad:
    """Propagate ``dL/ds_t`` from the loss back to ``t = 0``.

    Parameters
    ----------
    params : the cell's parameters (those of the forward pass).
    traj : the forward pass.
    loss : {'last', 'all'} — see :func:`loss_steps`.

    Returns
    -------
    LogGrad with ``v`` of shape ``(T+1, ..., B, S)``.
    """
    cell, s, x = traj.cell, traj.s, traj.x
    inject = loss_steps(traj, loss)  # (T+1, ..., B)
    u = cell.readout(params)[..., None, :]  # (..., 1, S): the same readout for every sequence of a network
    v = np.zeros(s.shape)  # (T+1, ..., B, S)
    scale = np.full(s.shape[:-1], -np.inf)  # (T+1, ..., B)
    top = int(traj.valid_T.max())  # above the latest step any loss reads, every gradient is exactly zero
    overflowed = traj.overflowed
    add_readout(v[top], scale[top], u, inject[top])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        fast_loop = fast.backward_loop(cell, params, traj, v, scale, inject, top)
        if fast_loop is not None:
            fast_loop()
        else:
            for t in range(top, 0, -1):
                g = cell.backward(params, v[t], s[t - 1], s[t], x[t - 1])  # J_t^T v_t
                if overflowed:
                    g = np.where(traj.alive(t)[..., None], g, 0.0)  # past a network's overflow: no gradient
                normalize(g, scale[t], v[t - 1], scale[t - 1])
                if inject[t - 1].any():
                    add_readout(v[t - 1], scale[t - 1], u, inject[t - 1])
    steps = np.arange(traj.T + 1).reshape(-1, *([1] * traj.valid_T.ndim))
    return LogGrad(v, np.where(steps <= traj.valid_T, scale, np.nan))


# ----------------------------------------------------------------------------------------------------------------
# Parameter gradients


def param_grads(grad: LogGrad, traj: Trajectory, x: Array | None = None) -> ParamGrads:
    """The full parameter gradients of a single network (no leading dimensions), summed over steps and batch.

    For the vanilla cell ``dL/dW_hh = sum_t delta_t h_{t-1}^T``, ``dL/dW_xh = sum_t delta_t x_t^T``,
    ``dL/db = sum_t delta_t``, ``delta_t = dL/da_t``. Computed in chunks of steps, each relative to its largest
    gradient (so nothing overflows), the chunks' sums added on the larger of their scales. ``x`` is the input
    (default: the trajectory's own).
    """
    if traj.valid_T.ndim != 1:
        raise ValueError("parameter gradients take a single network (no stacked weights)")
    cell, params, s = traj.cell, traj.params, traj.s
    x = traj.x if x is None else np.asarray(x, dtype=np.float64)
    T, B, S = traj.T, *s.shape[1:]
    per = max(1, PARAM_CHUNK // (B * S))
    chunks = [(t0, min(t0 + per, T + 1)) for t0 in range(1, T + 1, per)]

    def chunk_sums(t0: int, t1: int) -> tuple[float, dict[str, Array]] | None:
        """The sums of steps t0..t1-1 relative to their largest gradient ``10**ref``; None if all are zero."""
        ds = np.nan_to_num(grad.log10_norm[t0:t1], nan=-np.inf, neginf=-np.inf)  # (L, B); NaN: past an overflow
        ref = float(ds.max())
        if ref == -math.inf:
            return None
        with np.errstate(under="ignore"):
            g = grad.v[t0:t1] * (10.0 ** (ds - ref))[..., None]  # dL/ds_t / 10**ref
        s_prev, s_t = s[t0 - 1:t1 - 1], s[t0:t1]
        if traj.overflowed:  # NaN states past an overflow have zero gradient: they must not poison the sums
            s_prev, s_t = np.nan_to_num(s_prev), np.nan_to_num(s_t)
        delta = cell.delta(params, g, s_prev, s_t, x[t0 - 1:t1 - 1])
        return ref, cell.param_grads(params, delta, s_prev, x[t0 - 1:t1 - 1])

    def fold(part: list[tuple[int, int]]) -> tuple[float, dict[str, Array]] | None:
        total = None
        for t0, t1 in part:
            total = add_sums(total, chunk_sums(t0, t1))
        return total

    size = sum(np.asarray(a).nbytes for a in vars(params).values())
    total = fast.fold_in_parallel(fold, chunks, add_sums, B * S * S, size)  # two threads where that pays
    total = fold(chunks) if total is fast.NOT_TAKEN else total
    if total is None:  # every gradient is exactly zero: zeros shaped like the parameters
        s0 = np.nan_to_num(s[:2])
        delta = cell.delta(params, np.zeros(s0[1:].shape), s0[:1], s0[1:], x[:1])
        return ParamGrads({k: np.zeros_like(a) for k, a in cell.param_grads(params, delta, s0[:1], x[:1]).items()},
                          -math.inf)
    return ParamGrads(total[1], total[0])


def gradients(params: Any, traj: Trajectory, x: Array | None = None, loss: str = "last") -> tuple[LogGrad, ParamGrads]:
    """``dL/ds_t`` for every t and the parameter gradients of a single network: :func:`backward` then
    :func:`param_grads`.

    Parameters
    ----------
    params : the cell's parameters (no leading dimensions).
    traj : its forward pass.
    x : ndarray, shape (T, B, D), optional — the inputs ``traj`` was run on (default: its own).
    loss : {'last', 'all'} — as in :func:`backward`.

    Returns
    -------
    (LogGrad, ParamGrads) — ``v`` of shape (T+1, B, S), ``log10_norm`` (T+1, B); the parameter gradients on one
    log10 scale.

    Examples
    --------
    >>> from rnn_core import Config, forward, gradients, init_inputs, init_params
    >>> c = Config(hidden_size=32, seq_len=40, batch_size=4)
    >>> p, x = init_params(c), init_inputs(c)
    >>> grad, pg = gradients(p, forward(p, x, c.activation), x)
    >>> grad.v.shape, pg.values()[0].shape
    ((41, 4, 32), (32, 32))
    """
    if traj.valid_T.ndim != 1:
        raise ValueError("gradients() takes a single network (no stacked weights); use backward()")
    if x is not None and x is not traj.x and not np.array_equal(x, traj.x):
        raise ValueError("x differs from the inputs the trajectory was run on")
    one_pass = fast.gradients(params, traj, loss_steps(traj, loss))
    if one_pass is not None:
        return one_pass
    grad = backward(params, traj, loss)
    return grad, param_grads(grad, traj)


def step_contributions(grad: LogGrad, traj: Trajectory) -> Array:
    """``log10 ||delta_t h_{t-1}^T||_F`` for t = 1..T: how much each step's term adds to ``dL/dW_hh``.

    Summed over the batch before the norm (the batch's update is the sum). Shape ``(T, ...)``; -inf where the term is
    exactly zero (for instance at ``t = 1`` from ``h_0 = 0``).
    """
    cell, s = traj.cell, np.nan_to_num(traj.s)
    ds = np.nan_to_num(grad.log10_norm[1:], nan=-np.inf, neginf=-np.inf)  # (T, ..., B)
    top = np.max(ds, axis=-1, keepdims=True)  # (T, ..., 1): each step relative to its largest sequence
    top_safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore", invalid="ignore"):
        g = grad.v[1:] * np.where(np.isfinite(ds), 10.0 ** (ds - top_safe), 0.0)[..., None]
    delta = cell.delta(traj.params, g, s[:-1], s[1:], traj.x)  # (T, ..., B, K)
    delta = cell.recurrent_delta(traj.params, delta, s[:-1], traj.x)  # what W_hh sees of it
    h_prev = cell.output(s[:-1])
    h_top = np.max(np.abs(h_prev), axis=(-1, -2), keepdims=True)  # states near 1e308 would square to inf
    h_prev = h_prev / np.where(h_top > 0, h_top, 1.0)
    # ||sum_b d_b h_b^T||_F^2 = sum_{b,c} (d_b·d_c)(h_b·h_c): B x B Gram matrices instead of N x N outer products
    gd = delta @ delta.mT  # (T, ..., B, B)
    gh = h_prev @ h_prev.mT
    sq = np.maximum((gd * gh).sum(axis=(-1, -2)), 0.0)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(top[..., 0]), top_safe[..., 0] + np.log10(h_top[..., 0, 0]) + 0.5 * np.log10(sq),
                        -np.inf)


# ----------------------------------------------------------------------------------------------------------------
# Jacobian products dh_T/dh_t


@dataclass(frozen=True)
class JacobianNorms:
    """Singular values of the Jacobian products ``ds_T/ds_t = J_T ... J_{t+1}`` (sequence 0), in log10.

    Attributes
    ----------
    log10_norm : ndarray, shape (T+1,) — ``log10 ||ds_T/ds_t||_2`` (largest singular value); NaN after an overflow.
    log10_sv : ndarray, shape (T+1, S) or None — all singular values for every t, descending, when asked for.
    log10_sv_full : ndarray, shape (S,) — all singular values of the whole product ``ds_T/ds_0``, descending.
        Values more than ~15 decades below the largest are at float64's resolution and not meaningful.
    """

    log10_norm: Array
    log10_sv: Array | None
    log10_sv_full: Array


def jacobian_products(params: Any, traj: Trajectory, all_singular_values: bool = False) -> JacobianNorms:
    """Singular values of ``ds_T/ds_t`` for every ``t`` (single network, first sequence), in the log domain.

    ``T`` is the last valid step. Each row of ``M = ds_T/ds_t`` is a vector-Jacobian product, so the next product
    ``ds_T/ds_{t-1} = M J_t`` is the cell's backward step applied to the rows of ``M``. ``M`` is rescaled to a
    largest entry of 1 at every step (mantissa and log10 scale). Its norm comes from a warm-started power iteration
    (:func:`top_singular_value`); ``all_singular_values`` adds a batched SVD per chunk of steps.
    """
    if traj.valid_T.ndim != 1:
        raise ValueError("jacobian_products takes a single network (no stacked weights)")
    closed_form = fast.jacobian_products(params, traj, all_singular_values)
    if closed_form is not None:
        return JacobianNorms(*closed_form)
    S = traj.s.shape[-1]
    norm = np.full(traj.T + 1, np.nan)
    allsv = np.full((traj.T + 1, S), np.nan) if all_singular_values else None
    chunk = max(1, min(CHUNK, CHUNK_BYTES // (8 * S * S)))
    mats, scales, first, n = np.empty((chunk, S, S)), np.empty(chunk), int(traj.valid_T[0]), 0
    y = np.ones(S) / np.sqrt(S)  # the power iteration's warm start, carried from step to step
    sigma_max = fast.top_singular_value(S) or top_singular_value
    with np.errstate(divide="ignore", under="ignore"):
        for t, M, scale in _products(params, traj):
            if math.isfinite(scale):
                sigma, y = sigma_max(M, y)
                norm[t] = math.log10(sigma) + scale if sigma > 0 else -math.inf
            else:
                norm[t] = -math.inf
            if allsv is None:
                continue
            mats[n], scales[n] = M, scale
            n += 1
            if n == chunk or t == 0:
                allsv[np.arange(first, first - n, -1)] = _log10_sv(mats[:n], scales[:n])
                first, n = first - n, 0
    full = _log10_sv(M[None], np.array([scale]))[0]
    return JacobianNorms(norm, allsv, full)


def _products(params: Any, traj: Trajectory):  # -> Iterator[tuple[int, Array, float]]
    """``(t, M, scale)`` for ``t = T, T-1, ..., 0``: ``ds_T/ds_t = 10**scale * M``, ``M`` with a largest entry of 1
    (a new array each step)."""
    cell, x = traj.cell, traj.x
    s = traj.s[:, 0]  # (T+1, S): the first sequence
    Tv = int(traj.valid_T[0])
    # M J_t (the cell's backward step on the rows of M), or a faster path to it
    times_J = fast.cotangent_map(cell, params, traj) or (
        lambda M, t: cell.backward(params, M, s[t - 1], s[t], x[t - 1, 0]))
    M, scale = np.eye(s.shape[-1]), 0.0
    yield Tv, M, scale
    for t in range(Tv - 1, -1, -1):
        with np.errstate(under="ignore"):
            M = times_J(M, t + 1)  # ds_T/ds_t = ds_T/ds_{t+1} J_{t+1}
        m = float(np.abs(M).max())
        if m > 0:
            M /= m
            scale += math.log10(m)
        else:
            scale = -math.inf
        yield t, M, scale


def _log10_sv(mats: Array, scales: Array) -> Array:
    sv = np.linalg.svd(mats, compute_uv=False)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(scales)[:, None], np.log10(sv) + scales[:, None], -np.inf)


POWER_TOL = 1e-11  # relative rise of sigma_max^8 per power iteration at which to stop
START_SHARE = 0.1  # weight of the heavy-row and generic directions beside the warm start
POWER_MAX_ITER = 25  # then the exact eigenvalue: slower convergence means near-equal top singular values


@functools.lru_cache(maxsize=8)
def _generic_direction(N: int) -> Array:
    """A fixed pseudo-random unit vector: almost surely not orthogonal to any singular direction."""
    v = np.random.default_rng(20130201).normal(size=N)
    return v / np.linalg.norm(v)


def top_singular_value(M: Array, y: Array) -> tuple[float, Array]:
    """Largest singular value of ``M`` (largest entry 1) by power iteration on ``G^4``, ``G = M M^T``, warm-started
    from the unit vector ``y``; returns it and the next warm start.

    Successive products ``ds_T/ds_t`` share their output side, so the left singular vector of the previous step is
    usually an excellent start. But the order of the top singular values can change along t (from an identity W_hh
    they start equal): a start with almost nothing along the new top direction would settle near a smaller singular
    value. So the start is ``y`` plus, with weight ``START_SHARE`` each, the direction of ``M``'s heaviest row and a
    fixed generic vector. ``||G^4 y||`` rises to ``sigma_max^8``; iteration stops when it rises by less than
    ``POWER_TOL`` (relative), and the value is the Rayleigh quotient ``y^T G y``. It is checked against the lower
    bound ``max_k G_kk <= sigma_max^2``; below it, or without convergence, the exact largest eigenvalue of ``G``.
    """
    G = M @ M.T
    G2 = G @ G
    G4 = G2 @ G2
    diag = np.diagonal(G)
    k = int(diag.argmax())
    heavy = G[:, k]
    y = y + (START_SHARE / math.sqrt(heavy @ heavy)) * heavy + START_SHARE * _generic_direction(y.size)
    y /= math.sqrt(y @ y)
    g8 = 0.0
    for _ in range(POWER_MAX_ITER):
        z = G4 @ y
        new = math.sqrt(z @ z)
        if new == 0.0:
            break
        y = z / new
        if new - g8 <= POWER_TOL * new:
            rho = float(y @ (G @ y))
            if rho >= float(diag[k]):
                return math.sqrt(rho), y
            break
        g8 = new
    return math.sqrt(max(float(np.linalg.eigvalsh(G)[-1]), 0.0)), y / math.sqrt(y @ y)
