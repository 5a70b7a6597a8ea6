"""What every page starts with: page config, navigation links and the shared sidebar.

Each page calls :func:`page_setup` itself, so a page is whole however Streamlit runs it: through ``st.navigation``
in ``dashboard.py``, alone (as AppTest reruns it), or as a legacy ``pages/`` script (which Streamlit does for a
first visit to a page's URL in a fresh server process, before any session has run ``st.navigation``).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from rnn_core import Config

from .controls import sidebar


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str


PAGES = (
    PageSpec("pages/explorer.py", "Explorer", "📉", "explorer"),
)


def page_setup() -> Config:
    """Configure the page, draw the navigation links and the shared sidebar; return the current configuration."""
    st.set_page_config(page_title="RNN Gradient Lab", page_icon="🌀", layout="wide",
                       menu_items={"About": "See why the gradients of a recurrent neural network vanish or explode."})
    with st.sidebar:
        st.markdown("### RNN Gradient Lab")
        if len(PAGES) > 1:
            for p in PAGES:
                st.page_link(p.path, label=p.title, icon=p.icon)
    return sidebar()
