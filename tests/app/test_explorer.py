"""The Explorer page through AppTest: presets, widgets, links, bad links, limits."""

import pytest
from apptools import metric, regime_shown

from rnn_core import Config
from rnn_core.presets import PRESETS


def test_default_page_renders_verdict_metrics_and_charts(app):
    at = app.run()
    assert not at.exception
    assert regime_shown(at) == "vanishing"  # tanh, gain 1, noise input: the derivatives shrink the gradient
    labels = {m.label for m in at.metric}
    assert {"per-step rate", "memory horizon", "γ·σ_max", "spectral radius ρ", "λ_max"} <= labels
    charts = at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")
    assert len(charts) >= 6  # gradient, heatmap, unit lines, state stats, eigenvalues, singular values, contributions
    assert not at.warning and not at.error


@pytest.mark.parametrize("preset", PRESETS, ids=[p.name[:30] for p in PRESETS])
def test_every_preset_shows_its_intended_regime(app, preset):
    at = app.run()
    at.selectbox(key="preset").set_value(preset.name).run()
    assert not at.exception
    assert regime_shown(at) == preset.expected
    # the preset set every field, and the URL followed
    assert at.query_params["activation"] == preset.config.activation
    assert at.query_params["gain"] == str(preset.config.gain)
    assert at.query_params["seq_len"] == str(preset.config.seq_len)


def test_moving_a_widget_changes_the_result(app):
    at = app.run()
    before = metric(at, "per-step rate")
    at.select_slider(key="w_gain").set_value(0.5).run()
    assert not at.exception
    after = metric(at, "per-step rate")
    assert after != before
    assert float(after.rstrip("×")) < float(before.rstrip("×"))  # smaller gain, faster vanishing
    assert at.query_params["gain"] == "0.5"


def test_link_round_trip_reproduces_the_view(app):
    wanted = Config(activation="relu", init="orthogonal", gain=1.2, seq_len=80, hidden_size=16, seed=7,
                    input_kind="sine", loss="all").to_dict()
    for k, v in wanted.items():
        app.query_params[k] = str(v)
    at = app.run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="w_activation").value == "relu"
    assert at.select_slider(key="w_gain").value == 1.2
    assert at.slider(key="w_seq_len").value == 80
    shown = dict(at.query_params.items())
    assert Config.from_dict(shown) == Config.from_dict(wanted)


@pytest.mark.parametrize("params", [
    {"activation": "tahn"},
    {"gain": "abc"},
    {"seq_len": "-5"},
    {"seq_len": str(10**9)},
    {"gain": "nan"},
    {"hidden_size": "1e400"},
    {"text": "x" * 5000, "input_kind": "text"},
    {"activation": "<script>alert(1)</script>"},
    {"nonsense": "1"},
    {"seq_len": "5000", "hidden_size": "512", "batch_size": "64"},
])
def test_malformed_link_warns_and_falls_back(app, params):
    for k, v in params.items():
        app.query_params[k] = v
    at = app.run()
    assert not at.exception
    assert at.warning, "a bad link must say what it ignored"
    text = at.warning[0].value
    assert "<script>" not in text  # user text is escaped, never rendered
    assert len(at.metric) == 5  # the page still works, on defaults


def test_instructor_link_hides_controls(app):
    app.query_params["hide"] = "gain,init"
    at = app.run()
    assert not at.exception
    keys = {w.key for w in at.sidebar.selectbox} | {w.key for w in at.sidebar.select_slider}
    assert "w_gain" not in keys and "w_init" not in keys
    assert "w_activation" in keys
    assert at.query_params["hide"] == "gain,init"


def test_over_the_work_cap_shows_an_error_not_a_crash(app):
    at = app.run()
    at.slider(key="w_seq_len").set_value(5000).run()
    at.slider(key="w_hidden_size").set_value(512).run()
    at.number_input(key="w_batch_size").set_value(64).run()
    assert not at.exception
    assert any("work cap" in e.value for e in at.error)
    assert metric(at, "per-step rate")  # still showing the last valid settings


def test_overflow_banner_and_charts_stop(app):
    for k, v in {"activation": "linear", "gain": "3.0", "seq_len": "2000", "input_kind": "noise"}.items():
        app.query_params[k] = v
    at = app.run()
    assert not at.exception
    assert any("overflowed float64 at step" in e.value for e in at.error)
    assert regime_shown(at) == "exploding"


def test_chart_data_reaches_the_page_as_arrow_datasets(app):
    # ui.cache.draw sends each chart's data as named Arrow datasets (what Streamlit itself would send), cached:
    # every dataset the spec names must arrive, decode, and hold the rows the view computed.
    import json

    import pyarrow as pa

    at = app.run()
    found = {}
    for chart in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        assert "datasets" not in spec  # no inline JSON copy of the data
        names = {d.name for d in chart.proto.datasets}
        layers = [spec, *spec.get("layer", []), *spec.get("hconcat", []), *spec.get("vconcat", [])]
        used = {layer["data"]["name"] for layer in layers if "name" in layer.get("data", {})}
        assert used and used <= names, (used, names)
        for d in chart.proto.datasets:
            table = pa.ipc.open_stream(d.data.data).read_all()
            assert table.num_rows > 0
            found[tuple(sorted(table.column_names))] = table
    # the heatmap: one image of 100 steps (+ h_0) x 64 units, placed over t in [0, 101] and the units [0, 64]
    place = found[tuple(sorted(["t", "t_end", "unit", "unit_end", "image"]))].to_pylist()
    assert [(p["t"], p["t_end"], p["unit"], p["unit_end"]) for p in place] == [(0, 101, 0, 64)]
    import base64
    import io

    from PIL import Image
    image = Image.open(io.BytesIO(base64.b64decode(place[0]["image"].split(",", 1)[1])))
    assert image.size == (101, 64)
