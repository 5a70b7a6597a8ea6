"""Compiled inner loops (numba), each beside the NumPy code it replaces, which runs when numba is absent.

Four costs in the core are not arithmetic NumPy can do faster:

* ``np.tanh`` on float64 is not vectorized on CPUs without AVX-512 (~15 ns a value there, 60% of the forward pass
  at N = 256, B = 64). :func:`tanh_step` evaluates tanh with vector instructions (~5 ns; ~2.2 ns with AVX-512) and
  fuses the input drive and the activation into one pass.
* The backward pass's element-wise work (normalize, add the readout, the next product's input ``v * act'(h)``) and
  the parameter gradients' deltas: one pass each instead of several NumPy calls (:func:`backward_steps`,
  :func:`deltas`).
* Small networks (B <= 8: the dashboard's N = 64, B = 1) spend their time in NumPy's per-call overhead, 3-5 calls a
  step: :func:`tanh_forward` and :func:`backward_small` run the whole time loops compiled.
* The Jacobian-product norms need a power iteration per step of tiny (N x N, N ~ 64) matrix-vector products, where
  NumPy's call overhead is the cost. :func:`jacobian_step` runs the whole iteration compiled.

numba is optional, installed with ``requirements-dev.txt``, not with the dashboard's ``requirements.txt``: importing
it and loading the compiled code cost a process ~120 MB and a fresh process ~5 s of compiling (0.6 s from the cache),
which the dashboard (N = 64, T = 100 by default: 11 ms instead of 17 for ``analyze``) does not need. ``rnn_core``
imports and computes without it (``ENABLED`` is False), through the NumPy code beside each kernel.
``RNN_CORE_NUMBA=0`` turns the kernels off. Results of the two paths agree to rounding (tested); they
are not bit-identical, so chaotic trajectories diverge between them after enough steps, as they do between any two
libraries (PyTorch included).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

Array = np.ndarray

numba: Any = None
if os.environ.get("RNN_CORE_NUMBA", "1") != "0":  # "0": not even imported (numba and LLVM take ~60 MB each)
    try:
        import numba
    except ImportError:  # the NumPy path; the tests cover it through ENABLED = False
        numba = None

ENABLED = numba is not None


def _jit(fastmath: frozenset[str] = frozenset({"contract"}), **options: Any) -> Callable[[Callable], Callable]:
    """``numba.njit`` with the options every kernel here needs, or the plain function without numba.

    ``error_model='numpy'``: a float division must not check for zero (the check stops vectorization).
    ``fastmath={'contract'}``: a*b+c may fuse into one FMA (one rounding instead of two); no reassociation, so
    every sum keeps its order. ``cache=True``: compiled code is kept in ``__pycache__`` for the next process.
    """
    def wrap(fn: Callable) -> Callable:
        if numba is None:
            return fn
        try:
            return numba.njit(error_model="numpy", fastmath=set(fastmath), cache=True, **options)(fn)
        except RuntimeError:  # no writable place for the cache (read-only install): compile in every process
            return numba.njit(error_model="numpy", fastmath=set(fastmath), **options)(fn)
    return wrap


# -------------------------------------------------------------------------------------------------------- tanh

# Cephes' tanh (S. Moshier): a rational function below |x| = 0.625, 1 - 2/(exp(2|x|) + 1) above. The exp is written
# out (Cody-Waite reduction by ln 2, degree-13 Taylor polynomial, 2**n from n's binary digits) because a call to
# libm's exp, a table lookup or a float-to-int64 conversion would each stop AVX2 vectorization. Max error 1.33 ulp
# (np.tanh: 1.19) over 4.2 million points, tested.
_P0, _P1, _P2 = -9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3
_Q0, _Q1, _Q2 = 1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3
_LOG2E = 1.4426950408889634
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # fdlibm: n * _LN2_HI is exact
_C = tuple(1.0 / math.factorial(k) for k in range(14))
_POW2_DIGITS = tuple((float(2**k), float(2 ** 2**k)) for k in (5, 4, 3, 2, 1, 0))  # (32, 2**32), ..., (1, 2)
_TANH_SMALL = 0.625
_TANH_ONE = 20.0  # tanh(x) rounds to 1 beyond ~19.06


@_jit(inline="always")
def _tanh1(x: float) -> float:
    ax = abs(x)
    s = ax * ax
    small = ax + ax * s * (((_P0 * s + _P1) * s + _P2) / (((s + _Q0) * s + _Q1) * s + _Q2))
    y = 2.0 * min(ax, _TANH_ONE)  # NaN stays NaN through min and the selects below
    n = math.floor(y * _LOG2E + 0.5)
    r = (y - n * _LN2_HI) - n * _LN2_LO
    p = _C[13]
    for k in range(12, -1, -1):  # Horner; a constant trip count, unrolled by the compiler
        p = p * r + _C[k]
    f = 1.0  # 2**n, n an integer in [0, 58], from its binary digits
    for e, factor in _POW2_DIGITS:
        if n >= e:
            f *= factor
            n -= e
    big = 1.0 - 2.0 / (p * f + 1.0)
    v = small if ax <= _TANH_SMALL else big
    return math.copysign(v, x)


@_jit(nogil=True)
def _tanh_into(a: Array, out: Array) -> None:
    a1, o1 = a.reshape(-1), out.reshape(-1)
    for i in range(a1.size):
        o1[i] = _tanh1(a1[i])


@_jit(inline="always")
def _add_vec_mat(out: Array, c: Array, M: Array) -> None:
    # out += c @ M, as rows of M scaled and added in order i = 0, 1, ... (the same rounding as a plain loop), four rows
    # a pass so that `out` is loaded and stored a quarter as often (it stays in registers within a pass)
    K, N = M.shape
    i = 0
    while i + 4 <= K:
        c0, c1, c2, c3 = c[i], c[i + 1], c[i + 2], c[i + 3]
        M0, M1, M2, M3 = M[i], M[i + 1], M[i + 2], M[i + 3]
        for j in range(N):
            out[j] = out[j] + c0 * M0[j] + c1 * M1[j] + c2 * M2[j] + c3 * M3[j]
        i += 4
    while i < K:
        ci, Mi = c[i], M[i]
        for j in range(N):
            out[j] += ci * Mi[j]
        i += 1


@_jit(nogil=True)
def _tanh_step(a: Array, x: Array, Wx: Array, b: Array, h: Array, nan: Array) -> None:
    # h = tanh(a + (x @ Wx + b)) on (K, R, N) arrays of any strides (a block of rows of a stack of networks is not
    # contiguous); x (Kx, R, D), Wx (Kw, D, N), b (Kb, N) with Kx, Kw, Kb in {1, K} (broadcast). The drive is made
    # here, in cache, instead of a (T, B, N) array in memory. tanh is bounded, so h is finite unless NaN: nan[0]
    # records whether one appeared (no second pass over the states). The derivative is not stored: the backward pass
    # takes it from h (see _dact1).
    N = a.shape[2]
    drive = np.empty(N)
    seen = False
    for k in range(a.shape[0]):
        kx = k if x.shape[0] > 1 else 0
        kw = k if Wx.shape[0] > 1 else 0
        bk = b[k if b.shape[0] > 1 else 0]
        for r in range(a.shape[1]):
            drive[:] = 0.0
            _add_vec_mat(drive, x[kx, r], Wx[kw])
            ar, hr = a[k, r], h[k, r]
            for i in range(N):
                v = _tanh1(ar[i] + (drive[i] + bk[i]))
                hr[i] = v
                seen |= v != v
    if seen:
        nan[0] = True


def _reshaped_view(x: Array, shape: tuple[int, ...]) -> Array | None:
    """``x`` reshaped without a copy, or None where that would need one (NumPy's ``reshape`` would copy silently,
    and the kernels write into these views)."""
    v = x.view()
    try:
        v.shape = shape
    except AttributeError:
        return None
    return v


def _as3d(x: Array) -> Array | None:
    """``x`` as a (K, R, N) view (leading dimensions merged, the last two kept), or None if that needs a copy."""
    if x.ndim == 3:
        return x
    return _reshaped_view(x, (-1, *x.shape[-2:]) if x.ndim >= 2 else (1, 1, x.shape[0]))


def _kernel_arrays(*xs: object) -> bool:
    """Whether the element-wise kernels take these: float64 C-contiguous ndarrays of one shape (else NumPy)."""
    first = xs[0]
    return ENABLED and all(isinstance(x, np.ndarray) and x.dtype == np.float64 and x.ndim >= 1
                           and x.flags.c_contiguous and x.shape == first.shape for x in xs)  # type: ignore[union-attr]


def tanh(a: Array, out: Array) -> Array:
    """``out = tanh(a)``; ``out`` may be ``a``. Compiled for float64 C-contiguous arrays, ``np.tanh`` otherwise."""
    if _kernel_arrays(a, out):
        _tanh_into(a, out)
        return out
    return np.tanh(a, out=out)


@_jit(nogil=True)
def _tanh_df_into(h: Array, out: Array) -> None:
    h1, o1 = h.reshape(-1), out.reshape(-1)
    for i in range(h1.size):
        o1[i] = 1.0 - h1[i] * h1[i]


def tanh_df(h: Array, out: Array) -> Array:
    """``out = 1 - h**2`` (tanh's derivative from its value); compiled, ``1 - h*h`` may round once (an FMA) where
    NumPy rounds twice: the two differ by an ulp of 1 at most."""
    if _kernel_arrays(h, out):
        _tanh_df_into(h, out)
        return out
    np.multiply(h, h, out=out)
    return np.subtract(1.0, out, out=out)


def tanh_step(a: Array, x: Array, W_xh_t: Array, b: Array, h: Array) -> None:
    """One forward step's element-wise part for tanh: ``h = tanh(a + (x @ W_xh_t + b))``.

    ``a``, ``h`` of shape (..., R, N), ``x`` (..., R, D), ``W_xh_t`` (..., D, N), ``b`` (..., N), the leading
    dimensions equal or 1. Without the kernel ``a`` is overwritten (it holds the pre-activation). The forward pass
    calls :func:`tanh_steps`, which makes the views once for all steps.
    """
    if ENABLED:
        built = tanh_steps(a, x[None], W_xh_t, b, h[None])
        if built is not None:
            built[0](0, 0)
            return
    a += np.matmul(x, W_xh_t) + b[..., None, :]
    np.tanh(a, out=h)


StepFns = tuple[Callable[[int, int], None], Callable[[], bool]]


def tanh_steps(a: Array, x: Array, W_xh_t: Array, b: Array, h: Array) -> StepFns | None:
    """``(step, finite)``: ``step(t_in, t_out)`` does :func:`tanh_step` with ``x[t_in]`` into ``h[t_out]``, every
    view made once (at N = 64, B = 1 making views each step costs more than the kernel); ``finite()`` says whether
    every value written so far is finite. None without the kernel, or when the leading dimensions cannot be merged
    into one without copies.

    ``a``: one step, (..., R, N); ``x`` (steps, ..., R, D); ``h`` (steps, ..., R, N); ``W_xh_t`` (..., D, N);
    ``b`` (..., N).
    """
    if not ENABLED or not all(v.dtype == np.float64 for v in (a, x, W_xh_t, b, h)):
        return None
    # every operand's leading dimensions must be a's or all 1 (broadcast): merged, sizes alone could mispair them
    lead = a.shape[:-2]
    for lead_v in (x.shape[1:-2], W_xh_t.shape[:-2], b.shape[:-1]):
        if lead_v != lead and any(n != 1 for n in lead_v):
            return None
    a3 = _as3d(a)
    xs, hs = (_merged(v, v.shape[1:]) for v in (x, h))
    Wx = _as3d(np.ascontiguousarray(W_xh_t))
    b2 = np.ascontiguousarray(b).reshape(-1, b.shape[-1])
    if a3 is None or xs is None or hs is None or Wx is None:
        return None
    K = a3.shape[0]
    if xs.shape[1] not in (1, K) or Wx.shape[0] not in (1, K) or b2.shape[0] not in (1, K):
        return None
    xl, hl = list(xs), list(hs)  # (K, R, .) views, one per step
    nan = np.zeros(1, dtype=np.bool_)
    kernel = _tanh_step

    def step(t_in: int, t_out: int) -> None:
        kernel(a3, xl[t_in], Wx, b2, hl[t_out], nan)
    return step, lambda: not nan[0]


def _merged(x: Array, step_shape: tuple[int, ...]) -> Array | None:
    """``x`` (steps, *step_shape) as a (steps, K, R, N) view, or None if that needs a copy."""
    return _reshaped_view(x, (x.shape[0], -1, *step_shape[-2:]) if len(step_shape) >= 2 else (x.shape[0], 1, 1, -1))


# ------------------------------------------------------------------------------------------ small networks

# Up to this batch and this many multiply-adds per step (B * N**2) a whole time loop runs compiled, its matrix
# products included: at N = 64, B = 1 a step is ~4,000 multiply-adds, and NumPy/BLAS call overhead (~1 us a call,
# 3-5 calls a step) costs several times the arithmetic. The compiled loop multiplies one row at a time, so from about
# 16 rows BLAS's blocked products win. Measured (forward + backward + parameter gradients, compiled / BLAS):
# (N, B) = (256, 1) 0.72, (256, 4) 0.73, (128, 8) 0.89, (512, 1) 0.84, (128, 16) 1.17, (64, 64) 1.22.
SMALL_BATCH = 8
SMALL_WORK = 2**18


def is_small(B: int, N: int) -> bool:
    """Whether a single network of batch ``B`` and size ``N`` takes the compiled whole-loop path."""
    return ENABLED and B <= SMALL_BATCH and B * N * N <= SMALL_WORK


@_jit(nogil=True)
def _tanh_forward(W_t: Array, drive: Array, h: Array) -> bool:
    # h[t, b] = tanh(drive[t-1, b] + h[t-1, b] @ W_t): the product as rows of W_t scaled and added (vectorized along
    # the row, no reassociation). Returns whether a NaN appeared.
    T, B, N = drive.shape
    a = np.empty(N)
    seen = False
    for t in range(1, T + 1):
        for b in range(B):
            hp = h[t - 1, b]
            for j in range(N):
                a[j] = drive[t - 1, b, j]
            _add_vec_mat(a, hp, W_t)
            ht = h[t, b]
            for j in range(N):
                v = _tanh1(a[j])
                ht[j] = v
                seen |= v != v
    return seen


def tanh_forward(W_t: Array, drive: Array, h: Array) -> bool | None:
    """The whole forward loop of one small network (tanh): ``h[t] = tanh(h[t-1] @ W_t + drive[t-1])`` for
    t = 1..T (``h[0]`` given). Returns whether every value is finite, or None (and does nothing) when this path does
    not apply: no kernels, stacked networks, a batch or a step above ``SMALL_BATCH``, ``SMALL_WORK``.
    """
    if drive.ndim != 3 or W_t.ndim != 2 or not is_small(drive.shape[1], W_t.shape[0]):
        return None
    if not all(x.flags.c_contiguous for x in (W_t, drive, h)):
        return None
    return not _tanh_forward(W_t, drive, h)


# ------------------------------------------------------------------------------------------- backward pass

SUMSQ_TINY = 1e-290  # below this, a sum of squares may have lost digits to subnormals (or underflowed to 0)

# The activations' derivatives from their values (see rnn_core.activations: every activation here allows it), by
# number, so that one compiled loop serves them all (the branch is the same for every element: hoisted out of it).
DERIVATIVE_KIND = {"tanh": 0, "sigmoid": 1, "relu": 2, "leaky_relu": 3, "linear": 4}


@_jit(inline="always")
def _dact1(h: float, kind: int, slope: float) -> float:
    # act'(a) from h = act(a), with the roundings of the NumPy derivatives; 0 where h is NaN: a state after an
    # overflow, which no gradient may read
    if h != h:
        return 0.0
    if kind == 0:
        return 1.0 - h * h
    if kind == 1:
        return h * (1.0 - h)
    if kind == 2:
        return 1.0 if h > 0.0 else 0.0
    if kind == 3:
        return 1.0 if h > 0.0 else slope
    return 1.0


@_jit(inline="always")
def _add_readout(v: Array, s: float, u: Array) -> float:
    # (v, s) + u in the log domain, as bptt._add_readout: both terms scaled by the larger magnitude first
    ref = max(s, 0.0)
    a = 10.0 ** (s - ref) if s > -math.inf else 0.0
    k = 10.0 ** (-ref)
    n2 = 0.0
    for i in range(v.size):
        v[i] = v[i] * a + u[i] * k
        n2 += v[i] * v[i]
    if n2 == 0.0:
        return -math.inf
    n = math.sqrt(n2)
    for i in range(v.size):
        v[i] /= n
    return ref + math.log10(n)


# A sum of squares may reassociate (vectorized partial sums; it feeds a norm, where any order is as exact): as a
# dependent chain of additions it costs 4 cycles an element, more than everything else in a backward step.
_jit_sum = _jit(fastmath=frozenset({"reassoc", "contract"}), nogil=True)


@_jit_sum
def _sumsq_any_order(v: Array) -> float:
    acc = 0.0
    for i in range(v.size):
        acc += v[i] * v[i]
    return acc


@_jit(inline="always")
def _normalize(v: Array, s: float) -> float:
    # v /= ||v|| (as v * (1/||v||)), returning the new log10 scale s + log10 ||v|| (-inf for a zero vector, which
    # stays zero; NaN for NaN). A sum of squares that leaves float64 (entries beyond ~1e154 or all below ~1e-145,
    # subnormals included: only with enormous or vanishing factors in one step) is redone on v divided by its largest
    # entry first, as the NumPy path does: then 1 <= ||v|| <= sqrt(N), and its inverse is safe.
    n2 = _sumsq_any_order(v)
    if n2 != n2:
        return math.nan
    log_m = 0.0
    if n2 == math.inf or n2 < SUMSQ_TINY:
        m = 0.0
        for i in range(v.size):
            m = max(m, abs(v[i]))
        if m == 0.0:
            return -math.inf
        for i in range(v.size):
            v[i] /= m
        n2 = _sumsq_any_order(v)
        log_m = math.log10(m)
    n = math.sqrt(n2)
    inv = 1.0 / n
    for i in range(v.size):
        v[i] *= inv
    return s + (math.log10(n) + log_m)


@_jit(inline="always")
def _times_dact(v: Array, h: Array, w: Array, kind: int, slope: float, safe: bool) -> None:
    # w = v * act'(h) along a row, one loop per activation (a branch per element would stop vectorization);
    # ``safe``: states may be NaN (after an overflow), where act' is 0
    N = v.size
    if safe:
        for i in range(N):
            w[i] = v[i] * _dact1(h[i], kind, slope)
    elif kind == 0:
        for i in range(N):
            w[i] = v[i] * (1.0 - h[i] * h[i])
    elif kind == 1:
        for i in range(N):
            w[i] = v[i] * (h[i] * (1.0 - h[i]))
    elif kind == 2:
        for i in range(N):
            w[i] = v[i] if h[i] > 0.0 else 0.0
    elif kind == 3:
        for i in range(N):
            w[i] = v[i] if h[i] > 0.0 else v[i] * slope
    else:
        for i in range(N):
            w[i] = v[i]


@_jit(nogil=True)
def _backward_step(v: Array, s_next: Array, s: Array, h: Array, w: Array, u: Array, inject: Array, kind: int,
                   slope: float, make_w: bool, safe: bool) -> None:
    # v (K, R, N): the product J^T v_{t+1} relative to 10**s_next (K, R), normalized in place with its log10 scale
    # into s; the readout u (Ku, N) added where inject (K, R); then w = v * act'(h), the next product's input. One
    # pass over each row while it is in cache.
    K, R = v.shape[0], v.shape[1]
    for k in range(K):
        uk = u[k if u.shape[0] > 1 else 0]
        for r in range(R):
            vr = v[k, r]
            cur = _normalize(vr, s_next[k, r])
            if inject[k, r]:
                cur = _add_readout(vr, cur, uk)
            s[k, r] = cur
            if make_w:
                _times_dact(vr, h[k, r], w[k, r], kind, slope, safe)


BackwardStep = Callable[[int, bool], None]


def backward_steps(v: Array, s: Array, h: Array, w: Array, u: Array, inject: Array, activation: str, slope: float,
                   safe: bool) -> BackwardStep | None:
    """``step(t, first)``: one step of the backward pass after its matrix product, compiled (``bptt._backward_step``
    is the NumPy code it replaces): normalize ``v[t]`` in place, its log10 scale ``s[t+1] + log10 ||v[t]||`` (``-inf
    + ...`` when ``first``) into ``s[t]``, add the readout ``u`` where ``inject[t]``, then, for t > 0, ``w = v[t] *
    act'(h[t])``, the next product's input (0 where ``h`` is NaN if ``safe``). Every view is made once.

    ``v``, ``h`` (T+1, ..., R, N); ``s``, ``inject`` (T+1, ..., R); ``w`` (..., R, N); ``u`` (..., 1, N). None without
    the kernel or where the leading dimensions cannot be merged without a copy.
    """
    if not ENABLED:
        return None
    T1, R = v.shape[0], v.shape[-2]
    vs, hs = _merged(v, v.shape[1:]), _merged(h, h.shape[1:])
    ss = _reshaped_view(s, (T1, -1, R))
    w3 = _as3d(w)
    if vs is None or hs is None or ss is None or w3 is None:
        return None
    injs = np.ascontiguousarray(inject).reshape(T1, -1, R)  # small: a copy is fine
    u2 = np.ascontiguousarray(u).reshape(-1, u.shape[-1])
    vl, hl, sl, il = list(vs), list(hs), list(ss), list(injs)
    none = np.full(sl[0].shape, -np.inf)
    kind = DERIVATIVE_KIND[activation]
    kernel = _backward_step

    def step(t: int, first: bool) -> None:
        kernel(vl[t], none if first else sl[t + 1], sl[t], hl[t], w3, u2, il[t], kind, slope, t > 0, safe)
    return step


@_jit(nogil=True)
def _backward(v: Array, s: Array, h: Array, W: Array, u: Array, inject: Array, kind: int, slope: float) -> None:
    # v (T+1, B, N) zeros, s (T+1, B) -inf on entry. The whole loop, one sequence at a time: at these sizes the
    # matrix-vector products are cheaper compiled than as BLAS calls.
    T = v.shape[0] - 1
    B, N = v.shape[1], v.shape[2]
    w = np.empty(N)
    for b in range(B):
        cur = -math.inf
        if inject[T, b]:
            cur = _add_readout(v[T, b], cur, u)
        s[T, b] = cur
        for t in range(T - 1, -1, -1):
            out = v[t, b]
            if cur > -math.inf:
                _times_dact(v[t + 1, b], h[t + 1, b], w, kind, slope, True)
                _add_vec_mat(out, w, W)
                cur = _normalize(out, cur)
            if inject[t, b]:
                cur = _add_readout(out, cur, u)
            s[t, b] = cur


def backward_small(v: Array, s: Array, h: Array, W: Array, u: Array, inject: Array, activation: str,
                   slope: float) -> bool:
    """The whole log-domain backward pass of one small network, compiled: fills ``v`` (T+1, B, N; zeros on entry) and
    ``s`` (T+1, B; -inf on entry) with ``dL/dh_t = v[t] * 10**s[t]``, from the states ``h`` (T+1, B, N), the readout
    ``u`` added where ``inject`` (T+1, B). Returns False (and does nothing) where this path does not apply (as
    :func:`tanh_forward`); the caller then runs the NumPy path.
    """
    if v.ndim != 3 or W.ndim != 2 or not is_small(v.shape[1], W.shape[0]):
        return False
    if not all(x.flags.c_contiguous for x in (v, s, h, W, u, inject)):
        return False
    _backward(v, s, h, W, u, inject, DERIVATIVE_KIND[activation], slope)
    return True


@_jit(nogil=True)
def _deltas(v: Array, h: Array, scale: Array, kind: int, slope: float, out: Array, safe: bool) -> None:
    R, N = v.shape
    for r in range(R):
        _times_dact(v[r], h[r], out[r], kind, slope, safe)
        c = scale[r]
        for i in range(N):
            out[r, i] *= c


def deltas(v: Array, h: Array, scale: Array, activation: str, slope: float, out: Array, safe: bool) -> bool:
    """``out = v * act'(h) * scale[:, None]`` for rows of ``v``, ``h`` (R, N), in one pass: the scaled ``dL/da_t``
    of the parameter gradients (0 where ``h`` is NaN if ``safe``). Returns False (and does nothing) without the
    kernel."""
    if not ENABLED:
        return False
    _deltas(v, h, scale, DERIVATIVE_KIND[activation], slope, out, safe)
    return True


# ------------------------------------------------------------------------------------- top singular value

@_jit(inline="always")
def _sumsq(v: Array) -> float:
    s = 0.0
    for i in range(v.size):
        s += v[i] * v[i]
    return s


@_jit(nogil=True)
def _top_sv(M: Array, y: Array, generic: Array, share: float, tol: float, max_steps: int) -> float:
    """The power iteration of :func:`top_singular_value`; returns sigma_max**2, or -1.0 when not certain."""
    N = M.shape[0]
    Mt, z, w = np.empty((N, N)), np.empty(N), np.empty(N)
    for i in range(N):  # M^T, so that both products below run along contiguous rows (vectorized, no reassociation)
        for j in range(N):
            Mt[j, i] = M[i, j]
    # heavy = G[:, k] = M M[k, :] for the row k of largest norm; max_k ||M[k, :]||^2 = max_k G_kk <= sigma_max^2
    z[:] = 0.0
    for j in range(N):
        for i in range(N):
            z[i] += Mt[j, i] * Mt[j, i]
    k = 0
    for i in range(N):
        if z[i] > z[k]:
            k = i
    bound = z[k]
    w[:] = 0.0
    for j in range(N):
        c = M[k, j]
        for i in range(N):
            w[i] += c * Mt[j, i]
    nh = math.sqrt(_sumsq(w))
    for i in range(N):
        y[i] = y[i] + (share / nh) * w[i] + generic[i]
    ny = math.sqrt(_sumsq(y))
    for i in range(N):
        y[i] /= ny
    # y <- G y / ||G y|| with G y = M (M^T y): lam = ||G y|| rises to sigma_max^2. Stop when it rose by at most
    # tol (relative) over the last 4 steps (the G^4 criterion of the NumPy path).
    lam4 = np.zeros(4)
    for step in range(max_steps):
        z[:] = 0.0
        for i in range(N):
            c = y[i]
            for j in range(N):
                z[j] += c * M[i, j]
        w[:] = 0.0
        for j in range(N):
            c = z[j]
            for i in range(N):
                w[i] += c * Mt[j, i]
        lam = math.sqrt(_sumsq(w))
        if lam == 0.0:
            return -1.0
        for i in range(N):
            y[i] = w[i] / lam
        old = lam4[step % 4]
        lam4[step % 4] = lam
        if step >= 4 and lam - old <= tol * lam:
            z[:] = 0.0  # Rayleigh quotient y^T G y = ||M^T y||^2
            for i in range(N):
                c = y[i]
                for j in range(N):
                    z[j] += c * M[i, j]
            rho = _sumsq(z)
            return rho if rho >= bound else -1.0
    return -1.0


def top_singular_value(M: Array, y: Array, generic: Array, share: float, tol: float, max_steps: int) -> float:
    """sigma_max(M)**2 by warm-started power iteration on ``G = M M^T``, updating ``y`` (the start) in place.

    The same start, stopping rule and lower-bound check as the NumPy path in :mod:`rnn_core.bptt`, with ``G`` never
    formed (two matrix-vector products a step). Returns -1.0 when the iteration did not converge in ``max_steps`` or
    landed below the bound ``max_k G_kk``: the caller then takes the exact eigenvalue. Only with numba (``ENABLED``).
    """
    return float(_top_sv(M, y, generic, share, tol, max_steps))


@_jit(nogil=True)
def _jacobian_step(M: Array, d_next: Array, Md: Array, y: Array, generic: Array, share: float, tol: float,
                   max_steps: int) -> tuple[float, float]:
    m = 0.0
    N = M.shape[0]
    for i in range(N):
        for j in range(N):
            m = max(m, abs(M[i, j]))
    rho = 0.0
    if m > 0.0:
        for i in range(N):
            for j in range(N):
                M[i, j] /= m
        rho = _top_sv(M, y, generic, share, tol, max_steps)
    for i in range(N):
        for j in range(N):
            Md[i, j] = M[i, j] * d_next[j]
    return m, rho


def jacobian_step(M: Array, d_next: Array, Md: Array, y: Array, generic: Array, share: float, tol: float,
                  max_steps: int) -> tuple[float, float]:
    """One step of the Jacobian-product loop: scale ``M`` in place to a largest entry of 1, its ``sigma_max**2`` (as
    :func:`top_singular_value`, updating ``y``), and ``Md = M * d_next`` (columns scaled: the next product's left
    factor). Returns ``(m, rho)``: the scale taken out (0 when ``M`` is zero; then ``rho`` is 0) and ``sigma_max**2``
    or -1.0 (not certain). Only with numba (``ENABLED``).
    """
    m, rho = _jacobian_step(M, d_next, Md, y, generic, share, tol, max_steps)
    return float(m), float(rho)
