"""The guided tour through AppTest: both languages, live figures, links to the Explorer."""

from ui.text import LANGUAGES, TEXTS


def _keys(obj, prefix=""):
    if isinstance(obj, dict):
        return {k for key, v in obj.items() for k in _keys(v, f"{prefix}.{key}")} | {prefix}
    if isinstance(obj, list):
        return {k for i, v in enumerate(obj) for k in _keys(v, f"{prefix}[{i}]")} | {prefix}
    return {prefix}


def test_every_language_has_every_text():
    assert set(TEXTS) == set(LANGUAGES)
    assert _keys(TEXTS["da"]) == _keys(TEXTS["en"])


def open_tour(app, **params):
    for k, v in params.items():
        app.query_params[k] = v
    at = app.run()
    at.switch_page("pages/tour.py")
    return at.run()


def test_tour_renders_every_step_with_figures(app):
    at = open_tour(app)
    assert not at.exception
    titles = [s.value for s in at.subheader]
    assert [s["title"] for s in TEXTS["en"]["steps"]] == titles[:len(TEXTS["en"]["steps"])]
    assert len(at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")) >= 8
    links = [p.proto.page for p in at.get("page_link")]
    assert any("explorer" in link for link in links)


def test_language_switch_is_kept_in_the_link(app):
    at = open_tour(app)
    at.segmented_control(key="p_lang").set_value("da").run()
    assert not at.exception
    assert at.subheader[0].value == TEXTS["da"]["steps"][0]["title"]
    assert at.query_params["lang"] == "da"


def test_danish_link_opens_in_danish_and_bad_language_falls_back(app):
    at = open_tour(app, lang="da")
    assert at.title[0].value == TEXTS["da"]["title"]
    at2 = open_tour(type(app).from_file(app._script_path, default_timeout=120), lang="<script>")
    assert not at2.exception and at2.title[0].value == TEXTS["en"]["title"]


def test_preset_link_sets_the_explorer(app):
    at = open_tour(app)
    at.switch_page("pages/explorer.py")
    at.query_params["preset"] = "exploding-linear"
    at.run()
    assert not at.exception
    assert at.selectbox(key="w_activation").value == "linear"
    assert "preset" not in at.query_params  # one-shot: the URL then shows the settings themselves


def test_language_survives_a_visit_to_another_page(app):
    at = open_tour(app)
    at.segmented_control(key="p_lang").set_value("da").run()
    at.switch_page("pages/explorer.py")
    at.run()
    assert at.query_params["lang"] == "da"
    at.switch_page("pages/tour.py")
    at.run()
    assert at.title[0].value == TEXTS["da"]["title"]
