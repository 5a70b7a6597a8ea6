"""What a rerun costs the server and the browser: performance traps kept out.

Every chart encodes with Altair's channel objects, never bare shorthand strings; a chart's spec stays the same when
only its numbers change (the browser then swaps its rows in); what sits behind a closed expander is not sent.
"""

import json

import streamlit as st
from altair.utils import schemapi
from apptools import open_on_demand


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


def _charts(at) -> list[tuple[dict, dict[str, bytes]]]:
    return [(json.loads(c.proto.spec), {d.name: d.data.data for d in c.proto.datasets})
            for c in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]


def _without_domains(spec):
    """The spec with its numeric scale domains left out (the gradient chart's y range follows its curves)."""
    if isinstance(spec, dict):
        return {k: _without_domains(v) for k, v in spec.items()
                if not (k == "domain" and isinstance(v, list) and all(isinstance(x, (int, float)) for x in v))}
    if isinstance(spec, list):
        return [_without_domains(v) for v in spec]
    return spec


def test_a_new_gain_sends_new_rows_under_the_same_specs(app, new_session):
    # Streamlit redraws a chart from scratch (Vega-Lite compile, Vega parse, new SVG) when its spec changes, and swaps
    # the new rows into the drawn chart when only its datasets do. Datasets named by content changed every spec.
    before = _charts(app.run())
    new_session.query_params["gain"] = "1.2"
    after = _charts(new_session.run())
    assert not app.exception and not new_session.exception
    assert len(before) == len(after) >= 7
    same = 0
    for i, ((spec_a, data_a), (spec_b, data_b)) in enumerate(zip(before, after, strict=True)):
        assert data_a.keys() == data_b.keys() and data_a != data_b, f"chart {i}: its data did not change"
        assert _without_domains(spec_a) == _without_domains(spec_b), f"chart {i}'s spec changed beyond its axes"
        same += spec_a == spec_b
    # only the gradient's y range and the eigenvalues' square axes may move (in whole steps: most small moves keep them)
    assert same >= len(before) - 2


def test_the_math_and_the_code_are_sent_when_their_expander_opens(app):
    # 25 elements of "The math" (KaTeX typeset on every load) and the reproduce snippet's syntax highlighting were
    # drawn on every rerun behind closed expanders; now their content is sent when a person opens them.
    at = app.run()
    assert not at.get("latex") and not at.code
    labels = [e.label for e in at.expander]
    assert labels.count("The math") == 4 and "Reproduce in code" in labels
    open_on_demand(at)
    assert not at.exception
    assert len(at.get("latex")) >= 12 and "import" in at.code[0].value
    assert [e.label for e in at.expander] == labels


def test_after_the_warm_up_a_preset_is_answered_from_the_cache(app, monkeypatch):
    # The server analyzes the default network and every preset and builds their charts when its first page opens
    # (in a background thread): a room's first visit and first pick of each preset neither analyze nor build.
    from rnn_core.presets import PRESETS
    from ui import cache, charts
    from ui.explorer_view import warm_up

    st.cache_data.clear()
    warm_up()

    def computed(*args, **kwargs):
        raise AssertionError("a preset's view was computed again")

    monkeypatch.setattr(cache, "compute", computed)
    for name in ("gradient_chart", "heatmap_chart", "spectrum_chart", "contributions_chart", "curse_chart"):
        monkeypatch.setattr(charts, name, computed)
    at = app.run()  # the default network
    assert not at.exception and len(at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")) >= 7
    for preset in PRESETS:
        at.selectbox(key="preset").set_value(preset.name).run()
        assert not at.exception, (preset.name, at.exception)
        assert len(at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")) >= 3


def test_a_cache_key_is_exact_or_refused():
    # a view's and a chart's cache key is the repr of flat settings; a value whose repr is shortened or is its
    # address would let two settings share a key, so it is refused
    import numpy as np
    import pytest

    from ui.cache import cache_key
    assert cache_key("en", ("gain", 1.0), ("seed", np.int64(3))) != cache_key("en", ("gain", 1.0), ("seed", 4))
    assert cache_key(0.1 + 0.2) != cache_key(0.3)
    for bad in (np.zeros(2000), object(), {"gain": 1.0}):
        with pytest.raises(TypeError):
            cache_key("en", ("x", bad))
