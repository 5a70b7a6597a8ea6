"""Compare: two to four networks side by side, their gradients on one log axis, their states on one colour scale."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from rnn_core.config import message_of
from rnn_core.diagnosis import pow10_text, rate_text
from rnn_core.presets import VARIANTS_BY_SLUG
from ui import charts
from ui.cache import cached_view, draw
from ui.captions import config_summary, horizon_text
from ui.controls import compare_controls
from ui.i18n import decimal_text, num, tr
from ui.layout import page_setup, panels
from ui.state import url_warnings

config = page_setup(controls=compare_controls)
picked = [VARIANTS_BY_SLUG[s] for s in st.session_state["compare_pick"]]

st.title(tr("Compare"))
st.caption(tr("The same sequence, read by different cells. Every network here shares the sidebar's settings (length, "
              "size, input, seed); each column changes only what its name says."))
url_warnings()
if len(picked) < 2:
    st.info(tr("Choose at least two variants in the sidebar to compare them."))
    st.stop()

configs, views = [], []
for v in picked:
    try:
        c = v.config(config)
    except ValueError as err:
        st.error(f"{tr(v.name)}: {tr(message_of(err))}")
        st.stop()
    configs.append(c)
    views.append(cached_view(c.to_dict()))
names = [tr(v.name) for v in picked]
key = tuple((n, tuple(c.to_dict().items())) for n, c in zip(names, configs, strict=True))

# 1. The gradients, on one axis
st.subheader(tr("Gradient norm across time, on one log axis"))
curves = pd.concat([view.gradient_thin[view.gradient_thin["quantity"] == "grad_norm"].drop(columns="label")
                    .assign(network=name) for name, view in zip(names, views, strict=True)], ignore_index=True)
draw(("compare_gradients", key), lambda: charts.compare_gradient_chart(curves, names))
lines = []
for name, view in zip(names, views, strict=True):
    d = view.diagnosis
    g = view.gradient[view.gradient["quantity"] == "grad_norm"]
    at0 = g.loc[g["t"] == 0, "log10_value"]
    reach = (tr("{value} at t = 0", value=pow10_text(float(at0.iloc[0]))) if len(at0) else
             tr("exactly zero at t = 0"))
    lines.append(tr("{name}: {regime}, a factor {rate} per step, {reach}", name=name, regime=d.regime,
                    rate=rate_text(d.rate), reach=reach))
st.caption("  \n".join(lines))

# 2. The states, on one colour scale
st.subheader(tr("Hidden states, on one colour scale"))
top = max(float(np.nanquantile(np.abs(v.states["h"]), 0.99)) if len(v.states) else 0.0 for v in views)
bound = top if math.isfinite(top) and top > 0 else 1.0
for name, view, col in zip(names, views, panels("states", *(220,) * len(views)), strict=True):
    with col:
        st.markdown(f"**{name}**")
        draw(("compare_states", name, key), lambda view=view: charts.heatmap_chart(view.states, "linear", bound=bound))
st.caption(tr("One colour scale for all: ±{bound:.3g} (the largest |h| shown, 99th percentile). A pale map is a "
              "network whose states stay small.", bound=bound))

# 3. The diagnostics, in one table
st.subheader(tr("Diagnostics"))
rows = []
for name, c, view in zip(names, configs, views, strict=True):
    d = view.diagnosis
    # numbers as text in the page's language (a number column's format has no decimal comma)
    rows.append({tr("network"): name, tr("settings"): tr(config_summary(c)), tr("regime"): tr(d.regime),
                 tr("per-step rate"): decimal_text(rate_text(d.rate)), tr("memory horizon"): tr(horizon_text(d)),
                 tr("step bound"): num(d.pascanu, ".4g") if math.isfinite(d.pascanu) else "—",
                 "λ_max": num(d.lyapunov_max, "+.3f"),
                 tr("own theory at t = 0"): "; ".join(f"{tr(k)}: {decimal_text(pow10_text(val))}"
                                                      for k, val in view.reference.items()) or "—"})
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
for name, view in zip(names, views, strict=True):
    st.markdown(f"**{name}.** " + tr(view.diagnosis.sentence))
st.caption(tr("Copy the address bar to share exactly this comparison."))
