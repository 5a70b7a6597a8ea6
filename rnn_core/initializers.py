"""Weight initializers for ``W_hh`` (and ``W_xh``), each a pure function of a gain and a random generator.

All draw from a ``numpy.random.Generator`` so that a seed reproduces a matrix bit for bit. ``fan_in`` is the number
of columns (PyTorch's convention: ``W`` has shape ``(out, in)`` and acts as ``W @ x``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Array = np.ndarray
Initializer = Callable[[int, int, float, np.random.Generator], Array]


def normal(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """``W_ij ~ N(0, gain^2 / n_in)``: the circular law puts the eigenvalues in a disc of radius ``gain``."""
    return rng.normal(0.0, gain / np.sqrt(n_in), size=(n_out, n_in))


def uniform(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """Uniform with the same variance as :func:`normal`: ``U(±gain * sqrt(3 / n_in))``."""
    bound = gain * np.sqrt(3.0 / n_in)
    return rng.uniform(-bound, bound, size=(n_out, n_in))


def glorot_normal(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """Glorot/Xavier normal: ``N(0, gain^2 * 2 / (n_in + n_out))``."""
    return rng.normal(0.0, gain * np.sqrt(2.0 / (n_in + n_out)), size=(n_out, n_in))


def glorot_uniform(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """Glorot/Xavier uniform: ``U(±gain * sqrt(6 / (n_in + n_out)))``."""
    bound = gain * np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-bound, bound, size=(n_out, n_in))


def he_normal(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """He/Kaiming normal (fan-in): ``N(0, gain^2 * 2 / n_in)``; gain 1 is the ReLU setting."""
    return rng.normal(0.0, gain * np.sqrt(2.0 / n_in), size=(n_out, n_in))


def orthogonal(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """``gain * Q`` with ``Q`` Haar-distributed: QR of a Gaussian matrix with the sign fix ``Q * sign(diag R)``.

    Without the sign fix the QR factor is not uniformly distributed (Mezzadri 2007).
    """
    rows, cols = max(n_out, n_in), min(n_out, n_in)
    q, r = np.linalg.qr(rng.normal(size=(rows, cols)))
    d = np.sign(np.diag(r))
    d[d == 0] = 1.0
    q = q * d
    if n_out < n_in:
        q = q.T
    return gain * q


def identity(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """``gain * I`` (Le, Jaitly & Hinton 2015, the IRNN). Draws nothing from ``rng``."""
    return gain * np.eye(n_out, n_in)


def pytorch_default(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """PyTorch's ``nn.RNN`` default ``U(±1/sqrt(hidden_size))``, times ``gain``. For ``W_hh``, hidden = ``n_in``."""
    bound = gain / np.sqrt(n_in)
    return rng.uniform(-bound, bound, size=(n_out, n_in))


def spectral_radius(n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """A Gaussian matrix rescaled so that its spectral radius is exactly ``gain`` (echo-state networks).

    Here the gain *is* the target radius rho. Only defined for square matrices.
    """
    if n_out != n_in:
        raise ValueError(f"init='spectral_radius' needs a square matrix, got shape ({n_out}, {n_in})")
    w = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in))
    rho = float(np.max(np.abs(np.linalg.eigvals(w))))
    return w * (gain / rho) if rho > 0 else w


INITIALIZERS: dict[str, Initializer] = {
    "normal": normal,
    "uniform": uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
    "identity": identity,
    "pytorch_default": pytorch_default,
    "spectral_radius": spectral_radius,
}


def init_matrix(name: str, n_out: int, n_in: int, gain: float, rng: np.random.Generator) -> Array:
    """Draw a ``(n_out, n_in)`` float64 matrix with the initializer called ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> W = init_matrix("orthogonal", 4, 4, 2.0, np.random.default_rng(0))
    >>> bool(np.allclose(W @ W.T, 4.0 * np.eye(4)))
    True
    """
    try:
        fn = INITIALIZERS[name]
    except KeyError:
        allowed = ", ".join(repr(k) for k in INITIALIZERS)
        raise ValueError(f"init={name!r} is not one of {allowed}") from None
    return np.asarray(fn(n_out, n_in, float(gain), rng), dtype=np.float64)


def streams(seed: int) -> list[np.random.Generator]:
    """Four independent generators of ``seed`` (W_hh, W_xh and b, inputs, readout): changing the initializer never
    changes the inputs or the readout."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]


def readout_vector(N: int, seed: int) -> Array:
    """The loss's readout ``u``: a random unit vector of length ``N``, from its own stream of ``seed``."""
    u = streams(seed)[3].normal(size=N)
    return u / np.linalg.norm(u)
