"""One call from a configuration to everything the dashboard shows: ``analyze(config)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .bptt import JacobianNorms, LogGrad, ParamGrads, backward, jacobian_products, param_grads, step_contributions
from .cells import Cell, make_cell
from .config import Config
from .diagnosis import Diagnosis, diagnose
from .message import Message
from .rnn import Trajectory, forward, init_inputs
from .spectra import LYAPUNOV_K, Spectrum, lyapunov_spectrum, spectrum

Array = np.ndarray
JACOBIAN_BUDGET = 4e9  # N^3 * T above which the Jacobian products are skipped (~1 s here)
ALL_SV_BUDGET = 2e8  # N^3 * T above which all singular values per step are not computed


@dataclass(frozen=True)
class Analysis:
    """Everything measured for one configuration. Arrays are float64; t runs 0..T.

    Attributes
    ----------
    config, params, x : the inputs; ``x`` has shape (T, B, D).
    traj : Trajectory — states ``h`` (T+1, B, N), pre-activations, derivatives, ``valid_T``.
    grad : LogGrad — ``dL/dh_t`` for the configured loss, ``log10_norm`` (T+1, B).
    grad_last : LogGrad — the same for the last-step loss, which the diagnosis measures (``grad`` when loss='last').
    contributions : ndarray, shape (T,) — ``log10 ||delta_t h_{t-1}^T||_F`` for t = 1..T (configured loss).
    jacobians : JacobianNorms or None — ``log10 ||dh_T/dh_t||_2`` and singular values; None when over budget.
    jacobians_skipped : str or None — why ``jacobians`` is None.
    spectrum : Spectrum of ``W_hh``.
    lyapunov : ndarray, shape (k,) — the top Lyapunov exponents (natural log per step), descending.
    mean_abs_h, log10_norm_h, saturated : ndarray, shape (T+1,) — per step: mean |h| over units and batch,
        ``log10 ||h_t||`` (batch mean; -inf for h = 0) and the fraction of saturated units (NaN after overflow).
    diagnosis : Diagnosis.
    cell : the cell analyzed.
    reference : the cell's own theory curves, ``{name: log10 value per t}`` (shape (T+1,); see
        ``Cell.reference_curves``): the LSTM's carousel, the GRU's update gates, the LRU's ``max|lambda|^(T-t)``.
    part_norms : ``{part: log10 ||dL/ds_t[part]||}`` per step (batch mean) for a state of several parts (an LSTM's
        ``h`` and ``c``); empty for a state of one part.
    """

    config: Config
    params: Any
    x: Array
    traj: Trajectory
    grad: LogGrad
    grad_last: LogGrad
    contributions: Array
    jacobians: JacobianNorms | None
    jacobians_skipped: str | None
    spectrum: Spectrum
    lyapunov: Array
    mean_abs_h: Array
    log10_norm_h: Array
    saturated: Array
    diagnosis: Diagnosis
    cell: Cell
    reference: dict[str, Array]
    part_norms: dict[str, Array]

    @property
    def loss_step(self) -> int:
        """The step the loss reads: T, or the last step before the states overflowed."""
        return int(self.traj.valid_T.min())

    def grad_log10_norm(self, last: bool = False) -> Array:
        """``log10 ||dL/dh_t||`` per step, shape (T+1,): the geometric mean over the batch."""
        g = self.grad_last if last else self.grad
        with np.errstate(invalid="ignore"):
            return g.log10_norm.mean(axis=-1)

    def param_grads(self) -> ParamGrads:
        """Full gradients of the configured loss with respect to W_hh, W_xh and b."""
        return param_grads(self.grad, self.traj, self.x)


def analyze(config: Config, params: Any | None = None, x: Array | None = None, *, h0: Array | None = None,
            cell: Cell | None = None, jacobians: bool = True, all_singular_values: bool = False,
            lyapunov_k: int = LYAPUNOV_K) -> Analysis:
    """Run the forward pass, log-domain BPTT, spectra, Lyapunov exponents and the diagnosis.

    Parameters
    ----------
    config : Config — the sizes, the input and the loss (and, for the vanilla cell, everything else).
    params : optional — explicit weights (e.g. a trained model's); drawn from ``config`` when omitted. Their hidden
        size must match ``config.hidden_size``.
    x : ndarray, shape (T, B, D), optional — explicit inputs; drawn from ``config`` when omitted.
    h0 : ndarray, shape (S,) or (B, S), optional — the initial state; zeros by default.
    cell : Cell, optional — the update rule; by default the vanilla cell with ``config.activation``.
    jacobians : compute ``||ds_T/ds_t||_2`` for every t (skipped above ``JACOBIAN_BUDGET``).
    all_singular_values : also every singular value of every product (small N and T only).
    lyapunov_k : how many Lyapunov exponents.

    Examples
    --------
    >>> from rnn_core import Config, analyze
    >>> a = analyze(Config(activation="linear", init="orthogonal", gain=0.9, seq_len=50))
    >>> a.diagnosis.regime, round(a.diagnosis.rate, 12)
    ('vanishing', 0.9)
    """
    cell = make_cell(config) if cell is None else cell
    params = cell.init_params(config) if params is None else params
    N = getattr(params, "hidden_size", np.shape(params.u)[-1])
    if N != config.hidden_size:
        raise ValueError(f"params have hidden size {N} but config.hidden_size={config.hidden_size}")
    x = init_inputs(config) if x is None else np.asarray(x, dtype=np.float64)
    D = getattr(params, "input_size", x.shape[-1])
    if x.ndim != 3 or x.shape[0] != config.seq_len or x.shape[-1] != D:
        raise ValueError(f"x has shape {x.shape}; expected ({config.seq_len}, B, {D})")
    traj = forward(params, x, cell, h0=h0)
    grad_last = backward(params, traj, "last")
    grad = grad_last if config.loss == "last" else backward(params, traj, config.loss)
    theory = cell.theory(params)
    spec = spectrum(theory.recurrent) if theory.recurrent is not None else Spectrum.empty()
    columns = lyapunov_spectrum(params, traj, k=lyapunov_k, seed=config.seed)[0]
    # lambda_max is the first QR column's exponent (what a sweep computes alone); the spectrum is shown sorted.
    lyap = -np.sort(-columns)
    S, T = traj.s.shape[-1], config.seq_len
    jac, skipped = None, None
    if jacobians and S**3 * T <= JACOBIAN_BUDGET:
        jac = jacobian_products(params, traj, all_singular_values and S**3 * T <= ALL_SV_BUDGET)
    elif jacobians:
        skipped = Message("Jacobian products skipped: N³·T = {work:.2g} exceeds the budget {budget:.0e} (lower the "
                          "hidden size or the sequence length).", work=S**3 * T, budget=JACOBIAN_BUDGET)
    h = traj.h
    with np.errstate(invalid="ignore", divide="ignore"):
        # Scaled by the largest entry first: states near 1e308 would overflow a plain sum of squares.
        top = np.max(np.abs(h), axis=(-1, -2), keepdims=True)
        safe = np.where(top > 0, top, 1.0)
        mean_abs_h = (np.abs(h) / safe).mean(axis=(-1, -2)) * safe[..., 0, 0]
        log10_norm_h = (np.log10(safe[..., 0]) + 0.5 * np.log10(((h / safe) ** 2).sum(axis=-1))).mean(axis=-1)
        s = traj.s
        saturated = np.concatenate([cell.saturated(s[:1]), cell.saturated_at(params, s[:-1], s[1:], traj.x)])
        saturated = saturated.mean(axis=-1)
    Tv = int(traj.valid_T.min())
    saturated[Tv + 1:] = np.nan
    overflow = int(traj.overflow_step.max())
    with np.errstate(invalid="ignore"):
        by_lag = grad_last.log10_norm.mean(axis=-1)[Tv::-1]
        # the mean factor the activation puts on the gradient, <act'> (1 for cells without one)
        dact = cell.derivative_at(params, traj.s[:Tv], traj.s[1:Tv + 1], traj.x[:Tv]) if Tv > 0 else None
        mean_dact = float(np.mean(dact)) if dact is not None else 1.0
    reference = {name: np.asarray(curve, dtype=float) for name, curve in cell.reference_curves(params, traj).items()}
    parts = cell.state_parts(params)
    part_norms = {name: _part_log10_norm(grad, part) for name, part in parts.items()} if len(parts) > 1 else {}
    step_bound = theory.bound(float(spec.sigma_max))
    diag = diagnose(by_lag, gamma=theory.gamma, sigma_max=float(spec.sigma_max),
                    spectral_radius=float(spec.spectral_radius), lyapunov_max=float(columns[0]),
                    overflow_step=overflow if overflow > 0 else None, loss_step=Tv, mean_dact=mean_dact,
                    activation=getattr(cell, "activation", cell.name), step_bound=step_bound,
                    bound_text=cell.bound_text(theory, float(spec.sigma_max)),
                    reference={name: float(curve[0]) for name, curve in reference.items() if Tv > 0})
    return Analysis(config, params, x, traj, grad, grad_last, step_contributions(grad, traj), jac, skipped, spec,
                    lyap, mean_abs_h, log10_norm_h, saturated, diag, cell, reference, part_norms)


def _part_log10_norm(grad: LogGrad, part: slice) -> Array:
    """``log10 ||dL/ds_t||`` restricted to one part of the state, per step (geometric mean over the batch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.sqrt(np.einsum("...i,...i->...", grad.v[..., part], grad.v[..., part]))
        return (grad.log10_norm + np.log10(n)).mean(axis=-1)
