"""Captions built from the current numbers, so that what a chart's caption says can never contradict the sliders.

Each is a :class:`~rnn_core.message.Message` (English, with its templates and numbers): the view caches it once for
every language, and the page says it in its own (``ui.i18n.tr``)."""

from __future__ import annotations

import math

import numpy as np

from rnn_core.analysis import Analysis
from rnn_core.cells.lru import curse_of_memory
from rnn_core.diagnosis import Diagnosis, pow10_text, rate_text, steps_text
from rnn_core.message import Message as M
from rnn_core.tidy import RECURRENCE, RESOLUTION_DECADES

# |lambda| within this (relative) distance of 1 counts as on the unit circle, and singular values within this many
# decades of each other as equal: an orthogonal matrix's are 1 only to rounding (1e-15), never exactly.
UNIT_TOL = 1e-9
EQUAL_DECADES = 1e-6


def horizon_text(d: Diagnosis) -> str:
    """The memory horizon as the verdict shows it: a lag, or why there is none within the sequence."""
    horizon = d.horizons[1000]
    if horizon is not None:
        return steps_text(horizon)
    return M("none: it grows") if d.regime == "exploding" else M("> {T} steps", T=d.loss_step)


def decades_text(spread: float, beyond: bool = False) -> str:
    """How many decades separate the largest and smallest singular value, as every caption and table writes it:
    two decimals, one significant digit below 0.005 (so that a small spread never reads as "0.00"), and 0 for a
    spread within rounding (``EQUAL_DECADES``). ``beyond``: some values lie below float64's resolution, so the true
    spread is only known to exceed ``RESOLUTION_DECADES``."""
    if beyond or not math.isfinite(spread):
        return M("more than {decades:g}", decades=RESOLUTION_DECADES)
    if spread < EQUAL_DECADES:
        return "0"  # equal to rounding: an orthogonal matrix's 1e-16 is noise, not a spread
    return f"{spread:.2f}" if spread >= 0.005 else f"{spread:.1g}"


def axis_label(log10_value: float) -> str:
    """A whole decade as the charts' power-of-ten axes label it (``1e-3``, ``1``, ``1e2``)."""
    return "1" if log10_value == 0 else f"1e{int(log10_value)}"


def gradient_caption(result: Analysis, domain: list[float] | None = None) -> str:
    """Two lines under the gradient chart: what the measured curve does, and how the theory lines relate to it.

    ``domain`` is the chart's y range (log10, :func:`ui.charts.gradient_domain`): where the bound leaves it, the
    caption says so."""
    d = result.diagnosis
    g = result.grad_log10_norm()[: result.loss_step + 1]
    K = result.loss_step
    if K == 0:
        return M("A single step: the gradient at the loss has norm 1 and there is no lag to travel back over.")
    end = g[0]
    first = (M("Over {K} steps back, ‖dL/dh_t‖ goes from 1 at the loss to {end} at t = 0 ({regime}: a factor {rate} "
               "per step).", K=K, end=pow10_text(end), regime=d.regime, rate=rate_text(d.rate)) if math.isfinite(end)
             else M("‖dL/dh_t‖ is exactly zero from lag {lag} back ({regime}).", lag=d.zero_from_lag, regime=d.regime))
    lag = np.arange(K, -1, -1)
    bound = lag * math.log10(d.pascanu) if d.pascanu > 0 else np.where(lag == 0, 0.0, -np.inf)
    with np.errstate(invalid="ignore"):
        above = bool(np.all((g <= bound + 1e-9) | ~np.isfinite(g)))
    if not math.isfinite(d.pascanu):  # a gated cell: its own theory instead of a bound
        said = [M("{name} is {value} after {K} steps", name=name, value=pow10_text(float(curve[0])), K=K)
                for name, curve in result.reference.items() if math.isfinite(float(curve[0]))]
        second = (M("No single matrix bounds a gated step; the dotted line is the cell's own theory: {said}",
                    said=M.join(", ", said)) if said else
                  M("No single matrix bounds a gated step; the dotted line is the cell's own theory"))
    else:
        holds = "lies above the measured curve at every step, as a bound must" if above else \
            "is crossed by the measured curve — that would be a bug; please report it"
        second = M("The red dashed Pascanu bound (γ·σ_max)^(T−t) = {bound:.3g}^(T−t) " + holds
                   if result.config.cell == "rnn" else "The red dashed step bound = {bound:.3g}^(T−t) " + holds,
                   bound=d.pascanu)
        second = M("{a}{b}", a=second, b=_leaves_chart(bound, domain, K))
    second = M("{a}; the yellow Lyapunov line has slope λ_max = {slope:+.3f} per step.", a=second,
               slope=d.lyapunov_max) if math.isfinite(d.lyapunov_max) else M("{a}.", a=second)
    return M("{first}  \n{second}", first=first, second=second)


def _leaves_chart(bound: np.ndarray, domain: list[float] | None, K: int) -> str:
    """Where a theory line (log10 by t = 0..K) is off the chart's y range, and the value it reaches at t = 0.

    The line is geometric in the lag, so the part off the chart runs from t = 0 up to some step."""
    if domain is None:
        return ""
    lo, hi = domain
    with np.errstate(invalid="ignore"):
        outside = np.flatnonzero((bound > hi) | (bound < lo))
    if not outside.size:
        return ""
    t = int(outside[-1])
    top = bound[t] > hi
    span = M("at t = 0 (lag {K})", K=K) if t == 0 else M("for t ≤ {t} (lag ≥ {lag})", t=t, lag=K - t)
    return M("; it runs off the top of the chart ({edge}) {span}, reaching {end} at t = 0" if top else
             "; it runs off the bottom of the chart ({edge}) {span}, reaching {end} at t = 0",
             edge=axis_label(hi if top else lo), span=span, end=pow10_text(float(bound[0])))


# Per cell: the step Jacobian J_s (LaTeX, after the chain rule), its theory (LaTeX), and one sentence.
CELL_MATH = {  # per cell: the step's formulas, its theory's formulas (each short enough for a phone), the words
    "rnn": ((r"J_s = \operatorname{diag}(\mathrm{act}'(a_s))\, W_{hh}",),
            (r"\Big\|\frac{\partial h_T}{\partial h_t}\Big\|_2 \le \prod_{s=t+1}^{T} \|J_s\|_2",
             r"\|J_s\|_2 \le \gamma\,\sigma_{\max}(W_{hh})", r"\gamma = \sup|\mathrm{act}'|"),
            "Pascanu, Mikolov & Bengio (2013): γ·σ_max < 1 is sufficient for vanishing; γ·σ_max > 1 is necessary "
            "for exploding."),
    "leaky": ((r"J_s = (1-\alpha) I", r"+\ \alpha \operatorname{diag}(\mathrm{act}'(a_s))\, W_{hh}"),
              (r"\|J_s\|_2 \le (1-\alpha) + \alpha\,\gamma\,\sigma_{\max}(W_{hh})",),
              "The leak keeps a share 1 − α of the state unchanged every step: a small α makes each step close to "
              "the identity, so the gradient changes slowly whatever W_hh is."),
    "lstm": ((r"s_t = (h_t, c_t)", r"c_t = f_t \odot c_{t-1} + i_t \odot g_t", r"h_t = o_t \odot \tanh(c_t)"),
             (r"\frac{\partial c_T}{\partial c_t}\Big|_{\text{along } c} = "
              r"\operatorname{diag}\Big(\prod_{s=t+1}^{T} f_s\Big)",),
             "The constant error carousel (Hochreiter & Schmidhuber 1997): along the cell state the gradient is only "
             "multiplied by the forget gates, so with f near 1 it survives hundreds of steps; a forget-gate bias of 1 "
             "starts f around σ(1) ≈ 0.73, a larger one (or chrono initialization) nearer 1."),
    "gru": ((r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",),
            (r"\frac{\partial h_T}{\partial h_t}\Big|_{W_{hh}=0} = \operatorname{diag}\Big(\prod_{s=t+1}^{T} "
             r"z_s\Big)",),
            "Cho et al. (2014): the update gate z copies the state forward; where z is near 1 the gradient passes "
            "through unchanged."),
    "lru": ((r"h_t = \Lambda h_{t-1} + \gamma \odot (B x_t)", r"J_s = \Lambda = "
             r"\operatorname{diag}(e^{-e^{\nu} + i e^{\theta}})"),
            (r"\Big\|\frac{\partial h_T}{\partial h_t}\Big\|_2 = \max_j |\lambda_j|^{T-t}",),
            "Exactly, for every t. Orvieto et al. (2023): a linear, diagonal recurrence with every |λ| < 1 cannot "
            "explode, and |λ| near 1 keeps a long memory; the normalization γ = √(1 − |λ|²) keeps the states of such "
            "units from growing. The price (Zucchet & Orvieto 2024): the sensitivity to λ itself grows as |λ| → 1."),
}


def config_summary(config) -> str:
    """The settings that define the network, in a short line under the verdict."""
    sizes = M("N = {N}, T = {T}", N=config.hidden_size, T=config.seq_len)
    weights = M("{init}, gain {gain:g}", init=config.init, gain=config.gain)
    if config.cell == "leaky":
        return M("leaky RNN, α = {leak:g}, {activation}, {weights}, {sizes}", leak=config.leak,
                 activation=config.activation, weights=weights, sizes=sizes)
    if config.cell == "lstm":
        forget = M("chrono forget bias") if config.forget_init == "chrono" else M("forget bias {bias:g}",
                                                                                  bias=config.forget_bias)
        return M("LSTM, {forget}, {weights}, {sizes}", forget=forget, weights=weights, sizes=sizes)
    if config.cell == "gru":
        return M("GRU, {weights}, {sizes}", weights=weights, sizes=sizes)
    if config.cell == "lru":
        return M("LRU, |λ| in [{lo:g}, {hi:g}], phase ≤ {phase:.3g}, {sizes}", lo=config.r_min, hi=config.r_max,
                 phase=config.max_phase, sizes=sizes)
    return M("{activation}, {weights}, {sizes}", activation=config.activation, weights=weights, sizes=sizes)


def zero_state(result: Analysis) -> bool:
    """Whether the state is exactly 0 at every valid step (then the state charts would be empty)."""
    return not np.any(result.mean_abs_h[: result.loss_step + 1])


def zero_state_text(config) -> str:
    """One line in place of the state charts when the state is exactly 0 at every step, saying why."""
    if config.input_kind == "zeros" or config.input_scale == 0:
        what = M("the input is zero") if config.input_kind == "zeros" else M("the input scale is 0")
        if config.cell == "lru":
            why = M("{what}, so h_t = λ·h_(t−1) + γ·B·0 stays at h_0 = 0", what=what)
        elif config.cell in ("lstm", "gru"):
            why = M("{what}, so every step's candidate tanh(W·0 + 0) is 0 and the state stays at h_0 = 0", what=what)
        elif config.bias_scale == 0:
            why = M("{what} and the bias is 0, so every step computes act(W_hh·0 + 0) = act(0) = 0", what=what)
        else:
            why = M("{what}, and act(W_hh·0 + b) = act(b) is 0 for every unit", what=what)
    else:
        why = M("every step maps the state to 0")
    return M("The hidden state is exactly 0 at every step, so there is nothing to draw: {why}. Choose an input "
             "(noise, impulse, sine or text) with a scale above 0 to see the states move.", why=why)


def model_zero_state_text(result: Analysis) -> str:
    """The line in place of the state charts for an uploaded model whose state is exactly 0 at every step: the
    reason read from the model and its run (the built-in networks' reasons, :func:`zero_state_text`, speak of
    settings an uploaded model does not have)."""
    p = result.params
    W_in = getattr(p, "W_xh", None) if getattr(p, "W_xh", None) is not None else getattr(p, "W_ih", None)
    if W_in is not None and not np.any(W_in):
        why = M("the model's input weights are all zero (a file with W_hh alone has none), so no input reaches the "
                "state, and it starts at h_0 = 0")
        advice = M("Choose a random initial state to see what the recurrence does with it.")
    elif not np.any(result.x):
        why = M("the input is zero at every step and the model maps a zero state with a zero input to 0")
        advice = M("Choose another input, or a random initial state.")
    else:
        why = M("every step maps the state to 0")
        advice = M("Choose a random initial state.")
    return M("The hidden state is exactly 0 at every step, so there is nothing to draw: {why}. {advice}", why=why,
             advice=advice)


def _overflowed(d: Diagnosis) -> str:
    return (M(" The states overflowed float64 at step {step}; the charts stop before.", step=d.overflow_step)
            if d.overflow_step is not None else "")


SATURATION = {  # what counts as blocking the gradient, per activation
    "relu": "dead (h ≤ 0, where relu' = 0)", "leaky_relu": "on the leaky side (slope 0.01)",
    "tanh": "saturated (|h| > 0.97, where tanh' < 0.06)",
    "sigmoid": "saturated (h outside [0.03, 0.97], where σ' < 0.03)",
    "linear": "saturated (never, for the linear activation)"}


def states_caption(result: Analysis) -> str:
    """Two lines under the hidden-state charts: how large the states are and how many units block the gradient."""
    cfg = result.config
    if zero_state(result):
        return zero_state_text(cfg)
    sat = result.saturated[1: result.loss_step + 1]
    mean_sat = float(np.nanmean(sat)) if sat.size and np.isfinite(sat).any() else 0.0
    mean_abs = float(np.nanmean(result.mean_abs_h[1: result.loss_step + 1])) if result.loss_step else 0.0
    d = result.diagnosis
    if cfg.cell in ("lstm", "gru"):
        return M("Mean |h_t| is {mean:.3g}. The gates decide how much of the gradient passes each step; their own "
                 "theory curve is drawn in the gradient chart above.{overflow}", mean=mean_abs,
                 overflow=_overflowed(d))
    if cfg.cell not in ("rnn", "leaky"):
        return M("Mean |h_t| is {mean:.3g}. The recurrence is linear: the gradient's size does not depend on the "
                 "states at all.{overflow}", mean=mean_abs, overflow=_overflowed(d))
    first = M("Mean |h_t| is {mean:.3g}; on average {share:.0%} of the units are {what}.", mean=mean_abs,
              share=mean_sat, what=SATURATION.get(cfg.activation, SATURATION["linear"]))
    second = M("Their derivatives multiply the gradient at every step: the mean act'(a_t) is {dact:.2f}.{overflow}",
               dact=d.mean_dact, overflow=_overflowed(d))
    return M("{first}  \n{second}", first=first, second=second)


def spectrum_caption(result: Analysis) -> str:
    """Two lines under the eigenvalue chart."""
    d = result.diagnosis
    if result.config.cell not in RECURRENCE:  # a gated cell: no single recurrent matrix, no spectrum shown
        return ""
    ev = np.abs(result.spectrum.eigenvalues)
    outside = int(np.sum(ev > 1.0 + UNIT_TOL))
    on = int(np.sum(np.abs(ev - 1.0) <= UNIT_TOL))
    M_ = RECURRENCE.get(result.config.cell, "W_hh")
    tol = pow10_text(math.log10(UNIT_TOL))
    if on == ev.size:
        where = M("all {n} eigenvalues lie on the unit circle (|λ| = 1 within {tol})", n=ev.size, tol=tol)
    else:
        where = M("{k} of {n} eigenvalues lies outside the unit circle" if outside == 1 else
                  "{k} of {n} eigenvalues lie outside the unit circle", k=outside, n=ev.size)
        if on:
            where = M("{where} and {on} on it (within {tol})", where=where, on=on, tol=tol)
    first = M("Spectral radius ρ({M}) = {rho:.3g}, largest singular value σ_max = {sigma:.3g}; {where}. {sv}", M=M_,
              rho=d.spectral_radius, sigma=d.sigma_max, where=where, sv=_singular_values_text(result))
    if result.config.cell == "lru":
        second = M("Each complex unit multiplies its state by its own λ every step (and the real view shows λ with its "
                   "conjugate): the gradient from t to T is exactly max|λ|^(T−t), so every |λ| < 1 means it can never "
                   "explode, and max|λ| sets how far back it reaches.")
    elif result.config.cell == "leaky":
        second = M("The step Jacobian is (1−α)·I + α·diag(act′)·W_hh: the leak pulls every eigenvalue of W_hh toward "
                   "1, so a small α keeps the gradient near its size for long stretches whatever W_hh is (the "
                   "echo-state and continuous-time view).")
    elif d.gamma != 1:
        second = M("Eigenvalues outside the circle of radius 1/γ are needed for the linearized dynamics to grow; "
                   "σ_max bounds the growth of any single step.")
    else:
        second = M("With γ = 1, the circles 1 and 1/γ coincide: eigenvalues outside it are directions that grow in the "
                   "linear regime; σ_max bounds the growth of any single step.")
    return M("{first}  \n{second}", first=first, second=second)


def _singular_values_text(result: Analysis) -> str:
    """What the singular-value chart shows: how many decades each matrix's singular values span, that they are all
    equal (to rounding), or how many are exactly 0 (the chart has no point for those)."""
    name_W = RECURRENCE.get(result.config.cell, "W_hh")
    with np.errstate(divide="ignore"):
        sv = np.log10(np.asarray(result.spectrum.singular_values, dtype=float))  # -inf for an exact 0
    parts = []
    for name, values in ((name_W, sv), ("dh_T/dh_0", result.jacobians.log10_sv_full if result.jacobians else None)):
        if values is None or not values.size:
            continue
        finite = values[np.isfinite(values)]
        zeros = int(np.sum(np.isneginf(values)))
        lost = int(np.sum(finite < finite.max() - RESOLUTION_DECADES)) if finite.size else 0  # rounding, not drawn
        finite = finite[finite >= finite.max() - RESOLUTION_DECADES] if finite.size else finite
        said = {"name": name, "n": values.size, "zeros": zeros, "k": finite.size}
        if finite.size == 1 and not lost:
            body = M("the other is {value}", value=pow10_text(float(finite[0])))
        elif not finite.size:
            body = None
        elif float(finite.max() - finite.min()) < EQUAL_DECADES and not lost:
            body = M("the other {k} equal {value} (within rounding)" if zeros else
                     "All {k} singular values of {name} equal {value} (within rounding)" if not parts else
                     "all {k} singular values of {name} equal {value} (within rounding)",
                     value=pow10_text(float(finite.max())), **said)
        else:
            body = M("the others span {decades} decades" if zeros else
                     "The singular values of {name} span {decades} decades" if not parts else
                     "the singular values of {name} span {decades} decades",
                     decades=decades_text(float(finite.max() - finite.min()), lost > 0), **said)
            if lost:
                body = M("{body} ({lost} of them lie below float64's resolution, {resolution:g} decades under the "
                         "largest, and are not drawn)", body=body, lost=lost, resolution=RESOLUTION_DECADES)
        if zeros:
            head = M("{zeros} of the {n} singular values of {name} is exactly 0" if zeros == 1 else
                     "{zeros} of the {n} singular values of {name} are exactly 0", **said)
            parts.append(M("{head}, {body}", head=head, body=body) if body is not None else head)
        elif body is not None:
            parts.append(body)
    text = M("{parts}.", parts=M.join("; ", parts)) if parts else ""
    sv_prod = result.jacobians.log10_sv_full if result.jacobians else np.array([])
    sv_prod = sv_prod[np.isfinite(sv_prod)]  # a spread of a decade or more: what is below the resolution only adds
    if sv.size and np.isfinite(sv).all() and float(sv.max() - sv.min()) < EQUAL_DECADES and sv_prod.size > 1 \
            and float(sv_prod.max() - sv_prod.min()) >= 1.0:
        text = M("{text} {M} alone is an isometry, but the activation's derivatives are not (mean act' = {dact:.2f}): "
                 "they break the isometry of the product.", text=text, M=name_W, dact=result.diagnosis.mean_dact)
    return text


def contributions_caption(result: Analysis) -> str:
    """Two lines under the per-step contribution chart."""
    c = result.contributions[: result.loss_step]
    finite = np.isfinite(c)
    if zero_state(result):
        return M("Every term δ_t h_(t−1)ᵀ is exactly zero because the hidden state h_(t−1) is 0 at every step (see "
                 "above): this sequence gives W_hh no gradient at all.")
    if not finite.any():
        return M("Every step's term δ_t h_(t−1)ᵀ is exactly zero (the gradient δ_t at every step is 0): the update to "
                 "W_hh learns nothing from this sequence.")
    top_t = int(np.nanargmax(np.where(finite, c, -np.inf))) + 1
    top = float(c[top_t - 1])
    small = np.flatnonzero(finite & (c < top - 3))
    far = (M("{k} of {n} steps contribute less than 1/1000 of the largest term: the update barely learns from them.",
             k=small.size, n=c.size) if small.size else
           M("Every step contributes within a factor 1000 of the largest."))
    return M("dL/dW_hh = Σ_t δ_t h_(t−1)ᵀ: the largest term is at t = {t} ({value}).  \n{far}", t=top_t,
             value=pow10_text(top), far=far)


def curse_caption(config) -> str:
    """Under the curse-of-memory chart: the sensitivity at the ring's edge against |λ| = 0.5, from the function the
    chart's red curve draws (exactly, not read off its grid)."""
    at, half = (float(curse_of_memory(r, normalized=True)) for r in (config.r_max, 0.5))
    return M("The shaded band is this ring, |λ| from {lo:g} to {hi:g}. At |λ| = {hi:g} the state's sensitivity to its "
             "own eigenvalue is {at}, {ratio} times that at |λ| = 0.5 (a long sequence, white-noise input). A long "
             "memory (|λ| → 1) keeps the gradient through time alive but makes the recurrence itself ever harder to "
             "train: the input normalization γ = √(1 − |λ|²) keeps the state's size at 1, not this sensitivity "
             "(Zucchet & Orvieto 2024).", lo=config.r_min, hi=config.r_max, at=pow10_text(at),
             ratio=pow10_text(at - half))


def input_text(config) -> str:
    """The input as a short phrase: ``noise input (scale 0.01, D = 8)``, ``text input 'hello'``, ``zero input``."""
    if config.input_kind == "zeros":
        return M("zero input")
    if config.input_kind == "text":
        return M("text input '{text}' (one-hot, scale {scale:g})", text=config.text, scale=config.input_scale)
    return M("{kind} input (scale {scale:g}, D = {D})", kind=config.input_kind, scale=config.input_scale,
             D=config.input_size)


def map_base_text(config, settings, axis_title: str) -> str:
    """What a regime map sweeps and every setting it takes from the sidebar (the swept ones left out)."""
    swept = settings.axis
    gains = M("the gain g from {lo:g} to {hi:g} ({n} values, log-spaced) × {axis}", lo=settings.gain_min,
              hi=settings.gain_max, n=settings.gain_points, axis=axis_title)
    seeds = (M("seed {seed}", seed=config.seed) if settings.seeds == 1 else
             M("{n} seeds ({first} to {last}) per cell", n=settings.seeds, first=config.seed,
               last=config.seed + settings.seeds - 1))
    fixed = [] if swept == "cell" else [M("vanilla RNN")]
    fixed += [config.activation if swept != "activation" else None,
              M("{init} W_hh", init=config.init) if swept != "init" else None,
              M("N = {N}", N=config.hidden_size) if swept != "hidden_size" else None,
              M("T = {T}", T=config.seq_len) if swept != "seq_len" else None,
              M("batch {B}", B=config.batch_size), input_text(config), M("bias scale {b:g}", b=config.bias_scale)]
    if swept == "cell":
        fixed += [M("leak α = {leak:g}", leak=config.leak),
                  M("chrono forget bias") if config.forget_init == "chrono" else
                  M("forget bias {bias:g}", bias=config.forget_bias)]
    return M("This map sweeps {gains}, {seeds}. Every other setting is the sidebar's: {fixed}. The rate is measured "
             "with the last-step loss.", gains=gains, seeds=seeds, fixed=M.join(", ", [f for f in fixed if f]))


def spectra_caption(config, eigenvalues, spreads: dict, mean_dact: dict, fixed: tuple[str, ...] = ()) -> str:
    """Under the Gaussian-vs-orthogonal comparison: the settings (``fixed``: those the page sets itself, not the
    sidebar), then what the numbers in the table and charts say, including when the activation's derivatives break
    the orthogonal matrix's isometry."""
    settings = M("Both networks: gain {gain:g}, {activation}, {input}, N = {N}, T = {T}, seed {seed}.",
                 gain=config.gain, activation=config.activation, input=input_text(config), N=config.hidden_size,
                 T=config.seq_len, seed=config.seed)
    if fixed:
        where = (M("The {fixed} are set here, not in the sidebar: a small input keeps tanh near its linear range, "
                   "where the lesson holds.", fixed=M.join(" and ", fixed)) if config.activation == "tanh" and
                 config.input_scale <= 0.01 else
                 M("The {fixed} are set here, not in the sidebar.", fixed=M.join(" and ", fixed)))
        settings = M("{a} {b}", a=settings, b=where)
    ortho = eigenvalues[eigenvalues["init"] == "orthogonal"]["abs"].to_numpy()
    gauss = eigenvalues[eigenvalues["init"] == "normal"]["abs"].to_numpy()
    on_circle = bool(ortho.size) and bool(np.all(np.abs(ortho - config.gain) <= UNIT_TOL * max(config.gain, 1.0)))
    eig = (M("The Gaussian W's eigenvalues fill the disc of radius g = {gain:g} (circular law; largest |λ| = "
             "{top:.3g})", gain=config.gain, top=gauss.max()) if gauss.size else "")
    eig = (M("{a}; the orthogonal W's all lie on the circle of radius g.", a=eig) if on_circle else
           M("{a}; the orthogonal W's have |λ| from {lo:.3g} to {hi:.3g}.", a=eig, lo=ortho.min(), hi=ortho.max())
           if ortho.size else M("{a}.", a=eig))
    g_w, o_w = spreads.get(("normal", "W_hh")), spreads.get(("orthogonal", "W_hh"))
    g_p, o_p = spreads.get(("normal", "dh_T/dh_0")), spreads.get(("orthogonal", "dh_T/dh_0"))
    lines = [settings, eig]
    if g_w is not None and o_w is not None:
        lines.append(M("The singular values of W_hh span {g} decades for the Gaussian W and are all equal for the "
                       "orthogonal one (dynamical isometry)." if o_w < EQUAL_DECADES else
                       "The singular values of W_hh span {g} decades for the Gaussian W and {o} for the orthogonal "
                       "one.", g=decades_text(g_w), o=decades_text(o_w)))
    if g_p is not None and o_p is not None:
        said = {"T": config.seq_len, "g": decades_text(g_p), "o": decades_text(o_p),
                "dact": mean_dact.get("orthogonal", math.nan)}
        head = "Over T = {T} steps the product dh_T/dh_0 spreads them over {g} decades (Gaussian) against {o} " \
               "(orthogonal)"
        if o_p < 1.0 and o_p < g_p - 1.0:
            product = (M(head + ": the orthogonal network keeps every direction of the gradient within a factor "
                         "{factor} of the others, none amplified or crushed much more than another.",
                         factor=pow10_text(o_p), **said) if pow10_text(o_p) != "1" else
                       M(head + ": the orthogonal network keeps every direction of the gradient at the same size, none "
                         "amplified or crushed much more than another.", **said))
        elif o_p >= 0.5 * g_p:
            product = M(head + ": the activation's derivatives (mean act' = {dact:.2f}) break the isometry that the "
                        "orthogonal W has alone, and it helps little here.", **said)
        else:
            product = M(head + ": less, but the activation's derivatives (mean act' = {dact:.2f}) still spread the "
                        "orthogonal product.", **said)
        lines.append(product)
    return M.join("  \n", lines)


def mean_field_caption(config, below: tuple[int, int] | None) -> str:
    """Under the map's Lyapunov chart: the mean-field curve, and how the measured tanh networks lie against it."""
    head = M("λ_max along each network's own trajectory (mean ± sd over seeds). The dashed curve is the mean-field "
             "prediction for a large tanh network without input: ln g below g = 1, then ½·ln(g²·E[sech⁴(√Δ·z)]) "
             "with Δ = g²·E[tanh²(√Δ·z)].")
    if below is None or not below[1]:
        return head
    n_below, n = below
    driven = config.input_kind != "zeros" and config.input_scale > 0
    where = (M("every one of the {n} tanh networks lies below it", n=n) if n_below == n else
             M("{k} of the {n} tanh networks lie below it", k=n_below, n=n))
    why = (M(": a driven network is less chaotic.") if driven and n_below == n else
           M(" (this map's networks have an input; the curve assumes none).") if driven else
           M(" (no input here, as the curve assumes; a finite N and T still move the measured values)."))
    return M("{head}  \nMeasured, {where}{why}", head=head, where=where, why=why)
