"""Explorer: one configuration — the gradient across time, the regime and why, states, spectrum, contributions."""

import streamlit as st

from ui import charts
from ui.cache import cached_view, draw
from ui.controls import config_json
from ui.layout import page_setup
from ui.state import url_warnings
from ui.view import thin

REGIME_BADGE = {"vanishing": ("blue", "↘"), "stable": ("green", "→"), "exploding": ("red", "↗")}

config = page_setup()
view = cached_view(config.to_dict())
d = view.diagnosis
key = tuple(config.to_dict().items())  # what every chart below depends on

st.title("Why do RNN gradients vanish or explode?")
st.caption("The RNN reads the sequence step by step, h_t = act(W_hh·h_(t−1) + W_xh·x_t + b). Backpropagation "
           "multiplies the gradient by one Jacobian per step back; this page measures what that product does.")
url_warnings()
if d.overflow_step is not None:
    st.error(f"The hidden states overflowed float64 at step {d.overflow_step}. Every chart stops at step "
             f"{d.loss_step}, where the loss is placed.", icon="💥")

# Verdict: the regime, the figures behind it, and the sentence built from them.
color, arrow = REGIME_BADGE[d.regime]
left, right = st.columns([1, 4], vertical_alignment="center")
with left:
    st.markdown(f"## :{color}[{arrow} {d.regime.capitalize()}]")
    st.caption(f"{config.activation}, {config.init}, gain {config.gain:g}, N = {config.hidden_size}, "
               f"T = {config.seq_len}")
with right:
    m = st.columns(5)
    m[0].metric("per-step rate", f"{d.rate:.3g}×", help="Factor by which ‖dL/dh_t‖ changes per step back "
                "(robust fit of the log norm against the lag).")
    horizon = d.horizons[1000]
    m[1].metric("memory horizon", "> T" if horizon is None else f"{horizon} steps",
                help="Lag at which the gradient has fallen 1000-fold.")
    m[2].metric("γ·σ_max", f"{d.pascanu:.3g}", help="Below 1 the Pascanu bound guarantees vanishing.")
    m[3].metric("spectral radius ρ", f"{d.spectral_radius:.3g}", help="Largest |eigenvalue| of W_hh.")
    m[4].metric("λ_max", f"{d.lyapunov_max:+.3f}", help="Largest Lyapunov exponent (natural log per step).")
st.info(d.sentence)

# 1. The gradient across time
st.subheader("Gradient norm across time")
x_axis = st.radio("Horizontal axis", ["time step t", "lag T − t"], horizontal=True, key="x_axis",
                  label_visibility="collapsed")
x = "t" if x_axis == "time step t" else "lag"
draw(("gradient", x, key), lambda: charts.gradient_chart(view.gradient_thin, x))
st.caption(view.captions["gradient"])
if view.jacobians_skipped:
    st.caption(view.jacobians_skipped)
with st.expander("The math"):
    st.latex(r"\frac{\partial L}{\partial h_t} = J_{t+1}^\top \cdots J_T^\top \frac{\partial L}{\partial h_T},"
             r"\qquad J_s = \operatorname{diag}(\mathrm{act}'(a_s))\, W_{hh}")
    st.latex(r"\Big\|\frac{\partial h_T}{\partial h_t}\Big\|_2 \le \prod_{s=t+1}^{T} \|J_s\|_2"
             r"\le (\gamma\,\sigma_{\max}(W_{hh}))^{T-t},\qquad \gamma = \sup|\mathrm{act}'|")
    st.markdown("Pascanu, Mikolov & Bengio (2013): γ·σ_max < 1 is sufficient for vanishing; γ·σ_max > 1 is "
                "necessary for exploding. The norms are computed in the log domain (mantissa × 10^scale), so "
                "values like 1e-3000 are exact and drawn faithfully.")
st.download_button("Download the curves (CSV)", lambda: view.gradient.to_csv(index=False),
                   "gradient_norms.csv", "text/csv")

# 2. Hidden states
st.subheader("Hidden states")
a, b = st.columns([3, 2])
with a:
    draw(("heatmap", key), lambda: charts.heatmap_chart(view.states, config.activation))
with b:
    units = sorted(view.states["unit"].unique())[:3]
    draw(("units", key), lambda: charts.unit_lines_chart(thin(view.states), units))
draw(("state_stats", key), lambda: charts.state_stats_chart(view.steps, config.activation))
st.caption(view.captions["states"])
with st.expander("The math"):
    st.latex(r"h_t = \mathrm{act}(a_t),\quad a_t = W_{hh} h_{t-1} + W_{xh} x_t + b,\qquad "
             r"\tanh'(a) = 1 - \tanh^2(a),\quad \sigma'(a) = \sigma(a)\,(1-\sigma(a)),\quad "
             r"\mathrm{relu}'(a) = [a > 0]")
    st.markdown("A unit with |tanh| > 0.97 has tanh' < 0.06: it passes almost none of the gradient back, whatever "
                "W_hh is. That is why a large gain, which saturates the units, can still make the gradient vanish.")
st.download_button("Download the states shown (CSV)", lambda: view.states.to_csv(index=False),
                   "hidden_states.csv", "text/csv")

# 3. Spectrum
st.subheader("Spectrum of W_hh")
a, b = st.columns([1, 1])
with a:
    draw(("eigenvalues", key), lambda: charts.spectrum_chart(view.spectrum, view.gamma), width="content")
with b:
    draw(("singular_values", key), lambda: charts.singular_values_chart(view.singular_values))
st.caption(view.captions["spectrum"])
with st.expander("The math"):
    st.latex(r"\|J_t\|_2 \le \gamma\,\sigma_{\max}(W_{hh}),\qquad \rho(W_{hh}) \le \sigma_{\max}(W_{hh}),"
             r"\qquad W_{ij}\sim\mathcal N(0, g^2/N) \Rightarrow \text{eigenvalues uniform in } |\lambda|\le g")
    st.markdown("In the linear regime (act' ≈ 1) the gradient after many steps grows like ρ(W)^k: eigenvalues "
                "outside the unit circle are directions that explode, inside it directions that vanish. The circular "
                "law (Girko) puts the eigenvalues of a Gaussian W uniformly in the disc of radius g.")
st.download_button("Download the eigenvalues (CSV)", lambda: view.spectrum.to_csv(index=False),
                   "eigenvalues.csv", "text/csv")

# 4. What the update learns from
st.subheader("Per-step contributions to dL/dW_hh")
draw(("contributions", key), lambda: charts.contributions_chart(view.steps))
st.caption(view.captions["contributions"])
with st.expander("The math"):
    st.latex(r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \delta_t\, h_{t-1}^\top,\qquad "
             r"\delta_t = \mathrm{act}'(a_t) \odot \frac{\partial L}{\partial h_t}")
st.download_button("Download per-step figures (CSV)", lambda: view.steps.to_csv(index=False), "per_step.csv",
                   "text/csv")

st.divider()
st.download_button("Download this configuration (JSON)", config_json(config), "config.json", "application/json")
st.caption(f"Computed in {view.seconds * 1000:.0f} ms. Copy the address bar to share exactly this view.")
