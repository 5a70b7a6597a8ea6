"""A server restart under an open page: the browser reconnects to a new session, and the user's next move counts.

The browser keeps the page (its URL, its widgets) and its first rerun in the new session carries every widget's
state, the one just moved included. Streamlit runs no callback for a widget the new session has not registered, and
the session reads its settings from the URL (``ui.state.load_url_once``): the move must win over the URL's value.
"""

import pytest
from apptools import metric, reconnect, regime_shown

from rnn_core import Config, analyze
from rnn_core.diagnosis import rate_text
from rnn_core.presets import PRESETS_BY_SLUG


def rate(config: Config) -> str:
    """The per-step rate metric the Explorer shows for ``config`` (computed here with the same core)."""
    return f"{rate_text(analyze(config).diagnosis.rate)}×"


@pytest.fixture
def page(app):
    """The browser's page before the restart: the Explorer opened from a link."""
    app.query_params["seq_len"] = "50"
    return app.run()


@pytest.mark.parametrize("kind, key, value, param", [
    ("slider", "w_seq_len", 80, "80"),
    ("select_slider", "w_gain", 2.5, "2.5"),  # sent as the option's label, "2.5"
    ("selectbox", "w_activation", "relu", "relu"),
    ("number_input", "w_seed", 3, "3"),
])
def test_first_move_after_a_restart_is_applied(page, new_session, kind, key, value, param):
    getattr(page, kind)(key=key).set_value(value)
    at = reconnect(page, new_session)
    assert not at.exception
    assert getattr(at, kind)(key=key).value == value
    name = key.removeprefix("w_")
    assert at.query_params[name] == param
    assert at.query_params["seq_len"] == ("80" if name == "seq_len" else "50")  # the rest from the link
    assert metric(at, "per-step rate") == rate(Config.from_dict(dict(at.query_params)))
    # and the session goes on as any other: the next move is applied too
    at.slider(key="w_hidden_size").set_value(32).run()
    assert at.query_params["hidden_size"] == "32" and at.query_params[name] == param


def test_first_preset_after_a_restart_is_applied(page, new_session):
    preset = PRESETS_BY_SLUG["irnn"]
    page.selectbox(key="preset").set_value(preset.name)
    at = reconnect(page, new_session)
    assert not at.exception
    assert regime_shown(at) == preset.expected
    assert Config.from_dict(dict(at.query_params)) == preset.config
    assert at.slider(key="w_seq_len").value == preset.config.seq_len  # the controls show the preset, not the link
    assert at.selectbox(key="w_init").value == preset.config.init
    assert at.selectbox(key="preset").value is None  # the menu is ready for the next pick
    assert metric(at, "per-step rate") == rate(preset.config)


@pytest.mark.parametrize("link, slug", [
    ({"gain": "0.5", "hide": "gain"}, "exploding-relu"),  # the gain is hidden by the lesson link
    ({"input_kind": "zeros"}, "saturation"),  # no input scale control under zero input: the preset sets it anyway
])
def test_first_preset_after_a_restart_sets_hidden_and_irrelevant_fields(app, new_session, link, slug):
    for k, v in link.items():
        app.query_params[k] = v
    page = app.run()
    preset = PRESETS_BY_SLUG[slug]
    page.selectbox(key="preset").set_value(preset.name)
    at = reconnect(page, new_session)
    assert not at.exception
    assert Config.from_dict({k: v for k, v in at.query_params.items() if k != "hide"}) == preset.config
    assert metric(at, "per-step rate") == rate(preset.config)


def test_plain_rerun_after_a_restart_keeps_the_link(page, new_session):
    at = reconnect(page, new_session)  # nothing moved: the page's widgets show the link's settings
    assert not at.exception
    assert at.query_params["seq_len"] == "50" and at.slider(key="w_seq_len").value == 50


def test_first_language_switch_after_a_restart_is_applied(app, new_session):
    app.run()
    tour = app.switch_page("pages/tour.py").run()
    tour.segmented_control(key="p_lang").set_value("da")
    at = reconnect(tour, new_session.switch_page("pages/tour.py"))
    assert not at.exception
    assert at.query_params["lang"] == "da"
    assert at.segmented_control(key="p_lang").value == "da"
