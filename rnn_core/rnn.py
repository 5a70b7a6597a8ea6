"""The forward pass of any cell: the time loop, with overflow detection; and the weights and inputs of a Config.

``s_t = cell.step(s_{t-1}, x_t)`` for ``t = 1..T`` from an initial state ``s_0`` (zeros by default, PyTorch's
convention). Arrays are float64 and time comes first. Parameters may be *stacked*, with extra leading dimensions
``G`` (a sweep over many networks at once); a single network has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import fast
from .cells import Cell, Elman, Params, make_cell
from .config import Config
from .initializers import readout_vector, streams
from .inputs import make_inputs

Array = np.ndarray

__all__ = ["Params", "Trajectory", "as_cell", "forward", "init_inputs", "init_params", "readout_vector"]


def init_params(config: Config) -> Any:
    """Draw the weights a configuration describes (for its cell, ``config.cell``), reproducibly from its seed.

    The vanilla cell: ``W_hh`` from ``config.init`` with ``config.gain``; ``W_xh ~ N(0, 1/D)``;
    ``b ~ N(0, bias_scale^2)``. Each cell's own rule is its ``init_params``.
    """
    return make_cell(config).init_params(config)


def init_inputs(config: Config) -> Array:
    """The input sequence ``x`` of shape ``(T, B, D)`` a configuration describes."""
    return make_inputs(config.input_kind, config.seq_len, config.batch_size, config.input_dim, config.input_scale,
                       streams(config.seed)[2], config.text)


def as_cell(cell: Cell | str) -> Cell:
    """A cell, or the vanilla cell with the activation of that name (as in ``forward(p, x, 'tanh')``)."""
    return Elman(cell) if isinstance(cell, str) else cell


@dataclass(frozen=True)
class Trajectory:
    """The forward pass: the states, and what they were computed from.

    Attributes
    ----------
    s : ndarray, shape (T+1, ..., B, S) — ``s[t]`` is the state after step t; ``s[0]`` the initial state. NaN after
        an overflow.
    valid_T : ndarray of int, shape (..., B) — per sequence, the last step whose states are all finite (T when
        nothing overflowed); equal for all sequences of one network.
    cell : the cell.
    params : its parameters (possibly stacked).
    x : ndarray, shape (T, ..., B, D) — ``x[t - 1]`` is the input at step t (with a 1 for each stacking dimension).
    saved : dict — what a faster forward loop kept for the backward pass, which recomputes it otherwise (the LSTM's
        gates, ``"gates"``: shape (T, ..., B, 4N), ``[i, f, g, o]`` of step t at ``t - 1``; see ``rnn_core.fast``).
    """

    s: Array
    valid_T: Array
    cell: Cell
    params: Any
    x: Array
    saved: dict[str, Array] = field(default_factory=dict)

    @property
    def h(self) -> Array:
        """The hidden output ``h_t`` of every step, shape (T+1, ..., B, N) (the state itself for the vanilla cell)."""
        return self.cell.output(self.s)

    @property
    def T(self) -> int:
        return self.s.shape[0] - 1

    @property
    def overflowed(self) -> bool:
        """Whether any sequence's states left float64 (then ``s`` holds NaN from that step on)."""
        return bool(np.any(self.valid_T < self.T))

    @property
    def overflow_step(self) -> Array:
        """The first step with a non-finite state, or -1 where none (same shape as ``valid_T``)."""
        return np.where(self.valid_T < self.T, self.valid_T + 1, -1)

    def alive(self, t: int) -> Array:
        """Whether step ``t``'s states are valid, per sequence: shape (..., B)."""
        return t <= self.valid_T

    # The vanilla cell's derivatives, for its views and tests.
    @property
    def activation(self) -> str:
        return self.cell.activation

    def derivative(self, rows: slice | Array = slice(None)) -> Array:
        """``act'(a_t)`` of the sequences ``rows`` (an index into the batch axis), from the states; 0 where invalid.

        Shape (T+1, ..., len(rows), N). Vanilla cell only.
        """
        h = self.s[..., rows, :]
        d = self.cell.act.dact(h)
        return np.where(np.isnan(h), 0.0, d)

    @property
    def dact(self) -> Array:
        """``act'(a_t)``, the diagonal of the Jacobian ``J_t`` (vanilla cell), shape (T+1, ..., B, N)."""
        return self.derivative()

    @property
    def a(self) -> Array:
        """The pre-activations ``a_t`` (vanilla cell), shape (T+1, ..., B, N); ``a[0]`` is zeros, NaN after overflow."""
        p = self.params
        a = np.zeros_like(self.s)
        with np.errstate(over="ignore", invalid="ignore"):
            a[1:] = self.s[:-1] @ p.W_hh.mT + self.x @ p.W_xh.mT + p.b[..., None, :]
        a[np.isnan(self.s)] = np.nan
        return a


def forward(params: Any, x: Array, cell: Cell | str = "tanh", h0: Array | None = None) -> Trajectory:
    """Run a cell over the inputs ``x`` from the initial state ``h0``.

    Parameters
    ----------
    params : the cell's parameters, with optional leading dimensions (a stack of networks).
    x : ndarray, shape (T, B, D), or (T, ..., B, D) with one input per network.
    cell : a :class:`~rnn_core.cells.Cell`, or the name of an activation for the vanilla cell.
    h0 : ndarray, optional — the initial state, shape (S,), (B, S) or (..., B, S); zeros by default.

    Overflow is detected, not hidden: from the first step where any state of a network is non-finite, that
    network's states are set to NaN, and ``valid_T`` records the last good step.

    Examples
    --------
    >>> import numpy as np
    >>> from rnn_core import Params, forward
    >>> p = Params.from_arrays(0.5 * np.eye(2), np.ones((2, 1)))
    >>> forward(p, np.ones((3, 1, 1)), "linear").h[:, 0, 0].tolist()   # h_t = 0.5 h_{t-1} + 1
    [0.0, 1.0, 1.5, 1.75]
    """
    cell = as_cell(cell)
    lead = np.shape(params.u)[:-1]  # the stacking dimensions (every cell's parameters have a readout u)
    x = np.asarray(x, dtype=np.float64)
    T, B = x.shape[0], x.shape[-2]
    if x.ndim == 3:
        x = x.reshape(T, *([1] * len(lead)), B, x.shape[-1])
    S = cell.state_size(params)
    s = np.empty((T + 1, *lead, B, S))
    s[0] = 0.0 if h0 is None else _initial_state(h0, S)

    saved: dict[str, Array] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        fast_loop = fast.forward_loop(cell, params, x, s, saved)
        if fast_loop is not None:
            overflowed = not fast_loop()
        else:
            for t in range(1, T + 1):  # the time loop
                s[t] = cell.step(params, s[t - 1], x[t - 1])
            overflowed = not np.isfinite(s.sum())  # a sum is finite only if every term is: one cheap pass

    valid_T = np.full((*lead, B), T)
    if overflowed:  # the exact per-step search only after an overflow
        finite = np.isfinite(s).all(axis=-1)  # (T+1, ..., B)
        finite = np.repeat(finite.all(axis=-1, keepdims=True), B, axis=-1)  # a network is as good as its worst row
        valid_T = np.where(finite.all(axis=0), T, np.argmin(finite, axis=0) - 1)  # (..., B)
        s[np.arange(T + 1).reshape(-1, *([1] * (len(lead) + 1))) > valid_T] = np.nan
    return Trajectory(s, valid_T, cell, params, x, saved)


def _initial_state(h0: Array, S: int) -> Array:
    h0 = np.asarray(h0, dtype=np.float64)
    if h0.shape[-1:] != (S,):
        raise ValueError(f"h0 must have shape (..., {S}) (the state of one sequence), got {h0.shape}")
    if not np.isfinite(h0).all():
        raise ValueError(f"h0 contains {int(h0.size - np.isfinite(h0).sum())} non-finite entries (NaN or inf)")
    return h0
