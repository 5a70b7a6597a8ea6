"""Links: what a link could not use is said once, in plain words, and stays on screen only until the user changes a
setting; numbers beyond their range become the nearest allowed value; every page shows the warnings, the guided tour
included. The routes (``/explorer``, ``/Tour``) and the offline check are in tests/e2e/test_offline.py.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

HEAD = "Some settings in the link could not be used"


def warnings_shown(at: AppTest) -> list[str]:
    """The link warnings on the page, one string per warning box (markdown escapes removed)."""
    return [w.value.replace("\\", "") for w in at.warning if w.value.startswith(HEAD)]


def open_link(app: AppTest, params: dict[str, str], page: str | None = None) -> AppTest:
    for k, v in params.items():
        app.query_params[k] = v
    if page:
        app.switch_page(page)
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_bad_link_says_once_what_it_ignored(app):
    at = open_link(app, {"gain": "abc", "activation": "<b>x</b>", "seq_len": "999999"})
    shown = warnings_shown(at)
    assert len(shown) == 1  # one box: the page's own call does not draw it a second time
    text = shown[0]
    assert "Ignored 'gain'='abc': it is not a number. Using 1.0." in text
    # the value once, then the reason (was "'activation'='<b>x</b>': activation='<b>x</b>' is not one of ...")
    assert text.count("<b>x</b>") == 1 and "it is not one of 'tanh'" in text
    # a number beyond the range: the largest allowed value, and the warning says so
    assert "Ignored 'seq_len'='999999': it is out of range. Using the largest allowed value, 5000." in text
    assert at.query_params["seq_len"] == "5000" and at.slider(key="w_seq_len").value == 5000


def test_numbers_below_the_range_take_the_smallest_value(app):
    at = open_link(app, {"hidden_size": "-3", "gain": "-1"})
    assert at.query_params["hidden_size"] == "1" and at.query_params["gain"] == "0.0"
    assert "Using the smallest allowed value, 1." in warnings_shown(at)[0]


def test_the_warning_stays_until_the_user_changes_a_setting(app):
    at = open_link(app, {"gain": "abc", "seed": "-4"})
    assert warnings_shown(at)
    at.run()  # a rerun (another widget, a chart's own control) keeps it
    assert warnings_shown(at)
    at.radio(key="x_axis").set_value("lag T − t").run()  # a view option, not a setting
    assert warnings_shown(at)
    at.select_slider(key="w_gain").set_value(2.0).run()  # the user sets the gain: the warning is stale
    assert not warnings_shown(at)
    at.select_slider(key="w_gain").set_value(1.0).run()  # and does not come back
    assert not warnings_shown(at)
    assert at.query_params["gain"] == "1.0" and at.query_params["seed"] == "0"


def test_a_preset_clears_the_warning(app):
    at = open_link(app, {"activation": "tahn"})
    assert warnings_shown(at)
    at.selectbox(key="preset").set_value("Edge of chaos: tanh, gain 1").run()
    assert not warnings_shown(at)


def test_the_warning_follows_the_user_to_another_page_until_a_change(app):
    at = open_link(app, {"gain": "abc", "seq_len": "30", "hidden_size": "8", "gain_points": "4", "seeds": "1"})
    at.switch_page("pages/regime_map.py")
    at.run()
    assert not at.exception and len(warnings_shown(at)) == 1
    at.number_input(key="m_seeds").set_value(2).run()  # the map's own setting
    assert not warnings_shown(at)


@pytest.mark.parametrize("lang", ["de", "EN", ""])
def test_the_tour_warns_about_a_language_it_does_not_offer(app, lang):
    at = open_link(app, {"lang": lang}, page="pages/tour.py")
    shown = warnings_shown(at)
    assert shown and f"Ignored lang='{lang}': the app is in English (en) or Dansk (da)." in shown[0]
    assert at.title[0].value.startswith("Guided tour")  # in English


def test_the_tour_warning_clears_when_a_language_is_chosen(app):
    at = open_link(app, {"lang": "de"}, page="pages/tour.py")
    assert warnings_shown(at)
    at.button_group[0].set_value("da").run()  # the language switch (st.segmented_control)
    assert not at.exception and not warnings_shown(at)
    assert at.query_params["lang"] == "da"


def test_a_good_link_shows_no_warning(app):
    at = open_link(app, {"activation": "relu", "gain": "1.5", "seq_len": "5000", "lang": "da"})
    assert not warnings_shown(at) and at.query_params["seq_len"] == "5000"


def test_an_unknown_preset_from_a_later_link_is_reported(app):
    at = open_link(app, {})
    at.query_params["preset"] = "no-such-preset"
    at.run()
    assert "Ignored unknown preset 'no-such-preset'." in warnings_shown(at)[0]
