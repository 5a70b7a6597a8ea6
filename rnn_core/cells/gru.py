"""The GRU, in PyTorch's convention (``torch.nn.GRU``): gate rows r, z, n; state ``h``.

Forward, one step::

    [x_r, x_z, x_n] = W_ih x_t + b_ih                # (3N,) the input's part of each pre-activation
    [h_r, h_z, h_n] = W_hh h_{t-1} + b_hh            # (3N,) the recurrent part
    r = sigmoid(x_r + h_r);  z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)                          # the reset gate scales the recurrent part, bias b_hn included
    h_t = (1 - z) * n + z * h_{t-1}

Backward, one step, from ``dh = dL/dh_t``::

    d_n = dh * (1 - z) * (1 - n^2)                   # dL/d(x_n + r * h_n)
    d_z = dh * (h_{t-1} - n) * z (1 - z)             # dL/d(x_z + h_z)
    d_r = d_n * h_n * r (1 - r)                      # dL/d(x_r + h_r)
    delta = [d_r, d_z, d_n]                          # dL/d[x_r, x_z, x_n]: what W_ih and b_ih see
    delta_h = [d_r, d_z, d_n * r]                    # dL/d[h_r, h_z, h_n]: what W_hh and b_hh see
    dL/dh_{t-1} = W_hh^T delta_h + dh * z
    dW_ih += delta x_t^T;  db_ih += delta;  dW_hh += delta_h h_{t-1}^T;  db_hh += delta_h

With ``W_hh = 0`` the step Jacobian is ``diag(z_t)`` exactly, so ``dh_T/dh_t = diag(prod_{k=t+1..T} z_k)``: the
update gate is the GRU's carousel, and its product the reference curve. Rows are sequences, so ``W h`` is written
``h @ W.mT`` and ``W^T delta`` is ``delta @ W``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..activations import get_activation
from ..initializers import init_matrix, readout_vector, streams
from .base import Cell, Theory
from .gated import GatedParams

Array = np.ndarray
sigmoid = get_activation("sigmoid")  # overflow-free: exp() only sees non-positive arguments


class GRUParams(GatedParams):
    """The weights of one GRU as ``torch.nn.GRU`` names them (see :class:`GatedParams`), 3 row blocks.

    Examples
    --------
    >>> import numpy as np
    >>> p = GRUParams.from_arrays(np.zeros((6, 3)), np.zeros((6, 2)))
    >>> p.hidden_size, p.input_size, p.b_ih.shape
    (2, 3, (6,))
    """

    gates = 3
    cell_name = "gru"


def preactivations(p: GRUParams, h_prev: Array, x: Array) -> tuple[Array, Array]:
    """The input's and the recurrent parts, ``W_ih x_t + b_ih`` and ``W_hh h_{t-1} + b_hh``, each (..., B, 3N)."""
    return x @ p.W_ih.mT + p.b_ih[..., None, :], h_prev @ p.W_hh.mT + p.b_hh[..., None, :]


def gates(p: GRUParams, h_prev: Array, x: Array) -> tuple[Array, Array, Array, Array]:
    """``r, z, n`` and the recurrent part ``h_n = W_hn h_{t-1} + b_hn`` (each (..., B, N)) of one step."""
    (x_r, x_z, x_n), (h_r, h_z, h_n) = (np.split(a, 3, axis=-1) for a in preactivations(p, h_prev, x))
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    return r, z, np.tanh(x_n + r * h_n), h_n


@dataclass(frozen=True)
class GRU(Cell):
    """The GRU cell of ``torch.nn.GRU`` (one layer), state ``h``."""

    name = "gru"

    def state_size(self, params: GRUParams) -> int:
        return params.hidden_size

    def output(self, s: Array) -> Array:
        return s

    def readout(self, params: GRUParams) -> Array:
        return params.u

    # -- the step and, beside it, its backward step ---------------------------------------------------------------

    def step(self, params: GRUParams, h_prev: Array, x: Array) -> Array:
        _, z, n, _ = gates(params, h_prev, x)
        return (1.0 - z) * n + z * h_prev

    def _chain(self, params: GRUParams, dh: Array, h_prev: Array, x: Array) -> tuple[Array, Array, Array]:
        """``delta = dL/d[x_r, x_z, x_n]`` (..., R, 3N) and the gates ``r``, ``z`` from ``dh = dL/dh_t``."""
        r, z, n, h_n = gates(params, h_prev, x)  # recomputed from the states, as the contract asks
        d_n = dh * (1.0 - z) * (1.0 - n**2)
        d_z = dh * (h_prev - n) * z * (1.0 - z)
        d_r = d_n * h_n * r * (1.0 - r)
        return np.concatenate([d_r, d_z, d_n], axis=-1), r, z

    def delta(self, params: GRUParams, dh: Array, h_prev: Array, h: Array, x: Array) -> Array:
        return self._chain(params, dh, h_prev, x)[0]

    def backward(self, params: GRUParams, dh: Array, h_prev: Array, h: Array, x: Array) -> Array:
        delta, r, z = self._chain(params, dh, h_prev, x)
        return _recurrent_delta(delta, r) @ params.W_hh + dh * z  # through the gates, and along z * h_{t-1}

    def jvp(self, params: GRUParams, q: Array, h_prev: Array, h: Array, x: Array) -> Array:
        """``J_t q`` for columns ``q`` (..., N, k); the states are one sequence's, (..., N)."""
        # the gates as columns (..., N, 1): computed for a batch of one sequence, then turned upright
        r, z, n, h_n = (a.mT for a in gates(params, h_prev[..., None, :], x[..., None, :]))
        q_r, q_z, q_n = np.split(params.W_hh @ q, 3, axis=-2)  # the tangent of [h_r, h_z, h_n], (..., N, k) each
        dr, dz = r * (1.0 - r) * q_r, z * (1.0 - z) * q_z
        dn = (1.0 - n**2) * (dr * h_n + r * q_n)
        return (1.0 - z) * dn + (h_prev[..., :, None] - n) * dz + z * q

    def recurrent_delta(self, params: GRUParams, delta: Array, h_prev: Array, x: Array) -> Array:
        r = gates(params, h_prev, x)[0]  # the reset gate, for the n block of the recurrent side
        return _recurrent_delta(delta, r)

    def param_grads(self, params: GRUParams, delta: Array, h_prev: Array, x: Array) -> dict[str, Array]:
        N, D = params.hidden_size, x.shape[-1]
        # every step and sequence as one row
        delta_h = self.recurrent_delta(params, delta, h_prev, x).reshape(-1, 3 * N)
        delta, h_prev, x = delta.reshape(-1, 3 * N), h_prev.reshape(-1, N), x.reshape(-1, D)
        return {"W_ih": delta.T @ x, "W_hh": delta_h.T @ h_prev, "b_ih": delta.sum(axis=0),
                "b_hh": delta_h.sum(axis=0)}

    # -- what the diagnostics need --------------------------------------------------------------------------------

    def theory(self, params: GRUParams) -> Theory:
        return Theory(recurrent=None, gamma=1.0)  # no single recurrent matrix: the theory is the update gate

    # saturated(): the base class's NaN. The GRU's squashing is in its gates, which the state h does not show.

    def reference_curves(self, params: GRUParams, traj: Any) -> dict[str, Array]:
        """``{"update gate": log10 max_i prod_{k=t+1..Tv} z_k,i}`` along the first sequence, shape (T+1,): 0 at
        ``t = Tv``, NaN beyond. It is ``log10 ||dh_Tv/dh_t||`` exactly when ``W_hh = 0``. Summed as
        ``log z = -log(1 + e^{-a_z})``, so it stays exact far below float64. Single network."""
        N, T, Tv = params.hidden_size, traj.T, int(traj.valid_T[0])
        x_part, h_part = preactivations(params, traj.s[:Tv, 0][:, None], traj.x[:Tv, 0][:, None])
        a_z = (x_part + h_part)[:, 0, N:2 * N]  # (Tv, N): steps k = 1..Tv
        log_z = -np.logaddexp(0.0, -a_z)  # ln sigmoid(a_z)
        curve = np.full(T + 1, np.nan)
        curve[Tv] = 0.0
        if Tv > 0:  # curve[t] = max_i sum_{k=t+1..Tv} ln z_k,i, in log10
            curve[:Tv] = np.cumsum(log_z[::-1], axis=0)[::-1].max(axis=-1) / np.log(10.0)
        return {"update gate": curve}

    def init_params(self, config: Any) -> GRUParams:
        """Each of the three N x N blocks of ``W_hh`` from ``config.init`` with ``config.gain`` (stream 0);
        ``W_ih ~ N(0, 1/D)``, ``b_ih ~ N(0, bias_scale^2)`` (stream 1); ``b_hh = 0``."""
        rng_hh, rng_ih, _, _ = streams(config.seed)
        N, D = config.hidden_size, config.input_dim
        W_hh = np.concatenate([init_matrix(config.init, N, N, config.gain, rng_hh) for _ in "rzn"])
        W_ih = init_matrix("normal", 3 * N, D, 1.0, rng_ih)
        b_ih = rng_ih.normal(0.0, config.bias_scale, size=3 * N) if config.bias_scale > 0 else np.zeros(3 * N)
        return GRUParams(W_ih, W_hh, b_ih, np.zeros(3 * N), readout_vector(N, config.seed))


def _recurrent_delta(delta: Array, r: Array) -> Array:
    """``dL/d[h_r, h_z, h_n]`` from ``delta = dL/d[x_r, x_z, x_n]``: the same but for ``r`` on the n block."""
    d_r, d_z, d_n = np.split(delta, 3, axis=-1)
    return np.concatenate([d_r, d_z, d_n * r], axis=-1)
