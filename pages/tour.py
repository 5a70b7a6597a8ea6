"""Guided tour: the source article step by step, each step with a live figure and a link into the Explorer."""

import math
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from rnn_core import Config
from rnn_core.config import FIELDS
from rnn_core.diagnosis import pow10_text, rate_text
from rnn_core.presets import PRESETS_BY_SLUG, VARIANTS_BY_SLUG
from ui import charts
from ui.cache import cached_view, draw
from ui.i18n import decimal_text, language, tr
from ui.layout import formulas, page_setup
from ui.text import TEXTS

# Every figure here has its own settings: the sidebar keeps only the language (its settings wait for the Explorer).
config = page_setup(skip=tuple(FIELDS))
text = TEXTS[language()]  # the tour's prose; every other word through ui.i18n.tr
WORD = "hell"  # the article's example: read h, e, l, l and predict e, l, l, o
LETTERS = PRESETS_BY_SLUG["hello"].config  # the very network "Open in the Explorer" opens
# The cures step's cells: the vanilla tanh RNN and three cures (the Compare page's variants) on one sequence, with the
# Compare page's 'gated' settings at a smaller N (each view builds in a fraction of a second).
CELLS = ("rnn", "lstm", "gru", "lru-near-1")
CELLS_BASE = Config(seq_len=200, hidden_size=32, gain=1.0, input_scale=0.5)
# Two figures side by side where they fit (a main column of 936 px or more), one under the other where they do not:
# st.columns never wraps, and its halves at 1024 px (274 px each) cut the legends and the links.
PANEL_WIDTH = 460


def explorer_link(slug: str) -> None:
    st.page_link("pages/explorer.py", label=f"{text['open']}: {tr(PRESETS_BY_SLUG[slug].name)}",
                 icon=":material/arrow_forward:", query_params={"preset": slug})


def tour_draw(key: tuple, build) -> None:
    """A figure of the tour (its texts in the page's language: ``draw`` caches it per language)."""
    draw(("tour", *key), build)


number = decimal_text  # a number as the core formats it (pow10_text, rate_text), with the language's decimal mark


def size_at_start(view) -> str:
    """||dL/dh_0|| as the core writes it, in this language ("0" when it is exactly zero)."""
    start = log10_at_start(view)
    return number(pow10_text(start)) if math.isfinite(start) else text["steps"][6]["zero"]


def described(which: str, view, s: dict) -> dict[str, str]:
    """A figure's activation, gain and measured regime, in this language, for a caption's ``{which}_...`` fields."""
    return {f"{which}_activation": s["activations"][view.config.activation],
            f"{which}_gain": number(f"{view.config.gain:g}"), f"{which}_regime": s["regimes"][view.diagnosis.regime]}


def figure_sentence(view, s: dict) -> str:
    """What a figure of step 6 shows, in this language, from its numbers: the per-step rate and the size at t = 0,
    and the Pascanu bound where it decides the regime (below 1 and vanishing, above 1 and exploding)."""
    d = view.diagnosis
    said = s["figure"][d.regime].format(rate=number(rate_text(d.rate)), T=d.loss_step, size=size_at_start(view))
    decides = (d.pascanu < 1 and d.regime == "vanishing") or (d.pascanu > 1 and d.regime == "exploding")
    if math.isfinite(d.pascanu) and decides:
        said += " " + s["bound"][d.regime].format(bound=number(f"{d.pascanu:.3g}"))
    return said


def log10_at_start(view) -> float:
    """log10 ||dL/dh_0||, the gradient at t = 0 (-inf when it is exactly zero: the frame drops those rows)."""
    g = view.gradient
    at0 = g.loc[(g["quantity"] == "grad_norm") & (g["t"] == 0), "log10_value"]
    return float(at0.iloc[0]) if len(at0) else -math.inf


def cells_caption(views: dict, s: dict) -> str:
    """Each cell's gradient at t = 0 and its memory horizon (the lag where it has fallen 1000-fold), and which keeps
    it longest: every number from the views on screen."""
    T = CELLS_BASE.seq_len
    lines = [s["cells_head"].format(T=T)]
    for slug, view in views.items():
        k = view.diagnosis.horizons[1000]
        start = log10_at_start(view)
        value = number(pow10_text(start)) if math.isfinite(start) else s["zero"]
        lines.append(s["cells_line" if k is not None else "cells_line_long"].format(
            name=s["networks"][slug], value=value, k=k, T=T))
    best = max(views, key=lambda slug: (views[slug].diagnosis.horizons[1000] or math.inf,
                                        log10_at_start(views[slug])))
    lines.append(s["cells_best"].format(best=s["the"][best]))
    return "  \n".join(lines)


def compare_link(slugs: tuple[str, ...], base: Config, label: str) -> None:
    """A link that opens the Compare page with these variants and shared settings. A plain link, not
    ``st.page_link``: the Compare page reads its variants and settings from the URL when a session starts, so the
    link starts one (in a new tab) and the Compare page shows exactly the figure above."""
    params = {"compare": ",".join(slugs), **base.to_dict()}
    if language() != "en":
        params["lang"] = language()
    st.markdown(f":material/compare: [{label}](compare?{urlencode(params, safe=',')})")


def panels(n: int = 2) -> list:
    """``n`` containers for figures in a row that wraps when the page is narrow."""
    row = st.container(horizontal=True)
    return [row.container(width=PANEL_WIDTH) for _ in range(n)]


def step(i: int) -> dict:
    s = text["steps"][i]
    st.subheader(s["title"])
    st.markdown(s["body"])
    return s


st.title(text["title"])
st.caption(text["intro"])

s = step(0)
mlp = cached_view(LETTERS.replace(gain=0.0).to_dict())
with st.container(width=PANEL_WIDTH):  # as wide as a panel below, or the phone's screen
    tour_draw(("mlp",), lambda: charts.letters_heatmap(mlp.states, WORD))
st.caption(s["caption"])
explorer_link("hello")

s = step(1)
rnn = cached_view(LETTERS.to_dict())
with st.container(width=PANEL_WIDTH):
    tour_draw(("rnn",), lambda: charts.letters_heatmap(rnn.states, WORD))
st.caption(s["caption"])
explorer_link("hello")

s = step(2)
st.graphviz_chart(charts.unfolded_dot(WORD))
st.caption(s["caption"])

s = step(3)
st.latex(r"h_t = \tanh(W_{hh}\,h_{t-1} + b + W_{xh}\,x_t)")
units = sorted(rnn.states["unit"].unique())[:3]
tour_draw(("units", tuple(units)), lambda: charts.letters_lines(rnn.states, WORD, units))
st.caption(s["caption"].format(n=len(units), T=LETTERS.seq_len))
explorer_link("hello")

s = step(4)
formulas(r"\frac{\partial L}{\partial h_t} = J_{t+1}^\top\cdots J_T^\top\,\frac{\partial L}{\partial h_T},",
         r"J_s = \operatorname{diag}(\tanh'(a_s))\,W_{hh}")
tour_draw(("bptt",), lambda: charts.gradient_chart(rnn.gradient_thin, "lag"))  # the lag, as in steps 6 and 7
st.caption(s["caption"].format(value=size_at_start(rnn), T=rnn.diagnosis.loss_step,
                               bound=number(f"{rnn.diagnosis.pascanu:.3g}"),
                               lyapunov=number(f"{rnn.diagnosis.lyapunov_max:+.3f}")))
explorer_link("hello")

s = step(5)
left, right = panels()
shown = {}
for col, slug in ((left, "vanishing"), (right, "exploding-linear")):
    view = shown[slug] = cached_view(PRESETS_BY_SLUG[slug].config.to_dict())
    with col:
        tour_draw((slug,), lambda v=view: charts.gradient_chart(v.gradient_thin, "lag", legend_columns=1))
        st.caption(figure_sentence(view, s))
        explorer_link(slug)
st.caption(s["caption"].format(**described("first", shown["vanishing"], s),
                               **described("second", shown["exploding-linear"], s)))

s = step(6)
left, right = panels()
with left:
    orthogonal = cached_view(PRESETS_BY_SLUG["orthogonal"].config.to_dict())
    tour_draw(("orthogonal",), lambda: charts.gradient_chart(orthogonal.gradient_thin, "lag", legend_columns=1))
    explorer_link("orthogonal")
with right:
    view = cached_view(PRESETS_BY_SLUG["exploding-linear"].config.to_dict())
    tour_draw(("clipping",), lambda: charts.clipping_chart(view.log10_grad_W_hh))
    explorer_link("exploding-linear")
st.caption(s["caption"].format(scale=number(f"{orthogonal.config.input_scale:g}"),
                               rate=number(rate_text(orthogonal.diagnosis.rate)), T=orthogonal.diagnosis.loss_step,
                               value=size_at_start(orthogonal), before=number(pow10_text(view.log10_grad_W_hh))))

st.markdown(f"#### {s['cells_title']}")
st.markdown(s["cells_body"])
cells = {slug: cached_view(VARIANTS_BY_SLUG[slug].config(CELLS_BASE).to_dict()) for slug in CELLS}
names = [s["networks"][slug] for slug in CELLS]
curves = pd.concat([v.gradient_thin[v.gradient_thin["quantity"] == "grad_norm"].drop(columns="label")
                    .assign(network=s["networks"][slug])
                    for slug, v in cells.items()], ignore_index=True)
draw(("tour", "cells", tuple(CELLS_BASE.to_dict().items()), tuple(names)),
     lambda: charts.compare_gradient_chart(curves, names, legend_columns=1))
st.caption(cells_caption(cells, s))
compare_link(CELLS, CELLS_BASE, s["compare"])
