"""Explorer: one configuration — the gradient across time, the regime and why, states, spectrum, contributions."""

import streamlit as st

from rnn_core import analyze
from rnn_core.presets import preset_for
from rnn_core.reproduce import core_script, torch_script
from ui.cache import cached_view
from ui.controls import config_json
from ui.explorer_view import settings_key, show_reproduce, show_view
from ui.i18n import tr
from ui.layout import page_setup
from ui.state import url_warnings

config = page_setup()
view = cached_view(config.to_dict())

st.title(tr("Why do RNN gradients vanish or explode?"))
st.caption(tr("The RNN reads the sequence step by step, h_t = act(W_hh·h_(t−1) + W_xh·x_t + b). Backpropagation "
              "multiplies the gradient by one Jacobian per step back; this page measures what that product does."))
url_warnings()
if (preset := preset_for(config)) is not None:  # what the preset is meant to show, while its settings are on
    st.caption(tr("**Preset: {name}.** {line}", name=tr(preset.name), line=tr(preset.blurb)))
show_view(config, view, settings_key(config))
show_reproduce(core_script(config), lambda: torch_script(analyze(config), title=f"RNN Gradient Lab: {config.cell}, "
                                                         f"seed {config.seed}", config=config))

st.divider()
st.download_button(tr("Download this configuration (JSON)"), config_json(config), "config.json", "application/json")
st.caption(tr("Computed in {ms:.0f} ms. Copy the address bar to share exactly this view.", ms=view.seconds * 1000))
