"""Chart builders: plain functions from tidy DataFrames to Altair charts. No Streamlit here.

Norms are plotted as their log10 on a linear axis labelled as powers of ten: a log axis whose values can be
1e-3000 or 1e+3000, which no float64 log scale could hold.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from rnn_core.tidy import QUANTITIES

# The pages thin their frames (ui.view.thin) before drawing; Altair's 5,000-row guard would only stop a notebook
# user from drawing a long run in full.
alt.data_transformers.disable_max_rows()

HEIGHT = 320
# Axis labels for log10 values: 1e-20 style at whole decades, plain numbers between them (when the axis is
# finer than a decade), never pow() of a value that float64 cannot hold.
POW10_LABEL = ("datum.value % 1 == 0 ? (datum.value == 0 ? '1' : '1e' + format(datum.value, 'd')) : "
               "(abs(datum.value) < 300 ? format(pow(10, datum.value), '.3~g') : '')")
COLORS = {
    "grad_norm": "#1f4e9c",
    "jacobian_norm": "#2ca58d",
    "pascanu_bound": "#d1495b",
    "lyapunov": "#edae49",
}
REGIME_COLORS = {"vanishing": "#3b6fb6", "stable": "#4a9c5d", "exploding": "#c8553d"}


T_AXIS = alt.Axis(tickMinStep=1, format="d")  # steps and units are whole numbers


def _pow10_axis(title: str, decades: bool = True) -> alt.Axis:
    """An axis for log10 values labelled as powers of ten; ``decades`` puts ticks on whole decades only."""
    return alt.Axis(title=title, labelExpr=POW10_LABEL, **({"tickMinStep": 1} if decades else {}))


def gradient_chart(df: pd.DataFrame, x: str = "t") -> alt.Chart:
    """The gradient norm ``||dL/dh_t||`` with the Jacobian-product norm and the two theory lines.

    ``df`` is :func:`rnn_core.tidy.gradient_frame`. ``x`` is ``'t'`` or ``'lag'``. The y range fits the measured
    curves; theory lines that leave it are clipped at the frame (they continue off the chart, not bend).
    """
    measured = df[df["quantity"].isin(["grad_norm", "jacobian_norm"])]["log10_value"]
    lo, hi = (float(measured.min()), float(measured.max())) if len(measured) else (-1.0, 1.0)
    pad = max(1.0, 0.08 * (hi - lo))
    domain = [math.floor(lo - pad), math.ceil(hi + pad)]
    names = [q for q in QUANTITIES if q in set(df["quantity"])]
    data = df.assign(label=df["quantity"].map(QUANTITIES))
    x_title = "time step t" if x == "t" else "lag T − t (steps back from the loss)"
    color = alt.Color("label:N", title=None, sort=[QUANTITIES[q] for q in names],
                      scale=alt.Scale(domain=[QUANTITIES[q] for q in names], range=[COLORS[q] for q in names]),
                      legend=alt.Legend(orient="bottom", columns=2, labelLimit=320))
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("log10_value:Q", scale=alt.Scale(domain=domain), axis=_pow10_axis("norm (log scale)")),
        color=color,
        tooltip=[alt.Tooltip("label:N", title="curve"), alt.Tooltip("t:Q"), alt.Tooltip("lag:Q"),
                 alt.Tooltip("log10_value:Q", title="log10 norm", format=".3f")],
    )
    lines = base.transform_filter(alt.FieldOneOfPredicate("quantity", ["grad_norm", "jacobian_norm"])).mark_line(
        strokeWidth=2.5, clip=True)
    theory_lines = base.transform_filter(alt.FieldOneOfPredicate("quantity", ["pascanu_bound", "lyapunov"])
                                         ).mark_line(strokeWidth=1.8, strokeDash=[6, 4], clip=True)
    return (theory_lines + lines).properties(height=HEIGHT).interactive(bind_y=False)


def heatmap_chart(df: pd.DataFrame, activation: str) -> alt.Chart:
    """Hidden states as a time × unit heatmap. ``df`` is :func:`rnn_core.tidy.states_frame` (thinned steps)."""
    steps = np.sort(df["t"].unique())
    width = np.diff(steps, append=steps[-1] + 1) if steps.size else np.array([])
    data = df.assign(t_end=df["t"].map(dict(zip(steps, steps + width, strict=True))), unit_end=df["unit"] + 1)
    bound = 1.0 if activation in ("tanh", "sigmoid") else float(np.nanquantile(np.abs(df["h"]), 0.99) or 1.0)
    domain = [0.0, 1.0] if activation == "sigmoid" else [-bound, bound]
    scheme = "viridis" if activation == "sigmoid" else "redblue"
    return alt.Chart(data).mark_rect().encode(
        x=alt.X("t:Q", title="time step t", scale=alt.Scale(nice=False), axis=T_AXIS),
        x2="t_end:Q",
        y=alt.Y("unit:Q", title="hidden unit", scale=alt.Scale(nice=False), axis=T_AXIS),
        y2="unit_end:Q",
        color=alt.Color("h:Q", title="h", scale=alt.Scale(scheme=scheme, domain=domain, clamp=True,
                                                          reverse=scheme == "redblue")),
        tooltip=[alt.Tooltip("t:Q"), alt.Tooltip("unit:Q"), alt.Tooltip("h:Q", format=".4g")],
    ).properties(height=HEIGHT)


def unit_lines_chart(df: pd.DataFrame, units: list[int]) -> alt.Chart:
    """A few units' trajectories ``h_t``. ``df`` is :func:`rnn_core.tidy.states_frame`."""
    data = df[df["unit"].isin(units)]
    return alt.Chart(data).mark_line(strokeWidth=1.5, opacity=0.9).encode(
        x=alt.X("t:Q", title="time step t", scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("h:Q", title="h_t"),
        color=alt.Color("unit:N", title="unit", legend=alt.Legend(orient="right")),
        tooltip=["t:Q", "unit:N", alt.Tooltip("h:Q", format=".4g")],
    ).properties(height=220)


def state_stats_chart(df: pd.DataFrame, activation: str) -> alt.Chart:
    """``||h_t||`` (log scale) beside the fraction of saturated units (or dead ReLUs). ``df`` is step_frame."""
    data = df[df["valid"] & np.isfinite(df["log10_norm_h"])]
    span = float(data["log10_norm_h"].max() - data["log10_norm_h"].min()) if len(data) else 0.0
    norm = alt.Chart(data).mark_line(color="#1f4e9c", strokeWidth=2).encode(
        x=alt.X("t:Q", title="time step t", scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("log10_norm_h:Q", axis=_pow10_axis("‖h_t‖ (log scale)", decades=span > 2),
                scale=alt.Scale(zero=False)),
        tooltip=["t:Q", alt.Tooltip("log10_norm_h:Q", title="log10 ‖h_t‖", format=".3f")],
    ).properties(height=200, title="size of the state ‖h_t‖")
    label = "dead ReLUs" if activation in ("relu", "leaky_relu") else "saturated units"
    sat = alt.Chart(df[df["valid"]]).mark_area(color="#c8553d", opacity=0.6, line=True).encode(
        x=alt.X("t:Q", title="time step t", scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("saturated:Q", title=f"fraction of {label}", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        tooltip=["t:Q", alt.Tooltip("saturated:Q", format=".1%")],
    ).properties(height=200, title=f"fraction of {label}")
    return alt.hconcat(norm, sat).resolve_scale(x="independent")


def spectrum_chart(df: pd.DataFrame, gamma: float, gain: float | None = None) -> alt.Chart:
    """Eigenvalues of W_hh in the complex plane, with the unit circle and the circle of radius 1/gamma.

    ``df`` is :func:`rnn_core.tidy.spectrum_frame`. The axes share one domain, so circles look round.
    """
    radii = {"|λ| = 1 (unit circle)": 1.0}
    if gamma != 1.0:
        radii[f"|λ| = 1/γ = {1 / gamma:g}"] = 1.0 / gamma
    theta = np.linspace(0, 2 * np.pi, 181)
    circles = pd.concat([pd.DataFrame({"re": r * np.cos(theta), "im": r * np.sin(theta), "circle": name,
                                       "order": np.arange(theta.size)}) for name, r in radii.items()])
    reach = max([1.0 / gamma, 1.0, float(df["abs"].max()) if len(df) else 1.0]) * 1.1
    scale = alt.Scale(domain=[-reach, reach], nice=False)
    ring = alt.Chart(circles).mark_line(strokeDash=[5, 3], strokeWidth=1.5).encode(
        x=alt.X("re:Q", scale=scale, title="Re λ"), y=alt.Y("im:Q", scale=scale, title="Im λ"), order="order:Q",
        color=alt.Color("circle:N", title=None, scale=alt.Scale(range=["#555555", "#d1495b"]),
                        legend=alt.Legend(orient="bottom")))
    dots = alt.Chart(df).mark_circle(size=36, color="#1f4e9c", opacity=0.8).encode(
        x=alt.X("re:Q", scale=scale), y=alt.Y("im:Q", scale=scale),
        tooltip=[alt.Tooltip("re:Q", format=".4f"), alt.Tooltip("im:Q", format=".4f"),
                 alt.Tooltip("abs:Q", title="|λ|", format=".4f")])
    return (ring + dots).properties(width=HEIGHT, height=HEIGHT)


def contributions_chart(df: pd.DataFrame) -> alt.Chart:
    """Per-step contributions ``||delta_t h_{t-1}^T||`` to dL/dW_hh as bars on a log axis. ``df`` is step_frame."""
    data = df[np.isfinite(df["log10_contribution"])]
    lo = math.floor(float(data["log10_contribution"].min())) - 1 if len(data) else -1
    return alt.Chart(data.assign(base=lo)).mark_bar(color="#2ca58d").encode(
        x=alt.X("t:Q", title="time step t", scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("log10_contribution:Q", axis=_pow10_axis("‖term_t‖ (log scale)"), scale=alt.Scale(zero=False)),
        y2="base:Q",
        tooltip=["t:Q", alt.Tooltip("log10_contribution:Q", title="log10 ‖δ_t h_{t−1}ᵀ‖", format=".3f")],
    ).properties(height=240)


def singular_values_chart(df: pd.DataFrame) -> alt.Chart:
    """Singular values (log scale) of W_hh and of the whole Jacobian product, by index."""
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("index:Q", title="index i (descending)", axis=T_AXIS),
        y=alt.Y("log10_value:Q", axis=_pow10_axis("σ_i (log scale)")),
        color=alt.Color("matrix:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["matrix:N", "index:Q", alt.Tooltip("log10_value:Q", title="log10 σ", format=".3f")],
    ).properties(height=240)
