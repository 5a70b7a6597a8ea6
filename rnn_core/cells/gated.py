"""The parameters the two gated cells share, as PyTorch names them: ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh`` in row
blocks, one block of N rows per gate (the LSTM's i, f, g, o; the GRU's r, z, n), and the loss's readout ``u``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..initializers import readout_vector
from .base import check_finite

Array = np.ndarray


@dataclass(frozen=True)
class GatedParams:
    """The weights of one gated cell (or of a stack of networks, with leading dimensions).

    Attributes
    ----------
    W_ih : ndarray, shape (..., kN, D) — input weights, one row block per gate (``weight_ih_l0``).
    W_hh : ndarray, shape (..., kN, N) — recurrent weights, the same blocks (``weight_hh_l0``).
    b_ih, b_hh : ndarray, shape (..., kN) — the two biases (``bias_ih_l0``, ``bias_hh_l0``).
    u : ndarray, shape (..., N) — the fixed unit-norm readout of the loss ``L = u·h``.
    """

    W_ih: Array
    W_hh: Array
    b_ih: Array
    b_hh: Array
    u: Array

    gates: ClassVar[int] = 0  # k, the number of row blocks
    cell_name: ClassVar[str] = ""

    def __post_init__(self) -> None:
        N, k = self.W_hh.shape[-1], self.gates
        if self.W_hh.ndim < 2 or self.W_hh.shape[-2] != k * N:
            raise ValueError(f"W_hh must have shape (..., {k}N, N), got {self.W_hh.shape}")
        if self.W_ih.ndim < 2 or self.W_ih.shape[-2] != k * N:
            raise ValueError(f"W_ih must have shape (..., {k * N}, D), got {self.W_ih.shape}")
        if self.b_ih.shape[-1] != k * N or self.b_hh.shape[-1] != k * N or self.u.shape[-1] != N:
            raise ValueError(f"b_ih and b_hh must have shape (..., {k * N}) and u (..., {N}), got "
                             f"{self.b_ih.shape}, {self.b_hh.shape}, {self.u.shape}")
        check_finite(self, ("W_ih", "W_hh", "b_ih", "b_hh", "u"))

    @property
    def hidden_size(self) -> int:
        return self.W_hh.shape[-1]

    @property
    def input_size(self) -> int:
        return self.W_ih.shape[-1]

    @classmethod
    def from_arrays(cls, weight_ih: Array, weight_hh: Array, bias_ih: Array | None = None,
                    bias_hh: Array | None = None, u: Array | None = None, *, seed: int = 0) -> GatedParams:
        """Float64 copies of user-supplied weights (a trained ``torch.nn.LSTM``'s or ``GRU``'s ``weight_ih_l0``, ...).

        Missing biases are zeros; a missing readout is the seeded random unit vector ``readout_vector(N, seed)``.
        """
        W_ih, W_hh = np.array(weight_ih, dtype=np.float64), np.array(weight_hh, dtype=np.float64)
        b_ih = np.zeros(W_hh.shape[:-1]) if bias_ih is None else np.array(bias_ih, dtype=np.float64)
        b_hh = np.zeros(W_hh.shape[:-1]) if bias_hh is None else np.array(bias_hh, dtype=np.float64)
        u = readout_vector(W_hh.shape[-1], seed) if u is None else np.array(u, dtype=np.float64)
        return cls(W_ih, W_hh, b_ih, b_hh, u)
