"""Chart builders: their Vega-Lite specs encode the right fields, on the right scales, without losing data."""

import base64
import io
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from rnn_core import Config, analyze
from rnn_core.tidy import gradient_frame, spectrum_frame, states_frame, step_frame
from ui import charts
from ui.view import build_view, thin


def spec(chart) -> dict:
    return chart.to_dict()


def layers(s: dict) -> list[dict]:
    return s.get("layer", [s])


@pytest.fixture(scope="module")
def default():
    return analyze(Config())


def test_gradient_chart_draws_log10_values_on_a_power_of_ten_axis(default):
    df = gradient_frame(default)
    s = spec(charts.gradient_chart(df, "t"))
    for layer in layers(s):
        enc = layer["encoding"]
        assert enc["y"]["field"] == "log10_value"
        assert "1e" in enc["y"]["axis"]["labelExpr"]
        assert enc["x"]["field"] == "t"
    # every row of the frame reaches the chart, and nothing non-finite does
    values = s["datasets"][next(iter(s["datasets"]))]
    assert len(values) == len(df)
    assert all(np.isfinite(v["log10_value"]) for v in values)
    assert {v["quantity"] for v in values} == {"grad_norm", "jacobian_norm", "pascanu_bound", "lyapunov"}


def test_gradient_chart_by_lag(default):
    s = spec(charts.gradient_chart(gradient_frame(default), "lag"))
    assert all(layer["encoding"]["x"]["field"] == "lag" for layer in layers(s))


def test_gradient_chart_domain_covers_values_beyond_float64():
    # linear, gain 2, T = 3000: the gradient reaches 2^3000 ~ 1e903, far beyond float64; the chart's y domain (in
    # log10) must cover the measured curve exactly, and the JSON must hold only finite numbers.
    r = analyze(Config(activation="linear", init="orthogonal", gain=2.0, seq_len=3000, hidden_size=8,
                       input_kind="zeros"))
    df = gradient_frame(r)
    s = spec(charts.gradient_chart(df))
    lo, hi = layers(s)[0]["encoding"]["y"]["scale"]["domain"]
    measured = df[df["quantity"] == "grad_norm"]["log10_value"]
    assert lo <= measured.min() and hi >= measured.max()
    assert measured.max() == pytest.approx(3000 * np.log10(2), rel=1e-9)
    json.dumps(s, allow_nan=False)  # raises on NaN/inf


def test_gradient_chart_with_exactly_zero_gradient_has_no_infinite_rows():
    r = analyze(Config(gain=0.0, seq_len=20))
    df = gradient_frame(r)
    assert np.isfinite(df["log10_value"]).all()
    json.dumps(spec(charts.gradient_chart(df)), allow_nan=False)


def _pixels(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA"))


def _legend_colour(value: float, lo: float, hi: float, stops: list[str]) -> list[int]:
    """The colour Vega's legend gives ``value`` on a linear scale whose range is ``stops`` evenly spread over
    ``[lo, hi]``, interpolated in RGB (written out step by step, apart from the chart's vectorized version)."""
    value = min(max(value, lo), hi)
    where = (value - lo) / (hi - lo) * (len(stops) - 1)
    k = min(int(where), len(stops) - 2)
    a, b = ([int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in stops[k:k + 2])
    return [round(x + (where - k) * (y - x)) for x, y in zip(a, b, strict=True)]


def test_heatmap_is_one_pixel_per_step_and_unit_in_the_colours_of_its_legend(default):
    df = states_frame(default, max_steps=50, max_units=16)
    s = spec(charts.heatmap_chart(df, "tanh"))
    cells, legend = s["layer"]
    assert cells["mark"]["type"] == "image" and cells["mark"]["smooth"] is False
    scale = legend["encoding"]["color"]["scale"]
    assert scale["domain"] == [-1.0, 1.0] and scale["interpolate"] == "rgb" and scale["clamp"] is True
    assert scale["range"] == charts.HEAT_STOPS["redblue"]
    place = s["datasets"][cells["data"]["name"]][0]
    assert cells["encoding"]["x"]["scale"]["domain"] == [place["t"], place["t_end"]]
    img = _pixels(place["image"])
    assert img.shape == (16, 50, 4) and (img[..., 3] == 255).all()
    h = df.pivot(index="unit", columns="t", values="h").to_numpy()[::-1]  # the top row: the highest unit
    for r, c in [(0, 0), (15, 49), (7, 20), (3, 33)]:
        assert list(img[r, c, :3]) == _legend_colour(h[r, c], -1.0, 1.0, charts.HEAT_STOPS["redblue"]), (r, c)


def test_heatmap_colours_the_ends_and_middle_of_its_scale_and_leaves_overflowed_steps_empty():
    values = np.array([[-7.0, -1.0, 0.0, 0.5, 1.0, 9.0, np.nan]])
    img = _pixels(charts.heat_image(values, [-1.0, 1.0], charts.HEAT_STOPS["redblue"]))
    blue, white, red = ([int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in ("#053061", "#f7f7f7", "#67001f"))
    assert [list(p[:3]) for p in img[0, [0, 1, 2, 4, 5]]] == [blue, blue, white, red, red]  # clamped at the ends
    assert img[0, 6, 3] == 0 and (img[0, :6, 3] == 255).all()  # NaN (past an overflow): transparent


def test_spectrum_chart_shares_one_square_domain(default):
    s = spec(charts.spectrum_chart(spectrum_frame(default), gamma=0.25))
    x = s["layer"][1]["encoding"]["x"]["scale"]["domain"]
    y = s["layer"][1]["encoding"]["y"]["scale"]["domain"]
    assert x == y and x[1] >= 4.0  # the 1/gamma = 4 circle fits
    assert s["width"] == s["height"]


def test_state_stats_and_contributions_drop_non_finite_rows():
    r = analyze(Config(activation="linear", gain=3.0, seq_len=2000, hidden_size=8))  # overflows at ~ step 640
    steps = step_frame(r)
    for chart in (charts.state_norm_chart(steps), charts.saturation_chart(steps, "linear"),
                  charts.contributions_chart(steps)):
        json.dumps(spec(chart), allow_nan=False)


def test_thin_keeps_ends_and_caps_points():
    import pandas as pd
    df = pd.DataFrame({"t": np.arange(5001), "v": 1.0})
    out = thin(df, max_points=1000)
    assert out["t"].iloc[0] == 0 and out["t"].iloc[-1] == 5000
    assert len(out) <= 1000


def test_view_is_small_enough_to_cache_for_a_room():
    import pickle
    view = build_view(Config(seq_len=5000, hidden_size=512))
    assert len(pickle.dumps(view)) < 2_000_000  # bytes; CACHE_ENTRIES views must stay far below 1 GB


@pytest.mark.parametrize("kw", [dict(), dict(activation="linear", gain=1.3), dict(gain=3.0, hidden_size=128)])
def test_the_diagnosis_and_the_gradient_caption_give_the_same_size_at_t0(kw):
    # the sentence above the chart and the caption under it both say how large the gradient is T steps back: the
    # measured value, the same number (the fitted rate**T differed by up to 3x, which a reader sees as a contradiction)
    from rnn_core.diagnosis import pow10_text
    from ui.captions import gradient_caption
    result = analyze(Config(**kw))
    measured = pow10_text(result.grad_log10_norm()[0])
    assert measured in result.diagnosis.sentence
    assert measured in gradient_caption(result)


@pytest.fixture(scope="module")
def small_map():
    from rnn_core.phase import MapSettings
    from ui.map_view import build_map_view
    return build_map_view(Config(seq_len=40, hidden_size=16), MapSettings(gain_points=8, seeds=1))


def test_map_legend_draws_the_marks_the_caption_names(small_map):
    # the caption says "black diamonds" and "ticks": the shape scale's own range drew circles, and a colour legend
    # draws dots for tick marks
    v = small_map
    s = spec(charts.map_heatmap(v.cells, "log10_rate", v.order, v.contour, v.theory, v.axis_title))
    marks = {layer["mark"]["type"]: layer["encoding"] for layer in s["layer"]}
    assert marks["point"]["shape"]["scale"]["range"] == ["diamond"]
    assert marks["tick"]["color"]["legend"]["symbolType"] == charts.VERTICAL_TICK


def test_mean_field_curve_is_dashed_in_the_chart_and_its_legend(small_map):
    v = small_map
    s = spec(charts.lyapunov_gain_chart(v.cells, v.mean_field, v.order, v.axis_title))
    dashed = [layer["encoding"]["strokeDash"] for layer in s["layer"] if "strokeDash" in layer.get("encoding", {})]
    assert dashed and dashed[0]["scale"]["range"] == [[7, 4]]  # the channel's default range starts solid


def test_small_multiples_draw_each_curve_inside_its_own_panel(small_map):
    # one view that fits its column (a facet's fixed panels ran off a phone): panel (row r, column c) is the unit
    # cell at (c, r), its inner 1 - MULTIPLES_GAP holding the curve, lag across and log10 norm (up to ±12) up
    v = small_map
    s = spec(charts.small_multiples(v.multiples, v.order, v.axis_title))
    assert "facet" not in s and "width" not in s  # ui.cache.draw fits the width to the column
    lines = next(layer for layer in s["layer"] if layer["mark"]["type"] == "line")
    data = pd.DataFrame(s["datasets"][lines["data"]["name"]])
    inner = 1 - charts.MULTIPLES_GAP
    col = data["gain_label"].map({g: i for i, g in enumerate(dict.fromkeys(v.multiples.sort_values("gain")
                                                                          ["gain_label"]))})
    row = data["axis_value"].map({a: i for i, a in enumerate(v.order)})
    assert ((data["px"] >= col - 1e-9) & (data["px"] <= col + inner + 1e-9)).all()
    assert ((data["py"] >= row - 1e-9) & (data["py"] <= row + inner + 1e-9)).all()
    assert data["log10_norm"].abs().max() <= charts.MULTIPLES_RANGE
    # a vanishing curve goes down its panel (y grows downwards: the scale is reversed)
    first = data[(data["regime"] == "vanishing")].groupby(["axis_value", "gain_label"])
    assert (first["py"].last() > first["py"].first()).all()
    assert lines["encoding"]["y"]["scale"]["reverse"] is True


def test_singular_value_comparison_tells_the_matrices_apart():
    df = pd.DataFrame({"init": ["normal"] * 4, "matrix": ["W_hh", "W_hh", "dh_T/dh_0", "dh_T/dh_0"],
                       "index": [0, 1, 0, 1], "log10_value": [0.1, 0.0, -3.0, -5.0]})
    enc = spec(charts.sv_comparison_chart(df))["encoding"]
    assert enc["shape"]["field"] == "matrix" and len(set(enc["shape"]["scale"]["range"])) == 2


@pytest.mark.parametrize("width,composed,expected", [("stretch", False, "fit-x"), ("content", False, "pad"),
                                                     ("stretch", True, "pad")])
def test_charts_keep_their_plot_height(width, composed, expected):
    # Streamlit's default autosize ("fit") put the axes and a bottom legend inside the chart's height: the
    # singular values' plot shrank to 80 px of 240, the unit circle drew as an ellipse
    from ui.cache import chart_autosize
    s = {"facet": {}, "spec": {}} if composed else {"mark": "line", "height": 240}
    assert chart_autosize(s, width) == {"type": expected, "contains": "padding"}


def test_no_empty_saturation_panel_for_a_cell_that_measures_none():
    from rnn_core import Config, analyze
    from rnn_core.tidy import step_frame as frame
    for cell, shows in (("rnn", True), ("lstm", True), ("gru", False), ("lru", False)):
        assert charts.shows_saturation(frame(analyze(Config(cell=cell, seq_len=20, hidden_size=8)))) is shows, cell


def test_every_chart_drawn_gets_the_readable_theme():
    # 12 px grey on white was weak on a projector: ui.cache puts one theme in every spec, under the chart's own config
    from ui.cache import _chart_spec
    spec_json, _ = _chart_spec("test_theme", lambda: charts.clipping_chart(3.0))
    config = json.loads(spec_json)["config"]
    assert config["axis"]["titleFontSize"] >= 15 and config["axis"]["labelFontSize"] >= 13
    assert config["legend"]["labelFontSize"] >= 14
    assert config["axis"]["titleColor"] == config["legend"]["labelColor"] == charts.INK
    own = charts.themed({"config": {"axis": {"labelFontSize": 20}}})["config"]["axis"]
    assert own["labelFontSize"] == 20 and own["titleFontSize"] == charts.THEME["axis"]["titleFontSize"]


def test_bottom_legends_take_as_many_columns_as_the_plot_holds(default):
    # a two-column legend wider than a phone's plot lost its right column past the chart's edge
    enc = spec(charts.gradient_chart(gradient_frame(default), legend_columns=2))["encoding"]["color"]["legend"]
    assert enc["orient"] == "bottom"
    assert enc["columns"] == {"expr": f"clamp(floor(width / {charts.LEGEND_COLUMN}), 1, 2)"}
    assert "width" in enc["labelLimit"]["expr"]  # labels are cut at the plot's width, not past it
    one = spec(charts.gradient_chart(gradient_frame(default), legend_columns=1))["encoding"]["color"]["legend"]
    assert one["columns"] == 1


@pytest.mark.parametrize("builder", ["state_norm_chart", "saturation_chart", "small_multiples",
                                      "spectra_comparison_chart", "map_heatmap", "lyapunov_gain_chart"])
def test_changed_specs_are_valid_vega_lite(default, small_map, builder):
    steps = step_frame(default)
    v = small_map
    build = {"state_norm_chart": lambda: charts.state_norm_chart(steps),
             "saturation_chart": lambda: charts.saturation_chart(steps, "tanh"),
             "small_multiples": lambda: charts.small_multiples(v.multiples, v.order, v.axis_title),
             "spectra_comparison_chart": lambda: charts.spectra_comparison_chart(
                 pd.DataFrame({"init": ["normal", "orthogonal"], "re": [0.5, 1.0], "im": [0.1, 0.0],
                               "abs": [0.51, 1.0]}), 1.0),
             "map_heatmap": lambda: charts.map_heatmap(v.cells, "log10_rate", v.order, v.contour, v.theory,
                                                       v.axis_title),
             "lyapunov_gain_chart": lambda: charts.lyapunov_gain_chart(v.cells, v.mean_field, v.order, v.axis_title)}
    build[builder]().to_dict(validate=True)
