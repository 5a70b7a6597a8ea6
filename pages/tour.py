"""Guided tour: the source article step by step, each step with a live figure and a link into the Explorer."""

import streamlit as st

from rnn_core import Config
from rnn_core.presets import PRESETS_BY_SLUG
from ui import charts
from ui.cache import cached_view, draw
from ui.controls import language_control
from ui.layout import page_setup

config = page_setup(controls=language_control)
text = st.session_state["tour_text"]
WORD = "hell"  # the article's example: read h, e, l, l and predict e, l, l, o
LETTERS = Config(input_kind="text", text="hello", seq_len=4, hidden_size=6, activation="tanh", init="normal")


def explorer_link(slug: str) -> None:
    st.page_link("pages/explorer.py", label=f"{text['open']}: {PRESETS_BY_SLUG[slug].name}",
                 icon=":material/arrow_forward:", query_params={"preset": slug})


def step(i: int) -> dict:
    s = text["steps"][i]
    st.subheader(s["title"])
    st.markdown(s["body"])
    return s


st.title(text["title"])
st.caption(text["intro"])

s = step(0)
mlp = cached_view(LETTERS.replace(gain=0.0).to_dict())
draw(("tour", "mlp"), lambda: charts.letters_heatmap(mlp.states, WORD), width="content")
st.caption(s["caption"])
explorer_link("hello")

s = step(1)
rnn = cached_view(LETTERS.to_dict())
draw(("tour", "rnn"), lambda: charts.letters_heatmap(rnn.states, WORD), width="content")
st.caption(s["caption"])
explorer_link("hello")

s = step(2)
st.graphviz_chart(charts.unfolded_dot(WORD))
st.caption(s["caption"])

s = step(3)
st.latex(r"h_t = \tanh(W_{hh}\,h_{t-1} + b + W_{xh}\,x_t)")
draw(("tour", "units"), lambda: charts.letters_lines(rnn.states, WORD, [0, 1, 2]))
st.caption(s["caption"])
explorer_link("hello")

s = step(4)
st.latex(r"\frac{\partial L}{\partial h_t} = J_{t+1}^\top\cdots J_T^\top\,\frac{\partial L}{\partial h_T},\qquad"
         r" J_s = \operatorname{diag}(\tanh'(a_s))\,W_{hh}")
draw(("tour", "bptt"), lambda: charts.gradient_chart(rnn.gradient_thin, "t"))
st.caption(s["caption"])
explorer_link("hello")

s = step(5)
left, right = st.columns(2)
for col, slug in ((left, "vanishing"), (right, "exploding-linear")):
    view = cached_view(PRESETS_BY_SLUG[slug].config.to_dict())
    with col:
        draw(("tour", slug), lambda v=view: charts.gradient_chart(v.gradient_thin, "lag", legend_columns=1))
        st.caption(view.diagnosis.sentence)
        explorer_link(slug)
st.caption(s["caption"])

s = step(6)
left, right = st.columns(2)
with left:
    view = cached_view(PRESETS_BY_SLUG["orthogonal"].config.to_dict())
    draw(("tour", "orthogonal"), lambda: charts.gradient_chart(view.gradient_thin, "lag", legend_columns=1))
    explorer_link("orthogonal")
with right:
    view = cached_view(PRESETS_BY_SLUG["exploding-linear"].config.to_dict())
    labels = (s["before"], s["after"])
    draw(("tour", "clipping", labels), lambda: charts.clipping_chart(view.log10_grad_W_hh, labels=labels))
    explorer_link("exploding-linear")
st.caption(s["caption"])
