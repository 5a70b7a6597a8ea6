"""Regime map: where the regimes are, over gain × activation / initializer / size / length, with theory beside."""

import pandas as pd
import streamlit as st

from rnn_core.phase import AXES, MAP_BUDGET, MapSettings, map_cost
from ui import charts
from ui.cache import cached_spectra, draw, map_with_progress
from ui.captions import decades_text, map_base_text, mean_field_caption
from ui.controls import CELL_LABELS, map_controls
from ui.i18n import num, tr
from ui.layout import formulas, on_demand, page_setup, panels
from ui.map_view import AXIS_TITLES, spectra_config
from ui.state import open_in_explorer, url_warnings

# the map sweeps the gain itself, and measures the rate with the last-step loss: neither control applies here
config = page_setup(skip=("gain", "loss"), controls=map_controls)
settings = MapSettings(**st.session_state["map_values"])

st.title(tr("Regime map"))
st.caption(tr("One configuration shows a curve; a map shows where the regimes are. Each cell is a network: its "
              "colour is the measured per-step rate of the gradient (log10: blue vanishes, red explodes, white is "
              "stable), averaged over seeds. Click a cell to open it in the Explorer."))
url_warnings()
if config.cell != "rnn" and settings.axis != "cell":
    st.info(tr("This map sweeps the vanilla RNN; the {cell} chosen in the sidebar is drawn in the Explorer and beside "
               "others on the Compare page, and the second axis 'cell' maps every cell whose recurrent weights the "
               "gain scales. Here: the vanilla RNN with the sidebar's other settings.", cell=CELL_LABELS[config.cell]))
    config = config.replace(cell="rnn")
st.info(tr(map_base_text(config, settings, AXIS_TITLES[settings.axis])), icon=":material/tune:")

cost = map_cost(config, settings)
if cost > MAP_BUDGET:
    st.error(tr("This map would need {cost:.2g} floating-point operations, over the cap of {cap:.2g}. Use fewer gains "
                "or seeds, or a smaller sequence length, hidden size or batch in the sidebar.", cost=cost,
                cap=MAP_BUDGET))
    st.stop()

view = map_with_progress(config, settings)
key = (tuple(config.to_dict().items()), tuple(settings.to_dict().items()))  # what the charts depend on

tab_map, tab_lyap, tab_multiples, tab_spectra = st.tabs(
    [tr("Rate map"), tr("Lyapunov exponent"), tr("Small multiples"), tr("Spectrum: Gaussian vs orthogonal")])

with tab_map:
    column = "log10_rate" if settings.view == "rate" else "lyapunov_max"
    clicked = draw(("map", key), lambda: charts.map_heatmap(view.cells, column, view.order, view.contour,
                                                            view.theory, tr(view.axis_title)), select=charts.MAP_PICK)
    picked = clicked.selection.get(charts.MAP_PICK) if clicked is not None else None
    if picked:  # a cell: its network in the Explorer
        open_in_explorer(picked[0]["href"])
    crossing = "; ".join(f"{tr(a)}: {num(g, '.3g')}" for a, g in zip(view.contour["axis_value"],
                                                                      view.contour["gain"], strict=True))
    st.caption(tr("Black diamonds: where the measured rate crosses 1 ({crossing}). Black ticks: the gain where "
                  "γ·σ_max(W) = 1 for these very matrices — left of it vanishing is guaranteed (Pascanu et al. 2013). "
                  "Yellow ticks: ρ(W) = 1.  \nBetween the black tick and the diamond the bound allows growth, yet the "
                  "gradient still vanishes: the bound is sufficient, not necessary.",
                  crossing=crossing or tr("none within the gains swept")))
    st.download_button(tr("Download the map (CSV, one row per network)"), lambda: view.table.to_csv(index=False),
                       "regime_map.csv", "text/csv")

with tab_lyap:
    draw(("lyapunov", key), lambda: charts.lyapunov_gain_chart(view.cells, view.mean_field, view.order,
                                                               tr(view.axis_title)))
    st.caption(tr(mean_field_caption(config, view.below_mean_field)))
    on_demand(tr("The math"), "math-mean-field", lambda: formulas(
        r"\Delta = g^2\,\mathbb{E}_z\big[\tanh^2(\sqrt{\Delta}\,z)\big]",
        r"\lambda_{\max} = \tfrac12 \ln\!\Big(g^2\,\mathbb{E}_z\big[\operatorname{sech}^4(\sqrt{\Delta}\,z)\big]\Big)",
        r"z\sim\mathcal N(0,1)"))

with tab_multiples:
    draw(("multiples", key), lambda: charts.small_multiples(view.multiples, view.order, tr(view.axis_title)))
    st.caption(tr("log10 ‖dL/dh‖ against the lag for a coarse grid (first seed), every panel on the same axis "
                  "(clipped at 1e±12): the change of regime is seen at a glance."))

with tab_spectra:
    spectra = cached_spectra(spectra_config(config, settings).to_dict())
    draw(("spectra", key), lambda: charts.spectra_comparison_chart(spectra.eigenvalues, spectra.config.gain),
         width="content")
    a, b = panels("spectra", 340, 340)
    with a:
        draw(("sv", key), lambda: charts.sv_comparison_chart(spectra.singular_values))
    with b:
        draw(("lyapunov_spectrum", key), lambda: charts.lyapunov_spectrum_chart(spectra.lyapunov))
    summary = spectra.summary  # the table in the page's language, its spreads said as the caption says them
    st.dataframe(pd.DataFrame({
        tr("initializer"): summary["init"].map(tr), tr("matrix"): summary["matrix"],
        tr("decades between largest and smallest σ"): [tr(decades_text(spectra.spreads[(i, m)])) for i, m in
                                                       zip(summary["init"], summary["matrix"], strict=True)]}),
        hide_index=True)
    st.caption(tr(spectra.caption))

st.caption(tr("Map computed in {s:.2f} s ({n} networks, axis {axis} × {k} values). Uses the sidebar's settings; the "
              "gain is swept.", s=view.seconds, n=len(view.table), axis=AXIS_TITLES[settings.axis],
              k=len(AXES[settings.axis])))
