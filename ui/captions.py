"""Captions built from the current numbers, so that what a chart's caption says can never contradict the sliders."""

from __future__ import annotations

import math

import numpy as np

from rnn_core.analysis import Analysis
from rnn_core.cells.lru import curse_of_memory
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
    if not math.isfinite(d.pascanu):  # a gated cell: its own theory instead of a bound
        said = [f"{name} is {pow10_text(float(curve[0]))} after {K} steps" for name, curve in result.reference.items()
                if math.isfinite(float(curve[0]))]
        second = ("No single matrix bounds a gated step; the dotted line is the cell's own theory"
                  + (": " + ", ".join(said) if said else ""))
    else:
        name = "Pascanu bound (γ·σ_max)^(T−t)" if result.config.cell == "rnn" else "step bound"
        second = (f"The red dashed {name} = {d.pascanu:.3g}^(T−t) "
                  + ("lies above the measured curve everywhere, as a bound must" if above
                     else "is crossed by the measured curve — that would be a bug; please report it"))
    second += (f"; the yellow Lyapunov line has slope λ_max = {d.lyapunov_max:+.3f} per step." if
               math.isfinite(d.lyapunov_max) else ".")
    return first + "  \n" + second


# What the recurrence multiplies the state by, per cell (the matrix whose spectrum is shown).
RECURRENCE = {"rnn": "W_hh", "leaky": "(1−α)·I + α·W_hh", "lru": "Λ"}

# Per cell: the step Jacobian J_s (LaTeX, after the chain rule), its theory (LaTeX), and one sentence.
CELL_MATH = {
    "rnn": (r"\qquad J_s = \operatorname{diag}(\mathrm{act}'(a_s))\, W_{hh}",
            r"\Big\|\frac{\partial h_T}{\partial h_t}\Big\|_2 \le \prod_{s=t+1}^{T} \|J_s\|_2"
            r"\le (\gamma\,\sigma_{\max}(W_{hh}))^{T-t},\qquad \gamma = \sup|\mathrm{act}'|",
            "Pascanu, Mikolov & Bengio (2013): γ·σ_max < 1 is sufficient for vanishing; γ·σ_max > 1 is necessary "
            "for exploding."),
    "leaky": (r"\qquad J_s = (1-\alpha) I + \alpha \operatorname{diag}(\mathrm{act}'(a_s))\, W_{hh}",
              r"\|J_s\|_2 \le (1-\alpha) + \alpha\,\gamma\,\sigma_{\max}(W_{hh})",
              "The leak keeps a share 1 − α of the state unchanged every step: a small α makes each step close to "
              "the identity, so the gradient changes slowly whatever W_hh is."),
    "lstm": (r"\qquad s_t = (h_t, c_t),\quad c_t = f_t \odot c_{t-1} + i_t \odot g_t,\quad h_t = o_t \odot "
             r"\tanh(c_t)",
             r"\frac{\partial c_T}{\partial c_t}\Big|_{\text{along } c} = \operatorname{diag}\Big(\prod_{s=t+1}^{T} "
             r"f_s\Big)\qquad \text{(the constant error carousel)}",
             "Hochreiter & Schmidhuber (1997): along the cell state the gradient is only multiplied by the forget "
             "gates, so with f near 1 it survives hundreds of steps; a forget-gate bias of 1 (or chrono "
             "initialization) starts f near 1."),
    "gru": (r"\qquad h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
            r"\frac{\partial h_T}{\partial h_t}\Big|_{W_{hh}=0} = \operatorname{diag}\Big(\prod_{s=t+1}^{T} "
            r"z_s\Big)",
            "Cho et al. (2014): the update gate z copies the state forward; where z is near 1 the gradient passes "
            "through unchanged."),
    "lru": (r"\qquad h_t = \Lambda h_{t-1} + \gamma \odot (B x_t),\quad J_s = \Lambda = "
            r"\operatorname{diag}(e^{-e^{\nu} + i e^{\theta}})",
            r"\Big\|\frac{\partial h_T}{\partial h_t}\Big\|_2 = \max_j |\lambda_j|^{T-t}\quad\text{exactly}",
            "Orvieto et al. (2023): a linear, diagonal recurrence with every |λ| < 1 cannot explode, and "
            "|λ| near 1 keeps a long memory; the normalization γ = √(1 − |λ|²) keeps the states of such units from "
            "growing. The price (Zucchet & Orvieto 2024): the sensitivity to λ itself grows as |λ| → 1."),
}


def config_summary(config) -> str:
    """The settings that define the network, in a short line under the verdict."""
    sizes = f"N = {config.hidden_size}, T = {config.seq_len}"
    weights = f"{config.init}, gain {config.gain:g}"
    if config.cell == "leaky":
        return f"leaky RNN, α = {config.leak:g}, {config.activation}, {weights}, {sizes}"
    if config.cell == "lstm":
        forget = "chrono forget bias" if config.forget_init == "chrono" else f"forget bias {config.forget_bias:g}"
        return f"LSTM, {forget}, {weights}, {sizes}"
    if config.cell == "gru":
        return f"GRU, {weights}, {sizes}"
    if config.cell == "lru":
        return f"LRU, |λ| in [{config.r_min:g}, {config.r_max:g}], phase ≤ {config.max_phase:.3g}, {sizes}"
    return f"{config.activation}, {weights}, {sizes}"


def states_caption(result: Analysis) -> str:
    """Two lines under the hidden-state charts: how large the states are and how many units block the gradient."""
    cfg = result.config
    sat = result.saturated[1: result.loss_step + 1]
    mean_sat = float(np.nanmean(sat)) if sat.size and np.isfinite(sat).any() else 0.0
    mean_abs = float(np.nanmean(result.mean_abs_h[1: result.loss_step + 1])) if result.loss_step else 0.0
    if cfg.cell not in ("rnn", "leaky"):
        first = f"Mean |h_t| is {mean_abs:.3g}."
        if cfg.cell in ("lstm", "gru"):
            first += (" The gates decide how much of the gradient passes each step; their own theory curve is "
                      "drawn in the gradient chart above.")
        else:
            first += " The recurrence is linear: the gradient's size does not depend on the states at all."
        if result.diagnosis.overflow_step is not None:
            first += f" The states overflowed float64 at step {result.diagnosis.overflow_step}; the charts stop before."
        return first
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
    M = RECURRENCE.get(result.config.cell, "W_hh")
    first = (f"Spectral radius ρ({M}) = {d.spectral_radius:.3g}, largest singular value σ_max = {d.sigma_max:.3g}; "
             f"{outside} of {ev.size} eigenvalues lie outside the unit circle.")
    if result.config.cell == "lru":
        return first + ("  \nEach complex unit multiplies its state by its own λ every step (and the real view shows "
                        "λ with its conjugate): the gradient from t to T is exactly max|λ|^(T−t), so every |λ| < 1 "
                        "means it can never explode, and max|λ| sets how far back it reaches.")
    if result.config.cell == "leaky":
        return first + ("  \nThe step Jacobian is (1−α)·I + α·diag(act′)·W_hh: the leak pulls every eigenvalue of "
                        "W_hh toward 1, so a small α keeps the gradient near its size for long stretches whatever "
                        "W_hh is (the echo-state and continuous-time view).")
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


def curse_caption(config) -> str:
    """Under the curse-of-memory chart: the sensitivity at the ring's edge against |λ| = 0.5, from the function the
    chart's red curve draws (exactly, not read off its grid)."""
    at, half = (float(curse_of_memory(r, normalized=True)) for r in (config.r_max, 0.5))
    return (f"The shaded band is this ring, |λ| from {config.r_min:g} to {config.r_max:g}. At |λ| = {config.r_max:g} "
            f"the state's sensitivity to its own eigenvalue is {pow10_text(at)}, {pow10_text(at - half)} times that "
            "at |λ| = 0.5 (a long sequence, white-noise input). A long memory (|λ| → 1) keeps the gradient through "
            "time alive but makes the recurrence itself ever harder to train: the input normalization "
            "γ = √(1 − |λ|²) keeps the state's size at 1, not this sensitivity (Zucchet & Orvieto 2024).")
