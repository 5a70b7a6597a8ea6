"""Captions built from data, tested against that data: where a bound leaves the chart, eigenvalues on the unit circle,
singular values that are equal to rounding, states that are exactly zero, the Gaussian-vs-orthogonal comparison."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_core import Config, analyze
from rnn_core.phase import MapSettings
from rnn_core.presets import PRESETS_BY_SLUG
from rnn_core.tidy import singular_value_frame
from ui import charts
from ui.captions import (
    UNIT_TOL,
    decades_text,
    gradient_caption,
    horizon_text,
    map_base_text,
    spectrum_caption,
    zero_state,
)
from ui.map_view import AXIS_TITLES, build_spectra_view, spectra_config
from ui.view import build_view


@pytest.mark.parametrize("kw", [dict(), dict(activation="linear", gain=1.3), dict(gain=3.0, input_scale=10.0),
                                dict(cell="leaky", leak=0.05, input_scale=0.5, seq_len=200)])
def test_the_caption_says_where_the_bound_leaves_the_chart(kw):
    # the default chart's y range ends at 1e2 while the Pascanu bound 1.88^(T-t) reaches 3e+27: the caption must not
    # claim the reader can see it above the curve "everywhere" without saying where it goes
    view = build_view(Config(**kw))
    lo, hi = charts.gradient_domain(view.gradient_thin)
    bound = view.gradient[view.gradient["quantity"] == "pascanu_bound"].sort_values("t")
    caption = view.captions["gradient"]
    off = bound[(bound["log10_value"] > hi) | (bound["log10_value"] < lo)]
    if off.empty:
        assert "off the" not in caption
        return
    t = int(off["t"].max())
    K = view.diagnosis.loss_step
    assert f"runs off the top of the chart (1e{hi}) for t ≤ {t} (lag ≥ {K - t})" in caption
    assert (off["t"] == np.arange(t + 1)).all()  # off the chart from t = 0 up to t, on it after
    at0 = float(bound.loc[bound["t"] == 0, "log10_value"].iloc[0])
    from rnn_core.diagnosis import pow10_text
    assert f"reaching {pow10_text(at0)} at t = 0" in caption


def test_the_rate_in_the_gradient_caption_is_written_as_in_the_sentence():
    from rnn_core.diagnosis import rate_text
    r = analyze(PRESETS_BY_SLUG["edge-of-chaos"].config)
    shown = rate_text(r.diagnosis.rate)
    assert f"a factor {shown} per step" in gradient_caption(r) and f"a factor {shown} per step" in r.diagnosis.sentence


def test_orthogonal_eigenvalues_on_the_circle_are_not_counted_outside_it():
    # |lambda| = 1 + 1e-15 is rounding, not "18 of 64 eigenvalues outside the unit circle"
    r = analyze(PRESETS_BY_SLUG["orthogonal"].config)
    ev = np.abs(r.spectrum.eigenvalues)
    assert np.all(np.abs(ev - 1) <= UNIT_TOL)
    caption = spectrum_caption(r)
    assert f"all {ev.size} eigenvalues lie on the unit circle" in caption and "outside" not in caption.split("\n")[0]
    assert f"All {ev.size} singular values of W_hh equal 1 (within rounding)" in caption


def test_a_gaussian_matrix_counts_the_eigenvalues_outside_the_circle():
    r = analyze(Config())
    ev = np.abs(r.spectrum.eigenvalues)
    outside = int(np.sum(ev > 1 + UNIT_TOL))
    assert f"{outside} of {ev.size} eigenvalues lie outside the unit circle" in spectrum_caption(r)
    sv = np.log10(r.spectrum.singular_values)
    assert f"singular values of W_hh span {decades_text(sv.max() - sv.min())} decades" in spectrum_caption(r)


def test_saturation_breaking_the_isometry_is_said():
    r = analyze(Config(init="orthogonal"))  # input scale 1: the units saturate
    prod = r.jacobians.log10_sv_full
    assert prod.max() - prod.min() > 1
    assert "W_hh alone is an isometry, but the activation's derivatives are not" in spectrum_caption(r)
    assert f"mean act' = {r.diagnosis.mean_dact:.2f}" in spectrum_caption(r)


@pytest.mark.parametrize("kw", [dict(activation="linear", init="orthogonal", input_kind="zeros"),
                                dict(activation="linear", init="orthogonal", input_kind="impulse", seq_len=30)])
def test_flat_singular_values_get_at_least_two_decades_of_axis(kw):
    # an orthogonal W_hh's singular values (and a linear network's product of them) are 1 to 1e-16: the chart must
    # not zoom into that noise and draw it as a spread
    df = singular_value_frame(analyze(Config(**kw)))
    assert df["log10_value"].max() - df["log10_value"].min() < 1e-12
    y = charts.singular_values_chart(df).to_dict()["encoding"]["y"]
    lo, hi = y["scale"]["domain"]
    assert hi - lo >= 2 and lo <= df["log10_value"].min() and hi >= df["log10_value"].max()
    s = charts.sv_comparison_chart(df.assign(init="orthogonal")).to_dict()["encoding"]["y"]["scale"]["domain"]
    assert s[1] - s[0] >= 2


def test_a_spread_singular_value_chart_keeps_its_own_range():
    df = singular_value_frame(analyze(Config()))
    assert "domain" not in charts.singular_values_chart(df).to_dict()["encoding"]["y"].get("scale", {})


@pytest.mark.parametrize("kw, why", [
    (dict(input_kind="zeros"), "the input is zero and the bias is 0"),
    (dict(input_scale=0.0), "the input scale is 0 and the bias is 0"),
    (dict(cell="lstm", input_kind="zeros"), "every step's candidate tanh(W·0 + 0) is 0"),
    (dict(cell="lru", input_kind="zeros"), "h_t = λ·h_(t−1) + γ·B·0 stays at h_0 = 0"),
])
def test_an_exactly_zero_state_gets_one_line_saying_why(kw, why):
    view = build_view(Config(**kw))
    assert view.zero_state
    assert "exactly 0 at every step" in view.captions["states"] and why in view.captions["states"]
    if view.config.cell != "lru":
        assert "because the hidden state h_(t−1) is 0 at every step" in view.captions["contributions"]


def test_a_moving_state_is_not_called_zero():
    r = analyze(Config(input_kind="zeros", bias_scale=0.5))  # the bias alone moves the state
    assert not zero_state(r)


def test_horizon_text_never_reads_an_exploding_gradient_as_a_long_memory():
    exploding = analyze(PRESETS_BY_SLUG["exploding-linear"].config).diagnosis
    assert exploding.horizons[1000] is None and horizon_text(exploding) == "none: it grows"
    stable = analyze(PRESETS_BY_SLUG["lru-near-1"].config).diagnosis
    assert horizon_text(stable) == f"> {stable.loss_step} steps"
    vanishing = analyze(PRESETS_BY_SLUG["vanishing"].config).diagnosis
    assert horizon_text(vanishing) == f"{vanishing.horizons[1000]} steps"


@pytest.mark.parametrize("activation, holds", [("tanh", True), ("linear", True), ("relu", False)])
def test_the_gaussian_vs_orthogonal_caption_is_built_from_the_table(activation, holds):
    base = Config(activation=activation, gain=2.5, input_scale=1.0)  # the sidebar's gain and input: not used here
    view = build_spectra_view(spectra_config(base, MapSettings(axis="init")))
    assert view.config.gain == 1.0 and view.config.input_scale == 0.01
    table = {(r["init"], r["matrix"]): r["decades between largest and smallest σ"]
             for r in view.summary.to_dict("records")}
    caption = view.caption
    assert f"gain 1, {activation}, noise input (scale 0.01" in caption
    assert f"span {table[('normal', 'W_hh')]} decades for the Gaussian W" in caption
    assert table[("orthogonal", "W_hh")] == "0" and "are all equal for the orthogonal one" in caption
    assert (f"spreads them over {table[('normal', 'dh_T/dh_0')]} decades (Gaussian) against "
            f"{table[('orthogonal', 'dh_T/dh_0')]} (orthogonal)") in caption
    assert ("keeps every direction of the gradient" in caption) is holds
    assert ("break the isometry" in caption) is not holds
    ortho = view.spreads[("orthogonal", "dh_T/dh_0")]
    gauss = view.spreads[("normal", "dh_T/dh_0")]
    assert (ortho < 1 and ortho < gauss - 1) is holds  # the lesson, in the numbers themselves


def test_the_comparison_ring_is_the_gain_the_comparison_uses():
    view = build_spectra_view(spectra_config(Config(gain=2.5), MapSettings()))
    assert view.config.gain == 1.0
    normal = view.eigenvalues[view.eigenvalues["init"] == "normal"]["abs"]
    assert math.isclose(normal.max(), 1.0, rel_tol=0.1)  # the circular law's disc of radius g = 1, not 2.5


def test_the_map_says_which_configuration_it_sweeps():
    # after the tour's 'hello' link the sidebar holds a 3-unit, 4-step text network: the page must say so
    hello = PRESETS_BY_SLUG["hello"].config
    text = map_base_text(hello, MapSettings(axis="activation"), AXIS_TITLES["activation"])
    assert "N = 3" in text and "T = 4" in text and "text input 'hello'" in text
    assert "from 0.1 to 10 (40 values" in text and "× activation" in text
    assert "tanh" not in text.split("sidebar's:")[1]  # the swept axis is not listed as a fixed setting
    text = map_base_text(hello, MapSettings(axis="hidden_size", seeds=1), AXIS_TITLES["hidden_size"])
    assert "N = 3" not in text and "seed 0" in text


@pytest.mark.parametrize("kw", [dict(), dict(input_kind="zeros")])
def test_the_mean_field_caption_counts_what_the_lyapunov_chart_shows(kw):
    from rnn_core.meanfield import tanh_lyapunov
    from ui.captions import mean_field_caption
    from ui.map_view import build_map_view
    config = Config(seq_len=40, hidden_size=16, **kw)
    view = build_map_view(config, MapSettings(gain_points=8, seeds=1))
    tanh = view.cells[view.cells["axis_value"] == "tanh"]
    below = int(np.sum(tanh["lyapunov_max"].to_numpy() < tanh_lyapunov(tanh["gain"].to_numpy())))
    assert view.below_mean_field == (below, len(tanh))
    caption = mean_field_caption(config, view.below_mean_field)
    said = (f"every one of the {len(tanh)} tanh networks lies below it" if below == len(tanh) else
            f"{below} of the {len(tanh)} tanh networks lie below it")
    assert said in caption
    assert ("a driven network is less chaotic" in caption) is (below == len(tanh) and "input_kind" not in kw)


def test_singular_values_below_float64_resolution_are_neither_drawn_nor_counted_as_a_spread():
    # a product of 100 Gaussian Jacobians: its smallest singular values sit at rounding (~16 decades under the
    # largest), so "spreads 18.11 decades" was a number about float64, not about the network
    from rnn_core.tidy import RESOLUTION_DECADES
    r = analyze(Config())
    full = r.jacobians.log10_sv_full
    lost = int(np.sum(full < full.max() - RESOLUTION_DECADES))
    assert lost > 0
    df = singular_value_frame(r)
    prod = df[df["matrix"] == "dh_T/dh_0"]["log10_value"]
    assert len(prod) == full.size - lost and prod.max() - prod.min() <= RESOLUTION_DECADES
    caption = spectrum_caption(r)
    assert (f"the singular values of dh_T/dh_0 span more than 15 decades ({lost} of them lie below float64's "
            "resolution") in caption
    view = build_spectra_view(spectra_config(Config(), MapSettings()))
    row = view.summary[(view.summary["init"] == "normal") & (view.summary["matrix"] == "dh_T/dh_0")]
    assert row["decades between largest and smallest σ"].iloc[0] == "more than 15"
    assert "spreads them over more than 15 decades (Gaussian)" in view.caption
