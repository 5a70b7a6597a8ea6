"""Presets: each shows what it promises — moving states, a non-empty contributions chart, its regime — and each
claim its line makes holds for its own numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_core import analyze
from rnn_core.presets import PRESETS, PRESETS_BY_SLUG, preset_for


@pytest.fixture(scope="module")
def analyses():
    return {p.slug: analyze(p.config) for p in PRESETS}


@pytest.mark.parametrize("preset", PRESETS, ids=[p.slug for p in PRESETS])
def test_every_preset_shows_moving_states_contributions_and_its_regime(analyses, preset):
    a = analyses[preset.slug]
    assert a.diagnosis.regime == preset.expected
    h = a.traj.h[: a.loss_step + 1]
    # the heatmap's colour scale is +-1 for tanh: states of 0.1 and more are visibly coloured, not a blank map
    assert float(np.nanmax(np.abs(h))) > 0.1, "the states stay (near) zero: a blank heatmap"
    assert np.all(a.mean_abs_h[1: a.loss_step + 1] > 0), "a step with an exactly-zero state"
    if preset.config.cell != "lru":  # the LRU has no W_hh: no contributions chart
        c = a.contributions[: a.loss_step]
        # every step after the first has a term (h_0 = 0 makes the first exactly zero)
        assert np.isfinite(c[1:]).all(), "steps with an exactly-zero term: gaps in the contributions chart"


@pytest.mark.parametrize("slug", ["edge-of-chaos", "orthogonal"])
def test_the_near_linear_presets_say_their_small_input_and_why(analyses, slug):
    preset = PRESETS_BY_SLUG[slug]
    c = preset.config
    assert c.input_kind == "noise" and c.input_scale == 0.01
    assert f"noise of scale {c.input_scale:g}" in preset.blurb
    d = analyses[slug].diagnosis
    # "keeps the states near 0, where tanh' ≈ 1" / "keeps tanh near its linear range": the mean derivative says so
    assert d.mean_dact > 0.98
    # "With the default input (scale 1) ... the gradient vanishes": the same network, input scale 1
    assert "default input (scale 1)" in preset.blurb and "vanish" in preset.blurb
    assert analyze(c.replace(input_scale=1.0), jacobians=False).diagnosis.regime == "vanishing"


def test_edge_of_chaos_claims(analyses):
    d = analyses["edge-of-chaos"].diagnosis
    assert "spectral radius ≈ 1" in PRESETS_BY_SLUG["edge-of-chaos"].blurb
    assert abs(d.spectral_radius - 1.0) < 0.05  # ≈ 1: within 5 %
    assert d.regime == "stable"  # "neither dies nor blows up"


def test_orthogonal_rescue_claims(analyses):
    a = analyses["orthogonal"]
    blurb = PRESETS_BY_SLUG["orthogonal"].blurb
    assert "every singular value at 1" in blurb
    np.testing.assert_allclose(a.spectrum.singular_values, 1.0, rtol=1e-12)  # orthogonal to rounding
    assert "less than 1% per step" in blurb
    assert abs(a.diagnosis.rate - 1.0) < 0.01


def test_preset_for_finds_a_preset_by_its_settings_only():
    for p in PRESETS:
        assert preset_for(p.config) is p
    assert preset_for(PRESETS[0].config.replace(seed=PRESETS[0].config.seed + 1)) is None


def test_no_preset_leaves_the_state_at_zero():
    # the case: zero input and zero bias give h = 0 forever; no preset may do that
    for p in PRESETS:
        c = p.config
        assert not (c.input_kind == "zeros" or c.input_scale == 0), p.slug
        assert math.isfinite(c.input_scale)


def test_the_lstm_carousel_preset_claims(analyses):
    a = analyses["lstm-carousel"]
    blurb = PRESETS_BY_SLUG["lstm-carousel"].blurb
    assert "σ(3) ≈ 0.95" in blurb and a.config.forget_bias == 3.0
    assert round(1 / (1 + math.exp(-3.0)), 2) == 0.95
    # "the carousel fades slowly": its per-step factor (max over units of the product of forget gates) is near 1
    per_step = 10 ** (a.reference["carousel"][0] / a.loss_step)
    assert 0.95 <= per_step < 1.0
    assert "stable over 200 steps" in blurb and a.loss_step == 200 and a.diagnosis.regime == "stable"
