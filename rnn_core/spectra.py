"""Spectra of ``W_hh`` and the Lyapunov spectrum of the dynamics along a trajectory.

The Lyapunov exponents ``lambda_1 >= lambda_2 >= ...`` are the average log growth rates per step of the forward
Jacobian products ``J_t ... J_1``; ``lambda_1 > 0`` is chaos (and, backwards, exploding gradients), ``lambda_1 < 0``
contraction (vanishing gradients). Natural log, per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

    @property
    def spectral_radius(self) -> Array:
        return np.max(np.abs(self.eigenvalues), axis=-1)

    @property
    def sigma_max(self) -> Array:
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


def lyapunov_spectrum(W_hh: Array, traj: Trajectory, k: int = LYAPUNOV_K, seed: int = 0, groups: int = 1,
                      start: Array | None = None) -> Array:
    """The top ``k`` finite-time Lyapunov exponents along the trajectory of each network's first sequence (QR method).

    ``Q_t R_t = J_t Q_{t-1}`` (every ``REORTHONORMALIZE`` steps) with ``J_t = diag(act'(a_t)) g W_hh``;
    ``lambda_i = (1/T) sum_t ln |R_t[i, i]|`` over the valid steps ``t = 1..T`` (Benettin et al. 1980). Stacked
    networks (leading dimensions of ``W_hh``, and ``groups`` networks sharing one matrix with row gains ``g``, see
    :func:`~rnn_core.rnn.forward`) are done at once.

    ``start`` (shape (..., N, k)) gives each stack its own starting frame; by default ``initial_frame(N, k, seed)``.

    Returns
    -------
    ndarray, shape (..., groups, k), in the order of the QR columns: the first is the estimate of lambda_max (its
    column follows the most expanding direction), the others descend at large T. -inf where the product is exactly
    singular (e.g. every ReLU dead); NaN where no step is valid.
    """
    N = W_hh.shape[-1]
    k = min(k, N)
    lead = W_hh.shape[:-2]
    B = traj.h.shape[-2]
    if not lead and groups == 1 and traj.row_gain is None and start is None:
        d = traj.derivative(slice(0, 1))[:, 0]  # (T+1, N): the first sequence's
        return _lyapunov_one(W_hh, d, int(traj.valid_T[0]), initial_frame(N, k, seed))[None]
    first = slice(None, None, B // groups)  # the first sequence of each network
    d = np.moveaxis(traj.derivative(first), -1, -2)[..., None]  # (T+1, ..., N, M, 1)
    gain = 1.0 if traj.row_gain is None else traj.row_gain[..., None, first, None]  # (..., 1, M, 1)
    valid = traj.valid_T[..., first]  # (..., M)
    q0 = initial_frame(N, k, seed) if start is None else start
    Q = np.broadcast_to(q0[..., :, None, :], (*lead, N, groups, k)).copy()  # (..., N, M, k): one frame a network
    total = np.zeros((*lead, groups, k))
    T = int(valid.max(initial=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in range(1, T + 1):
            # one matrix product for all M networks sharing W_hh
            step = np.matmul(W_hh, Q.reshape(*lead, N, groups * k)).reshape(Q.shape) * (d[t] * gain)
            Q = np.where((t <= valid)[..., None, :, None], step, Q)  # past a network's last valid step: identity
            if t % REORTHONORMALIZE == 0 or t == T:
                Q, r = _qr(Q)
                total += np.log(r)
        return total / np.where(valid > 0, valid, np.nan)[..., None]


def _lyapunov_one(W_hh: Array, dact: Array, valid: int, Q: Array) -> Array:
    """:func:`lyapunov_spectrum` of one network (``dact`` of shape (T+1, N), frame ``Q`` (N, k)): the same
    arithmetic as the stacked case with plain 2-D arrays, which at N = 64 is several times cheaper in overhead."""
    if valid <= 0:
        return np.full(Q.shape[1], np.nan)
    total = np.zeros(Q.shape[1])
    with np.errstate(divide="ignore"):
        for t in range(1, valid + 1):
            Q = (W_hh @ Q) * dact[t][:, None]
            if t % REORTHONORMALIZE == 0 or t == valid:
                if Q.shape[1] == 1:
                    r = np.sqrt(Q[:, 0] @ Q[:, 0])
                    Q = Q / (r if r > 0 else 1.0)
                    total += np.log(r)
                else:
                    Q, r = np.linalg.qr(Q)
                    total += np.log(np.abs(np.diagonal(r)))
    return total / valid


def _qr(Q: Array) -> tuple[Array, Array]:
    """Orthonormalize the frames ``Q`` (..., N, M, k); return them and ``|diag R|`` (..., M, k)."""
    if Q.shape[-1] == 1:  # one vector: QR is a normalization, much cheaper than LAPACK
        r = np.sqrt(np.einsum("...nm,...nm->...m", Q[..., 0], Q[..., 0]))
        return Q / np.where(r > 0, r, 1.0)[..., None, :, None], r[..., None]
    q, r = np.linalg.qr(np.moveaxis(Q, -3, -2))  # (..., M, N, k)
    return np.moveaxis(q, -2, -3), np.abs(np.diagonal(r, axis1=-2, axis2=-1))
