"""The log domain: vectors and sums carried as a mantissa times a power of ten, so that no norm ever leaves float64.

A gradient ``g`` is kept as a mantissa ``v`` (unit norm, or zero) and a log10 scale ``s`` with ``g = v * 10**s``;
``log10 ||g|| = s`` is exact to rounding at 1e-3000 as at 1e+3000, and ``s = -inf`` means exactly zero. The
parameter gradients are sums of such terms, each chunk relative to its largest, added on the larger scale.
The engine (``bptt``) and its fast paths (``fast``) both build on these few primitives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray
SUMSQ_TINY = 1e-290  # below this a sum of squares may have lost digits to subnormals (or underflowed to 0)
PARAM_CHUNK = 2**18  # deltas per chunk of the parameter gradients (2 MiB): their products run on data in cache


@dataclass(frozen=True)
class LogGrad:
    """``dL/ds_t`` for every step, as mantissa and log10 scale.

    Attributes
    ----------
    v : ndarray, shape (T+1, ..., B, S) — unit-norm (or zero) direction of ``dL/ds_t``.
    log10_norm : ndarray, shape (T+1, ..., B) — ``log10 ||dL/ds_t||``; -inf where the gradient is exactly zero,
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


def normalize(g: Array, s_next: Array, v: Array, s: Array) -> None:
    """``g`` (..., R, S) as unit mantissa into ``v`` and log10 scale ``s_next + log10 ||g||`` into ``s`` (..., R).

    Exact zeros give a zero mantissa and scale -inf. A sum of squares outside float64's comfortable range (subnormal
    or huge entries) is taken after dividing ``g`` by its largest entry, so nothing underflows or overflows.
    """
    n2 = np.einsum("...i,...i->...", g, g)
    if n2.min() >= SUMSQ_TINY and n2.max() < np.inf:  # the common case, in few calls
        n = np.sqrt(n2)
        np.divide(g, n[..., None], out=v)
        np.add(s_next, np.log10(n), out=s)
        return
    m = np.max(np.abs(g), axis=-1)  # 1 <= ||g / m|| <= sqrt(S)
    m = np.where(m > 0, m, 1.0)
    g = g / m[..., None]
    n = np.sqrt(np.einsum("...i,...i->...", g, g))
    pos = n > 0
    np.divide(g, np.where(pos, n, 1.0)[..., None], out=v)
    s[...] = np.where(pos, s_next + np.log10(m) + np.log10(np.where(pos, n, 1.0)), -np.inf)


def add_readout(v: Array, s: Array, u: Array, mask: Array) -> None:
    """``(v, s) += u`` where ``mask`` (..., B), in place and in the log domain: both terms are scaled by the larger."""
    if not mask.any():
        return
    ref = np.maximum(s, np.where(mask, 0.0, -np.inf))  # log10 of the larger of the two terms, u having norm 1
    ref = np.where(np.isfinite(ref), ref, 0.0)
    a = np.where(np.isfinite(s), 10.0 ** (s - ref), 0.0)
    vec = v * a[..., None] + mask[..., None] * u * 10.0 ** (-ref)[..., None]
    n = np.sqrt(np.einsum("...i,...i->...", vec, vec))
    pos = n > 0
    v[...] = vec / np.where(pos, n, 1.0)[..., None]
    s[...] = np.where(pos, ref + np.log10(np.where(pos, n, 1.0)), -np.inf)


@dataclass(frozen=True)
class ParamGrads:
    """The gradients of the loss with respect to every parameter, as mantissas times ``10**log10_scale`` (one scale
    for all), in the order of the cell's parameters (``W_hh``, ``W_xh``, ``b`` for the vanilla cell)."""

    mantissas: dict[str, Array]
    log10_scale: float

    def values(self) -> tuple[Array, ...]:
        """The plain float64 gradients (inf or 0 where they leave float64's range), in the parameters' order."""
        with np.errstate(over="ignore", invalid="ignore"):
            # np.float64, not float: a Python float power raises OverflowError instead of giving inf
            k = np.float64(10.0) ** self.log10_scale if np.isfinite(self.log10_scale) else np.float64(0.0)
            return tuple(_times(m, k) for m in self.mantissas.values())

    def as_dict(self) -> dict[str, Array]:
        """``{name: gradient}`` of :meth:`values`."""
        return dict(zip(self.mantissas, self.values(), strict=True))

    def __getattr__(self, name: str) -> Array:  # pg.W_hh: the mantissa, as the fields were called before
        try:
            return self.__dict__["mantissas"][name]
        except KeyError:
            raise AttributeError(name) from None


def add_sums(a: tuple[float, dict[str, Array]] | None,
              b: tuple[float, dict[str, Array]] | None) -> tuple[float, dict[str, Array]] | None:
    """The sum of two scaled sums ``(log10 scale, {name: mantissa})``, on the larger scale (into ``a``'s arrays)."""
    if a is None or b is None:
        return b if a is None else a
    if b[0] > a[0]:
        a, b = b, a
    with np.errstate(under="ignore"):
        k = 10.0 ** (b[0] - a[0])  # <= 1: far smaller sums underflow to 0, as they would
        for name, m in a[1].items():
            m += k * b[1][name]
    return a
