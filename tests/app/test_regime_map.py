"""The Regime map page through AppTest: every sweep axis, its links, its limits."""

import pytest

from rnn_core.phase import AXES

SMALL = {"gain_points": "8", "seeds": "1", "seq_len": "40", "hidden_size": "16"}  # fast, same code paths


def open_map(app, **params):
    for k, v in {**SMALL, **params}.items():
        app.query_params[k] = v
    at = app.run()
    at.switch_page("pages/regime_map.py")
    return at.run()


def charts(at):
    return at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")


@pytest.mark.parametrize("axis", list(AXES))
def test_map_renders_for_every_axis(app, axis):
    at = open_map(app, axis=axis)
    assert not at.exception
    assert not at.error
    assert len(charts(at)) >= 6  # map, lambda chart, small multiples, eigenvalues, singular values, Lyapunov
    assert at.query_params["axis"] == axis
    assert [t.label for t in at.tabs] == ["Rate map", "Lyapunov exponent", "Small multiples",
                                          "Spectrum: Gaussian vs orthogonal"]
    # the swept control is not offered in the sidebar; the gain never is
    keys = {w.key for w in at.sidebar.selectbox} | {w.key for w in at.sidebar.select_slider} | \
        {w.key for w in at.sidebar.slider}
    assert "w_gain" not in keys
    if axis in ("activation", "init", "hidden_size", "seq_len"):
        assert f"w_{axis}" not in keys


def test_changing_the_axis_recomputes_and_updates_the_link(app):
    at = open_map(app)
    before = at.caption[-1].value
    at.selectbox(key="m_axis").set_value("hidden_size").run()
    assert not at.exception
    assert at.query_params["axis"] == "hidden_size"
    assert at.caption[-1].value != before and "hidden size N" in at.caption[-1].value  # the axis by its title


def test_map_over_the_cap_says_so(app):
    at = open_map(app, gain_points="80", seeds="8", seq_len="2000", hidden_size="256")
    assert not at.exception
    assert any("over the cap" in e.value for e in at.error)


@pytest.mark.parametrize("params", [{"axis": "colour"}, {"gain_points": "1e6"}, {"gain_min": "-1"},
                                    {"seeds": "<b>x</b>"}, {"gain_min": "5", "gain_max": "1"}])
def test_bad_map_link_warns_and_falls_back(app, params):
    at = open_map(app, **params)
    assert not at.exception
    assert at.warning and "<b>" not in at.warning[0].value
    assert len(charts(at)) >= 6


def test_settings_survive_switching_pages(app):
    at = app.run()
    at.selectbox(key="w_activation").set_value("relu").run()
    at.slider(key="w_seq_len").set_value(60).run()
    at.switch_page("pages/regime_map.py")
    at.run()
    assert not at.exception
    assert at.session_state["config_values"]["seq_len"] == 60
    assert at.slider(key="w_seq_len").value == 60
    at.switch_page("pages/explorer.py")
    at.run()
    assert at.selectbox(key="w_activation").value == "relu"
    assert at.slider(key="w_seq_len").value == 60
    assert at.query_params["seq_len"] == "60"
