"""Chart builders: plain functions from tidy DataFrames to Altair charts. No Streamlit here.

Norms are plotted as their log10 on a linear axis labelled as powers of ten: a log axis whose values can be
1e-3000 or 1e+3000, which no float64 log scale could hold.
"""

from __future__ import annotations

import base64
import io
import json
import math

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from rnn_core.tidy import quantity_label

from .i18n import decimal_text, tr

# The pages thin their frames (ui.view.thin) before drawing; Altair's 5,000-row guard would only stop a notebook
# user from drawing a long run in full.
alt.data_transformers.disable_max_rows()

HEIGHT = 320
SQUARE = 270  # the side of square plots (eigenvalues in the complex plane)
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
EXTRA_COLORS = ["#7b2cbf", "#ff7f0e", "#6c757d", "#17becf"]  # a cell's own curves (dL/dc_t, its theory)
# Per kind of curve: stroke width, dash, opacity, drawing order (the measured gradient last, on top).
STYLE = {"lyapunov": (1.8, [6, 4], 1.0, 0), "pascanu_bound": (1.8, [6, 4], 1.0, 1), "ref": (2.0, [2, 3], 1.0, 2),
         "jacobian_norm": (4.0, [1, 0], 0.55, 3), "part": (2.0, [1, 0], 0.9, 4), "grad_norm": (2.2, [1, 0], 1.0, 5)}
REGIME_COLORS = {"vanishing": "#3b6fb6", "stable": "#4a9c5d", "exploding": "#c8553d"}


# steps and units are whole numbers; the labels at the ends of the axis stay inside the chart's frame
T_AXIS = alt.Axis(tickMinStep=1, format="d", labelFlush=True)
# a legend symbol for tick marks (legends draw them as dots): a thin filled bar, as an SVG path in symbol units
VERTICAL_TICK = "M-0.12,-1H0.12V1H-0.12Z"

# One look for every chart, read on a projector from the back of a room: dark text, axis titles 15 px, labels 13 px,
# legends 14 px (Streamlit's own theme draws 12 px grey). Legends under a plot stack one under another, never side by
# side past the chart's right edge. ui.cache.draw puts it in every spec (a spec's config overrides Streamlit's theme).
INK, INK_SOFT = "#222222", "#333333"
THEME = {
    "axis": {"titleFontSize": 15, "titleColor": INK, "titleFontWeight": 600, "labelFontSize": 13,
             "labelColor": INK_SOFT, "domainColor": "#666666", "tickColor": "#666666"},
    "legend": {"labelFontSize": 14, "labelColor": INK, "titleFontSize": 14, "titleColor": INK,
               "layout": {"bottom": {"anchor": "start", "direction": "vertical", "margin": 6}}},
    "header": {"labelFontSize": 14, "labelColor": INK, "titleFontSize": 15, "titleColor": INK},
    "title": {"fontSize": 15, "color": INK},
}
# Room around every chart, in the spec itself (Streamlit gives a spec without padding {bottom: ...}, which leaves the
# other sides 0): the last label of an x axis reached 1-2 px past the chart's right edge.
PADDING = {"left": 6, "top": 6, "right": 12, "bottom": 6}
LEGEND_COLUMN = 270  # px of plot width per column of a bottom legend: the longest label at 14 px, and its symbol


def themed(spec: dict) -> dict:
    """``spec`` (a Vega-Lite dict) with :data:`THEME` under its own config and :data:`PADDING`: what the chart sets
    itself wins."""
    spec.setdefault("padding", PADDING)
    config = spec.setdefault("config", {})
    for group, values in THEME.items():
        config[group] = {**values, **config.get(group, {})}
    return spec


def _bottom_legend(columns: int = 1, title: str | None = None, column_width: int = LEGEND_COLUMN,
                   **kw) -> alt.Legend:
    """A legend under the plot, in up to ``columns`` columns of ``column_width`` px, as many as the plot's width
    holds; labels are cut at the plot's width, so that nothing is drawn past the chart's edge. For single and layered
    charts (the expressions read the plot's ``width``)."""
    n = columns if columns == 1 else alt.ExprRef(expr=f"clamp(floor(width / {column_width}), 1, {columns})")
    return alt.Legend(orient="bottom", title=title, columns=n, labelLimit=alt.ExprRef(expr="max(120, width - 30)"),
                      **kw)


def _names(values: list[str]) -> list[str]:
    """The values of a map's second axis as the charts show them: a choice's name in the page's language."""
    return [tr(v) for v in values]


def _named_axis(df: pd.DataFrame) -> pd.DataFrame:
    """A map's frame with its second axis's values and its regimes as the page's language says them."""
    return df.assign(**{c: df[c].map(tr) for c in ("axis_value", "regime") if c in df and len(df)})


def _kind(quantity: str) -> str:
    """``'ref'`` and ``'part'`` for a cell's own curves (``ref:carousel``), else the quantity itself."""
    return quantity.split(":", 1)[0]


def _pow10_axis(title: str, decades: bool = True) -> alt.Axis:
    """An axis for log10 values labelled as powers of ten; ``decades`` puts ticks on whole decades only."""
    return alt.Axis(title=title, labelExpr=POW10_LABEL, **({"tickMinStep": 1} if decades else {}))


def gradient_domain(df: pd.DataFrame) -> list[int]:
    """The gradient chart's y range (log10): the measured curves with half a decade's margin, rounded out to a
    multiple of 1, 2, 5 or 10 decades as the range grows (so a small step of a setting mostly keeps the range, and
    the browser swaps the new curves into the chart it has drawn). Theory lines that leave it are clipped (their
    captions say where)."""
    measured = df[df["quantity"].isin(["grad_norm", "jacobian_norm"]) | df["quantity"].str.startswith("part:")]
    lo, hi = ((float(measured["log10_value"].min()), float(measured["log10_value"].max())) if len(measured)
              else (-1.0, 1.0))
    step = next(s for s, span in ((1, 8), (2, 30), (5, 80), (10, math.inf)) if hi - lo < span)
    return [math.floor((lo - 0.5) / step) * step, math.ceil((hi + 0.5) / step) * step]


def _at_least_decades(values: pd.Series, decades: float = 2.0, zero: bool = False) -> alt.Scale:
    """A y scale for log10 values that may be exactly flat (an orthogonal matrix's singular values): when they span
    less than a decade, ``decades`` around the nearest whole decade, so rounding noise is not drawn as a spread."""
    v = values[np.isfinite(values)]
    if not len(v) or float(v.max() - v.min()) >= 1.0:
        return alt.Scale(zero=zero)
    mid = round(float(v.max() + v.min()) / 2)
    return alt.Scale(domain=[mid - decades / 2, mid + decades / 2], nice=False)


def gradient_chart(df: pd.DataFrame, x: str = "t", legend_columns: int = 2) -> alt.Chart:
    """The gradient norm ``||dL/dh_t||`` with the Jacobian-product norm and the two theory lines.

    ``df`` is :func:`rnn_core.tidy.gradient_frame`. ``x`` is ``'t'`` or ``'lag'``. The y range fits the measured
    curves; theory lines that leave it are clipped at the frame (they continue off the chart, not bend).
    """
    domain = gradient_domain(df)
    df = df.assign(label=[tr(quantity_label(q)) if q.startswith(("part:", "ref:")) else tr(lb)
                          for q, lb in zip(df["quantity"], df["label"], strict=True)])
    # The curves in drawing order (the measured gradient last, on top); a cell's extra curves by kind.
    kinds = {q: _kind(q) for q in df["quantity"].unique()}
    names = sorted(kinds, key=lambda q: (STYLE[kinds[q]][3], q))
    labels = [df.loc[df["quantity"] == q, "label"].iloc[0] for q in names]
    colors = [COLORS.get(q) or EXTRA_COLORS[i % len(EXTRA_COLORS)] for i, q in enumerate(names)]
    x_title = tr("time step t") if x == "t" else tr("lag T − t (steps back from the loss)")
    color = alt.Color("label:N", title=None, sort=labels[::-1], scale=alt.Scale(domain=labels, range=colors),
                      legend=_bottom_legend(legend_columns))
    # One line mark whose width, dash and opacity follow the curve, not one layer per style: layering copies the
    # chart per layer, which made this the costliest chart to build. The theory lines are dashed, the Jacobian norm
    # wide and translucent under the measured gradient, which is drawn last so that it stays visible where the two
    # coincide: Vega draws the series in the order they first appear in the data (an ``order`` channel would instead
    # reorder the points along each line).
    data = df.iloc[df["quantity"].map(names.index).argsort(kind="stable")]
    style = {lb: STYLE[kinds[q]] for q, lb in zip(names, labels, strict=True)}

    def by_curve(channel, i: int):
        return channel("label:N", legend=None, scale=alt.Scale(domain=labels, range=[style[lb][i] for lb in labels]))

    return alt.Chart(data).mark_line(clip=True).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("log10_value:Q", scale=alt.Scale(domain=domain), axis=_pow10_axis(tr("norm (log scale)"))),
        color=color,
        strokeWidth=by_curve(alt.StrokeWidth, 0),
        strokeDash=by_curve(alt.StrokeDash, 1),
        opacity=by_curve(alt.Opacity, 2),
        tooltip=[alt.Tooltip("label:N", title=tr("curve")), alt.Tooltip("t:Q", title="t"),
                 alt.Tooltip("lag:Q", title=tr("lag")),
                 alt.Tooltip("log10_value:Q", title=tr("log10 norm"), format=".3f")],
    ).properties(height=HEIGHT).interactive(bind_y=False)


def compare_gradient_chart(df: pd.DataFrame, names: list[str], legend_columns: int = 2) -> alt.Chart:
    """Several networks' ``||dL/dh_t||`` on one log axis: ``df`` has the gradient frame's columns and ``network``;
    the legend in up to ``legend_columns`` columns (one where long names must fit a phone's width)."""
    lo, hi = (float(df["log10_value"].min()), float(df["log10_value"].max())) if len(df) else (-1.0, 1.0)
    pad = max(1.0, 0.08 * (hi - lo))
    palette = ["#1f4e9c", "#d1495b", "#2ca58d", "#edae49"]
    return alt.Chart(df).mark_line(strokeWidth=2.4, clip=True).encode(
        x=alt.X("lag:Q", title=tr("lag T − t (steps back from the loss)"), scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("log10_value:Q", scale=alt.Scale(domain=[math.floor(lo - pad), math.ceil(hi + pad)]),
                axis=_pow10_axis(tr("‖dL/dh_t‖ (log scale)"))),
        color=alt.Color("network:N", title=None, sort=names,
                        scale=alt.Scale(domain=names, range=palette[:len(names)]),
                        legend=_bottom_legend(legend_columns)),
        tooltip=[alt.Tooltip("network:N", title=tr("network")), alt.Tooltip("t:Q", title="t"),
                 alt.Tooltip("lag:Q", title=tr("lag")),
                 alt.Tooltip("log10_value:Q", title=tr("log10 norm"), format=".3f")],
    ).properties(height=HEIGHT).interactive(bind_y=False)


def curse_chart(df: pd.DataFrame, r_min: float, r_max: float) -> alt.LayerChart:
    """The LRU's curse of memory: ``df`` is :func:`ui.view.curse_frame` (r, curve, log10_value); the ring's band of
    ``|lambda|`` from ``r_min`` to ``r_max`` shaded."""
    data = df[np.isfinite(df["log10_value"])]
    data = data.assign(curve=data["curve"].map(tr))
    lines = alt.Chart(data).mark_line(strokeWidth=2.4).encode(
        x=alt.X("r:Q", title=tr("|λ| (eigenvalue modulus)"), scale=alt.Scale(domain=[0, 1], nice=False)),
        y=alt.Y("log10_value:Q", axis=_pow10_axis(tr("expected size (log scale)"))),
        color=alt.Color("curve:N", title=None, scale=alt.Scale(range=["#d1495b", "#1f4e9c"]), legend=_bottom_legend()),
        tooltip=[alt.Tooltip("curve:N", title=tr("curve")), alt.Tooltip("r:Q", title="|λ|", format=".4f"),
                 alt.Tooltip("log10_value:Q", title=tr("log10"), format=".2f")],
    )
    band = alt.Chart(pd.DataFrame({"lo": [r_min], "hi": [r_max]})).mark_rect(color="#edae49", opacity=0.25).encode(
        x="lo:Q", x2="hi:Q")
    return alt.layer(band, lines).properties(height=HEIGHT)


# The heatmaps' colour scales as colour stops, interpolated in RGB both by the server's image and by Vega's legend:
# ColorBrewer's RdBu reversed (blue below zero, red above), and viridis (from 0 to 1, for sigmoid states).
HEAT_STOPS = {
    "redblue": ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d",
                "#b2182b", "#67001f"],
    "viridis": ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b",
                "#fde725"],
}


def heatmap_chart(df: pd.DataFrame, activation: str, bound: float | None = None) -> alt.LayerChart:
    """Hidden states as a time × unit heatmap. ``df`` is :func:`rnn_core.tidy.states_frame` (thinned steps).

    The colour scale is ±1 for tanh (0..1 for sigmoid), else ±``bound`` (default: the 99th percentile of |h|), so
    that several heatmaps can share one scale. The cells are one image made here (:func:`heat_image`: a pixel per
    step and unit, a few kB of PNG) over the axes and the colour legend Vega draws, instead of a rectangle per step and
    unit (6,464 at the defaults: three quarters of a rerun's bytes, and the slowest chart for a browser to draw)."""
    steps, units = np.sort(df["t"].unique()), np.sort(df["unit"].unique())
    if steps.size == 0:  # nothing finite to draw (the pages say why instead of drawing it)
        return alt.layer(alt.Chart(df).mark_rect()).properties(height=HEIGHT)
    if bound is None:
        bound = 1.0 if activation in ("tanh", "sigmoid") else float(np.nanquantile(np.abs(df["h"]), 0.99) or 1.0)
    domain = [0.0, 1.0] if activation == "sigmoid" else [-bound, bound]
    stops = HEAT_STOPS["viridis" if activation == "sigmoid" else "redblue"]
    grid = np.full((units.size, steps.size), np.nan)  # (units, steps); NaN where the frame has no row
    grid[np.searchsorted(units, df["unit"]), np.searchsorted(steps, df["t"])] = df["h"]
    end = steps[-1] + (steps[-1] - steps[-2] if steps.size > 1 else 1)  # the last step's column as wide as the others
    place = pd.DataFrame({"t": [steps[0]], "t_end": [end], "unit": [units[0]], "unit_end": [units[-1] + 1],
                          "image": [heat_image(grid[::-1], domain, stops)]})  # the top row: the highest unit
    cells = alt.Chart(place).mark_image(aspect=False, smooth=False).encode(
        x=alt.X("t:Q", title=tr("time step t"), scale=alt.Scale(nice=False, domain=[float(steps[0]), float(end)]),
                axis=T_AXIS),
        x2=alt.X2("t_end:Q"),
        y=alt.Y("unit:Q", title=tr("hidden unit"), scale=alt.Scale(nice=False, domain=[float(units[0]),
                                                                                   float(units[-1] + 1)]),
                axis=T_AXIS),
        y2=alt.Y2("unit_end:Q"),
        url=alt.Url("image:N"),
    )
    legend = alt.Chart(pd.DataFrame({"h": domain})).mark_point(opacity=0).encode(  # the scale's legend alone
        color=alt.Color("h:Q", title="h", scale=alt.Scale(domain=domain, range=stops, interpolate="rgb", clamp=True)))
    return alt.layer(cells, legend).properties(height=HEIGHT)


def heat_image(values: np.ndarray, domain: list[float], stops: list[str]) -> str:
    """``values`` (rows top to bottom, columns left to right) as a PNG data URL, one pixel each: clamped to
    ``domain``, coloured by interpolating ``stops`` (evenly spaced over the domain) in RGB, as Vega interpolates the
    legend's scale; NaN (after an overflow) transparent."""
    rgb = np.array([[int(c[k:k + 2], 16) for k in (1, 3, 5)] for c in stops], dtype=float)  # (K, 3)
    lo, hi = domain
    with np.errstate(invalid="ignore"):
        pos = (np.clip(values, lo, hi) - lo) / (hi - lo) * (len(stops) - 1)
    finite = np.isfinite(pos)
    pos = np.where(finite, pos, 0.0)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    frac = (pos - i)[..., None]
    pixels = np.empty((*values.shape, 4), dtype=np.uint8)
    pixels[..., :3] = np.rint(rgb[i] * (1.0 - frac) + rgb[i + 1] * frac)
    pixels[..., 3] = np.where(finite, 255, 0)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def unit_lines_chart(df: pd.DataFrame, units: list[int]) -> alt.Chart:
    """A few units' trajectories ``h_t``. ``df`` is :func:`rnn_core.tidy.states_frame`."""
    data = df[df["unit"].isin(units)]
    return alt.Chart(data).mark_line(strokeWidth=1.5, opacity=0.9).encode(
        x=alt.X("t:Q", title=tr("time step t"), scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("h:Q", title=tr("h_t")),
        color=alt.Color("unit:N", title=tr("unit"), legend=alt.Legend(orient="right")),
        tooltip=[alt.Tooltip("t:Q", title="t"), alt.Tooltip("unit:N", title=tr("unit")),
                 alt.Tooltip("h:Q", title="h", format=".4g")],
    ).properties(height=220)


def state_norm_chart(df: pd.DataFrame) -> alt.Chart:
    """``||h_t||`` (log scale) along the sequence. ``df`` is step_frame."""
    data = df[df["valid"] & np.isfinite(df["log10_norm_h"])]
    span = float(data["log10_norm_h"].max() - data["log10_norm_h"].min()) if len(data) else 0.0
    return alt.Chart(data).mark_line(color="#1f4e9c", strokeWidth=2).encode(
        x=alt.X("t:Q", title=tr("time step t"), scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("log10_norm_h:Q", axis=_pow10_axis(tr("‖h_t‖ (log scale)"), decades=span > 2),
                scale=_at_least_decades(data["log10_norm_h"])),
        tooltip=[alt.Tooltip("t:Q", title="t"), alt.Tooltip("log10_norm_h:Q", title=tr("log10 ‖h_t‖"), format=".3f")],
    ).properties(height=200, title=tr("size of the state ‖h_t‖"))


def shows_saturation(df: pd.DataFrame) -> bool:
    """Whether the cell measures saturation in its state (not the GRU's or the LRU's). ``df`` is step_frame."""
    return bool(np.isfinite(df.loc[df["valid"], "saturated"]).any())


def saturation_chart(df: pd.DataFrame, activation: str) -> alt.Chart:
    """The fraction of saturated units (or dead ReLUs) along the sequence, where :func:`shows_saturation`. ``df`` is
    step_frame."""
    label = tr("fraction of dead ReLUs") if activation in ("relu", "leaky_relu") else tr("fraction of saturated units")
    return alt.Chart(df[df["valid"]]).mark_area(color="#c8553d", opacity=0.6, line=True).encode(
        x=alt.X("t:Q", title=tr("time step t"), scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("saturated:Q", title=label, scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("t:Q", title="t"), alt.Tooltip("saturated:Q", title=tr("fraction"), format=".1%")],
    ).properties(height=200, title=label)


def spectrum_chart(df: pd.DataFrame, gamma: float, gain: float | None = None) -> alt.Chart:
    """Eigenvalues of W_hh in the complex plane, with the unit circle and the circle of radius 1/gamma.

    ``df`` is :func:`rnn_core.tidy.spectrum_frame`. The axes share one domain on a square plot, so circles look
    round; :data:`SQUARE` px, which with its axes fits a phone's column (358 px).
    """
    radii = {tr("|λ| = 1 (unit circle)"): 1.0}
    if gamma != 1.0:
        radii[tr("|λ| = 1/γ = {radius:g}", radius=1 / gamma)] = 1.0 / gamma
    theta = np.linspace(0, 2 * np.pi, 181)
    circles = pd.concat([pd.DataFrame({"re": r * np.cos(theta), "im": r * np.sin(theta), "circle": name,
                                       "order": np.arange(theta.size)}) for name, r in radii.items()])
    # a margin of 10 %, rounded up to a quarter: a step of the gain keeps the axes, so the browser only swaps the dots
    reach = math.ceil(max([1.0 / gamma, 1.0, float(df["abs"].max()) if len(df) else 1.0]) * 1.1 * 4) / 4
    scale = alt.Scale(domain=[-reach, reach], nice=False)
    ring = alt.Chart(circles).mark_line(strokeDash=[5, 3], strokeWidth=1.5).encode(
        x=alt.X("re:Q", scale=scale, title=tr("Re λ")), y=alt.Y("im:Q", scale=scale, title=tr("Im λ")),
        order=alt.Order("order:Q"),
        color=alt.Color("circle:N", title=None, scale=alt.Scale(range=["#555555", "#d1495b"]),
                        legend=_bottom_legend()))
    dots = alt.Chart(df).mark_circle(size=36, color="#1f4e9c", opacity=0.8).encode(
        x=alt.X("re:Q", scale=scale), y=alt.Y("im:Q", scale=scale),
        tooltip=[alt.Tooltip("re:Q", title="Re λ", format=".4f"), alt.Tooltip("im:Q", title="Im λ", format=".4f"),
                 alt.Tooltip("abs:Q", title=tr("|λ|"), format=".4f")])
    return (ring + dots).properties(width=SQUARE, height=SQUARE)


def contributions_chart(df: pd.DataFrame) -> alt.Chart:
    """Per-step contributions ``||delta_t h_{t-1}^T||`` to dL/dW_hh as bars on a log axis. ``df`` is step_frame."""
    data = df[np.isfinite(df["log10_contribution"])]
    lo = math.floor(float(data["log10_contribution"].min())) - 1 if len(data) else -1
    return alt.Chart(data.assign(base=lo)).mark_bar(color="#2ca58d").encode(
        x=alt.X("t:Q", title=tr("time step t"), scale=alt.Scale(nice=False), axis=T_AXIS),
        y=alt.Y("log10_contribution:Q", axis=_pow10_axis(tr("‖term_t‖ (log scale)")), scale=alt.Scale(zero=False)),
        y2=alt.Y2("base:Q"),
        tooltip=[alt.Tooltip("t:Q", title="t"),
                 alt.Tooltip("log10_contribution:Q", title=tr("log10 ‖δ_t h_{t−1}ᵀ‖"), format=".3f")],
    ).properties(height=240)


def singular_values_chart(df: pd.DataFrame) -> alt.Chart:
    """Singular values (log scale) of W_hh and of the whole Jacobian product, by index."""
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("index:Q", title=tr("index i (descending)"), axis=T_AXIS),
        y=alt.Y("log10_value:Q", axis=_pow10_axis(tr("σ_i (log scale)")),
                scale=_at_least_decades(df["log10_value"], zero=True)),
        color=alt.Color("matrix:N", title=None, legend=_bottom_legend()),
        tooltip=[alt.Tooltip("matrix:N", title=tr("matrix")), alt.Tooltip("index:Q", title="i"),
                 alt.Tooltip("log10_value:Q", title=tr("log10 σ"), format=".3f")],
    ).properties(height=240)


def _log_gain_x() -> alt.X:
    return alt.X("gain:Q", title=tr("gain g (log scale)"), scale=alt.Scale(type="log", nice=False))


MAP_PICK = "map_cell"  # the regime map's selection of a cell (ui.cache.draw's ``select``)


def map_heatmap(cells: pd.DataFrame, column: str, order: list[str], contour: pd.DataFrame,
                theory: pd.DataFrame, axis_title: str) -> alt.LayerChart:
    """The regime map: one cell per (axis value, gain), coloured by ``column`` on a diverging scale centred on 0.

    ``cells`` needs ``axis_value, gain, gain_lo, gain_hi, href`` and ``column``; ``contour`` (``axis_value, gain``)
    marks where the measured value crosses 0; ``theory`` (``axis_value, line, gain``) the theory lines. A click on a
    cell selects its ``href`` (the selection parameter ``MAP_PICK``), which the page opens in the Explorer inside the
    session: a link would load the whole app again.
    """
    values = cells[column].to_numpy(dtype=float)
    reach = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    title = tr("log10 rate per step") if column == "log10_rate" else tr("λ_max per step")
    cells, contour, theory, order = _named_axis(cells), _named_axis(contour), _named_axis(theory), _names(order)
    theory = theory.assign(line=theory["line"].map(tr))
    y = alt.Y("axis_value:N", title=axis_title, sort=order)
    heat = alt.Chart(cells).mark_rect(stroke="white", strokeWidth=0.3, cursor="pointer").encode(
        x=alt.X("gain_lo:Q", title=tr("gain g (log scale)"), scale=alt.Scale(type="log", nice=False)),
        x2=alt.X2("gain_hi:Q"),
        y=y,
        color=alt.Color(f"{column}:Q", title=title,
                        scale=alt.Scale(scheme="redblue", domainMid=0, domain=[-reach, reach], reverse=True),
                        # under the map, not beside it: on a phone a legend beside it left the map 120 px
                        legend=alt.Legend(orient="bottom", direction="horizontal", titleLimit=400,
                                          gradientLength=alt.ExprRef(expr="clamp(width - 40, 120, 320)"))),
        tooltip=[alt.Tooltip("axis_value:N", title=axis_title), alt.Tooltip("gain:Q", title=tr("gain"), format=".4g"),
                 alt.Tooltip("log10_rate:Q", title=tr("log10 rate"), format=".3f"),
                 alt.Tooltip("lyapunov_max:Q", title=tr("λ_max"), format=".3f"),
                 alt.Tooltip("regime:N", title=tr("regime")),
                 alt.Tooltip("pascanu:Q", title=tr("γ·σ_max"), format=".3g")],
    ).add_params(alt.selection_point(name=MAP_PICK, fields=["href"], on="click", clear=False, empty=False))
    marks = alt.Chart(contour.assign(line=tr("measured rate = 1"))).mark_point(
        shape="diamond", filled=True, size=110, color="black").encode(
        x=alt.X("gain:Q", scale=alt.Scale(type="log")), y=y,
        # the shape scale's own range would draw circles whatever the mark says
        shape=alt.Shape("line:N", title=None, scale=alt.Scale(range=["diamond"]), legend=_bottom_legend()),
        tooltip=[alt.Tooltip("gain:Q", title=tr("measured crossing"), format=".3g")])
    lines = alt.Chart(theory).mark_tick(thickness=3, size=26).encode(
        x=alt.X("gain:Q", scale=alt.Scale(type="log")), y=y,
        color=alt.Color("line:N", title=None, scale=alt.Scale(range=["#111111", "#edae49"]),
                        legend=_bottom_legend(symbolType=VERTICAL_TICK, symbolSize=200)),
        tooltip=[alt.Tooltip("line:N", title=tr("line")), alt.Tooltip("gain:Q", title=tr("gain"), format=".3g")])
    return alt.layer(heat, lines, marks).resolve_scale(color="independent").properties(height=alt.Step(44))


def lyapunov_gain_chart(summary: pd.DataFrame, mean_field: pd.DataFrame | None, order: list[str],
                        axis_title: str) -> alt.LayerChart:
    """Measured lambda_max against the gain, mean ± sd over seeds, with the tanh mean-field curve when given."""
    data = summary.assign(lo=summary["lyapunov_max"] - summary["lyapunov_sd"],
                          hi=summary["lyapunov_max"] + summary["lyapunov_sd"])
    data, order = _named_axis(data[np.isfinite(data["lyapunov_max"])]), _names(order)
    color = alt.Color("axis_value:N", title=axis_title, sort=order,
                      legend=_bottom_legend(len(order), title=axis_title, column_width=130))
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=_log_gain_x(), y=alt.Y("lyapunov_max:Q", title=tr("λ_max (natural log per step)")), color=color,
        tooltip=[alt.Tooltip("axis_value:N", title=axis_title), alt.Tooltip("gain:Q", title=tr("gain"), format=".4g"),
                 alt.Tooltip("lyapunov_max:Q", title="λ_max", format=".4f"),
                 alt.Tooltip("lyapunov_sd:Q", title=tr("sd"), format=".3f")])
    bars = alt.Chart(data).mark_errorbar(thickness=1.5).encode(
        x=_log_gain_x(), y=alt.Y("lo:Q", title=tr("λ_max (natural log per step)")), y2=alt.Y2("hi:Q"), color=color)
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888888", strokeDash=[2, 2]).encode(y=alt.Y("y:Q"))
    layers = [zero, bars, line]
    if mean_field is not None:
        mf = mean_field.assign(curve=tr("mean-field theory (tanh, no input)"))
        mf = mf[np.isfinite(mf["lyapunov_max"])]
        layers.append(alt.Chart(mf).mark_line(color="black", strokeDash=[7, 4], strokeWidth=2).encode(
            x=_log_gain_x(), y=alt.Y("lyapunov_max:Q"),
            # the dash as a scale range: the channel's default range would draw the first value solid
            strokeDash=alt.StrokeDash("curve:N", title=None, scale=alt.Scale(range=[[7, 4]]),
                                      legend=_bottom_legend(symbolType="stroke", symbolStrokeWidth=2,
                                                            symbolSize=400))))
    return alt.layer(*layers).properties(height=HEIGHT)


MULTIPLES_RANGE = 12  # the small multiples' shared y range: log10 norms in [-12, 12]
MULTIPLES_GAP = 0.14  # the small multiples' space between panels, a fraction of a panel's cell
MULTIPLES_ROW = 78  # px per row of small multiples


def small_multiples(curves: pd.DataFrame, order: list[str], axis_title: str) -> alt.LayerChart:
    """Tiny gradient-norm curves, one per (axis value, gain), all on the same log axis (Distill's momentum grid).

    One view rather than a facet, so that the grid takes its column's width (a facet's panels have a fixed width:
    seven ran off a phone's screen). Panel (row r, column c) is the unit cell at (c, r); its curve runs across it by
    lag and up it by log10 norm, from 1e-12 to 1e12. Points beyond that range are left out; a dashed line in each
    panel marks a norm of 1.
    """
    curves, order = _named_axis(curves), _names(order)
    curves = curves.assign(gain_label=curves["gain_label"].map(decimal_text))
    gains = list(dict.fromkeys(curves.sort_values("gain")["gain_label"]))
    rows, cols = {v: i for i, v in enumerate(order)}, {g: i for i, g in enumerate(gains)}
    inner = 1.0 - MULTIPLES_GAP
    lo, span = float(curves["lag"].min()), max(float(curves["lag"].max() - curves["lag"].min()), 1.0)
    data = curves[curves["log10_norm"].abs() <= MULTIPLES_RANGE]
    data = data.assign(px=data["gain_label"].map(cols) + (data["lag"] - lo) / span * inner,
                       py=data["axis_value"].map(rows) + (MULTIPLES_RANGE - data["log10_norm"])
                       / (2 * MULTIPLES_RANGE) * inner)
    data = data[["axis_value", "gain_label", "regime", "lag", "log10_norm", "px", "py"]]  # what the chart draws
    shown = [v for v in order if v in set(curves["axis_value"])]
    cells = pd.DataFrame([(c, r) for r in (rows[v] for v in shown) for c in range(len(gains))], columns=["c", "r"])
    cells = cells.assign(c2=cells["c"] + inner, r2=cells["r"] + inner, one=cells["r"] + inner / 2)

    def axis(title: str, names: list[str], orient: str) -> alt.Axis:
        return alt.Axis(title=title, orient=orient, values=[i + inner / 2 for i in range(len(names))],
                        labelExpr=f"{json.dumps(names)}[floor(datum.value)]", labelOverlap=False,
                        domain=False, ticks=False, grid=False)

    def x(field: str) -> alt.X:
        return alt.X(field, scale=alt.Scale(domain=[0, len(gains) - MULTIPLES_GAP], nice=False, zero=False),
                     axis=axis("gain g", gains, "top"))

    def y(field: str) -> alt.Y:
        return alt.Y(field, scale=alt.Scale(domain=[0, len(order) - MULTIPLES_GAP], nice=False, zero=False,
                                            reverse=True), axis=axis(axis_title, order, "left"))

    frame = alt.Chart(cells).mark_rect(fill="#f6f7f9", stroke="#c9ced6", strokeWidth=0.8).encode(
        x=x("c:Q"), x2=alt.X2("c2:Q"), y=y("r:Q"), y2=alt.Y2("r2:Q"))
    level = alt.Chart(cells).mark_rule(color="#9aa0a8", strokeDash=[3, 3], strokeWidth=1).encode(
        x=x("c:Q"), x2=alt.X2("c2:Q"), y=y("one:Q"))
    lines = alt.Chart(data).mark_line(strokeWidth=1.6).encode(
        x=x("px:Q"), y=y("py:Q"), order=alt.Order("lag:Q"),
        detail=[alt.Detail("axis_value:N"), alt.Detail("gain_label:N")],
        color=alt.Color("regime:N", scale=alt.Scale(domain=[tr(r) for r in REGIME_COLORS],
                                                    range=list(REGIME_COLORS.values())),
                        legend=_bottom_legend()),
        tooltip=[alt.Tooltip("axis_value:N", title=axis_title), alt.Tooltip("gain_label:N", title=tr("gain")),
                 alt.Tooltip("lag:Q", title=tr("lag")),
                 alt.Tooltip("log10_norm:Q", title=tr("log10 ‖dL/dh‖"), format=".2f")])
    return alt.layer(frame, level, lines).properties(height=MULTIPLES_ROW * len(order))


def spectra_comparison_chart(eig: pd.DataFrame, gain: float) -> alt.FacetChart:
    """Eigenvalues of W_hh for several initializers (``init, re, im, abs``), each beside the disc of radius ``gain``
    that the circular law predicts for the normal initializer. The squares one under another: two side by side
    (600 px) ran off a projector's column at 1024 px and off a phone."""
    theta = np.linspace(0, 2 * np.pi, 181)
    eig = eig.assign(init=eig["init"].map(tr))
    inits = list(dict.fromkeys(eig["init"]))
    ring = pd.concat([pd.DataFrame({"re": gain * np.cos(theta), "im": gain * np.sin(theta),
                                    "order": np.arange(theta.size), "init": i, "kind": "ring"}) for i in inits])
    data = pd.concat([eig.assign(kind="eig", order=0), ring], ignore_index=True)
    reach = max(float(eig["abs"].max()) if len(eig) else 1.0, gain, 1.0) * 1.1
    scale = alt.Scale(domain=[-reach, reach], nice=False)
    base = alt.Chart(data).encode(x=alt.X("re:Q", scale=scale, title=tr("Re λ")),
                                  y=alt.Y("im:Q", scale=scale, title=tr("Im λ")))
    circle = base.transform_filter("datum.kind == 'ring'").mark_line(color="#d1495b", strokeDash=[5, 3]).encode(
        order=alt.Order("order:Q"))
    dots = base.transform_filter("datum.kind == 'eig'").mark_circle(size=22, color="#1f4e9c", opacity=0.75)
    return alt.layer(circle, dots).properties(width=SQUARE, height=SQUARE).facet(
        facet=alt.Facet("init:N", title=None, sort=inits, header=alt.Header(labelFontWeight=600)), columns=1)


def sv_comparison_chart(df: pd.DataFrame) -> alt.Chart:
    """Singular values (log scale) of W_hh and of dh_T/dh_0 for several initializers (``init, matrix, index,
    log10_value``): orthogonal keeps them at one value, Gaussian spreads them."""
    df = df.assign(init=df["init"].map(tr))
    return alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("index:Q", title=tr("index i (descending)"), axis=T_AXIS),
        y=alt.Y("log10_value:Q", axis=_pow10_axis(tr("σ_i (log scale)")),
                scale=_at_least_decades(df["log10_value"], zero=True)),
        color=alt.Color("init:N", title=tr("initializer"), legend=_bottom_legend(title=tr("initializer"))),
        # the two matrices by point shape as well (dashes vanish under dense points): one legend, two symbols
        strokeDash=alt.StrokeDash("matrix:N", title=None, legend=_bottom_legend()),
        shape=alt.Shape("matrix:N", title=None, scale=alt.Scale(range=["circle", "square"]),
                        legend=_bottom_legend()),
        tooltip=[alt.Tooltip("init:N", title=tr("initializer")), alt.Tooltip("matrix:N", title=tr("matrix")),
                 alt.Tooltip("index:Q", title="i"),
                 alt.Tooltip("log10_value:Q", title=tr("log10 σ"), format=".3f")],
    ).properties(height=HEIGHT)


def lyapunov_spectrum_chart(df: pd.DataFrame) -> alt.Chart:
    """The top Lyapunov exponents (``init, index, exponent``) per initializer."""
    df = df.assign(init=df["init"].map(tr))
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("index:Q", title=tr("exponent i"), axis=T_AXIS),
        y=alt.Y("exponent:Q", title=tr("λ_i (per step)")),
        color=alt.Color("init:N", title=tr("initializer"), legend=_bottom_legend(title=tr("initializer"))),
        tooltip=[alt.Tooltip("init:N", title=tr("initializer")), alt.Tooltip("index:Q", title="i"),
                 alt.Tooltip("exponent:Q", title="λ_i", format=".4f")],
    ).properties(height=HEIGHT)


def letters_heatmap(df: pd.DataFrame, letters: str) -> alt.Chart:
    """Hidden states of a short text, one column per letter read (``df`` is states_frame; t = 1..len)."""
    data = df[df["t"] >= 1].assign(letter=lambda d: [f"t={t}: {letters[(t - 1) % len(letters)]}" for t in d["t"]])
    order = list(dict.fromkeys(data.sort_values("t")["letter"]))
    return alt.Chart(data).mark_rect(stroke="white", strokeWidth=1).encode(
        x=alt.X("letter:O", title=tr("letter read"), sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("unit:O", title=tr("hidden unit")),
        color=alt.Color("h:Q", title="h", scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True)),
        tooltip=[alt.Tooltip("letter:O", title=tr("letter read")), alt.Tooltip("unit:O", title=tr("unit")),
                 alt.Tooltip("h:Q", title="h", format=".4f")],
    ).properties(height=alt.Step(26))  # as wide as its column: ui.cache.draw fits the width


def letters_lines(df: pd.DataFrame, letters: str, units: list[int]) -> alt.Chart:
    """A few hidden units along a short text (``df`` is states_frame)."""
    data = df[df["unit"].isin(units)].assign(
        letter=lambda d: [tr("start") if t == 0 else f"{t}: {letters[(t - 1) % len(letters)]}" for t in d["t"]])
    order = list(dict.fromkeys(data.sort_values("t")["letter"]))
    return alt.Chart(data).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("letter:O", title=tr("letter read"), sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("h:Q", title=tr("h_t"), scale=alt.Scale(domain=[-1, 1])),
        color=alt.Color("unit:N", title=tr("unit")),
        tooltip=[alt.Tooltip("letter:O", title=tr("letter read")), alt.Tooltip("unit:N", title=tr("unit")),
                 alt.Tooltip("h:Q", title="h", format=".4f")],
    ).properties(height=220)


def clipping_chart(log10_before: float, threshold: float = 1.0) -> alt.Chart:
    """The norm of dL/dW_hh before and after clipping to ``threshold`` (log axis)."""
    labels = (tr("before clipping"), tr("after clipping at {threshold:g}", threshold=threshold))
    after = min(log10_before, math.log10(threshold))
    df = pd.DataFrame({"when": list(labels), "log10_norm": [log10_before, after]})
    low = math.floor(min(0.0, after, log10_before)) - 1
    return alt.Chart(df.assign(base=low)).mark_bar(width=50).encode(
        x=alt.X("when:N", title=None, sort=list(labels), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("log10_norm:Q", axis=_pow10_axis(tr("‖dL/dW_hh‖ (log scale)"))),
        y2=alt.Y2("base:Q"),
        color=alt.Color("when:N", legend=None, scale=alt.Scale(domain=list(labels), range=["#c8553d", "#4a9c5d"])),
        tooltip=[alt.Tooltip("when:N", title=tr("when")),
                 alt.Tooltip("log10_norm:Q", title=tr("log10 norm"), format=".3f")],
    ).properties(height=240)


def unfolded_dot(letters: str) -> str:
    """Graphviz source of the RNN unfolded over ``letters``: x_t -> h_t -> h_(t+1), one column per step.

    Compact (four steps are ~500 px wide at their natural size, 15 and 12 pt text): Streamlit scales a diagram down
    to its column, and the former 608 px drew the labels at 7 px on a phone.
    """
    lines = ["digraph G {", "rankdir=LR; nodesep=0.3; ranksep=0.2;",
             'node [shape=circle, fontname="Helvetica", fontsize=15, width=0.5, fixedsize=true];',
             'edge [fontname="Helvetica", fontsize=12];',
             'h0 [label="h₀", style=dashed];']
    for t, ch in enumerate(letters, start=1):
        lines.append(f'x{t} [label="{ch}", shape=box, style=filled, fillcolor="#e8eef8"];')
        lines.append(f'h{t} [label="h{t}", style=filled, fillcolor="#fbe3dd"];')
        lines.append(f'x{t} -> h{t} [label="W_xh"];')
        lines.append(f'h{t - 1} -> h{t} [label="W_hh", color="#c8553d"];')
        lines.append(f"{{rank=same; x{t}; h{t};}}")
    lines.append("}")
    return "\n".join(lines)
