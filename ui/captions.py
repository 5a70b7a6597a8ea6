"""Captions built from the current numbers, so that what a chart's caption says can never contradict the sliders."""

from __future__ import annotations

import math

import numpy as np

from rnn_core.analysis import Analysis
from rnn_core.diagnosis import pow10_text


def gradient_caption(result: Analysis) -> str:
    """Two lines under the gradient chart: what the measured curve does, and how the theory lines relate to it."""
    d = result.diagnosis
    g = result.grad_log10_norm()[: result.loss_step + 1]
    K = result.loss_step
    if K == 0:
        return "A single step: the gradient at the loss has norm 1 and there is no lag to travel back over."
    end = g[0]
    first = (f"Over {K} steps back, ‖dL/dh_t‖ goes from 1 at the loss to {pow10_text(end)} at t = 0 "
             f"({d.regime}: a factor {d.rate:.3g} per step)." if math.isfinite(end) else
             f"‖dL/dh_t‖ is exactly zero from lag {d.zero_from_lag} back ({d.regime}).")
    lag = np.arange(K, -1, -1)
    bound = lag * math.log10(d.pascanu) if d.pascanu > 0 else np.where(lag == 0, 0.0, -np.inf)
    with np.errstate(invalid="ignore"):
        above = bool(np.all((g <= bound + 1e-9) | ~np.isfinite(g)))
    second = ("The red dashed Pascanu bound (γ·σ_max)^(T−t) = " + f"{d.pascanu:.3g}^(T−t) "
              + ("lies above the measured curve everywhere, as a bound must" if above
                 else "is crossed by the measured curve — that would be a bug; please report it"))
    second += (f"; the yellow Lyapunov line has slope λ_max = {d.lyapunov_max:+.3f} per step." if
               math.isfinite(d.lyapunov_max) else ".")
    return first + "  \n" + second


def states_caption(result: Analysis) -> str:
    """Two lines under the hidden-state charts: how large the states are and how many units block the gradient."""
    cfg = result.config
    sat = result.saturated[1: result.loss_step + 1]
    mean_sat = float(np.nanmean(sat)) if sat.size else 0.0
    mean_abs = float(np.nanmean(result.mean_abs_h[1: result.loss_step + 1])) if result.loss_step else 0.0
    if cfg.activation in ("relu", "leaky_relu"):
        what = "dead (h ≤ 0, where relu' = 0)" if cfg.activation == "relu" else "on the leaky side (slope 0.01)"
    elif cfg.activation == "tanh":
        what = "saturated (|h| > 0.97, where tanh' < 0.06)"
    elif cfg.activation == "sigmoid":
        what = "saturated (h outside [0.03, 0.97], where σ' < 0.03)"
    else:
        what = "saturated (never, for the linear activation)"
    first = f"Mean |h_t| is {mean_abs:.3g}; on average {mean_sat:.0%} of the units are {what}."
    second = (f"Their derivatives multiply the gradient at every step: the mean act'(a_t) is "
              f"{result.diagnosis.mean_dact:.2f}.")
    if result.diagnosis.overflow_step is not None:
        second += f" The states overflowed float64 at step {result.diagnosis.overflow_step}; the charts stop before."
    return first + "  \n" + second


def spectrum_caption(result: Analysis) -> str:
    """Two lines under the eigenvalue chart."""
    d = result.diagnosis
    ev = np.abs(result.spectrum.eigenvalues)
    outside = int(np.sum(ev > 1.0))
    first = (f"Spectral radius ρ(W_hh) = {d.spectral_radius:.3g}, largest singular value σ_max = {d.sigma_max:.3g}; "
             f"{outside} of {ev.size} eigenvalues lie outside the unit circle.")
    second = ("Eigenvalues outside the circle of radius 1/γ are needed for the linearized dynamics to grow; "
              "σ_max bounds the growth of any single step." if d.gamma != 1 else
              "With γ = 1, the circles 1 and 1/γ coincide: eigenvalues outside it are directions that grow in the "
              "linear regime; σ_max bounds the growth of any single step.")
    return first + "  \n" + second


def contributions_caption(result: Analysis) -> str:
    """Two lines under the per-step contribution chart."""
    c = result.contributions[: result.loss_step]
    finite = np.isfinite(c)
    if not finite.any():
        return "Every step's term is exactly zero: the update to W_hh learns nothing from this sequence."
    top_t = int(np.nanargmax(np.where(finite, c, -np.inf))) + 1
    top = float(c[top_t - 1])
    small = np.flatnonzero(finite & (c < top - 3))
    far = (f"{small.size} of {c.size} steps contribute less than 1/1000 of the largest term: the update barely "
           "learns from them." if small.size else "Every step contributes within a factor 1000 of the largest.")
    return (f"dL/dW_hh = Σ_t δ_t h_(t−1)ᵀ: the largest term is at t = {top_t} ({pow10_text(top)}).  \n" + far)
