"""The vanilla (Elman) RNN, in PyTorch's convention: ``h_t = act(W_hh h_{t-1} + W_xh x_t + b)``.

Forward, one step::

    a = W_hh h_{t-1} + W_xh x_t + b        # pre-activation
    h_t = act(a)

Backward, one step, from ``g = dL/dh_t`` (the chain rule through the two lines above)::

    delta = act'(a) * g                    # dL/da_t; act'(a) is read off h_t (tanh' = 1 - h_t^2)
    g_prev = W_hh^T delta                  # dL/dh_{t-1}
    dW_hh += delta h_{t-1}^T;  dW_xh += delta x_t^T;  db += delta

So the step Jacobian is ``J_t = dh_t/dh_{t-1} = diag(act'(a_t)) W_hh`` and ``||J_t||_2 <= gamma * sigma_max(W_hh)``
with ``gamma = sup |act'|``: the Pascanu et al. (2013) bound. Rows are sequences, so ``W h`` is written
``h @ W.mT`` and ``W^T delta`` is ``delta @ W``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..activations import Activation, get_activation, saturated_fraction
from ..initializers import init_matrix, readout_vector, streams
from .base import Cell, Theory, check_finite

Array = np.ndarray


@dataclass(frozen=True)
class Params:
    """The weights of one vanilla RNN (or of a stack of networks, with leading dimensions).

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

    cell_name = "rnn"

    def __post_init__(self) -> None:
        N = self.W_hh.shape[-1]
        if self.W_hh.ndim < 2 or self.W_hh.shape[-2] != N:
            raise ValueError(f"W_hh must be square (..., N, N), got shape {self.W_hh.shape}")
        if self.W_xh.shape[-2] != N:
            raise ValueError(f"W_xh must have shape (..., {N}, D), got {self.W_xh.shape}")
        if self.b.shape[-1] != N or self.u.shape[-1] != N:
            raise ValueError(f"b and u must have shape (..., {N}), got {self.b.shape}, {self.u.shape}")
        check_finite(self, ("W_hh", "W_xh", "b", "u"))

    @property
    def hidden_size(self) -> int:
        return self.W_hh.shape[-1]

    @property
    def input_size(self) -> int:
        return self.W_xh.shape[-1]

    @classmethod
    def from_arrays(cls, W_hh: Array, W_xh: Array | None = None, b: Array | None = None,
                    u: Array | None = None, *, input_size: int = 1, seed: int = 0) -> Params:
        """Wrap user-supplied matrices (e.g. a trained ``torch.nn.RNN``'s ``weight_hh_l0``).

        Missing pieces default to zeros (``W_xh`` with ``input_size`` columns, ``b``) and a seeded random unit
        readout ``u`` (the one :func:`rnn_core.init_params` draws for that seed).
        """
        W_hh = np.array(W_hh, dtype=np.float64)
        N = W_hh.shape[-1] if W_hh.ndim else 0
        W_xh = np.zeros((*W_hh.shape[:-2], N, input_size)) if W_xh is None else np.array(W_xh, dtype=np.float64)
        b = np.zeros(W_hh.shape[:-1]) if b is None else np.array(b, dtype=np.float64)
        u = readout_vector(N, seed) if u is None else np.array(u, dtype=np.float64)
        return cls(W_hh, W_xh, b, u)


@dataclass(frozen=True)
class Elman(Cell):
    """The vanilla RNN cell with the activation called ``activation`` (tanh, sigmoid, relu, leaky_relu, linear)."""

    activation: str = "tanh"
    name = "rnn"

    @classmethod
    def from_config(cls, config: Any) -> Elman:
        return cls(config.activation)

    def init_params(self, config: Any) -> Params:
        """``W_hh`` from ``config.init`` with ``config.gain``; ``W_xh ~ N(0, 1/D)``; ``b ~ N(0, bias_scale^2)``."""
        rng_hh, rng_xh, _, _ = streams(config.seed)
        N, D = config.hidden_size, config.input_dim
        W_hh = init_matrix(config.init, N, N, config.gain, rng_hh)
        W_xh = init_matrix("normal", N, D, 1.0, rng_xh)
        b = rng_xh.normal(0.0, config.bias_scale, size=N) if config.bias_scale > 0 else np.zeros(N)
        return Params(W_hh, W_xh, b, readout_vector(N, config.seed))

    def __post_init__(self) -> None:
        get_activation(self.activation)  # a clear error for an unknown name, at construction

    @cached_property
    def act(self) -> Activation:
        return get_activation(self.activation)

    def state_size(self, params: Params) -> int:
        return params.hidden_size

    def output(self, s: Array) -> Array:
        return s

    def readout(self, params: Params) -> Array:
        return params.u

    def step(self, params: Params, h_prev: Array, x: Array) -> Array:
        a = h_prev @ params.W_hh.mT + x @ params.W_xh.mT + params.b[..., None, :]
        return self.act(a)

    def delta(self, params: Params, g: Array, h_prev: Array, h: Array, x: Array) -> Array:
        return self.act.dact(h) * g  # dL/da_t = act'(a_t) * dL/dh_t

    def backward(self, params: Params, g: Array, h_prev: Array, h: Array, x: Array) -> Array:
        delta = self.delta(params, g, h_prev, h, x)
        return delta @ params.W_hh  # dL/dh_{t-1} = W_hh^T delta

    def jvp(self, params: Params, q: Array, h_prev: Array, h: Array, x: Array) -> Array:
        return self.act.dact(h)[..., :, None] * (params.W_hh @ q)  # J_t q = act'(a_t) * (W_hh q)

    def param_grads(self, params: Params, delta: Array, h_prev: Array, x: Array) -> dict[str, Array]:
        N, D = delta.shape[-1], x.shape[-1]
        delta, h_prev, x = delta.reshape(-1, N), h_prev.reshape(-1, N), x.reshape(-1, D)  # every step and sequence
        return {"W_hh": delta.T @ h_prev, "W_xh": delta.T @ x, "b": delta.sum(axis=0)}

    def theory(self, params: Params) -> Theory:
        return Theory(recurrent=params.W_hh, gamma=self.act.gamma)

    def saturated(self, s: Array) -> Array:
        return saturated_fraction(self.activation, s)

    def derivative_at(self, params: Params, h_prev: Array, h: Array, x: Array) -> Array:
        return self.act.dact(h)
