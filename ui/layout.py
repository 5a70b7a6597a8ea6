"""What every page starts with: page config, navigation links and the shared sidebar.

Each page calls :func:`page_setup` itself, so a page is whole however Streamlit runs it: through ``st.navigation``
in ``dashboard.py``, alone (as AppTest reruns it), or as a legacy ``pages/`` script (which Streamlit does for a
first visit to a page's URL in a fresh server process, before any session has run ``st.navigation``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rnn_core import Config

from .controls import language_control, sidebar
from .i18n import set_language, tr
from .state import load_url_once, sync_url


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str


# A row of panels (panels()) shares its width among them and wraps, a panel moving to a line of its own where it
# would be narrower than its minimum: st.columns never wraps above 640 px, and at 1024 px with the sidebar open two
# charts side by side got 274 px each, four heatmaps 130. One CSS rule per minimum width, for our own keyed
# containers only (no user text goes into it).
PANEL_MIN_WIDTHS = (220, 340)
_STYLE = "<style>" + "".join(  # the flex item is the wrapper Streamlit puts around each container of a row
    f'[data-testid="stLayoutWrapper"]:has(> [class*="st-key-panel{w}-"])'
    f'{{flex:1 1 {w}px !important;min-width:min({w}px,100%) !important}}' for w in PANEL_MIN_WIDTHS) + "</style>"

PAGES = (
    PageSpec("pages/explorer.py", "Explorer", ":material/show_chart:", "explorer"),
    PageSpec("pages/regime_map.py", "Regime map", ":material/grid_on:", "regime_map"),
    PageSpec("pages/compare.py", "Compare", ":material/compare:", "compare"),
    PageSpec("pages/tour.py", "Guided tour", ":material/school:", "tour"),
    PageSpec("pages/your_model.py", "Your model", ":material/upload_file:", "your_model"),
)


def page_setup(skip: tuple[str, ...] = (),
               controls: Callable[[], tuple[dict[str, Any], tuple[str, ...]]] | None = None) -> Config:
    """Configure the page, set its language, draw the navigation links, the language switch and the shared sidebar;
    return the current configuration.

    ``skip``: shared controls this page does not use. ``controls``: draws this page's own controls at the top of the
    sidebar and returns their values (kept in the URL too) and more controls to skip.
    """
    load_url_once()
    # the language the session has (a click on the switch reaches it by its callback, before this run): everything
    # drawn from here on, the navigation included, is in it
    set_language(st.session_state["prefs"]["lang"])
    st.set_page_config(page_title="RNN Gradient Lab", page_icon="🌀", layout="wide",
                       menu_items={"About": tr("See why the gradients of a recurrent neural network vanish or "
                                               "explode.")})
    st.html(_STYLE)  # style only: Streamlit adds it to the page without taking any room
    extra: dict[str, Any] | None = None
    with st.sidebar:
        st.markdown("### RNN Gradient Lab")
        for p in PAGES:
            st.page_link(p.path, label=tr(p.title), icon=p.icon)
        language_control()
        if controls is not None:
            extra, more = controls()
            skip = (*skip, *more)
    config = sidebar(skip)
    sync_url(config, extra)
    return config


def panels(name: str, *min_widths: int) -> list[DeltaGenerator]:
    """Containers side by side, one per minimum width (px, from :data:`PANEL_MIN_WIDTHS`), that share the row and
    wrap one under another where a panel would be narrower than its minimum. ``name`` keeps their keys unique on
    the page."""
    row = st.container(horizontal=True)
    return [row.container(key=f"panel{w}-{name}-{i}") for i, w in enumerate(min_widths)]


ON_DEMAND = "open-"  # the prefix of an on-demand expander's key in the session state


def on_demand(label: str, key: str, draw: Callable[[], None]) -> None:
    """An expander whose content, ``draw()``, is sent only while it is open: opening it reruns the page (cached: ~30
    ms on the server). A closed one costs one element, where the Explorer's four "The math" were 25 (KaTeX typeset on
    every load) and its reproduce snippet a syntax highlighter (~160 ms of the browser's time on a reload). ``key``
    names its open state (unique on the page)."""
    box = st.expander(label, key=ON_DEMAND + key, on_change="rerun")
    if box.open:
        with box:
            draw()


def formulas(*latex: str) -> None:
    """Formulas side by side, each moving to a line of its own where the row is too narrow: one long line of math
    scrolled sideways inside its box on a phone (and some even at 1024 px). Their words (``\text{...}``) are said
    in the page's language."""
    row = st.container(horizontal=True, gap="medium")
    for formula in latex:
        row.latex(_WORDS.sub(lambda m: r"\text{" + tr(m.group(1)) + "}", formula), width="content")


_WORDS = re.compile(r"\\text\{([^}]*)\}")
