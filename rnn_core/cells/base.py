"""What a cell is: the contract between one recurrent update rule and the engine that analyzes it.

A *cell* is the update rule of one step, ``s_t = step(s_{t-1}, x_t)``, together with its backward step, the
vector-Jacobian product ``dL/ds_{t-1} = J_t^T dL/ds_t`` with ``J_t = ds_t/ds_{t-1}``. The engine (``rnn.forward``,
``bptt``, ``spectra``, ``analysis``, ``sweep``) is written once against this contract, so a cell gets the log-domain
gradients, the Jacobian-product norms, the Lyapunov exponents and the diagnosis by implementing the methods below.

Conventions every cell follows:

* The **state** ``s`` is one real vector of ``state_size`` numbers per sequence; a cell whose state is several vectors
  keeps them side by side (an LSTM's ``(h, c)`` as ``[h, c]``), and a complex state keeps its real and imaginary
  parts side by side (``[Re h, Im h]``): the engine's norms and Jacobians are then those of the real vector space,
  which for a complex-linear map are the complex ones (every singular value appears twice). ``output(s)`` is the
  part a readout sees (``h``).
* Rows are sequences: arrays are ``(..., B, S)``, and a matrix acts from the right (``W h`` is ``h @ W.mT``). Every
  method accepts extra leading dimensions: time (a chunk of steps at once), and stacks of networks, whose parameters
  then carry the same leading dimensions before their own shape (``W_hh`` of shape ``(..., N, N)``).
* Parameters are a frozen dataclass of float64 arrays with a readout ``u`` (shape ``(..., N)``, unit norm): the
  loss is ``L = u·h_t`` summed over the batch. Each parameter class names its cell (``params.cell_name``).
* The forward pass keeps only the states. The backward step receives the states on both sides of the step and the
  input, and recomputes whatever else it needs (a gate, a derivative) from them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Theory:
    """What a cell's theory says about its step Jacobians, from the parameters alone.

    Attributes
    ----------
    recurrent : ndarray, shape (..., N, N), or None — the matrix the state is multiplied by at each step, before any
        elementwise factor (``W_hh`` for the vanilla cell). Its eigenvalues and singular values are shown. None for a
        cell with no single such matrix (the gated cells: their theory is in :meth:`Cell.reference_curves`).
    gamma : float — a bound on the elementwise factor, ``sup |act'|``, so that ``||J_t||_2 <= gamma * sigma_max``
        (the Pascanu et al. 2013 bound on ``||dh_T/dh_t||_2`` is ``(gamma * sigma_max)^(T-t)``).
    step_bound : float, optional — a cell's own bound on ``||J_t||_2`` where it is not ``gamma * sigma_max``
        (the leaky RNN: ``(1 - alpha) + alpha * gamma * sigma_max(W_hh)``).
    """

    recurrent: Array | None
    gamma: float
    step_bound: float | None = None

    def bound(self, sigma_max: float) -> float:
        """The bound on every ``||J_t||_2``: ``step_bound`` where the cell states its own, else ``gamma * sigma_max``
        of the recurrent matrix (NaN where the cell has neither)."""
        if self.step_bound is not None:
            return float(self.step_bound)
        return float(self.gamma * sigma_max) if self.recurrent is not None else float("nan")


def check_finite(params: Any, names: tuple[str, ...]) -> None:
    """Refuse parameters with NaN or inf entries, naming the array and the count: no analysis of them means anything."""
    for name in names:
        arr = getattr(params, name)
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise ValueError(f"{name} contains {bad} non-finite entries (NaN or inf); the analysis needs finite "
                             "parameters")


class Cell(ABC):
    """One recurrent update rule. Subclasses are frozen dataclasses of their settings (an activation, a leak)."""

    #: the name of the cell in configurations and the UI (``Config.cell``)
    name: str = ""

    @classmethod
    def from_config(cls, config: Any) -> Cell:
        """The cell with the settings a :class:`~rnn_core.config.Config` gives it (an activation, a leak)."""
        return cls()

    # -- shapes ---------------------------------------------------------------------------------------------------

    @abstractmethod
    def state_size(self, params: Any) -> int:
        """``S``, the length of the state vector of one sequence."""

    @abstractmethod
    def output(self, s: Array) -> Array:
        """The part of the state ``(..., S)`` that a readout sees: ``h``, shape ``(..., N)``."""

    @abstractmethod
    def readout(self, params: Any) -> Array:
        """``dL/ds_t`` where the loss ``L = u·h_t`` reads the state: ``u`` placed in state space, shape ``(..., S)``."""

    # -- the step and its backward step ----------------------------------------------------------------------------

    @abstractmethod
    def step(self, params: Any, s_prev: Array, x: Array) -> Array:
        """One step forward: ``s_t`` from ``s_{t-1}`` ``(..., B, S)`` and ``x_t`` ``(..., B, D)``."""

    @abstractmethod
    def delta(self, params: Any, g: Array, s_prev: Array, s: Array, x: Array) -> Array:
        """The local gradient of a step from ``g = dL/ds_t``: the gradient at the step's pre-activations (``dL/da_t``),
        from which :meth:`backward` and :meth:`param_grads` continue. Linear in ``g``."""

    @abstractmethod
    def backward(self, params: Any, g: Array, s_prev: Array, s: Array, x: Array) -> Array:
        """One step backward: ``dL/ds_{t-1} = J_t^T g`` from ``g = dL/ds_t`` (a vector-Jacobian product).

        ``g`` may hold any number of rows per sequence's states (the engine passes the rows of a whole Jacobian
        product ``dh_T/dh_t`` to get the next one).
        """

    @abstractmethod
    def jvp(self, params: Any, q: Array, s_prev: Array, s: Array, x: Array) -> Array:
        """``J_t q`` for tangent vectors ``q`` of shape ``(..., S, k)`` (columns), at the step from ``s_prev`` to
        ``s`` (each ``(..., S)``): the forward Jacobian-vector product the Lyapunov exponents follow."""

    @abstractmethod
    def param_grads(self, params: Any, delta: Array, s_prev: Array, x: Array) -> dict[str, Array]:
        """The parameter gradients of the steps given, summed over every leading axis (steps and batch).

        ``delta`` ``(..., B, K)`` is :meth:`delta` of those steps, ``s_prev`` and ``x`` their states before and their
        inputs. Returns one array per parameter, shaped like it (the readout ``u`` excluded). Single network only.
        """

    def recurrent_delta(self, params: Any, delta: Array, s_prev: Array, x: Array) -> Array:
        """What the recurrent weights see of :meth:`delta`: ``dL/dW_hh = sum_t recurrent_delta_t h_{t-1}^T``. The
        delta itself for most cells; the GRU's reset gate scales the n block. (The per-step contributions use it.)"""
        return delta

    # -- what the diagnostics need ---------------------------------------------------------------------------------

    @abstractmethod
    def theory(self, params: Any) -> Theory:
        """The recurrent matrix and the elementwise bound, for the spectrum and the Pascanu bound."""

    def saturated(self, s: Array) -> Array:
        """Fraction of units whose gradient is (nearly) cut at this state, over the last axis; NaN if undefined."""
        return np.full(s.shape[:-1], np.nan)

    def saturated_at(self, params: Any, s_prev: Array, s: Array, x: Array) -> Array:
        """The same at the steps from ``s_prev`` to ``s`` with inputs ``x``, for a cell whose state alone does not
        tell (the leaky RNN's state is a running average of ``act(a)``). Default: :meth:`saturated` of ``s``."""
        return self.saturated(s)

    def derivative_at(self, params: Any, s_prev: Array, s: Array, x: Array) -> Array | None:
        """``act'(a_t)`` at those steps, the elementwise factor of ``J_t``, for a cell that has one (the vanilla and
        leaky RNN); None for the others."""
        return None

    def bound_text(self, theory: Theory, sigma_max: float) -> str:
        """How the step bound is computed, with its numbers, for the diagnosis sentence."""
        return f"γ·σ_max = {theory.gamma:g}·{sigma_max:.3g} = {theory.bound(sigma_max):.3g}"

    def state_parts(self, params: Any) -> dict[str, slice]:
        """The named parts of the state vector (an LSTM: ``{"h": slice(0, N), "c": slice(N, 2N)}``); the engine
        reports the gradient's norm on each part beside the whole (the LSTM's carousel is ``dL/dc_t``)."""
        return {"h": slice(None)}

    def reference_curves(self, params: Any, traj: Any) -> dict[str, Array]:
        """The cell's own theory along the first sequence of ``traj``, as named curves of ``log10`` values over
        ``t = 0..T`` (shape (T+1,), NaN where undefined), each describing the path from step ``t`` to the loss's step
        ``T_v = traj.valid_T[0]``: the LSTM's carousel ``||dc_T/dc_t|| = max_i prod_{k=t+1..T} f_k,i`` (along the cell
        state alone), the GRU's ``max_i prod z_k,i``, the LRU's exact ``max|lambda|^(T-t)``. Empty by default."""
        return {}

    def init_params(self, config: Any) -> Any:
        """The parameters a :class:`~rnn_core.config.Config` describes, drawn reproducibly from its seed (the
        streams of :func:`rnn_core.initializers.streams`: 0 for the recurrent weights, 1 for the input weights and
        biases, 3 for the readout via :func:`~rnn_core.initializers.readout_vector`). A cell used only with
        explicit parameters need not define it."""
        raise NotImplementedError(f"the cell {self.name or type(self).__name__!r} draws no parameters from a Config; "
                                  "pass them explicitly")
