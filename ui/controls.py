"""The sidebar's widgets, derived from the Config's field declarations, with presets; and each page's own controls.

Every widget is bound to a canonical store in session state (``ui.state.bind``) and the URL follows it.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from rnn_core import ACTIVATIONS, Config
from rnn_core.config import FIELDS, UI_MAX_WORK, check_work, message_of
from rnn_core.phase import AXES, VIEWS, MapSettings
from rnn_core.presets import COMPARISONS, COMPARISONS_BY_SLUG, PRESETS, PRESETS_BY_NAME, VARIANTS, VARIANTS_BY_SLUG

from .i18n import bound, num, tr
from .map_view import AXIS_TITLES
from .state import VALUES, bind, load_url_once, preset_from_link, set_values
from .text import LANGUAGES

# The gain slider's stops: round numbers on a log scale, each activation's standard gain, every preset's gain. The
# options must not change between reruns (that would reset the widget), so a gain from a link joins them once per
# session ("gain_extra").
MANTISSAS = (1, 1.1, 1.2, 1.3, 1.5, 1.7, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9)

GAIN_GRID = sorted({0.0, 20.0, *(round(m * 10.0**e, 6) for e in range(-2, 2) for m in MANTISSAS),
                    *(a.standard_gain for a in ACTIVATIONS.values()), *(p.config.gain for p in PRESETS)})

SLIDERS = ("seq_len", "hidden_size")
CELL_LABELS = {"rnn": "vanilla RNN", "leaky": "leaky RNN", "lstm": "LSTM", "gru": "GRU",
               "lru": "LRU (linear recurrent unit)"}
LOSS_LABELS = {"last": "last step", "all": "every step"}
# Every choice is shown in the page's language: its label here, or the choice's own name (``tr`` of 'noise').
CHOICE_LABELS = {"cell": CELL_LABELS, "loss": LOSS_LABELS}
# The settings of one cell only: hidden for the others.
CELL_FIELDS = {"leak": ("leaky",), "forget_init": ("lstm",), "forget_bias": ("lstm",), "r_min": ("lru",),
               "r_max": ("lru",), "max_phase": ("lru",)}

def apply_preset() -> None:
    """Callback of the preset menu: set every field (so nothing lingers from before), then clear the menu."""
    preset = PRESETS_BY_NAME.get(st.session_state.get("preset") or "")
    if preset is None:
        return
    set_values(VALUES, preset.config.to_dict())  # the widgets follow on this rerun (see ui.state.bind)
    st.session_state["preset"] = None

def _format_gain(g: float) -> str:
    marks = [name for name, a in ACTIVATIONS.items() if a.standard_gain == g and name != "leaky_relu"]
    return num(g, ".4g") + ("  " + tr("★ standard for {names}", names=", ".join(tr(m) for m in marks)) if marks else "")


def _format_choice(name: str):
    labels = CHOICE_LABELS.get(name, {})
    return lambda choice: tr(labels.get(choice, str(choice)))

def _widget(name: str, values: dict[str, Any]) -> Any:
    """One sidebar widget for field ``name``, built from its declaration in :class:`Config`."""
    f = FIELDS[name]
    spec = f.metadata
    common = {"label": tr(spec["label"]), "help": tr(spec["help"])}
    if spec["choices"] is not None:
        options = list(spec["choices"])
        return st.selectbox(options=options, format_func=bound(_format_choice(name)), **common,
                            **bind(VALUES, name, "index", options))
    common.update(bind(VALUES, name))
    if name == "gain":
        options = sorted({*GAIN_GRID, st.session_state["gain_extra"], values["gain"]})
        return st.select_slider(options=options, format_func=bound(_format_gain), **common)
    if name == "text":
        return st.text_input(max_chars=spec["hi"], **common)
    if f.type in ("int", int):
        lo, hi = int(spec["lo"]), int(spec["ui_hi"])
        if name in SLIDERS:
            return st.slider(min_value=lo, max_value=hi, step=1, **common)
        return st.number_input(min_value=lo, max_value=hi, step=1, **common)
    return st.number_input(min_value=float(spec["lo"]), max_value=float(spec["ui_hi"]), step=0.1, format="%g",
                           **common)

def sidebar(skip: tuple[str, ...] = ()) -> Config:
    """Draw the shared sidebar and return the current configuration (always a valid one).

    ``skip`` leaves out controls a page makes irrelevant (the regime map sweeps the gain itself); their values stay.
    A page that skips every field (the tour, whose figures have their own settings) shows no preset menu either.
    """
    load_url_once()
    preset_from_link()
    if st.session_state.get("preset") is not None:  # a pick that reached a new session's first run (below)
        apply_preset()  # before the copy: hidden and irrelevant fields must take the preset's values too
    values = dict(st.session_state[VALUES])
    hidden = st.session_state["hidden"] | frozenset(skip)
    if frozenset(FIELDS) <= frozenset(skip):
        return _validated(values)
    with st.sidebar:
        picked = st.selectbox(tr("Preset"), [p.name for p in PRESETS], index=None, key="preset", format_func=bound(tr),
                              on_change=apply_preset, placeholder=tr("Choose a preset…"),
                              help=tr("Sets every control at once."))
        if picked is not None:
            # The callback sets the menu back to None before the run, unless Streamlit ran none: on the first run of a
            # session, which a browser reconnecting after a server restart starts with the user's pick in it. The
            # rerun applies the pick above, before the menu is drawn, and redraws the controls with its settings.
            st.rerun()
        groups = {
            "Network": ("cell", "activation", "leak", "forget_init", "forget_bias", "r_min", "r_max", "max_phase",
                        "init", "gain", "hidden_size", "bias_scale"),
            "Sequence": ("seq_len", "batch_size", "input_kind", "input_scale", "input_size", "text"),
            "Training signal": ("loss", "seed"),
        }
        for title, names in groups.items():
            # a page that sets the cell itself (Compare) shows the settings the vanilla cell uses
            seen = values if "cell" not in hidden else {**values, "cell": "rnn"}
            shown = [n for n in names if n not in hidden and not _irrelevant(n, seen)]
            if not shown:
                continue
            st.subheader(tr(title))
            for name in shown:
                values[name] = _widget(name, values)
                if name == "gain":
                    st.caption(tr("★ marks each activation's standard gain: tanh 5/3, relu √2, linear and sigmoid 1."))
    return _validated(values)

def _irrelevant(name: str, values: dict[str, Any]) -> bool:
    """Controls that do nothing for the current choice stay out of the way."""
    cell = values.get("cell", "rnn")
    if name in CELL_FIELDS:
        return cell not in CELL_FIELDS[name] or (name == "forget_bias" and values.get("forget_init") == "chrono")
    if name == "activation":
        return cell in ("lstm", "gru", "lru")  # their gates and linear recurrence fix the nonlinearity
    if name in ("init", "gain", "bias_scale"):
        return cell == "lru"  # drawn on its eigenvalue ring instead
    if name == "text":
        return values["input_kind"] != "text"
    if name == "input_size":
        return values["input_kind"] in ("text", "zeros")
    if name == "input_scale":
        return values["input_kind"] == "zeros"
    return False

def _validated(values: dict[str, Any]) -> Config:
    try:
        config = Config.from_dict(values)
        check_work(config, UI_MAX_WORK)
    except ValueError as err:
        st.session_state[VALUES] = values  # the controls keep what they show
        st.sidebar.error(tr("{error}. Showing the last valid settings.", error=message_of(err)))
        return Config.from_dict(st.session_state["last_good"])
    st.session_state[VALUES] = config.to_dict()
    st.session_state["last_good"] = config.to_dict()
    return config

def language_control() -> None:
    """Every page's language switch (kept in the URL as ``lang``). Its label is in both languages: whoever cannot
    read the page's language finds it."""
    load_url_once()
    lang = st.segmented_control("Language / Sprog", list(LANGUAGES), format_func=LANGUAGES.get, required=True,
                                **bind("prefs", "lang", "default"))
    st.session_state["prefs"]["lang"] = lang

def map_controls() -> tuple[dict[str, Any], tuple[str, ...]]:
    """The regime map's own controls (in the sidebar, kept in the URL); returns its settings and controls to skip."""
    load_url_once()
    values = dict(st.session_state["map_values"])
    st.subheader(tr("Map"))
    values["axis"] = st.selectbox(tr("Second axis"), list(AXES), format_func=bound(lambda a: tr(AXIS_TITLES[a])),
                                  help=tr("What varies down the map, beside the gain."),
                                  **bind("map_values", "axis", "index", AXES))
    values["view"] = st.radio(tr("Colour by"), list(VIEWS), horizontal=True,
                              format_func=bound(lambda v: tr({"rate": "gradient rate", "lyapunov": "λ_max"}[v])),
                              **bind("map_values", "view", "index", VIEWS))
    a, b = st.columns(2)
    values["gain_min"] = a.number_input(tr("Gain from"), 0.001, 100.0, format="%g", **bind("map_values", "gain_min"))
    values["gain_max"] = b.number_input(tr("Gain to"), 0.001, 100.0, format="%g", **bind("map_values", "gain_max"))
    a, b = st.columns(2)
    values["gain_points"] = a.number_input(tr("Gains"), 2, 80, step=1, **bind("map_values", "gain_points"))
    values["seeds"] = b.number_input(tr("Seeds per cell"), 1, 8, step=1, **bind("map_values", "seeds"))
    try:
        settings = MapSettings(**values)
    except ValueError as err:
        st.error(tr("{error}. Keeping the previous map settings.", error=message_of(err)))
        settings = MapSettings(**st.session_state["map_values"])
    st.session_state["map_values"] = settings.to_dict()
    skip = ("activation",) if settings.axis == "activation" else (settings.axis,) if settings.axis != "seq_len" \
        else ("seq_len",)
    return settings.to_dict(), skip

def config_json(config: Config) -> str:
    """The configuration as pretty JSON, for the download button."""
    return json.dumps(config.to_dict(), indent=2, ensure_ascii=False)


def _apply_comparison() -> None:
    """Callback of the comparison menu: its variants and its base settings, then clear the menu."""
    comparison = COMPARISONS_BY_SLUG.get(st.session_state.get("comparison") or "")
    if comparison is None:
        return
    set_values(VALUES, comparison.base.to_dict())
    st.session_state["compare_pick"] = list(comparison.variants)
    st.session_state["comparison"] = None


def compare_controls() -> tuple[dict[str, Any], tuple[str, ...]]:
    """The Compare page's own controls: a comparison preset and the 2-4 variants (kept in the URL as ``compare``)."""
    load_url_once()
    st.subheader(tr("Compare"))
    st.selectbox(tr("Comparison"), [c.slug for c in COMPARISONS], index=None, key="comparison",
                 format_func=bound(lambda s: tr(COMPARISONS_BY_SLUG[s].name)), on_change=_apply_comparison,
                 placeholder=tr("Choose a comparison…"), help=tr("Sets the variants and the shared settings at once."))
    picked = st.multiselect(tr("Side by side (2 to 4)"), [v.slug for v in VARIANTS], key="compare_pick",
                            format_func=bound(lambda s: tr(VARIANTS_BY_SLUG[s].name)), max_selections=4)
    # the cell and its settings come from each variant; the sidebar sets what they share
    return {"compare": ",".join(picked)}, ("cell", "activation", *CELL_FIELDS)
