"""The linear recurrent unit (LRU) of Orvieto et al. (2023): a complex diagonal linear recurrence.

``h_t = Lambda h_{t-1} + gamma * (B x_t)`` with complex ``h`` (N units), ``Lambda = diag(lambda)``,
``lambda = exp(-exp(nu_log) + i exp(theta_log))`` (so ``|lambda| = exp(-exp(nu_log)) < 1`` for every parameter value),
complex ``B = B_re + i B_im`` and the input normalization ``gamma = exp(gamma_log)``. As in the paper's code,
``gamma_log`` is a parameter of its own, initialized to ``log sqrt(1 - |lambda|^2)`` (which keeps the state's variance
at that of the input for white noise) and not recomputed from ``lambda`` afterwards: the gradients below treat
``nu_log``, ``theta_log``, ``gamma_log``, ``B_re``, ``B_im`` as independent leaves.

The state is ``s = [Re h, Im h]`` (``S = 2N``, the cell contract's real form of a complex state). Per unit, with
``lambda = l_re + i l_im`` and the drive ``d = gamma * (B x_t)``, forward::

    Re h_t = l_re Re h_{t-1} - l_im Im h_{t-1} + Re d
    Im h_t = l_im Re h_{t-1} + l_re Im h_{t-1} + Im d

Backward, from ``g = dL/ds_t = [g_re, g_im]`` (the recurrence is linear: ``delta = g``)::

    g_re_prev = l_re g_re + l_im g_im      # J^T g, J = [[l_re, -l_im], [l_im, l_re]] per unit
    g_im_prev = -l_im g_re + l_re g_im
    dL/dl_re = g_re Re h_{t-1} + g_im Im h_{t-1};   dL/dl_im = g_im Re h_{t-1} - g_re Im h_{t-1}
    dL/dnu_log = -exp(nu_log) (l_re dL/dl_re + l_im dL/dl_im)      # d lambda/d nu_log = -exp(nu_log) lambda
    dL/dtheta_log = exp(theta_log) (l_re dL/dl_im - l_im dL/dl_re) # d lambda/d theta_log = i exp(theta_log) lambda
    dL/dgamma_log = gamma (g_re Re(B x_t) + g_im Im(B x_t));  dB_re += gamma g_re x_t^T;  dB_im += gamma g_im x_t^T

Each ``J_t = ds_t/ds_{t-1}`` is the same block-diagonal matrix, ``|lambda_i|`` times a rotation per unit, so
``||ds_T/ds_t||_2 = max|lambda|^(T-t)`` exactly and the Lyapunov exponents are ``ln|lambda_i|``, each twice.

The paper's output ``y_t = Re(C h_t) + D x_t`` is not modelled: the gradient analysis needs only a linear readout of
the state, and the loss is ``L = u·s_t`` with a unit vector ``u`` of length 2N in the space of ``[Re h, Im h]`` (a
``Re(C h)`` row is one such ``u``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..initializers import readout_vector, streams
from .base import Cell, Theory, check_finite
from .leaky import lag_curve

Array = np.ndarray

# The parametrization cannot hold |lambda| = 0 (nu_log = +inf) or a phase of exactly 0 (theta_log = -inf); such
# values (r_min = r_max = 0, max_phase = 0) are clipped to these. exp(-NU_MAX) is 0 in float64, so lambda = 0 exactly;
# a phase of PHASE_MIN is a real eigenvalue to float64's resolution, while l_im * g stays a normal number.
NU_MAX = 1000.0
PHASE_MIN = 1e-150


@dataclass(frozen=True)
class LRUParams:
    """The parameters of one linear recurrent unit (or of a stack of them, with leading dimensions).

    Attributes
    ----------
    nu_log : ndarray, shape (..., N) — ``|lambda| = exp(-exp(nu_log))``.
    theta_log : ndarray, shape (..., N) — ``arg lambda = exp(theta_log)``.
    gamma_log : ndarray, shape (..., N) — the input normalization ``gamma = exp(gamma_log)``.
    B_re, B_im : ndarray, shape (..., N, D) — the complex input matrix ``B = B_re + i B_im``.
    u : ndarray, shape (..., 2N) — the fixed unit-norm readout of the loss ``L = u·[Re h, Im h]``.
    """

    nu_log: Array
    theta_log: Array
    gamma_log: Array
    B_re: Array
    B_im: Array
    u: Array

    cell_name = "lru"

    def __post_init__(self) -> None:
        N = self.nu_log.shape[-1] if self.nu_log.ndim else -1
        for name in ("theta_log", "gamma_log"):
            if getattr(self, name).shape != self.nu_log.shape:
                raise ValueError(f"{name} must have the shape of nu_log {self.nu_log.shape}, got "
                                 f"{getattr(self, name).shape}")
        if self.B_re.ndim < 2 or self.B_re.shape[-2] != N or self.B_im.shape != self.B_re.shape:
            raise ValueError(f"B_re and B_im must have shape (..., {N}, D), got {self.B_re.shape}, {self.B_im.shape}")
        if self.u.shape[-1:] != (2 * N,):
            raise ValueError(f"u must have shape (..., {2 * N}) (the readout of [Re h, Im h]), got {self.u.shape}")
        check_finite(self, ("nu_log", "theta_log", "gamma_log", "B_re", "B_im", "u"))

    @property
    def hidden_size(self) -> int:
        """``N``, the number of complex units (the state has ``2N`` real numbers)."""
        return self.nu_log.shape[-1]

    @property
    def input_size(self) -> int:
        return self.B_re.shape[-1]

    @cached_property
    def lam(self) -> Array:
        """``lambda = exp(-exp(nu_log) + i exp(theta_log))``, complex, shape (..., N)."""
        return np.exp(-np.exp(self.nu_log) + 1j * np.exp(self.theta_log))

    @cached_property
    def lam_re(self) -> Array:
        return self.lam.real.copy()

    @cached_property
    def lam_im(self) -> Array:
        return self.lam.imag.copy()

    @cached_property
    def gamma(self) -> Array:
        return np.exp(self.gamma_log)

    @cached_property
    def log10_modulus(self) -> Array:
        """``log10 |lambda|`` of the ``lambda`` the arithmetic uses, shape (..., N); -inf where it is 0."""
        with np.errstate(divide="ignore"):
            return np.log10(np.hypot(self.lam_re, self.lam_im))

    @classmethod
    def from_arrays(cls, nu_log: Array, theta_log: Array, gamma_log: Array | None = None, B_re: Array | None = None,
                    B_im: Array | None = None, u: Array | None = None, *, input_size: int = 1,
                    seed: int = 0) -> LRUParams:
        """Wrap user-supplied arrays (e.g. a trained LRU's). Missing pieces: ``gamma_log = log sqrt(1 - |lambda|^2)``,
        zero ``B_re`` and ``B_im`` with ``input_size`` columns, and the seeded random unit readout of length 2N."""
        nu_log, theta_log = np.array(nu_log, dtype=np.float64), np.array(theta_log, dtype=np.float64)
        shape = (*nu_log.shape, input_size)
        return cls(nu_log, theta_log,
                   normalization_log(nu_log) if gamma_log is None else np.array(gamma_log, dtype=np.float64),
                   np.zeros(shape) if B_re is None else np.array(B_re, dtype=np.float64),
                   np.zeros(shape) if B_im is None else np.array(B_im, dtype=np.float64),
                   readout_vector(2 * nu_log.shape[-1], seed) if u is None else np.array(u, dtype=np.float64))

    @classmethod
    def from_eigenvalues(cls, lam: Array, B: Array | None = None, u: Array | None = None, *, input_size: int = 1,
                         seed: int = 0) -> LRUParams:
        """The LRU with the eigenvalues ``lam`` (complex, ``0 < |lam| < 1``; a phase in ``(-pi, 0]`` is taken as
        ``arg + 2 pi``, a phase of 0 as ``PHASE_MIN``), the complex input matrix ``B`` (zeros by default), the
        normalization ``gamma = sqrt(1 - |lam|^2)`` and the readout ``u`` (seeded by default).

        Examples
        --------
        >>> p = LRUParams.from_eigenvalues(np.array([0.5j, -0.9]))
        >>> np.round(p.lam, 12).tolist(), p.hidden_size, p.u.shape
        ([0.5j, (-0.9+0j)], 2, (4,))
        """
        lam = np.asarray(lam, dtype=np.complex128)
        r, phase = np.abs(lam), np.angle(lam)
        if not np.all((r > 0) & (r < 1)):
            raise ValueError(f"every |lam| must be in (0, 1) for the LRU's parametrization, got {r.min()}..{r.max()}")
        phase = np.maximum(np.where(phase <= 0, phase + 2 * np.pi, phase), PHASE_MIN)
        phase = np.where(phase >= 2 * np.pi, PHASE_MIN, phase)  # arg 0 came back as 2 pi
        B = np.zeros((*lam.shape, input_size), complex) if B is None else np.asarray(B, dtype=np.complex128)
        return cls.from_arrays(np.log(-np.log(r)), np.log(phase), None, B.real.copy(), B.imag.copy(), u,
                               input_size=B.shape[-1], seed=seed)


def normalization_log(nu_log: Array) -> Array:
    """``gamma_log = log sqrt(1 - |lambda|^2)`` with ``|lambda|^2 = exp(-2 exp(nu_log))``, computed without
    cancellation as ``0.5 log(-expm1(-2 exp(nu_log)))``: finite unless ``exp(nu_log)`` underflows (``nu_log < -745``).
    """
    return 0.5 * np.log(-np.expm1(-2.0 * np.exp(nu_log)))


@dataclass(frozen=True)
class LRU(Cell):
    """The linear recurrent unit: state ``[Re h, Im h]``, loss ``L = u·s``.

    Examples
    --------
    >>> from rnn_core import backward, forward
    >>> p = LRUParams.from_eigenvalues(np.full(3, 0.5 * np.exp(1j)), u=np.eye(6)[0])
    >>> g = backward(p, forward(p, np.zeros((4, 1, 1)), LRU()), "last")
    >>> np.round(10 ** g.log10_norm[:, 0], 12).tolist()   # ||dL/ds_t|| = 0.5^(T-t)
    [0.0625, 0.125, 0.25, 0.5, 1.0]
    """

    name = "lru"

    def init_params(self, config: Any) -> LRUParams:
        """The ring initialization of Orvieto et al. (2023), ``N = config.hidden_size`` complex units.

        ``|lambda|^2`` uniform on ``[r_min^2, r_max^2]`` (uniform on the ring's area):
        ``nu_log = log(-0.5 log(u1 (r_max^2 - r_min^2) + r_min^2))``; phases uniform on ``[0, max_phase]``:
        ``theta_log = log(max_phase u2)``, ``u1, u2 ~ U(0, 1)`` from stream 0; ``B_re, B_im ~ N(0, 1/(2D))`` from
        stream 1; ``gamma_log = log sqrt(1 - |lambda|^2)``; the readout (length 2N) from stream 3. ``config.init``,
        ``gain`` and ``bias_scale`` are ignored: the LRU has no ``W_hh`` and no bias. A radius of 0 and a phase of 0
        are clipped to ``exp(-NU_MAX)`` (0 in float64) and ``PHASE_MIN``.
        """
        rng_rec, rng_in, _, _ = streams(config.seed)
        N, D = config.hidden_size, config.input_dim
        u1, u2 = rng_rec.uniform(size=N), rng_rec.uniform(size=N)
        r2 = u1 * (config.r_max**2 - config.r_min**2) + config.r_min**2  # |lambda|^2
        with np.errstate(divide="ignore"):
            nu = np.minimum(-0.5 * np.log(r2), NU_MAX)  # -log|lambda|
        nu_log = np.log(nu)
        theta_log = np.log(np.maximum(config.max_phase * u2, PHASE_MIN))
        B_re = rng_in.normal(0.0, 1.0 / math.sqrt(2 * D), size=(N, D))
        B_im = rng_in.normal(0.0, 1.0 / math.sqrt(2 * D), size=(N, D))
        return LRUParams(nu_log, theta_log, normalization_log(nu_log), B_re, B_im, readout_vector(2 * N, config.seed))

    def state_size(self, params: LRUParams) -> int:
        return 2 * params.hidden_size

    def output(self, s: Array) -> Array:
        return s  # the readout sees the whole state [Re h, Im h]

    def readout(self, params: LRUParams) -> Array:
        return params.u

    @staticmethod
    def _halves(a: Array) -> tuple[Array, Array]:
        n = a.shape[-1] // 2
        return a[..., :n], a[..., n:]

    # -- the step and its backward step ----------------------------------------------------------------------------

    def step(self, params: LRUParams, s_prev: Array, x: Array) -> Array:
        h_re, h_im = self._halves(s_prev)  # (..., B, N) each
        l_re, l_im, gamma = params.lam_re[..., None, :], params.lam_im[..., None, :], params.gamma[..., None, :]
        d_re, d_im = gamma * (x @ params.B_re.mT), gamma * (x @ params.B_im.mT)  # gamma * (B x_t)
        return np.concatenate([l_re * h_re - l_im * h_im + d_re, l_im * h_re + l_re * h_im + d_im], axis=-1)

    def delta(self, params: LRUParams, g: Array, s_prev: Array, s: Array, x: Array) -> Array:
        return g  # linear: the gradient at the step's output is the one the parameters see

    def backward(self, params: LRUParams, g: Array, s_prev: Array, s: Array, x: Array) -> Array:
        g_re, g_im = self._halves(g)
        l_re, l_im = params.lam_re[..., None, :], params.lam_im[..., None, :]
        return np.concatenate([l_re * g_re + l_im * g_im, l_re * g_im - l_im * g_re], axis=-1)  # J^T g

    def jvp(self, params: LRUParams, q: Array, s_prev: Array, s: Array, x: Array) -> Array:
        n = q.shape[-2] // 2
        q_re, q_im = q[..., :n, :], q[..., n:, :]  # (..., N, k) each
        l_re, l_im = params.lam_re[..., :, None], params.lam_im[..., :, None]
        return np.concatenate([l_re * q_re - l_im * q_im, l_im * q_re + l_re * q_im], axis=-2)  # J q

    def param_grads(self, params: LRUParams, delta: Array, s_prev: Array, x: Array) -> dict[str, Array]:
        S, D = delta.shape[-1], x.shape[-1]
        g_re, g_im = self._halves(delta.reshape(-1, S))  # every step and sequence
        h_re, h_im = self._halves(s_prev.reshape(-1, S))
        x = x.reshape(-1, D)
        l_re, l_im, gamma = params.lam_re, params.lam_im, params.gamma
        dl_re = (g_re * h_re + g_im * h_im).sum(axis=0)  # dL/d Re lambda
        dl_im = (g_im * h_re - g_re * h_im).sum(axis=0)  # dL/d Im lambda
        dB_re, dB_im = g_re.T @ x, g_im.T @ x  # dL/d(gamma B) (N, D)
        return {
            "nu_log": -np.exp(params.nu_log) * (l_re * dl_re + l_im * dl_im),
            "theta_log": np.exp(params.theta_log) * (l_re * dl_im - l_im * dl_re),
            "gamma_log": gamma * ((dB_re * params.B_re).sum(axis=-1) + (dB_im * params.B_im).sum(axis=-1)),
            "B_re": gamma[:, None] * dB_re,
            "B_im": gamma[:, None] * dB_im,
        }

    # -- what the diagnostics need ---------------------------------------------------------------------------------

    def theory(self, params: LRUParams) -> Theory:
        """The real form ``[[Re Lambda, -Im Lambda], [Im Lambda, Re Lambda]]`` (2N x 2N) of the step Jacobian itself:
        its singular values are ``|lambda_i|``, each twice, and ``||J_t||_2 = max|lambda|`` (no elementwise factor)."""
        eye = np.eye(params.hidden_size)
        L_re, L_im = params.lam_re[..., :, None] * eye, params.lam_im[..., :, None] * eye  # diagonal (..., N, N)
        return Theory(recurrent=np.concatenate([np.concatenate([L_re, -L_im], axis=-1),
                                                np.concatenate([L_im, L_re], axis=-1)], axis=-2), gamma=1.0)

    def bound_text(self, theory: Theory, sigma_max: float) -> str:
        """``||J_t||_2 = max|λ|``: the bound is attained at every step."""
        return f"||J_t|| = max|λ| = {sigma_max:.3g}"

    def reference_curves(self, params: LRUParams, traj: Any) -> dict[str, Array]:
        """``max|lambda|^(T-t)`` in log10: exactly ``||ds_T/ds_t||_2`` (every step Jacobian is the same normal
        matrix), and the gradient's rate for a loss at one step once the slowest unit dominates."""
        return {"max|λ|^(T-t)": lag_curve(float(params.log10_modulus.max()), int(traj.valid_T.flat[0]), traj.T)}


def curse_of_memory(r: Array, T: int | None = None, *, normalized: bool = False) -> Array:
    """``log10 E|dh_T/dlambda|^2``: how sensitive the state of a linear recurrence is to its own eigenvalue.

    For the scalar recurrence ``h_t = lambda h_{t-1} + c x_t`` from ``h_0 = 0``, with ``|lambda| = r`` and white-noise
    input of unit variance, ``h_T = c sum_{k=0}^{T-1} lambda^k x_{T-k}``, so
    ``dh_T/dlambda = c sum_{k=1}^{T-1} k lambda^(k-1) x_{T-k}`` and

        E|dh_T/dlambda|^2 = c^2 sum_{k=1}^{T-1} k^2 r^(2(k-1))  ->  c^2 (1 + r^2) / (1 - r^2)^3   (T -> inf).

    ``normalized=False``: the plain recurrence, ``c = 1``: ``(1 + r^2) / (1 - r^2)^3``. ``normalized=True``: the LRU's
    input normalization ``c = gamma = sqrt(1 - r^2)``, held fixed (its own parameter, as ``gamma_log``), so
    ``E|h_T|^2 -> 1`` and the sensitivity is ``(1 + r^2) / (1 - r^2)^2``. Either diverges as ``r -> 1`` while the
    state's own variance stays bounded (normalized) or grows only like ``1 / (1 - r^2)``: the curse of memory
    (Zucchet & Orvieto 2024).

    Parameters
    ----------
    r : array_like — ``|lambda|`` in ``[0, 1]`` (1 only with a finite ``T``).
    T : int, optional — the number of steps; ``None`` for the limit ``T -> inf``.
    normalized : bool — with the input normalization ``sqrt(1 - r^2)`` (see above).

    Returns
    -------
    ndarray, shaped like ``r`` — ``log10 E|dh_T/dlambda|^2`` (-inf for ``T <= 1``: ``h_T`` does not depend on
    ``lambda``; inf for ``r = 1``, ``T = None``).

    Examples
    --------
    >>> float(10 ** curse_of_memory(0.5))   # (1 + 1/4) / (3/4)^3
    2.962962962962963
    >>> round(float(10 ** curse_of_memory(1.0, T=4)), 12)  # 1 + 4 + 9
    14.0
    """
    r = np.asarray(r, dtype=np.float64)
    if np.any((r < 0) | (r > 1)) or np.any(np.isnan(r)):
        raise ValueError("r must be in [0, 1] (a modulus |lambda| of a stable recurrence)")
    q = r * r
    one_minus_q = (1.0 - r) * (1.0 + r)  # 1 - r^2 without cancellation near r = 1
    with np.errstate(divide="ignore"):
        if T is None:
            log_sum = np.log10(1.0 + q) - 3.0 * np.log10(one_minus_q)
        else:
            log_sum = np.log10(_weighted_power_sum(q, int(T) - 1))
        return log_sum + np.log10(one_minus_q) if normalized else log_sum


def _weighted_power_sum(q: Array, n: int) -> Array:
    """``sum_{k=1}^{n} k^2 q^(k-1)`` for every ``q`` in ``[0, 1]``, by binary doubling of the three moments
    ``P_j(m) = sum_{k=1}^{m} k^j q^(k-1)``, ``j = 0, 1, 2``: ``O(log n)`` steps, every term positive (no cancellation,
    unlike the closed form near ``q = 1``)::

        P0(2m) = P0 + q^m P0;  P1(2m) = P1 + q^m (P1 + m P0);  P2(2m) = P2 + q^m (P2 + 2m P1 + m^2 P0)
        P_j(m + 1) = P_j(m) + (m + 1)^j q^m
    """
    P0, P1, P2 = np.zeros_like(q), np.zeros_like(q), np.zeros_like(q)
    m = 0
    for bit in bin(max(n, 0))[2:] if n > 0 else "":
        if m:  # double
            qm = q**m
            P0, P1, P2 = P0 + qm * P0, P1 + qm * (P1 + m * P0), P2 + qm * (P2 + 2 * m * P1 + m * m * P0)
            m *= 2
        if bit == "1":  # one more term, k = m + 1
            qm = q**m
            P0, P1, P2 = P0 + qm, P1 + (m + 1) * qm, P2 + (m + 1) ** 2 * qm
            m += 1
    return P2
