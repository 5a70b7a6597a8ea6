"""RNN Gradient Lab — entry point: ``streamlit run dashboard.py``.

``st.navigation`` over the pages in ``pages/``. The navigation menu itself is drawn by each page (``ui.layout``),
with the page config and the shared sidebar, so that a page is whole however Streamlit runs it.

The Explorer is the app's root. A link typed or shared by hand (``/explorer``, ``/Tour``) reaches its page through a
hidden alias that switches to it with the link's query: Streamlit matches URL paths exactly and would otherwise run
the root under a "Page not found" dialog. The pages carry no icon here: Streamlit turns a page's material icon into
the browser tab's icon by fetching it from fonts.gstatic.com, a request that fails in a room without internet (the
links drawn by ``ui.layout`` keep their icons, from the font Streamlit serves itself).

One BLAS thread per computation: a server's sessions compute side by side, one script thread each, so the cores are
used by the sessions; NumPy's OpenBLAS splitting every product of the dashboard's small matrices over both cores
makes each computation wait for its second thread whenever the cores are busy (benchmarks/README.md, "A workshop
room", has the figures). The setting is the process's (``rnn_core.fast`` holds BLAS to one thread the same way for its
halves of a batch); set on every run, it costs one call.
"""

from collections.abc import Callable

import streamlit as st

from rnn_core import fast
from ui.explorer_view import warm_up_once
from ui.layout import PAGES

if fast.serial_blas.setter is not None:  # NumPy's own OpenBLAS (another BLAS: left as it is)
    fast.serial_blas.setter(1)

pages = [st.Page(p.path, title=p.title, icon="", url_path="" if i == 0 else p.url_path, default=i == 0)
         for i, p in enumerate(PAGES)]


def _redirect(target: st.Page) -> Callable[[], None]:
    def redirect() -> None:
        st.switch_page(target, query_params=st.query_params.to_dict())
    return redirect


aliases = [st.Page(_redirect(page), title=spec.title, url_path=alias, visibility="hidden")
           for spec, page in zip(PAGES, pages, strict=True)
           for alias in dict.fromkeys((spec.url_path, spec.url_path.capitalize(), spec.url_path.title(),
                                       spec.url_path.upper()))
           if alias != page.url_path]

warm_up_once()  # the presets' views and charts, computed in the background when the server's first page opens
st.navigation([*pages, *aliases], position="hidden").run()
