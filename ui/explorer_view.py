"""Every view of one analyzed network, as the Explorer shows it: the verdict, the gradient across time, the states,
the spectrum, the LRU's curse of memory and the per-step contributions. The Explorer shows its own networks with it,
the "Your model" page an uploaded one."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable

import altair as alt
import streamlit as st

from rnn_core import Config
from rnn_core.diagnosis import pow10_text, rate_text
from rnn_core.presets import PRESETS

from . import charts
from .cache import chart_spec, draw, view_of
from .captions import CELL_MATH, RECURRENCE, config_summary, curse_caption, horizon_text
from .i18n import DEFAULT, decimal_text, num, tr, using
from .layout import formulas, on_demand, panels
from .view import View, thin

REGIME_BADGE = {"vanishing": ("blue", "↘"), "stable": ("green", "→"), "exploding": ("red", "↗")}


def show_view(config: Config, view: View, key: tuple, *, shared: bool = True,
              summary: str | None = None) -> None:
    """Draw every view of ``view`` (the analysis of ``config``). ``key`` is what the charts depend on; ``shared``:
    the charts may be cached for every session (not for an uploaded model, which stays in its session).
    ``summary`` replaces the configuration's one-line summary under the verdict."""
    def draw_chart(name: str, **kwargs) -> None:
        draw(*built[name], shared=shared, **kwargs)

    d = view.diagnosis
    if d.overflow_step is not None:
        st.error(tr("The hidden states overflowed float64 at step {overflow}. Every chart stops at step {loss}, where "
                    "the loss is placed.", overflow=d.overflow_step, loss=d.loss_step), icon="💥")

    # Verdict: the regime, the figures behind it, and the sentence built from them.
    color, arrow = REGIME_BADGE[d.regime]
    verdict = st.container(horizontal=True, vertical_alignment="center")  # wraps into rows where the page is narrow
    with verdict.container(width=240):  # the regime's word on one line
        st.markdown(f"## :{color}[{arrow} {tr(d.regime.capitalize())}]")
        st.caption(tr(summary or config_summary(config)))
    metrics = [(tr("per-step rate"), decimal_text(rate_text(d.rate)) + "×",
                tr("Factor by which ‖dL/dh_t‖ changes per step back (robust fit of the log norm against the lag)."))]
    metrics.append((tr("memory horizon"), tr(horizon_text(d)),
                    tr("Lag at which the gradient has fallen 1000-fold (none while it grows).")))
    if math.isfinite(d.pascanu):  # the vanilla and leaky RNN, the LRU: a bound on every step
        metrics.append(("γ·σ_max" if config.cell == "rnn" else tr("step bound"), num(d.pascanu, ".3g"),
                        tr("Below 1 the bound on every step's Jacobian guarantees vanishing.")))
        metrics.append((tr("spectral radius ρ"), num(d.spectral_radius, ".3g"),
                        tr("Largest |eigenvalue| of {M}.", M=RECURRENCE.get(config.cell, "W_hh"))))
    for name, curve in view.reference.items():  # a gated cell's own theory, at the largest lag
        metrics.append((tr(name), decimal_text(pow10_text(curve)),
                        tr("The cell's own theory, {name}, from t = 0 to the loss.", name=name)))
    metrics.append(("λ_max", num(d.lyapunov_max, "+.3f"), tr("Largest Lyapunov exponent (natural log per step).")))
    for label, value, help_text in metrics:
        verdict.metric(label, value, help=help_text, width="content")
    st.info(tr(d.sentence))

    # 1. The gradient across time
    st.subheader(tr("Gradient norm across time"))
    axes = {tr("time step t"): "t", tr("lag T − t"): "lag"}  # the options as shown (AppTest reads no format_func)
    x = axes.get(st.radio(tr("Horizontal axis"), list(axes), horizontal=True, key="x_axis",
                          label_visibility="collapsed"), "t")
    built = view_charts(config, view, key, x)
    draw_chart("gradient")
    st.caption(tr(view.captions["gradient"]))
    if view.jacobians_skipped:
        st.caption(tr(view.jacobians_skipped))
    on_demand(tr("The math"), "math-gradient", lambda: gradient_math(config.cell))
    st.download_button(tr("Download the curves (CSV)"), lambda: view.gradient.to_csv(index=False),
                       "gradient_norms.csv", "text/csv")

    # 2. Hidden states
    st.subheader(tr("Hidden states"))
    if view.zero_state:  # nothing to draw: one line says why
        st.info(tr(view.captions["states"]))
    else:
        a, b = panels("states", 340, 220)
        with a:
            draw_chart("heatmap")
        with b:
            draw_chart("units")
        # the size of the state beside the fraction of saturated units, where the cell's state shows any (not GRU, LRU)
        a, b = panels("state_stats", 340, 340) if "saturation" in built else (st.container(), None)
        with a:
            draw_chart("state_norm")
        if b is not None:
            with b:
                draw_chart("saturation")
        st.caption(tr(view.captions["states"]))
    if config.cell in ("rnn", "leaky"):
        on_demand(tr("The math"), "math-states", state_math)
    st.download_button(tr("Download the states shown (CSV)"), lambda: view.states.to_csv(index=False),
                       "hidden_states.csv", "text/csv")

    # 3. Spectrum (the cells with one recurrent matrix)
    if config.cell in ("lstm", "gru"):
        st.subheader(tr("Spectrum"))
        st.caption(tr("A gated cell has no single recurrent matrix: each step's Jacobian mixes W_hh with the values "
                      "of the gates, so a spectrum would say little. The gates' own theory is the dotted curve in the "
                      "gradient chart above."))
    else:
        st.subheader(tr("Spectrum of {M}", M=RECURRENCE[config.cell]))
        a, b = panels("spectrum", 340, 340)
        with a:
            draw_chart("eigenvalues", width="content")
        with b:
            draw_chart("singular_values")
        st.caption(tr(view.captions["spectrum"]))
        if config.cell == "rnn":
            on_demand(tr("The math"), "math-spectrum", spectrum_math)
        st.download_button(tr("Download the eigenvalues (CSV)"), lambda: view.spectrum.to_csv(index=False),
                           "eigenvalues.csv", "text/csv")

    # 3b. The LRU's price for a long memory
    if view.curse is not None:
        st.subheader(tr("The curse of memory"))
        draw_chart("curse")
        st.caption(tr(curse_caption(config)))

    # 4. What the update learns from (the recurrent weight matrix W_hh; the LRU has none)
    if config.cell != "lru":
        st.subheader(tr("Per-step contributions to dL/dW_hh"))
        if view.zero_state:
            st.info(tr(view.captions["contributions"]))
        else:
            draw_chart("contributions")
            st.caption(tr(view.captions["contributions"]))
        on_demand(tr("The math"), "math-contributions", lambda: contributions_math(config.cell))
        st.download_button(tr("Download per-step figures (CSV)"), lambda: view.steps.to_csv(index=False),
                           "per_step.csv", "text/csv")


Chart = tuple[tuple, Callable[[], alt.TopLevelMixin]]  # a chart's cache key (what it depends on) and its builder


def settings_key(config: Config) -> tuple:
    """What the charts of a built-in network depend on, as :func:`show_view`'s ``key``: its settings, in order."""
    return tuple(config.to_dict().items())


def view_charts(config: Config, view: View, key: tuple, x: str = "t") -> dict[str, Chart]:
    """The charts :func:`show_view` draws for ``view``, by name: the page draws them, and :func:`warm_up`
    builds the same ones before anyone asks. ``x``: the gradient chart's horizontal axis, ``'t'`` or ``'lag'``."""
    out: dict[str, Chart] = {"gradient": (("gradient", x, key), lambda: charts.gradient_chart(view.gradient_thin, x))}
    if not view.zero_state:  # the state charts (and the contributions) give way to a line saying why
        state_range = {"rnn": config.activation, "leaky": config.activation, "lru": "linear"}.get(config.cell, "tanh")
        units = sorted(view.states["unit"].unique())[:3]
        out["heatmap"] = (("heatmap", key), lambda: charts.heatmap_chart(view.states, state_range))
        out["units"] = (("units", key), lambda: charts.unit_lines_chart(thin(view.states), units))
        out["state_norm"] = (("state_norm", key), lambda: charts.state_norm_chart(view.steps))
        if charts.shows_saturation(view.steps):  # where the cell's state shows any (not GRU, LRU)
            out["saturation"] = (("saturation", key), lambda: charts.saturation_chart(view.steps, state_range))
        if config.cell != "lru":
            out["contributions"] = (("contributions", key), lambda: charts.contributions_chart(view.steps))
    if config.cell not in ("lstm", "gru"):  # the cells with one recurrent matrix
        out["eigenvalues"] = (("eigenvalues", key), lambda: charts.spectrum_chart(view.spectrum, view.gamma))
        out["singular_values"] = (("singular_values", key), lambda: charts.singular_values_chart(view.singular_values))
    if view.curse is not None:
        out["curse"] = (("curse", key), lambda: charts.curse_chart(view.curse, config.r_min, config.r_max))
    return out


_warm = {"started": False}
_warm_lock = threading.Lock()


def warm_up() -> None:
    """Analyze the default network and every preset and build their charts (English, time axis) into the caches
    shared by every session: a room's first visit and first pick of each preset are then answered from the cache
    (benchmarks/README.md has the figures). ~1 s of CPU, the analyses in the worker process where there is one."""
    with using(DEFAULT):  # the charts in English, whatever context the thread was started from
        for config in (Config(), *(p.config for p in PRESETS)):  # the page everyone opens first, and every preset
            view = view_of(config.to_dict())
            for key, build in view_charts(config, view, settings_key(config)).values():
                chart_spec(key, build)


def warm_up_once() -> None:
    """Start :func:`warm_up` in a background thread, once per server process (not while ``RNN_LAB_WARM=0``: the
    in-process page tests, which count and patch computations)."""
    with _warm_lock:
        if _warm["started"] or os.environ.get("RNN_LAB_WARM") == "0":
            return
        _warm["started"] = True

    def run() -> None:
        try:
            warm_up()
        except Exception:  # a cold cache is slower, never wrong: the pages compute what they need
            logging.getLogger(__name__).exception("warming the presets' views failed")

    threading.Thread(target=run, name="rnn_lab_warm", daemon=True).start()


def gradient_math(cell: str) -> None:
    step, theory, words = CELL_MATH[cell]
    formulas(r"\frac{\partial L}{\partial h_t} = J_{t+1}^\top \cdots J_T^\top \frac{\partial L}{\partial h_T}", *step)
    formulas(*theory)
    st.markdown(tr(words) + " " + tr("The norms are computed in the log domain (mantissa × 10^scale), so values like "
                                     "1e-3000 are exact and drawn faithfully."))


def state_math() -> None:
    formulas(r"h_t = \mathrm{act}(a_t)", r"a_t = W_{hh} h_{t-1} + W_{xh} x_t + b")
    formulas(r"\tanh'(a) = 1 - \tanh^2(a)", r"\sigma'(a) = \sigma(a)\,(1-\sigma(a))", r"\mathrm{relu}'(a) = [a > 0]")
    st.markdown(tr("A unit with |tanh| > 0.97 has tanh' < 0.06: it passes almost none of the gradient back, whatever "
                   "W_hh is. That is why a large gain, which saturates the units, can still make the gradient vanish."))


def spectrum_math() -> None:
    formulas(r"\|J_t\|_2 \le \gamma\,\sigma_{\max}(W_{hh})", r"\rho(W_{hh}) \le \sigma_{\max}(W_{hh})",
             r"W_{ij}\sim\mathcal N(0, g^2/N)", r"\Rightarrow |\lambda| \le g\ \text{(uniformly)}")
    st.markdown(tr("In the linear regime (act' ≈ 1) the gradient after many steps grows like ρ(W)^k: eigenvalues "
                   "outside the unit circle are directions that explode, inside it directions that vanish. The "
                   "circular law (Girko) puts the eigenvalues of a Gaussian W uniformly in the disc of radius g."))


def contributions_math(cell: str) -> None:
    gated = cell in ("lstm", "gru")
    formulas(r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \delta_t\, h_{t-1}^\top",
             r"\delta_t = \frac{\partial L}{\partial a_t}" + (
                 "" if gated else r" = \mathrm{act}'(a_t) \odot \frac{\partial L}{\partial h_t}"))
    if gated:
        st.caption(tr("a_t: the step's pre-activations, four gates.") if cell == "lstm" else
                   tr("a_t: the step's pre-activations, three gates."))


def show_reproduce(core: str, torch_script: Callable[[], str]) -> None:
    """"Reproduce in code", opened on demand: the rnn_core snippet that rebuilds this view, and the standalone PyTorch
    script (made when it is downloaded) that recomputes its gradient with torch.autograd. Both print
    ``t log10||dL/dh_t||``."""
    def draw() -> None:
        st.caption(tr("This view as code: the snippet rebuilds it with rnn_core (seed included) and prints the "
                      "diagnosis and the gradient curve; the PyTorch script builds the same weights and inputs, runs "
                      "torch.autograd and prints the same numbers (within 1e-10 relative, where float64 holds them)."))
        st.code(core, language="python", wrap_lines=True)
        row = st.container(horizontal=True)
        row.download_button(tr("Download the rnn_core snippet"), core, "reproduce_rnn_core.py", "text/x-python")
        row.download_button(tr("Download the PyTorch script"), torch_script, "reproduce_torch.py", "text/x-python")
    on_demand(tr("Reproduce in code"), "reproduce", draw)
