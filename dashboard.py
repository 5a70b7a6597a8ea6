"""RNN Gradient Lab — entry point: ``streamlit run dashboard.py``.

``st.navigation`` over the pages in ``pages/``. The navigation menu itself is drawn by each page (``ui.layout``),
with the page config and the shared sidebar, so that a page is whole however Streamlit runs it.
"""

import streamlit as st

from ui.layout import PAGES

st.navigation([st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=i == 0)
               for i, p in enumerate(PAGES)], position="hidden").run()
