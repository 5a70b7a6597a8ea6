"""The shared sidebar: widgets derived from the Config's field declarations, presets, and the URL.

Every setting lives in the URL: a link reproduces the view exactly (seed included). A bad value in a link warns and
falls back to the default for that field. ``?hide=gain,init`` (an instructor's lesson link) hides those controls;
``?hide=all`` hides every control but the presets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from rnn_core import ACTIVATIONS, Config, parse_lenient
from rnn_core.config import FIELDS, UI_MAX_WORK, check_work
from rnn_core.phase import AXES, MAP_FIELDS, VIEWS, MapSettings, map_row
from rnn_core.presets import PRESETS, PRESETS_BY_NAME, PRESETS_BY_SLUG

from .map_view import AXIS_TITLES, MapView, SpectraView, build_map_view, build_spectra_view
from .text import LANGUAGES, TEXTS
from .view import View, build_view

# URL parameters that are not configuration fields: the instructor's hidden controls, a one-shot preset, the tour's
# language, and the regime map's settings.
EXTRA_PARAMS = ("hide", "preset", "lang", *MAP_FIELDS)
VALUES = "config_values"  # session key of the canonical settings (survives hidden widgets and page switches)
# The gain slider's stops: round numbers on a log scale, each activation's standard gain, every preset's gain. The
# options must not change between reruns (that would reset the widget), so a gain from a link joins them once per
# session ("gain_extra").
MANTISSAS = (1, 1.1, 1.2, 1.3, 1.5, 1.7, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9)
GAIN_GRID = sorted({0.0, 20.0, *(round(m * 10.0**e, 6) for e in range(-2, 2) for m in MANTISSAS),
                    *(a.standard_gain for a in ACTIVATIONS.values()), *(p.config.gain for p in PRESETS)})
SLIDERS = ("seq_len", "hidden_size")
CACHE_ENTRIES = 64  # views are < 1 MB each: 64 of them stay far below the 1 GB of a shared server


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Running the RNN and backpropagating through time…")
def cached_view(values: dict[str, Any]) -> View:
    """The view of a configuration, cached by its flat dict (shared by every session on the server)."""
    return build_view(Config.from_dict(values))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_map_row(values: dict[str, Any], settings: dict[str, Any],
                   value: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row of a regime map, cached: a map that shares rows with an earlier one reuses them."""
    return map_row(Config.from_dict(values), MapSettings(**settings), value)


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_map(values: dict[str, Any], settings: dict[str, Any]) -> MapView:
    return build_map_view(Config.from_dict(values), MapSettings(**settings),
                          row=lambda v: cached_map_row(values, settings, v))


def map_with_progress(config: Config, settings: MapSettings) -> MapView:
    """The regime map, row by row behind a progress bar (outside the cached functions, which may not draw)."""
    values, s = config.to_dict(), settings.to_dict()
    rows = AXES[settings.axis]
    bar = st.progress(0.0, text="Sweeping the map…")
    for i, value in enumerate(rows):
        cached_map_row(values, s, value)
        bar.progress((i + 1) / len(rows), text=f"Swept {i + 1} of {len(rows)} rows")
    bar.empty()
    return _cached_map(values, s)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Comparing Gaussian and orthogonal W_hh…")
def cached_spectra(values: dict[str, Any]) -> SpectraView:
    return build_spectra_view(Config.from_dict(values))


def language_control() -> tuple[dict[str, Any], tuple[str, ...]]:
    """The tour's language switch (kept in the URL as ``lang``); puts the chosen texts in ``tour_text``."""
    _load_url_once()
    st.segmented_control(TEXTS["en"]["language"] + " / " + TEXTS["da"]["language"], list(LANGUAGES),
                         format_func=LANGUAGES.get, required=True, **_bind("prefs", "lang"))
    st.session_state["tour_text"] = TEXTS[st.session_state["prefs"]["lang"]]
    return {}, ()


def map_controls() -> tuple[dict[str, Any], tuple[str, ...]]:
    """The regime map's own controls (in the sidebar, kept in the URL); returns its settings and controls to skip."""
    _load_url_once()
    values = dict(st.session_state["map_values"])
    st.subheader("Map")
    values["axis"] = st.selectbox("Second axis", list(AXES), format_func=AXIS_TITLES.get,
                                  help="What varies down the map, beside the gain.", **_bind("map_values", "axis"))
    values["view"] = st.radio("Colour by", list(VIEWS), horizontal=True, **_bind("map_values", "view"),
                              format_func={"rate": "gradient rate", "lyapunov": "λ_max"}.get)
    a, b = st.columns(2)
    values["gain_min"] = a.number_input("Gain from", 0.001, 100.0, format="%g", **_bind("map_values", "gain_min"))
    values["gain_max"] = b.number_input("Gain to", 0.001, 100.0, format="%g", **_bind("map_values", "gain_max"))
    a, b = st.columns(2)
    values["gain_points"] = a.number_input("Gains", 2, 80, step=1, **_bind("map_values", "gain_points"))
    values["seeds"] = b.number_input("Seeds per cell", 1, 8, step=1, **_bind("map_values", "seeds"))
    try:
        settings = MapSettings(**values)
    except ValueError as err:
        st.error(f"{err}. Keeping the previous map settings.")
        settings = MapSettings(**st.session_state["map_values"])
    st.session_state["map_values"] = settings.to_dict()
    skip = ("activation",) if settings.axis == "activation" else (settings.axis,) if settings.axis != "seq_len" \
        else ("seq_len",)
    return settings.to_dict(), skip


WIDGET_PREFIX = {VALUES: "w_", "map_values": "m_", "prefs": "p_"}


@st.cache_data(max_entries=256, show_spinner=False)
def _chart_json(key: tuple, _build: Callable[[], alt.TopLevelMixin]) -> str:
    # Turning an Altair chart into Vega-Lite (with schema validation) costs more than the analysis of the default
    # configuration; the JSON of a chart is cached instead (compact: a few hundred kB at most per chart).
    return _build().to_json(validate=False, indent=None)


def draw(key: tuple, build: Callable[[], alt.TopLevelMixin], width: str = "stretch") -> None:
    """Draw the chart ``build()`` makes, cached by ``key``: everything the chart depends on (settings, chart name).

    The builders' specs are validated against the Vega-Lite schema in the tests (tests/ui).
    """
    st.vega_lite_chart(spec=json.loads(_chart_json(key, build)), width=width)


def _widget_key(name: str, store: str = VALUES) -> str:
    return f"{WIDGET_PREFIX[store]}{name}"


def _copy_back(store: str, name: str) -> None:
    st.session_state[store][name] = st.session_state[_widget_key(name, store)]


def _bind(store: str, name: str) -> dict[str, Any]:
    """Keyword arguments that bind a widget to ``st.session_state[store][name]``, the canonical value.

    The widget's own state is set from the canonical value before every creation and copied back by its callback:
    Streamlit drops (or resets) a keyed widget's state when the page changes, the canonical store survives.
    """
    key = _widget_key(name, store)
    st.session_state[key] = st.session_state[store][name]
    return {"key": key, "on_change": _copy_back, "args": (store, name)}


def _load_url_once() -> None:
    """On a session's first run, take every setting from the URL (warnings for what could not be used): the
    configuration, the instructor's hidden controls and the regime map's settings."""
    if VALUES in st.session_state:
        return
    params = st.query_params.to_dict()
    config, warnings = parse_lenient(params, ui=True, ignore=EXTRA_PARAMS)
    hidden, hide_warnings = parse_hide(params.get("hide", ""))
    map_settings, map_warnings = MapSettings.parse_lenient(params)
    lang = params.get("lang", "en")
    st.session_state["prefs"] = {"lang": lang if lang in LANGUAGES else "en"}
    if lang not in LANGUAGES:
        map_warnings.append(f"Ignored lang={lang[:20]!r}: one of {', '.join(LANGUAGES)}.")
    st.session_state[VALUES] = config.to_dict()
    st.session_state["map_values"] = map_settings.to_dict()
    st.session_state["url_warnings"] = warnings + hide_warnings + map_warnings
    st.session_state["hidden"] = hidden
    st.session_state["last_good"] = config.to_dict()
    st.session_state["gain_extra"] = config.gain


def parse_hide(raw: str) -> tuple[frozenset[str], list[str]]:
    """The controls an instructor's link hides: field names separated by commas, or 'all'."""
    names = [n.strip() for n in str(raw).split(",") if n.strip()]
    if "all" in names:
        return frozenset(FIELDS), []
    bad = [n for n in names if n not in FIELDS]
    warnings = [f"Ignored unknown control(s) in hide: {', '.join(repr(b[:30]) for b in bad[:5])}."] if bad else []
    return frozenset(n for n in names if n in FIELDS), warnings


def apply_preset() -> None:
    """Callback of the preset menu: set every field (so nothing lingers from before), then clear the menu."""
    preset = PRESETS_BY_NAME.get(st.session_state.get("preset") or "")
    if preset is None:
        return
    st.session_state[VALUES] = preset.config.to_dict()  # the widgets follow on this rerun (see _bind)
    st.session_state["preset"] = None


def _format_gain(g: float) -> str:
    marks = [name for name, a in ACTIVATIONS.items() if a.standard_gain == g and name != "leaky_relu"]
    return f"{g:.4g}" + (f"  ★ standard for {', '.join(marks)}" if marks else "")


def _widget(name: str, values: dict[str, Any]) -> Any:
    """One sidebar widget for field ``name``, built from its declaration in :class:`Config`."""
    f = FIELDS[name]
    spec = f.metadata
    common = {"label": spec["label"], "help": spec["help"], **_bind(VALUES, name)}
    if spec["choices"] is not None:
        return st.selectbox(options=list(spec["choices"]), **common)
    if name == "gain":
        options = sorted({*GAIN_GRID, st.session_state["gain_extra"], values["gain"]})
        return st.select_slider(options=options, format_func=_format_gain, **common)
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
    """
    _load_url_once()
    _preset_from_link()
    values = dict(st.session_state[VALUES])
    hidden = st.session_state["hidden"] | frozenset(skip)
    with st.sidebar:
        st.selectbox("Preset", [p.name for p in PRESETS], index=None, key="preset", on_change=apply_preset,
                     placeholder="Choose a preset…", help="Sets every control at once.")
        groups = {
            "Network": ("activation", "init", "gain", "hidden_size", "bias_scale"),
            "Sequence": ("seq_len", "batch_size", "input_kind", "input_scale", "input_size", "text"),
            "Training signal": ("loss", "seed"),
        }
        for title, names in groups.items():
            shown = [n for n in names if n not in hidden and not _irrelevant(n, values)]
            if not shown:
                continue
            st.subheader(title)
            for name in shown:
                values[name] = _widget(name, values)
                if name == "gain":
                    st.caption("★ marks each activation's standard gain: tanh 5/3, relu √2, linear and sigmoid 1.")
    return _validated(values)


def _preset_from_link() -> None:
    """``?preset=slug`` (a tour step's link, a lesson) sets every control once; the URL then shows the settings."""
    slug = st.query_params.get("preset")
    if not slug:
        return
    preset = PRESETS_BY_SLUG.get(slug)
    if preset is None:
        st.session_state["url_warnings"] = [*st.session_state.get("url_warnings", []),
                                            f"Ignored unknown preset {slug[:40]!r}."]
    else:
        st.session_state[VALUES] = preset.config.to_dict()
    del st.query_params["preset"]


def _irrelevant(name: str, values: dict[str, Any]) -> bool:
    """Controls that do nothing for the current choice stay out of the way."""
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
        st.sidebar.error(f"{err}. Showing the last valid settings.")
        return Config.from_dict(st.session_state["last_good"])
    st.session_state[VALUES] = config.to_dict()
    st.session_state["last_good"] = config.to_dict()
    return config


def sync_url(config: Config, extra: dict[str, Any] | None = None) -> None:
    """Write every setting (and a page's own, ``extra``) into the URL; only when something changed."""
    wanted = {k: str(v) for k, v in {**config.to_dict(), **(extra or {})}.items()}
    lang = st.session_state.get("prefs", {}).get("lang", "en")
    if lang != "en":  # English is the default: links stay short
        wanted["lang"] = lang
    hidden = st.session_state["hidden"]
    if hidden:
        wanted["hide"] = ",".join(sorted(hidden)) if hidden != frozenset(FIELDS) else "all"
    current = st.query_params.to_dict()
    if current != wanted:
        st.query_params.from_dict(wanted)


MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=&\"'")


def escape_markdown(text: str) -> str:
    """Backslash-escape every markdown-active character, so text from a link is shown, never rendered."""
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text.replace("\n", " "))


def url_warnings() -> None:
    """Show what in the link could not be used (user text escaped: never rendered as markdown or HTML)."""
    warnings = st.session_state.get("url_warnings") or []
    if warnings:
        st.warning("Some settings in the link could not be used:\n\n"
                   + "\n".join(f"- {escape_markdown(w)}" for w in warnings), icon="⚠️")


def config_json(config: Config) -> str:
    """The configuration as pretty JSON, for the download button."""
    return json.dumps(config.to_dict(), indent=2, ensure_ascii=False)
