"""Spectra of ``W_hh`` and the Lyapunov spectrum of the dynamics along a trajectory.

The Lyapunov exponents ``lambda_1 >= lambda_2 >= ...`` are the average log growth rates per step of the forward
Jacobian products ``J_t ... J_1``; ``lambda_1 > 0`` is chaos (and, backwards, exploding gradients), ``lambda_1 < 0``
contraction (vanishing gradients). Natural log, per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import fast
from .rnn import Trajectory

Array = np.ndarray
# Steps between QR factorizations. The diagonal of R for a product of m steps is the product of the per-step
# diagonals, so the exponents are unchanged; the columns of Q only lose relative precision ~ eps * e^{m (l_1 - l_k)},
# negligible for m = 4 unless the top k exponents spread by more than ~5 per step. QR costs ~70 us a call.
REORTHONORMALIZE = 4
# How many exponents ``analyze`` (and so ``sweep``) computes. The finite-time estimate of lambda_1 depends on the
# starting frame, which depends on k and the seed: both must be the same for a sweep row to equal a run alone.
LYAPUNOV_K = 8


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues and singular values of ``W_hh`` (with leading dimensions for a stack).

    Attributes
    ----------
    eigenvalues : ndarray of complex, shape (..., N).
    singular_values : ndarray, shape (..., N), descending.
    """

    eigenvalues: Array
    singular_values: Array

    @classmethod
    def empty(cls) -> Spectrum:
        """The spectrum of a cell with no single recurrent matrix: no values, NaN radius and norm."""
        return cls(np.empty(0, dtype=complex), np.empty(0))

    @property
    def spectral_radius(self) -> Array:
        if self.eigenvalues.shape[-1] == 0:
            return np.full(self.eigenvalues.shape[:-1], np.nan)
        return np.max(np.abs(self.eigenvalues), axis=-1)

    @property
    def sigma_max(self) -> Array:
        if self.singular_values.shape[-1] == 0:
            return np.full(self.singular_values.shape[:-1], np.nan)
        return self.singular_values[..., 0]


def spectrum(W_hh: Array) -> Spectrum:
    """Eigenvalues and singular values of ``W_hh`` (shape ``(..., N, N)``).

    Examples
    --------
    >>> import numpy as np
    >>> s = spectrum(np.array([[0.0, 2.0], [0.5, 0.0]]))
    >>> float(s.spectral_radius), float(s.sigma_max)
    (1.0, 2.0)
    """
    return Spectrum(np.linalg.eigvals(W_hh), np.linalg.svd(W_hh, compute_uv=False))


def initial_frame(N: int, k: int, seed: int) -> Array:
    """The orthonormal starting frame (N, k) of the QR method. Its first column does not depend on ``k``.

    So the first exponent (lambda_max) is the same whether 1 or 8 exponents are computed: a sweep computes one,
    ``analyze`` eight, and a sweep row equals the configuration run alone.
    """
    a = np.random.default_rng(seed).normal(size=(k, N)).T  # column j = draws j*N .. (j+1)*N - 1
    q, r = np.linalg.qr(a)
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)  # q[:, 0] = a[:, 0] / ||a[:, 0]||, not its negative


def lyapunov_spectrum(params: Any, traj: Trajectory, k: int = LYAPUNOV_K, seed: int = 0,
                      start: Array | None = None) -> Array:
    """The top ``k`` finite-time Lyapunov exponents along the trajectory of each network's first sequence (QR method).

    ``Q_t R_t = J_t Q_{t-1}`` (every ``REORTHONORMALIZE`` steps; ``J_t Q`` is the cell's Jacobian-vector product);
    ``lambda_i = (1/T) sum_t ln |R_t[i, i]|`` over the valid steps ``t = 1..T`` (Benettin et al. 1980). Stacked
    networks (leading dimensions of the parameters) are done at once.

    ``params`` may also be a bare matrix (``W_hh``, as in earlier versions): the trajectory's own parameters are then
    used. ``start`` (shape (..., S, k)) gives each network its own starting frame; by default
    ``initial_frame(S, k, seed)``.

    Returns
    -------
    ndarray, shape (..., k), in the order of the QR columns: the first is the estimate of lambda_max (its column
    follows the most expanding direction), the others descend at large T. -inf where the product is exactly singular
    (e.g. every ReLU dead); NaN where no step is valid. A single network gives shape (1, k).
    """
    if isinstance(params, np.ndarray):
        params = traj.params
    cell, x = traj.cell, traj.x
    s = traj.s[..., 0, :]  # (T+1, ..., S): each network's first sequence
    S = s.shape[-1]
    k = min(k, S)
    lead = s.shape[1:-1]
    valid = traj.valid_T[..., 0]  # (...)
    Q = np.broadcast_to(initial_frame(S, k, seed) if start is None else start, (*lead, S, k)).copy()
    total = np.zeros((*lead, k))
    T = int(valid.max(initial=0))
    # J_t Q: the cell's Jacobian-vector product at step t, or a faster path to it
    jvp = fast.tangent_map(cell, params, traj) or (
        lambda q, t: cell.jvp(params, q, s[t - 1], s[t], x[t - 1, ..., 0, :]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for t in range(1, T + 1):
            step = jvp(Q, t)
            Q = np.where((t <= valid)[..., None, None], step, Q) if lead else step  # past an overflow: unchanged
            if t % REORTHONORMALIZE == 0 or t == T:
                Q, r = _qr(Q)
                total += np.log(r)
    out = total / np.where(valid > 0, valid, np.nan)[..., None]
    return out if lead else out[None]


def _qr(Q: Array) -> tuple[Array, Array]:
    """Orthonormalize the frames ``Q`` (..., S, k); return them and ``|diag R|`` (..., k)."""
    if Q.shape[-1] == 1:  # one vector: QR is a normalization, much cheaper than LAPACK
        r = np.sqrt(np.einsum("...n,...n->...", Q[..., 0], Q[..., 0]))
        return Q / np.where(r > 0, r, 1.0)[..., None, None], r[..., None]
    q, r = np.linalg.qr(Q)
    return q, np.abs(np.diagonal(r, axis1=-2, axis2=-1))
