"""Every fixed claim a page makes, held to its numbers; every caption built from data, tested against that data; and
pages that show what they use (AppTest)."""

import base64
import io
import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from apptools import metric
from PIL import Image

from rnn_core import Config, analyze
from rnn_core.config import FIELDS
from rnn_core.diagnosis import pow10_text, rate_text
from rnn_core.presets import PRESETS_BY_NAME, PRESETS_BY_SLUG
from ui import charts as ui_charts
from ui.captions import horizon_text
from ui.text import LANGUAGES, TEXTS
from ui.view import build_view


def charts(at) -> list[tuple[dict, pd.DataFrame]]:
    """Every chart on the page, in order: its Vega-Lite spec and its data (all datasets together)."""
    out = []
    for chart in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart"):
        data = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
        out.append((json.loads(chart.proto.spec), pd.concat(data, ignore_index=True) if data else pd.DataFrame()))
    return out


def colour_fields(spec: dict) -> set[str]:
    """The fields a chart colours by, in any of its layers."""
    layers = [spec, *spec.get("layer", [])]
    return {layer.get("encoding", {}).get("color", {}).get("field") for layer in layers} - {None}


def heatmap_states(spec: dict, data: pd.DataFrame) -> np.ndarray:
    """The states a heatmap shows, read back from its image: each pixel's colour matched to the nearest colour of
    the legend's scale (a table of 2,001 states across the scale's domain, coloured by the chart's own function)."""
    scale = next(layer["encoding"]["color"]["scale"] for layer in spec["layer"] if "color" in layer["encoding"])
    table = np.linspace(*scale["domain"], 2001)
    colours = _png(ui_charts.heat_image(table[None], scale["domain"], scale["range"]))[0, :, :3].astype(int)
    pixels = _png(data["image"].dropna().iloc[0])[..., :3].astype(int)
    nearest = ((pixels[..., None, :] - colours) ** 2).sum(axis=-1).argmin(axis=-1)
    return table[nearest]


def _png(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA"))


def x_field(spec: dict) -> str | None:
    return spec.get("encoding", {}).get("x", {}).get("field")


def open_preset(app, slug: str):
    at = app.run()
    at.selectbox(key="preset").set_value(PRESETS_BY_SLUG[slug].name).run()
    assert not at.exception
    return at


# --- Explorer ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", ["edge-of-chaos", "irnn", "exploding-linear"])
def test_the_rate_reads_the_same_in_the_metric_the_sentence_and_the_caption(app, slug):
    at = open_preset(app, slug)
    d = analyze(PRESETS_BY_SLUG[slug].config).diagnosis
    shown = metric(at, "per-step rate")
    assert shown == f"{rate_text(d.rate)}×"
    value = shown.rstrip("×")
    assert f"a factor {value} per step" in at.info[0].value  # the sentence
    assert any(f"a factor {value} per step" in c.value for c in at.caption)  # the gradient chart's caption


def test_an_exploding_gradient_has_no_memory_horizon(app):
    at = open_preset(app, "exploding-linear")
    assert metric(at, "memory horizon") == "none: it grows"
    at = open_preset(type(app).from_file(app._script_path, default_timeout=120), "lru-near-1")
    d = analyze(PRESETS_BY_SLUG["lru-near-1"].config).diagnosis
    assert metric(at, "memory horizon") == horizon_text(d) == f"> {d.loss_step} steps"


def test_the_preset_line_is_shown_while_its_settings_are_on(app):
    preset = PRESETS_BY_SLUG["edge-of-chaos"]
    at = open_preset(app, preset.slug)
    assert any(preset.blurb in c.value for c in at.caption)
    at.select_slider(key="w_gain").set_value(0.5).run()  # no longer the preset: its promise no longer applies
    assert not any(preset.blurb in c.value for c in at.caption)


@pytest.mark.parametrize("slug", ["edge-of-chaos", "orthogonal"])
def test_the_near_linear_presets_draw_states_and_contributions(app, slug):
    at = open_preset(app, slug)
    drawn = charts(at)
    spec, data = next((spec, data) for spec, data in drawn if "h" in colour_fields(spec))
    assert np.abs(heatmap_states(spec, data)).max() > 0.1  # visibly coloured on the +-1 scale
    bars = next(data for spec, data in drawn if spec.get("mark", {}).get("type") == "bar" and
                spec["encoding"]["y"]["field"] == "log10_contribution")
    assert len(bars) >= PRESETS_BY_SLUG[slug].config.seq_len - 1  # every step but t = 1 (h_0 = 0)
    assert not any("exactly 0 at every step" in i.value for i in at.info)


def test_an_exactly_zero_state_replaces_the_empty_charts_with_one_line(app):
    app.query_params["input_kind"] = "zeros"
    at = app.run()
    assert not at.exception
    drawn = charts(at)
    fields = set().union(*(colour_fields(spec) for spec, _ in drawn))
    assert "h" not in fields and "unit" not in fields  # no heatmap, no unit lines
    assert not any(spec.get("mark", {}).get("type") == "bar" for spec, _ in drawn)  # no contributions
    lines = [i.value for i in at.info]
    assert any("exactly 0 at every step" in v and "the input is zero and the bias is 0" in v for v in lines)
    assert any("because the hidden state h_(t−1) is 0 at every step" in v for v in lines)
    assert any(x_field(spec) == "t" or x_field(spec) == "lag" for spec, _ in drawn)  # the gradient chart stays


def test_the_bound_caption_says_where_it_leaves_the_default_chart(app):
    at = app.run()
    spec, data = next((s, d) for s, d in charts(at) if "pascanu_bound" in set(d.get("quantity", [])))
    hi = spec["encoding"]["y"]["scale"]["domain"][1]
    bound = data[data["quantity"] == "pascanu_bound"]
    off = bound[bound["log10_value"] > hi]
    assert len(off) > 0  # the default: 1.88^(T-t) leaves a chart that ends at 1e2
    t = int(off["t"].max())
    caption = next(c.value for c in at.caption if "Pascanu bound" in c.value)
    assert f"runs off the top of the chart (1e{hi}) for t ≤ {t}" in caption
    assert "everywhere" not in caption


# --- Guided tour --------------------------------------------------------------------------------------------------

def open_tour(app, lang="en"):
    app.query_params["lang"] = lang
    at = app.run()
    at.switch_page("pages/tour.py")
    at.run()
    assert not at.exception
    return at


def test_the_tour_sidebar_holds_only_what_the_tour_uses(app):
    at = open_tour(app)
    widgets = [w for kind in ("selectbox", "select_slider", "slider", "number_input", "text_input", "radio")
               for w in getattr(at.sidebar, kind)]
    assert not widgets, [w.key for w in widgets]  # no Explorer control, no preset menu: they change nothing here
    assert at.segmented_control(key="p_lang")  # the language switch stays
    at.switch_page("pages/explorer.py")
    at.run()
    assert {f"w_{name}" for name in ("activation", "gain", "seq_len")} <= {w.key for w in at.sidebar.selectbox} | \
        {w.key for w in at.sidebar.select_slider} | {w.key for w in at.sidebar.slider}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_tour_claims_hold_for_its_figures(app, lang):
    at = open_tour(app, lang)
    s = TEXTS[lang]["steps"]
    dec = TEXTS[lang]["decimal"]
    hello = PRESETS_BY_SLUG["hello"].config
    caps = [c.value for c in at.main.caption]
    # step 1 reads letters, and says so
    assert ("letter by letter" if lang == "en" else "bogstav for bogstav") in s[0]["title"]
    assert "word" not in s[0]["title"] and "ord for ord" not in s[0]["title"]
    drawn = charts(at)
    letters = [data for spec, data in drawn if x_field(spec) == "letter"]
    mlp, rnn = letters[0], letters[1]
    # the figures use the network "Open in the Explorer" opens: the preset's N
    assert mlp["unit"].nunique() == rnn["unit"].nunique() == hello.hidden_size
    # step 1: W_hh = 0, the two l's give identical columns; step 2: at gain 1 they differ
    cols = {name: df.pivot(index="unit", columns="t", values="h") for name, df in (("mlp", mlp), ("rnn", rnn))}
    assert (cols["mlp"][3] == cols["mlp"][4]).all() and "W_hh = 0" in s[0]["caption"]
    assert not (cols["rnn"][3] == cols["rnn"][4]).all() and f"gain {hello.gain:g}" in s[1]["caption"]
    # step 4: the units drawn
    lines = next(data for spec, data in drawn if x_field(spec) == "letter" and spec["mark"]["type"] == "line")
    assert s[3]["caption"].format(n=lines["unit"].nunique(), T=hello.seq_len) in caps
    # step 5: against the lag, as the steps after it; the caption's numbers are the figure's
    gradient_charts = [(spec, data) for spec, data in drawn if "pascanu_bound" in set(data.get("quantity", []))]
    assert all(x_field(spec) == "lag" for spec, _ in gradient_charts)
    data = gradient_charts[0][1]
    view = build_view(hello)
    d = view.diagnosis
    g0 = float(data[(data["quantity"] == "grad_norm") & (data["t"] == 0)]["log10_value"].iloc[0])
    bound = data[data["quantity"] == "pascanu_bound"].set_index("t")["log10_value"]
    measured = data[data["quantity"] == "grad_norm"].set_index("t")["log10_value"]
    assert (measured <= bound.loc[measured.index] + 1e-9).all()  # "above the measured curve at every step"
    assert s[4]["caption"].format(value=pow10_text(g0).replace(".", dec), T=d.loss_step,
                                  bound=f"{d.pascanu:.3g}".replace(".", dec),
                                  lyapunov=f"{d.lyapunov_max:+.3f}".replace(".", dec)) in caps
    assert s[4]["caption"].count("dashed" if lang == "en" else "stiplet") == 2  # two dashed lines, both named
    # step 6: each figure's activation, gain and measured regime
    words = {}
    for which, slug in (("first", "vanishing"), ("second", "exploding-linear")):
        c = PRESETS_BY_SLUG[slug].config
        words |= {f"{which}_activation": s[5]["activations"][c.activation],
                  f"{which}_gain": f"{c.gain:g}".replace(".", dec),
                  f"{which}_regime": s[5]["regimes"][analyze(c, jacobians=False).diagnosis.regime]}
    assert s[5]["caption"].format(**words) in caps
    assert words["first_regime"] == s[5]["regimes"]["vanishing"]
    assert words["second_regime"] == s[5]["regimes"]["exploding"]
    # step 7: the orthogonal line and the clipping bars
    ortho = build_view(PRESETS_BY_SLUG["orthogonal"].config)
    clip = build_view(PRESETS_BY_SLUG["exploding-linear"].config)
    g = ortho.gradient[(ortho.gradient["quantity"] == "grad_norm") & (ortho.gradient["t"] == 0)]["log10_value"]
    expected = s[6]["caption"].format(scale="0.01".replace(".", dec), rate=rate_text(ortho.diagnosis.rate).replace(
        ".", dec), T=ortho.diagnosis.loss_step, value=pow10_text(float(g.iloc[0])).replace(".", dec),
        before=pow10_text(clip.log10_grad_W_hh).replace(".", dec))
    assert expected in caps
    assert abs(ortho.diagnosis.rate - 1) < 0.01  # the body: "changes by less than 1% per step"
    assert ("less than 1% per step" if lang == "en" else "under 1 % pr. trin") in s[6]["body"]


def test_danish_tour_captions_use_decimal_commas(app):
    at = open_tour(app, "da")
    steps = TEXTS["da"]["steps"]
    heads = [steps[i]["caption"].split("{")[0] for i in (4, 5, 6)]
    captions = [c.value for c in at.main.caption if any(c.value.startswith(h) for h in heads)]
    assert len(captions) == 3
    numbers = [n for c in captions for n in re.findall(r"\d+[.,]\d+", c)]
    assert numbers and all("," in n for n in numbers), numbers


# --- Regime map -----------------------------------------------------------------------------------------------------

SMALL = {"gain_points": "6", "seeds": "1"}


def open_map(app, **params):
    for k, v in {**SMALL, **params}.items():
        app.query_params[k] = v
    at = app.run()
    at.switch_page("pages/regime_map.py")
    at.run()
    assert not at.exception
    return at


def test_the_map_says_which_network_it_sweeps(app):
    # the tour's 'hello' link leaves a 3-unit, 4-step text network in the sidebar: the map must show it
    hello = PRESETS_BY_SLUG["hello"].config
    at = open_map(app, **{k: str(v) for k, v in hello.to_dict().items()})
    line = next(i.value for i in at.info if i.value.startswith("This map sweeps"))
    assert "N = 3" in line and "T = 4" in line and "text input 'hello'" in line
    assert "× activation" in line and "6 values" in line


def test_the_map_hides_the_controls_it_ignores(app):
    at = open_map(app)
    keys = {w.key for kind in ("selectbox", "select_slider", "slider", "number_input", "radio")
            for w in getattr(at.sidebar, kind)}
    assert "w_gain" not in keys and "w_loss" not in keys  # swept; the rate always uses the last step
    assert "loss" in FIELDS


def test_the_gaussian_vs_orthogonal_tab_is_built_from_its_own_numbers(app):
    at = open_map(app, gain="2.5", input_scale="1.0", seq_len="60", hidden_size="32")
    table = at.dataframe[-1].value
    spreads = {(r["initializer"], r["matrix"]): r["decades between largest and smallest σ"]
               for r in table.to_dict("records")}
    caption = next(c.value for c in at.caption if c.value.startswith("Both networks"))
    assert "gain 1, tanh, noise input (scale 0.01" in caption and "N = 32, T = 60" in caption  # not the link's 2.5
    assert f"span {spreads[('normal', 'W_hh')]} decades for the Gaussian W" in caption
    assert (f"over {spreads[('normal', 'dh_T/dh_0')]} decades (Gaussian) against "
            f"{spreads[('orthogonal', 'dh_T/dh_0')]} (orthogonal)") in caption
    assert float(spreads[("orthogonal", "dh_T/dh_0")]) < 1  # the Gaussian's: 1 or more, or "more than 15"
    assert spreads[("normal", "dh_T/dh_0")] == "more than 15" or float(spreads[("normal", "dh_T/dh_0")]) > 1
    assert "keeps every direction of the gradient" in caption
    ring = next(data for spec, data in charts(at) if "facet" in spec and "kind" in data)
    ring = ring[ring["kind"] == "ring"]
    assert ((ring["re"] ** 2 + ring["im"] ** 2) ** 0.5).round(9).eq(1.0).all()  # the disc of radius g = 1


def test_every_preset_name_is_unique_and_reachable():
    assert len(PRESETS_BY_NAME) == len(PRESETS_BY_SLUG)
    assert Config() not in [p.config for p in PRESETS_BY_SLUG.values()]
