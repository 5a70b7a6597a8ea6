"""RNN Gradient Lab — entry point: ``streamlit run dashboard.py``.

``st.navigation`` over the pages in ``pages/``. The navigation menu itself is drawn by each page (``ui.layout``),
with the page config and the shared sidebar, so that a page is whole however Streamlit runs it.
"""

import os

# The dashboard runs rnn_core without its numba kernels, wherever numba happens to be installed: they would add
# ~120 MB to the server and ~5 s to its first page, for 11 ms instead of 17 per default analysis (rnn_core/kernels.py).
# Set RNN_CORE_NUMBA=1 to use them. Before the first import of rnn_core, which reads it.
os.environ.setdefault("RNN_CORE_NUMBA", "0")

import streamlit as st

from ui.layout import PAGES

st.navigation([st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=i == 0)
               for i, p in enumerate(PAGES)], position="hidden").run()
