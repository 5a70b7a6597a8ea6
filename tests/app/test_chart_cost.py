"""A performance trap in Altair, kept out: every chart encodes with channel objects, never bare shorthand strings."""

import streamlit as st
from altair.utils import schemapi


def test_no_chart_goes_through_altairs_from_dict(app, monkeypatch):
    # Altair wraps an encoding given as a string ("t:Q") with from_dict, which builds a converter over every schema
    # class each time: ~12 ms a call here, a third of the Explorer's cold rerun before the charts avoided it.
    calls = []
    build = schemapi._FromDict.__init__

    def counting(self, *args, **kwargs):
        calls.append(1)
        build(self, *args, **kwargs)

    monkeypatch.setattr(schemapi._FromDict, "__init__", counting)
    st.cache_data.clear()  # every chart built here, none taken from an earlier test's cache
    at = app.run()
    drawn = len(at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart"))
    for page in ("pages/regime_map.py", "pages/tour.py"):
        at.switch_page(page).run()
        assert not at.exception
        drawn += len(at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart"))
    assert drawn >= 7 + 4 + 8  # the Explorer's, the map's and the tour's charts were all drawn
    assert calls == []
