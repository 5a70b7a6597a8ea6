"""The leaky RNN: ``h_t = (1 - alpha) h_{t-1} + alpha act(W_hh h_{t-1} + W_xh x_t + b)``, with ``0 < alpha <= 1``.

Each unit keeps a fraction ``1 - alpha`` of its state and moves a fraction ``alpha`` towards the vanilla update (a
discretized continuous-time RNN with step ``alpha``); ``alpha = 1`` is the vanilla cell. Its parameters are the
vanilla cell's (:class:`~rnn_core.cells.elman.Params`), drawn the same way.

Forward, one step::

    a = W_hh h_{t-1} + W_xh x_t + b        # pre-activation
    h_t = (1 - alpha) h_{t-1} + alpha act(a)

Backward, one step, from ``g = dL/dh_t``::

    delta = alpha act'(a) * g              # dL/da_t; a is recomputed from h_{t-1} and x_t (h_t is not act(a))
    g_prev = (1 - alpha) g + W_hh^T delta  # dL/dh_{t-1}
    dW_hh += delta h_{t-1}^T;  dW_xh += delta x_t^T;  db += delta

So the step Jacobian is ``J_t = (1 - alpha) I + alpha diag(act'(a_t)) W_hh`` and
``||J_t||_2 <= (1 - alpha) + alpha gamma sigma_max(W_hh) = 1 - alpha (1 - gamma sigma_max)``, ``gamma = sup |act'|``:
the leak keeps ``J_t`` near the identity, so with a small ``alpha`` the gradient's norm changes slowly per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..activations import Activation, get_activation, saturated_fraction
from .base import Cell, Theory
from .elman import Elman, Params

Array = np.ndarray


@dataclass(frozen=True)
class Leaky(Cell):
    """The leaky RNN cell with the activation called ``activation`` and the leak ``alpha`` in (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from rnn_core import forward
    >>> from rnn_core.cells.elman import Params
    >>> p = Params.from_arrays(np.zeros((1, 1)), np.ones((1, 1)))
    >>> forward(p, np.ones((3, 1, 1)), Leaky("linear", alpha=0.5)).h[:, 0, 0].tolist()  # h_t = h_{t-1}/2 + 1/2
    [0.0, 0.5, 0.75, 0.875]
    >>> Leaky(alpha=0.0)
    Traceback (most recent call last):
    ...
    ValueError: alpha=0.0 is outside the allowed range (0, 1]
    """

    activation: str = "tanh"
    alpha: float = 0.1
    name = "leaky"

    def __post_init__(self) -> None:
        get_activation(self.activation)  # a clear error for an unknown name, at construction
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0 < self.alpha <= 1:
            raise ValueError(f"alpha={self.alpha!r} is outside the allowed range (0, 1]")

    @classmethod
    def from_config(cls, config: Any) -> Leaky:
        return cls(config.activation, config.leak)

    def init_params(self, config: Any) -> Params:
        """The vanilla cell's parameters for ``config`` (the leak changes the update, not the weights)."""
        return Elman(self.activation).init_params(config)

    @cached_property
    def act(self) -> Activation:
        return get_activation(self.activation)

    def state_size(self, params: Params) -> int:
        return params.hidden_size

    def output(self, s: Array) -> Array:
        return s

    def readout(self, params: Params) -> Array:
        return params.u

    # -- the step and its backward step ----------------------------------------------------------------------------

    @staticmethod
    def preactivation(params: Params, h_prev: Array, x: Array) -> Array:
        """``a_t = W_hh h_{t-1} + W_xh x_t + b``, shape (..., B, N), from ``h_prev`` (..., B, N), ``x`` (..., B, D).

        Recomputed by the backward steps from states the forward pass kept; at the last finite state before the states
        overflow it may be infinite (quietly: the forward pass reports the overflow), and ``act'`` of it is the limit
        (0 for tanh and sigmoid; the states of those are bounded and never overflow anyway).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            return h_prev @ params.W_hh.mT + x @ params.W_xh.mT + params.b[..., None, :]

    def step(self, params: Params, h_prev: Array, x: Array) -> Array:
        a = self.preactivation(params, h_prev, x)
        return (1.0 - self.alpha) * h_prev + self.alpha * self.act(a)

    def delta(self, params: Params, g: Array, h_prev: Array, h: Array, x: Array) -> Array:
        a = self.preactivation(params, h_prev, x)
        return self.alpha * self.act.derivative(a) * g  # dL/da_t = alpha act'(a_t) * dL/dh_t

    def backward(self, params: Params, g: Array, h_prev: Array, h: Array, x: Array) -> Array:
        delta = self.delta(params, g, h_prev, h, x)
        return (1.0 - self.alpha) * g + delta @ params.W_hh  # dL/dh_{t-1} = (1 - alpha) g + W_hh^T delta

    def jvp(self, params: Params, q: Array, h_prev: Array, h: Array, x: Array) -> Array:
        # h_prev (..., N) and x (..., D) are one sequence's: a batch axis of one for the pre-activation
        a = self.preactivation(params, h_prev[..., None, :], x[..., None, :])[..., 0, :]
        dact = self.act.derivative(a)[..., :, None]
        return (1.0 - self.alpha) * q + self.alpha * dact * (params.W_hh @ q)  # J_t q

    def param_grads(self, params: Params, delta: Array, h_prev: Array, x: Array) -> dict[str, Array]:
        N, D = delta.shape[-1], x.shape[-1]
        delta, h_prev, x = delta.reshape(-1, N), h_prev.reshape(-1, N), x.reshape(-1, D)  # every step and sequence
        return {"W_hh": delta.T @ h_prev, "W_xh": delta.T @ x, "b": delta.sum(axis=0)}

    # -- what the diagnostics need ---------------------------------------------------------------------------------

    def recurrent(self, params: Params) -> Array:
        """``(1 - alpha) I + alpha W_hh``, shape (..., N, N): the step Jacobian where ``act' = 1``."""
        return (1.0 - self.alpha) * np.eye(params.hidden_size) + self.alpha * params.W_hh

    def theory(self, params: Params) -> Theory:
        sigma_max = np.linalg.svd(params.W_hh, compute_uv=False)[..., 0]
        bound = (1.0 - self.alpha) + self.alpha * self.act.gamma * sigma_max
        return Theory(recurrent=self.recurrent(params), gamma=self.act.gamma,
                      step_bound=float(bound) if np.ndim(bound) == 0 else bound)

    def bound_text(self, theory: Theory, sigma_max: float) -> str:
        """``(1-α) + α·γ·σ_max(W_hh)`` with its numbers (``sigma_max`` here is that of ``(1-α)I + αW_hh``, unused)."""
        a, gamma, bound = self.alpha, theory.gamma, theory.bound(sigma_max)
        sigma_w = (bound - (1.0 - a)) / (a * gamma) if gamma > 0 else float("nan")  # sigma_max(W_hh), from the bound
        return f"(1-α) + α·γ·σ_max(W_hh) = {1.0 - a:.3g} + {a:.3g}·{gamma:g}·{sigma_w:.3g} = {bound:.3g}"

    def saturated_at(self, params: Params, h_prev: Array, h: Array, x: Array) -> Array:
        return self.saturated_steps(params, h_prev, x)

    def derivative_at(self, params: Params, h_prev: Array, h: Array, x: Array) -> Array:
        return self.dact_steps(params, h_prev, x)

    def dact_steps(self, params: Params, h_prev: Array, x: Array) -> Array:
        """``act'(a_t)`` at the steps from ``h_prev`` (..., B, N) with inputs ``x`` (..., B, D): the elementwise factor
        of ``J_t`` (what ``Trajectory.dact`` is for the vanilla cell, which reads it off ``h_t``), shape (..., B, N)."""
        return self.act.derivative(self.preactivation(params, h_prev, x))

    def saturated_steps(self, params: Params, h_prev: Array, x: Array) -> Array:
        """The fraction of saturated units of ``act(a_t)`` at the steps from ``h_prev`` (..., B, N) with inputs ``x``
        (..., B, D), over the last axis (the rule of :func:`~rnn_core.activations.saturated_fraction`).

        :meth:`saturated` sees a state alone, and the leaky state ``h_t`` is not ``act(a_t)``: it is a running
        average of it, which can sit near 0 while every ``act(a)`` is saturated. So ``saturated`` is NaN and this
        is the measurement, from the step's inputs.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            return saturated_fraction(self.activation, self.act(self.preactivation(params, h_prev, x)))

    def reference_curves(self, params: Params, traj: Any) -> dict[str, Array]:
        """``rho((1 - alpha) I + alpha W_hh)^(T-t)`` in log10: the Jacobian product of the linearization at the origin
        for tanh and linear (``act'(0) = 1``); for the other activations the same matrix with ``act'`` set to 1.
        A reference for the rate, not a bound: the step Jacobians differ from that matrix wherever ``act' < 1``."""
        rho = float(np.max(np.abs(np.linalg.eigvals(self.recurrent(params)))))
        return {"linearized radius ρ((1-α)I + αW_hh)^(T-t)": lag_curve(math.log10(rho) if rho > 0 else -math.inf,
                                                                         int(traj.valid_T.flat[0]), traj.T)}


def lag_curve(log10_rate: float, Tv: int, T: int) -> Array:
    """``(Tv - t) * log10_rate`` for ``t = 0..T``, shape (T+1,): 0 at ``t = Tv`` (also for a rate of 0, -inf before
    it), NaN beyond the last valid step ``Tv``."""
    lag = Tv - np.arange(T + 1)
    with np.errstate(invalid="ignore"):
        curve = np.where(lag > 0, lag * log10_rate, 0.0)
    return np.where(lag >= 0, curve, np.nan)
