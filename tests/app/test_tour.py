"""The guided tour through AppTest: both languages, live figures, links to the Explorer and to Compare."""

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pyarrow as pa
import pytest

from rnn_core import Config, analyze
from rnn_core.diagnosis import pow10_text, rate_text
from rnn_core.presets import VARIANTS_BY_SLUG
from ui import charts
from ui.i18n import decimal_text, tr, using
from ui.text import LANGUAGES, TEXTS

CURES = 6  # the cures step
CELLS = ("rnn", "lstm", "gru", "lru-near-1")  # what the cures step runs, on the settings below (pages/tour.py)
CELLS_BASE = Config(seq_len=200, hidden_size=32, gain=1.0, input_scale=0.5)


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


def cures_chart(at) -> tuple[dict, pd.DataFrame]:
    """The cures step's chart of the four cells (the chart coloured by network): its spec and its data."""
    for chart in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if spec.get("encoding", {}).get("color", {}).get("field") == "network":
            data = pd.concat([pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets])
            return spec, data
    raise AssertionError("no chart of several networks on the tour")


def cures_caption(at, lang: str) -> str:
    head = TEXTS[lang]["steps"][CURES]["cells_head"].split("{")[0]
    return next(c.value for c in at.main.caption if c.value.startswith(head))


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_cures_step_runs_the_gated_and_linear_cells_live(app, lang):
    at = open_tour(app, lang=lang)
    assert not at.exception
    s = TEXTS[lang]["steps"][CURES]
    spec, data = cures_chart(at)
    names = [s["networks"][slug] for slug in CELLS]
    assert spec["encoding"]["color"]["scale"]["domain"] == names  # four networks, legend in this language
    assert sorted(data["network"].unique()) == sorted(names) and len(names) == 4
    with using(lang):
        titles = tr("lag T − t (steps back from the loss)"), tr("‖dL/dh_t‖ (log scale)")
    assert (spec["encoding"]["x"]["title"], spec["encoding"]["y"]["axis"]["title"]) == titles
    assert any(m.value == f"#### {s['cells_title']}" for m in at.main.markdown)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_cures_caption_gives_the_cores_numbers(app, lang):
    at = open_tour(app, lang=lang)
    s = TEXTS[lang]["steps"][CURES]
    caption = cures_caption(at, lang)
    kept = {}
    for slug in CELLS:
        result = analyze(VARIANTS_BY_SLUG[slug].config(CELLS_BASE))
        start = pow10_text(float(result.grad_log10_norm()[0])).replace(".", TEXTS[lang]["decimal"])
        k = result.diagnosis.horizons[1000]
        line = (s["cells_line"] if k is not None else s["cells_line_long"]).format(
            name=s["networks"][slug], value=start, k=k, T=CELLS_BASE.seq_len)
        assert line in caption.split("  \n"), (line, caption)
        kept[slug] = (k or float("inf"), float(result.grad_log10_norm()[0]))
    assert caption.endswith(s["cells_best"].format(best=s["the"][max(kept, key=kept.get)]))


def test_danish_cures_caption_uses_decimal_commas(app):
    caption = cures_caption(open_tour(app, lang="da"), "da")
    numbers = re.findall(r"\d+[.,]\d+", caption)
    assert numbers and all("," in n for n in numbers), numbers
    english = cures_caption(open_tour(type(app).from_file(app._script_path, default_timeout=120)), "en")
    assert all("." in n for n in re.findall(r"\d+[.,]\d+", english))


def test_cures_link_opens_compare_with_the_same_four(app):
    at = open_tour(app, lang="da")
    link = next(m.value for m in at.main.markdown if "](compare?" in m.value)
    url = re.search(r"\]\((compare\?[^)]*)\)", link).group(1)
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["compare"] == ",".join(CELLS) and params["lang"] == "da"
    # the link starts a session (a new tab): the Compare page reads the variants and settings from its URL
    compare = type(app).from_file(app._script_path, default_timeout=120)
    for k, v in params.items():
        compare.query_params[k] = v
    compare.run()
    compare.switch_page("pages/compare.py")
    compare.run()
    assert not compare.exception and not compare.error
    table = compare.dataframe[0].value  # in Danish, as the link says
    with using("da"):
        assert list(table[tr("network")]) == [tr(VARIANTS_BY_SLUG[slug].name) for slug in CELLS]
        for slug, rate in zip(CELLS, table[tr("per-step rate")], strict=True):
            assert rate == decimal_text(rate_text(analyze(VARIANTS_BY_SLUG[slug].config(CELLS_BASE)).diagnosis.rate))


def test_compare_chart_legend_columns_is_valid_vega_lite():
    df = pd.DataFrame({"t": [0, 1, 0, 1], "lag": [1, 0, 1, 0], "log10_value": [-3.0, 0.0, -1.0, 0.0],
                       "network": ["a", "a", "b", "b"]})
    spec = charts.compare_gradient_chart(df, ["a", "b"], legend_columns=1).to_dict(validate=True)
    assert spec["encoding"]["color"]["legend"]["columns"] == 1


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_step_6_figures_are_described_in_the_tours_language_from_their_numbers(app, lang):
    """Under each of step 6's two figures: its rate and its size at t = 0 in this language and decimal mark, and the
    Pascanu bound's verdict where it decides the regime (the core's English sentence was shown in both languages)."""
    from rnn_core.presets import PRESETS_BY_SLUG
    at = open_tour(app, lang=lang)
    s = TEXTS[lang]["steps"][5]
    captions = [c.value for c in at.caption]
    dec = TEXTS[lang]["decimal"]
    for slug in ("vanishing", "exploding-linear"):
        result = analyze(PRESETS_BY_SLUG[slug].config)
        d = result.diagnosis
        size = pow10_text(float(result.grad_log10_norm()[0])).replace(".", dec)
        said = s["figure"][d.regime].format(rate=rate_text(d.rate).replace(".", dec), T=d.loss_step, size=size)
        said += " " + s["bound"][d.regime].format(bound=f"{d.pascanu:.3g}".replace(".", dec))
        assert said in captions, (said, captions)
        assert d.sentence not in captions  # the core's English sentence
