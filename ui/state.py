"""Session state and the URL: every setting lives in the URL, a link reproduces the view exactly.

On a session's first run the URL is read once (``load_url_once``): a bad value warns and falls back to the default
for that field (a number beyond its range becomes the nearest allowed value), and the warnings stay on screen until
the user changes a setting; ``?hide=gain,init`` (an instructor's lesson link) hides controls, ``?hide=all`` all but
the presets; ``?preset=slug`` applies a preset once. Widgets are bound to canonical stores in session state
(``bind``), which survive hidden widgets and page switches; ``sync_url`` writes the settings back after every run. A
widget value the browser sends wins over the URL's: after a server restart the browser reconnects to a new session
and sends the value the user just moved with that session's very first run.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import streamlit as st

from rnn_core import Config, parse_lenient
from rnn_core.config import FIELDS
from rnn_core.message import Message
from rnn_core.phase import MAP_FIELDS, MapSettings
from rnn_core.presets import PRESETS_BY_SLUG, VARIANTS_BY_SLUG

from .i18n import tr
from .text import LANGUAGES

EXTRA_PARAMS = ("hide", "preset", "lang", "compare", *MAP_FIELDS)
DEFAULT_COMPARE = ("rnn", "lstm", "gru")  # the Compare page without a link

VALUES = "config_values"  # session key of the canonical settings (survives hidden widgets and page switches)

WIDGET_PREFIX = {VALUES: "w_", "map_values": "m_", "prefs": "p_"}

FOLLOW = "widgets_to_follow"  # keys of the widgets whose canonical value code has set since they were last drawn

def widget_key(name: str, store: str = VALUES) -> str:
    return f"{WIDGET_PREFIX[store]}{name}"

def _copy_back(store: str, name: str) -> None:
    st.session_state[store][name] = st.session_state[widget_key(name, store)]

def set_values(store: str, values: dict[str, Any]) -> None:
    """Set a canonical store from code (a preset): each of its widgets shows the new value when it is next drawn."""
    st.session_state[store] = values
    st.session_state.setdefault(FOLLOW, set()).update(widget_key(name, store) for name in values)

def bind(store: str, name: str, default: str = "value", options: Sequence[Any] | None = None) -> dict[str, Any]:
    """Keyword arguments that bind a widget to ``st.session_state[store][name]``, the canonical value.

    The canonical store survives what the widget's own state does not (each page has its own widget ids, and Streamlit
    drops a widget's state when a page change or a hidden control stops drawing it); the widget's callback copies a
    change back into it. Before the widget is created:

    - if code has set the store since the widget was drawn (:func:`set_values`, a preset), or the session holds a
      different value for the key, the canonical value is written into the widget's state;
    - otherwise the widget keeps its state, and the canonical value is its *default* (the widget's argument
      ``default``: ``"value"``, or ``"index"`` into ``options``) for when it has none. It is not written: on a
      session's first run the canonical values come from the URL, but a browser that reconnects after a server
      restart sends the state of every widget it shows with that run, the one the user just moved included, and
      Streamlit runs no callback for a widget the session has not registered yet; writing the URL's value would drop
      that move. The caller puts the widget's return value into the store.
    """
    key = widget_key(name, store)
    value = st.session_state[store][name]
    kwargs: dict[str, Any] = {"key": key, "on_change": _copy_back, "args": (store, name)}
    follow = st.session_state.get(FOLLOW, set())
    if key in follow or (key in st.session_state and st.session_state[key] != value):
        follow.discard(key)
        st.session_state[key] = value
    else:
        kwargs[default] = value if options is None else list(options).index(value)
    return kwargs

def load_url_once() -> None:
    """On a session's first run, take every setting from the URL (warnings for what could not be used): the
    configuration, the instructor's hidden controls and the regime map's settings. The widgets take these values as
    their defaults (:func:`bind`): a value the browser sends with this run is newer and wins."""
    if VALUES in st.session_state:
        return
    params = st.query_params.to_dict()
    config, warnings = parse_lenient(params, ui=True, ignore=EXTRA_PARAMS)
    hidden, hide_warnings = parse_hide(params.get("hide", ""))
    map_settings, map_warnings = MapSettings.parse_lenient(params)
    lang = params.get("lang", "en")
    st.session_state["prefs"] = {"lang": lang if lang in LANGUAGES else "en"}
    if lang not in LANGUAGES:
        offered = Message("{first} or {second}", **dict(zip(("first", "second"), (
            f"{name} ({code})" for code, name in LANGUAGES.items()), strict=True)))
        map_warnings.append(Message("Ignored lang={lang}: the app is in {offered}.", lang=repr(lang[:20]),
                                    offered=offered))
    st.session_state[VALUES] = config.to_dict()
    st.session_state["map_values"] = map_settings.to_dict()
    st.session_state["url_warnings"] = warnings + hide_warnings + map_warnings
    st.session_state["hidden"] = hidden
    st.session_state["last_good"] = config.to_dict()
    st.session_state["gain_extra"] = config.gain
    picked, compare_warnings = parse_compare(params.get("compare", ""))
    st.session_state["compare_pick"] = picked
    st.session_state["url_warnings"] += compare_warnings


def parse_compare(raw: str) -> tuple[list[str], list[str]]:
    """The Compare page's variants from a link (``compare=rnn,lstm``): 2 to 4 known slugs, else the default."""
    names = [n.strip() for n in str(raw).split(",") if n.strip()]
    picked = [n for n in dict.fromkeys(names) if n in VARIANTS_BY_SLUG][:4]
    warnings = ([Message("Ignored unknown or extra variants in compare: {names}.",
                         names=", ".join(repr(n[:30]) for n in names[:5]))] if len(picked) < len(names) else [])
    return (picked if len(picked) >= 2 else list(DEFAULT_COMPARE)), warnings

def parse_hide(raw: str) -> tuple[frozenset[str], list[str]]:
    """The controls an instructor's link hides: field names separated by commas, or 'all'."""
    names = [n.strip() for n in str(raw).split(",") if n.strip()]
    if "all" in names:
        return frozenset(FIELDS), []
    bad = [n for n in names if n not in FIELDS]
    warnings = ([Message("Ignored unknown control(s) in hide: {names}.",
                         names=", ".join(repr(b[:30]) for b in bad[:5]))] if bad else [])
    return frozenset(n for n in names if n in FIELDS), warnings

def open_in_explorer(link: str) -> None:
    """Open the settings of an Explorer link (``ui.map_view.explorer_link``, a regime map's cell) in the Explorer,
    inside this session: the page switches without loading the app again."""
    params = {name: values[-1] for name, values in parse_qs(urlsplit(link).query).items()}
    config, _ = parse_lenient(params, ui=True)
    set_values(VALUES, config.to_dict())
    from .layout import PAGES  # (ui.layout draws the pages with this module's state)

    st.switch_page(PAGES[0].path)


def preset_from_link() -> None:
    """``?preset=slug`` (a tour step's link, a lesson) sets every control once; the URL then shows the settings."""
    slug = st.query_params.get("preset")
    if not slug:
        return
    preset = PRESETS_BY_SLUG.get(slug)
    if preset is None:
        st.session_state["url_warnings"] = [*st.session_state.get("url_warnings", []),
                                            Message("Ignored unknown preset {slug}.", slug=repr(slug[:40]))]
        st.session_state.pop(WARNED_SETTINGS, None)  # a new warning: shown until the next change from here
    else:
        set_values(VALUES, preset.config.to_dict())
    del st.query_params["preset"]

def sync_url(config: Config, extra: dict[str, Any] | None = None) -> None:
    """Write every setting (and a page's own, ``extra``) into the URL, only when something changed; then show the
    link's warnings (:func:`url_warnings`). Every page calls it once its settings are final for the run."""
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
    # the settings are final for this run: the link's warnings, at the top of the page, unless the user has changed one
    st.session_state.pop(WARNINGS_DRAWN, None)
    url_warnings()
    st.session_state[WARNINGS_DRAWN] = True

MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=&\"'")

def escape_markdown(text: str) -> str:
    """Backslash-escape every markdown-active character, so text from a link is shown, never rendered."""
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text.replace("\n", " "))

WARNED_SETTINGS = "url_warnings_settings"  # the settings when the link's warnings were first shown
WARNINGS_DRAWN = "url_warnings_drawn"  # drawn at the top of this run's page (by sync_url), not yet asked for again
SETTINGS = (VALUES, "map_values", "prefs", "compare_pick")  # what the user changes: every page's settings


def _settings() -> dict[str, Any]:
    return {k: copy.deepcopy(st.session_state[k]) for k in SETTINGS if k in st.session_state}


def url_warnings() -> None:
    """Show what in the link could not be used (user text escaped: never rendered as markdown or HTML), until the
    user changes a setting: the warnings are about the link, and stale once the page shows the user's own choices.

    :func:`sync_url` shows them at the top of every page (the guided tour included, and a page that Streamlit runs
    alone); a page's own call after it in the same run draws nothing more.
    """
    if st.session_state.pop(WARNINGS_DRAWN, False):
        return
    warnings = st.session_state.get("url_warnings") or []
    if not warnings:
        return
    now = _settings()
    then = st.session_state.setdefault(WARNED_SETTINGS, now)
    if any(now[k] != then[k] for k in now.keys() & then.keys()):
        st.session_state["url_warnings"] = []
        return
    st.warning(tr("Some settings in the link could not be used:") + "\n\n"
               + "\n".join(f"- {escape_markdown(tr(w))}" for w in warnings), icon="⚠️")
