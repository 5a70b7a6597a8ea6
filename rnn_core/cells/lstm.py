"""The LSTM, in PyTorch's convention (``torch.nn.LSTM``): gate rows i, f, g, o; state ``s = [h, c]``.

Forward, one step::

    a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        # (4N,) pre-activations, rows [a_i, a_f, a_g, a_o]
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    g = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Backward, one step, from ``dL/ds_t = [dh, dc]``, the gradient on the two parts of the state (``dc`` holds ``h_t``
fixed: PyTorch's ``c_t.grad``, which is the whole ``dL/dc_t``, adds the path through ``h_t`` that the first line
adds here)::

    dc = dc + dh * o * (1 - tanh(c_t)^2)             # all of dL/dc_t: directly, and through h_t
    delta = [dc * g * i (1 - i),                     # dL/da_t, rows as in a
             dc * c_{t-1} * f (1 - f),
             dc * i * (1 - g^2),
             dh * tanh(c_t) * o (1 - o)]
    dL/dh_{t-1} = W_hh^T delta;   dL/dc_{t-1} = dc * f
    dW_ih += delta x_t^T;  dW_hh += delta h_{t-1}^T;  db_ih += delta;  db_hh += delta

The *constant error carousel*: along the cell state alone, ``dc_T/dc_t = diag(prod_{k=t+1..T} f_k)`` — no matrix and
no squashing, only the forget gates. With ``f`` near 1 the gradient survives a long time; that product is the
LSTM's reference curve. Rows are sequences, so ``W h`` is written ``h @ W.mT`` and ``W^T delta`` is ``delta @ W``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..activations import get_activation, saturated_fraction
from ..initializers import init_matrix, readout_vector, streams
from .base import Cell, Theory
from .gated import GatedParams

Array = np.ndarray
sigmoid = get_activation("sigmoid")  # overflow-free: exp() only sees non-positive arguments


class LSTMParams(GatedParams):
    """The weights of one LSTM as ``torch.nn.LSTM`` names them (see :class:`GatedParams`), 4 row blocks.

    Examples
    --------
    >>> import numpy as np
    >>> p = LSTMParams.from_arrays(np.zeros((8, 3)), np.zeros((8, 2)))
    >>> p.hidden_size, p.input_size, p.b_ih.shape
    (2, 3, (8,))
    """

    gates = 4
    cell_name = "lstm"


def preactivations(p: LSTMParams, h_prev: Array, x: Array) -> Array:
    """``a_t`` (..., B, 4N), rows [a_i, a_f, a_g, a_o], from ``h_{t-1}`` (..., B, N) and ``x_t`` (..., B, D)."""
    return x @ p.W_ih.mT + p.b_ih[..., None, :] + h_prev @ p.W_hh.mT + p.b_hh[..., None, :]


def gates(p: LSTMParams, h_prev: Array, x: Array) -> tuple[Array, Array, Array, Array]:
    """The gates ``i, f, g, o`` (each (..., B, N)) of the step from ``h_{t-1}`` with input ``x_t``."""
    a_i, a_f, a_g, a_o = np.split(preactivations(p, h_prev, x), 4, axis=-1)
    return sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)


@dataclass(frozen=True)
class LSTM(Cell):
    """The LSTM cell of ``torch.nn.LSTM`` (one layer), state ``[h, c]``."""

    name = "lstm"

    def state_size(self, params: LSTMParams) -> int:
        return 2 * params.hidden_size

    def output(self, s: Array) -> Array:
        return s[..., : s.shape[-1] // 2]  # h

    def readout(self, params: LSTMParams) -> Array:
        return np.concatenate([params.u, np.zeros_like(params.u)], axis=-1)  # the loss reads h, not c

    def state_parts(self, params: LSTMParams) -> dict[str, slice]:
        N = params.hidden_size
        return {"h": slice(0, N), "c": slice(N, 2 * N)}

    # -- the step and, beside it, its backward step ---------------------------------------------------------------

    def step(self, params: LSTMParams, s_prev: Array, x: Array) -> Array:
        N = params.hidden_size
        h_prev, c_prev = s_prev[..., :N], s_prev[..., N:]
        i, f, g, o = gates(params, h_prev, x)
        c = f * c_prev + i * g
        return np.concatenate([o * np.tanh(c), c], axis=-1)

    def _chain(self, params: LSTMParams, ds: Array, s_prev: Array, s: Array, x: Array) -> tuple[Array, Array, Array]:
        """``delta = dL/da_t`` (..., R, 4N), the whole ``dL/dc_t`` (..., R, N) and ``f`` from ``ds = dL/ds_t``."""
        N = params.hidden_size
        i, f, g, o = gates(params, s_prev[..., :N], x)  # recomputed from the states, as the contract asks
        c_prev, tanh_c = s_prev[..., N:], np.tanh(s[..., N:])
        dh, dc = ds[..., :N], ds[..., N:]
        dc = dc + dh * o * (1.0 - tanh_c**2)  # dL/dc_t: directly and through h_t = o * tanh(c_t)
        delta = np.concatenate([dc * g * i * (1.0 - i),  # dL/da_i
                                dc * c_prev * f * (1.0 - f),  # dL/da_f
                                dc * i * (1.0 - g**2),  # dL/da_g
                                dh * tanh_c * o * (1.0 - o)], axis=-1)  # dL/da_o
        return delta, dc, f

    def delta(self, params: LSTMParams, ds: Array, s_prev: Array, s: Array, x: Array) -> Array:
        return self._chain(params, ds, s_prev, s, x)[0]

    def backward(self, params: LSTMParams, ds: Array, s_prev: Array, s: Array, x: Array) -> Array:
        delta, dc, f = self._chain(params, ds, s_prev, s, x)
        return np.concatenate([delta @ params.W_hh, dc * f], axis=-1)  # [dL/dh_{t-1}, dL/dc_{t-1}]

    def jvp(self, params: LSTMParams, q: Array, s_prev: Array, s: Array, x: Array) -> Array:
        """``J_t q`` for columns ``q = [q_h; q_c]`` (..., 2N, k); the states are one sequence's, (..., 2N)."""
        N = params.hidden_size
        # the gates as columns (..., N, 1): computed for a batch of one sequence, then turned upright
        i, f, g, o = (a.mT for a in gates(params, s_prev[..., None, :N], x[..., None, :]))
        c_prev, tanh_c = s_prev[..., N:, None], np.tanh(s[..., N:, None])
        q_h, q_c = q[..., :N, :], q[..., N:, :]
        a_i, a_f, a_g, a_o = np.split(params.W_hh @ q_h, 4, axis=-2)  # the tangent of a_t, (..., N, k) each
        dc = f * q_c + c_prev * f * (1.0 - f) * a_f + g * i * (1.0 - i) * a_i + i * (1.0 - g**2) * a_g
        dh = o * (1.0 - tanh_c**2) * dc + tanh_c * o * (1.0 - o) * a_o
        return np.concatenate([dh, dc], axis=-2)

    def param_grads(self, params: LSTMParams, delta: Array, s_prev: Array, x: Array) -> dict[str, Array]:
        N, K, D = params.hidden_size, delta.shape[-1], x.shape[-1]
        # every step and sequence as one row
        delta, h_prev, x = delta.reshape(-1, K), s_prev[..., :N].reshape(-1, N), x.reshape(-1, D)
        db = delta.sum(axis=0)
        return {"W_ih": delta.T @ x, "W_hh": delta.T @ h_prev, "b_ih": db, "b_hh": db.copy()}

    # -- what the diagnostics need --------------------------------------------------------------------------------

    def theory(self, params: LSTMParams) -> Theory:
        return Theory(recurrent=None, gamma=1.0)  # no single recurrent matrix: the theory is the carousel

    def saturated(self, s: Array) -> Array:
        """Fraction of units whose output squashing is saturated, ``|tanh(c_t)| > 0.97`` (the vanilla tanh's
        threshold): the path through ``h_t = o * tanh(c_t)`` is nearly cut there. The carousel along ``c`` has no
        squashing and is not counted; the gates are not part of the state, so their saturation is not seen here."""
        return saturated_fraction("tanh", np.tanh(s[..., s.shape[-1] // 2:]))

    def reference_curves(self, params: LSTMParams, traj: Any) -> dict[str, Array]:
        """``{"carousel": log10 ||dc_Tv/dc_t|| = log10 max_i prod_{k=t+1..Tv} f_k,i}`` along the first sequence,
        shape (T+1,): 0 at ``t = Tv``, NaN beyond. Summed as ``log f = -log(1 + e^{-a_f})``, so a product far below
        float64 (``T = 100,000``, or ``f`` itself rounding to 0) is exact. Single network."""
        N, T, Tv = params.hidden_size, traj.T, int(traj.valid_T[0])
        h_prev, x = traj.s[:Tv, 0, :N], traj.x[:Tv, 0]  # steps k = 1..Tv: h_{k-1}, x_k
        a_f = np.split(preactivations(params, h_prev[:, None], x[:, None])[:, 0], 4, axis=-1)[1]  # (Tv, N)
        log_f = -np.logaddexp(0.0, -a_f)  # ln sigmoid(a_f)
        curve = np.full(T + 1, np.nan)
        curve[Tv] = 0.0
        if Tv > 0:  # curve[t] = max_i sum_{k=t+1..Tv} ln f_k,i, in log10
            curve[:Tv] = np.cumsum(log_f[::-1], axis=0)[::-1].max(axis=-1) / np.log(10.0)
        return {"carousel": curve}

    def init_params(self, config: Any) -> LSTMParams:
        """Each of the four N x N blocks of ``W_hh`` from ``config.init`` with ``config.gain`` (stream 0);
        ``W_ih ~ N(0, 1/D)``, ``b_ih ~ N(0, bias_scale^2)`` (stream 1); ``b_hh = 0``. Then the forget gate's bias:
        ``config.forget_bias`` ('constant'), or 'chrono' (Tallec & Ollivier 2018): ``b_f = log U(1, T_max - 1)`` per
        unit with ``T_max = max(seq_len, 3)`` (stream 1, after the others), and the input gate's ``b_i = -b_f``."""
        rng_hh, rng_ih, _, _ = streams(config.seed)
        N, D = config.hidden_size, config.input_dim
        W_hh = np.concatenate([init_matrix(config.init, N, N, config.gain, rng_hh) for _ in "ifgo"])
        W_ih = init_matrix("normal", 4 * N, D, 1.0, rng_ih)
        b_ih = rng_ih.normal(0.0, config.bias_scale, size=4 * N) if config.bias_scale > 0 else np.zeros(4 * N)
        if config.forget_init == "chrono":
            T_max = max(config.seq_len, 3)
            b_ih[N:2 * N] = np.log(rng_ih.uniform(1.0, T_max - 1.0, size=N))
            b_ih[:N] = -b_ih[N:2 * N]
        else:
            b_ih[N:2 * N] = config.forget_bias
        return LSTMParams(W_ih, W_hh, b_ih, np.zeros(4 * N), readout_vector(N, config.seed))
