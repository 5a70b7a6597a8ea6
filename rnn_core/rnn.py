"""The vanilla (Elman) RNN: parameters and the forward pass, in PyTorch's convention.

``a_t = W_hh h_{t-1} + W_xh x_t + b``, ``h_t = act(a_t)``, ``t = 1..T``, ``h_0 = 0``. Arrays are float64 and time
comes first. Every function accepts *stacked* weights with extra leading dimensions ``G`` (a sweep over many
networks at once); a single network has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import blas, kernels, threads
from .activations import get_activation
from .config import Config
from .initializers import init_matrix
from .inputs import make_inputs

Array = np.ndarray
DRIVE_CHUNK = 2**17  # values of the input drive made at once by the NumPy path (1 MiB: stays in cache)


@dataclass(frozen=True)
class Params:
    """The weights of one network (or of a stack of G networks, with leading dimensions).

    Attributes
    ----------
    W_hh : ndarray, shape (..., N, N) — recurrent weights.
    W_xh : ndarray, shape (..., N, D) — input weights.
    b : ndarray, shape (..., N) — bias.
    u : ndarray, shape (..., N) — the fixed unit-norm readout of the loss ``L = u·h``.
    """

    W_hh: Array
    W_xh: Array
    b: Array
    u: Array

    def __post_init__(self) -> None:
        N = self.W_hh.shape[-1]
        if self.W_hh.ndim < 2 or self.W_hh.shape[-2] != N:
            raise ValueError(f"W_hh must be square (..., N, N), got shape {self.W_hh.shape}")
        if self.W_xh.shape[-2] != N:
            raise ValueError(f"W_xh must have shape (..., {N}, D), got {self.W_xh.shape}")
        if self.b.shape[-1] != N or self.u.shape[-1] != N:
            raise ValueError(f"b and u must have shape (..., {N}), got {self.b.shape}, {self.u.shape}")
        for name in ("W_hh", "W_xh", "b", "u"):
            arr = getattr(self, name)
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            if bad:
                raise ValueError(f"{name} contains {bad} non-finite entries (NaN or inf); the analysis needs finite "
                                 "weights")

    @property
    def hidden_size(self) -> int:
        return self.W_hh.shape[-1]

    @classmethod
    def from_arrays(cls, W_hh: Array, W_xh: Array | None = None, b: Array | None = None,
                    u: Array | None = None, *, input_size: int = 1, seed: int = 0) -> Params:
        """Wrap user-supplied matrices (e.g. a trained ``torch.nn.RNN``'s ``weight_hh_l0``).

        Missing pieces default to zeros (``W_xh`` with ``input_size`` columns, ``b``) and a seeded random unit
        readout ``u``.
        """
        W_hh = np.array(W_hh, dtype=np.float64)
        N = W_hh.shape[-1] if W_hh.ndim else 0
        W_xh = np.zeros((*W_hh.shape[:-2], N, input_size)) if W_xh is None else np.array(W_xh, dtype=np.float64)
        b = np.zeros(W_hh.shape[:-1]) if b is None else np.array(b, dtype=np.float64)
        u = _readout(N, _streams(seed)[3]) if u is None else np.array(u, dtype=np.float64)
        return cls(W_hh, W_xh, b, u)


def _streams(seed: int) -> list[np.random.Generator]:
    # Independent streams, so that changing the initializer never changes the inputs or the readout.
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]


def _readout(N: int, rng: np.random.Generator) -> Array:
    u = rng.normal(size=N)
    return u / np.linalg.norm(u)


def init_params(config: Config) -> Params:
    """Draw the weights a configuration describes, reproducibly from its seed.

    ``W_hh`` from ``config.init`` with ``config.gain``; ``W_xh ~ N(0, 1/D)``; ``b ~ N(0, bias_scale^2)``.
    """
    rng_hh, rng_xh, _, rng_u = _streams(config.seed)
    N, D = config.hidden_size, config.input_dim
    W_hh = init_matrix(config.init, N, N, config.gain, rng_hh)
    W_xh = init_matrix("normal", N, D, 1.0, rng_xh)
    b = rng_xh.normal(0.0, config.bias_scale, size=N) if config.bias_scale > 0 else np.zeros(N)
    return Params(W_hh, W_xh, b, _readout(N, rng_u))


def init_inputs(config: Config) -> Array:
    """The input sequence ``x`` of shape ``(T, B, D)`` a configuration describes."""
    return make_inputs(config.input_kind, config.seq_len, config.batch_size, config.input_dim, config.input_scale,
                       _streams(config.seed)[2], config.text)


@dataclass(frozen=True)
class Trajectory:
    """The forward pass.

    Attributes
    ----------
    h : ndarray, shape (T+1, ..., B, N) — ``h[t]`` is the hidden state at step t; ``h[0] = 0``. NaN after overflow.
    valid_T : ndarray of int, shape (..., B) — per sequence, the last step whose states are all finite (T when
        nothing overflowed); equal for all sequences of one network.
    activation : the activation's name.
    row_gain : ndarray, shape (..., B), or None — per sequence, the factor on ``W_hh`` (see :func:`forward`).
    a : ndarray, shape (T+1, ..., B, N) — pre-activations; ``a[0]`` is unused (zeros); NaN from the overflow step.
        Computed when first asked for (one matrix product over all steps): the forward pass does not keep them.
    dact : ndarray, shape (T+1, ..., B, N) — ``act'(a_t)``, the diagonal of the Jacobian ``J_t``; 0 where invalid.
        Computed from ``h`` when first asked for: the backward pass takes the derivatives from ``h`` itself, step by
        step, so the forward pass does not write (and page in) another array the size of ``h``.
    """

    h: Array
    valid_T: Array
    activation: str = field(kw_only=True)
    row_gain: Array | None = None
    # (W_hh^T, W_xh^T, b, x): what the pre-activations are recomputed from; small (x is (T, B, D), D << N)
    _inputs: tuple[Array, Array, Array, Array] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def a(self) -> Array:
        if self._inputs is None:
            raise ValueError("this Trajectory was built without the weights and inputs its pre-activations need")
        W_t, W_xh_t, b, x = self._inputs
        a = np.zeros_like(self.h)
        with np.errstate(over="ignore", invalid="ignore"):
            np.matmul(self.h[:-1], W_t, out=a[1:])
            if self.row_gain is not None:
                a[1:] *= self.row_gain[..., None]
            a[1:] += _drive(x, W_xh_t, b)
        lead = self.valid_T.ndim
        a[np.arange(self.T + 1).reshape(-1, *([1] * lead)) > self.valid_T] = np.nan
        return a

    @cached_property
    def dact(self) -> Array:
        return self.derivative()

    def derivative(self, rows: slice | Array = slice(None)) -> Array:
        """``act'(a_t)`` of the sequences ``rows`` (an index into the batch axis), from the states; 0 where invalid.

        Shape (T+1, ..., len(rows), N); ``dact`` is all rows. tanh's ``1 - h**2`` may round once (compiled, on a
        contiguous block) or twice (NumPy, on a strided one): the two differ by an ulp of 1 at most.
        """
        h = self.h[..., rows, :]
        d = get_activation(self.activation).df(h, np.empty(h.shape))
        if self.overflowed:
            valid = self.valid_T[..., rows]
            d[np.arange(self.T + 1).reshape(-1, *([1] * valid.ndim)) > valid] = 0.0
        return d

    @property
    def T(self) -> int:
        return self.h.shape[0] - 1

    @property
    def overflowed(self) -> bool:
        """Whether any sequence's states left float64 (then ``h`` holds NaN from that step on)."""
        return bool(np.any(self.valid_T < self.T))

    @property
    def overflow_step(self) -> Array:
        """The first step with a non-finite state, or -1 where none (same shape as ``valid_T``)."""
        return np.where(self.valid_T < self.T, self.valid_T + 1, -1)


def _drive(x: Array, W_xh_t: Array, b: Array) -> Array:
    """The input drive ``W_xh x_t + b`` of every step, shape (T, ..., B, N)."""
    if W_xh_t.ndim == 2 and x.ndim == 3:
        # One network: a single (T*B, D) x (D, N) product. A stacked matmul would make T small BLAS calls (or none:
        # NumPy loops itself over stacks), ~10x slower at T = 500.
        T, B, D = x.shape
        drive = (x.reshape(T * B, D) @ W_xh_t).reshape(T, B, -1)
    else:
        drive = np.matmul(x, W_xh_t[None])
    drive += b[..., None, :]
    return drive


def forward(params: Params, x: Array, activation: str, row_gain: Array | None = None, groups: int = 1) -> Trajectory:
    """Run the RNN over ``x`` from ``h_0 = 0``.

    Parameters
    ----------
    params : Params, with optional leading dimensions (a stack of networks).
    x : ndarray, shape (T, B, D), or (T, ..., B, D) with one input per network.
    activation : name of the activation.
    row_gain : ndarray, shape (..., B), optional — sequence ``b`` runs with ``row_gain[b] * W_hh``. A sweep over
        gains uses it to put every gain of one matrix in the batch, so each step is one large matrix product.
    groups : the B rows are ``groups`` networks of ``B // groups`` sequences; overflow is judged per network.

    Overflow is detected, not hidden: from the first step where any state of a network is non-finite, that
    network's states are set to NaN, and ``valid_T`` records the last good step.
    """
    act = get_activation(activation)
    lead = params.W_hh.shape[:-2]
    T, B = x.shape[0], x.shape[-2]
    if x.ndim == 3:
        x = x.reshape(T, *([1] * len(lead)), B, -1)
    N = params.hidden_size
    W_t = np.ascontiguousarray(np.swapaxes(params.W_hh, -1, -2))  # (..., N, N): h @ W_hh^T; contiguous for BLAS
    W_xh_t = np.swapaxes(params.W_xh, -1, -2)
    g = None if row_gain is None else np.asarray(row_gain, dtype=np.float64)[..., None]  # (..., B, 1)
    h = np.empty((T + 1, *lead, B, N))
    h[0] = 0.0

    def run(rows: slice) -> None:
        """The time loop for one block of sequences (they never interact)."""
        hr, xr = h[..., rows, :], x[..., rows, :]
        gr = None if g is None else g[..., rows, :]
        at = np.empty(hr.shape[1:])  # a_t, in cache: the pre-activations are not kept (Trajectory.a recomputes them)
        # Per-step views made once, and np.dot for plain 2-D products: at N = 64, B = 1 a step is ~3 us of call
        # overhead and almost no arithmetic.
        hs, f = list(hr), act.f
        fused = None if act.steps is None else act.steps(at, xr, W_xh_t, params.b, hr[1:])
        # a_t = h_{t-1} @ W_hh^T into `at`: product(t - 1, 0), through MKL with W_hh^T packed once where it is installed
        product = blas.step_products(hr, W_t, at, batch_rows=B)
        with np.errstate(over="ignore", invalid="ignore"):
            if fused is None:
                # the input drive W_xh x_t + b, for a chunk of steps at once (out of the sequential loop, few calls)
                # and in cache (not a (T, ..., B, N) array in memory)
                chunk = max(1, DRIVE_CHUNK // max(1, at.size))
                for t0 in range(0, T, chunk):
                    drvs = list(_drive(xr[t0:t0 + chunk], W_xh_t, params.b))
                    for t in range(t0 + 1, t0 + len(drvs) + 1):
                        product(t - 1, 0)
                        if gr is not None:
                            at *= gr
                        at += drvs[t - 1 - t0]
                        f(at, hs[t])
                # One cheap pass decides whether the element-wise check below is needed: a sum is finite only if
                # every term is (a finite sum can overflow for states near 1e308; then the exact check runs, slower).
                finite_sums.append(bool(np.isfinite(hr.sum())))
            else:  # drive and activation in one compiled pass a step, which also watches for NaN
                step, finite = fused
                for t in range(1, T + 1):
                    product(t - 1, 0)
                    if gr is not None:
                        at *= gr
                    step(t - 1, t - 1)  # x_t is x[t - 1]; h[1:] starts at step 1
                finite_sums.append(finite())

    finite_sums: list[bool] = []  # one per block (list.append is atomic across threads)
    small = None
    if act.small_loop is not None and not lead and g is None and kernels.is_small(B, N):
        small = act.small_loop(W_t, _drive(x, W_xh_t, params.b), h)
    if small is not None:  # a small single network: the whole loop compiled (see rnn_core.kernels.SMALL_WORK)
        finite_sums.append(small)
    else:
        threads.run_rows_paging_in(run, threads.row_blocks(B, int(np.prod(lead, dtype=int)) * N * N), h)
    row_gain_out = None if g is None else g[..., 0]
    inputs = (W_t, W_xh_t, params.b, x)
    if all(finite_sums):
        return Trajectory(h, np.full((*lead, B), T), row_gain_out, inputs, activation=activation)
    finite = np.isfinite(h).all(axis=-1)  # (T+1, ..., B)
    finite = np.repeat(finite.reshape(T + 1, *lead, groups, B // groups).all(axis=-1), B // groups, axis=-1)
    valid_T = np.where(finite.all(axis=0), T, np.argmin(finite, axis=0) - 1)  # (..., B)
    if np.any(valid_T < T):
        bad = np.arange(T + 1).reshape(-1, *([1] * (len(lead) + 1))) > valid_T  # (T+1, ..., B)
        h[bad] = np.nan
    return Trajectory(h, valid_T, row_gain_out, inputs, activation=activation)
