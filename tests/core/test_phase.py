"""Regime maps: settings, cost cap, theory lines from the actual matrices, contours."""

import numpy as np
import pandas as pd
import pytest

from rnn_core import Config, analyze, get_activation
from rnn_core.phase import AXES, MAP_BUDGET, MapSettings, cell_summary, crossings, map_cost, regime_map, theory_lines

BASE = Config(hidden_size=16, seq_len=40)
SMALL = MapSettings(gain_points=6, seeds=2)


@pytest.mark.parametrize("axis", list(AXES))
def test_map_has_one_row_per_network_and_matches_single_runs(axis):
    settings = MapSettings(axis=axis, gain_points=4, seeds=1)
    table, curves = regime_map(BASE, settings)
    assert len(table) == len(AXES[axis]) * 4
    assert set(table["axis_value"]) == {str(v) for v in AXES[axis]}
    row = table.iloc[-1]  # the largest gain of the last axis value
    value = AXES[axis][-1]
    single = analyze(BASE.replace(gain=float(row["gain"]), **{axis: value}))
    # rate and sigma_max agree with the configuration run alone (to rounding: W(g) = g W(1) in the sweep)
    assert row["sigma_max"] == pytest.approx(single.diagnosis.sigma_max, rel=1e-12, nan_ok=True)  # NaN: gated
    if single.diagnosis.lyapunov_max < 0 or value == "linear":
        assert row["rate"] == pytest.approx(single.diagnosis.rate, rel=1e-9)
    assert set(curves.columns) >= {"axis_value", "seed", "gain", "lag", "log10_norm"}


def test_theory_lines_come_from_the_matrices():
    table, _ = regime_map(BASE, SMALL)
    lines = theory_lines(table, SMALL, BASE)
    tanh = lines[(lines["axis_value"] == "tanh") & lines["line"].str.contains("Pascanu")]["gain"].iloc[0]
    # at that gain gamma * sigma_max(W) = 1 for these very matrices (mean over the two seeds of 1/(gamma sigma_1))
    sig = [analyze(BASE.replace(gain=1.0, seed=s)).diagnosis.sigma_max for s in (0, 1)]
    assert tanh == pytest.approx(np.mean([1 / s for s in sig]), rel=1e-12)
    sigmoid = lines[(lines["axis_value"] == "sigmoid") & lines["line"].str.contains("Pascanu")]["gain"].iloc[0]
    assert sigmoid == pytest.approx(tanh / get_activation("sigmoid").gamma, rel=1e-12)  # 4x: gamma = 1/4


def test_crossings_interpolate_in_log_gain():
    df = pd.DataFrame({"axis_value": "a", "gain": [0.5, 1.0, 2.0], "log10_rate": [-0.2, -0.1, 0.1]})
    c = crossings(df, "log10_rate")
    assert c["gain"].iloc[0] == pytest.approx(np.sqrt(2.0))  # halfway between 1 and 2 on the log axis
    assert crossings(df.assign(log10_rate=[-1.0, -1.0, -1.0]), "log10_rate").empty


def test_summary_averages_over_seeds():
    table, _ = regime_map(BASE, SMALL)
    cells = cell_summary(table)
    assert len(cells) == len(AXES["activation"]) * SMALL.gain_points
    one = table[(table["axis_value"] == "tanh") & (table["gain"] == table["gain"].iloc[0])]
    assert cells.iloc[0]["lyapunov_max"] == pytest.approx(one["lyapunov_max"].mean())


def test_cost_cap():
    big = MapSettings(gain_points=80, seeds=8)
    cfg = Config(hidden_size=256, seq_len=2000)
    assert map_cost(cfg, big) > MAP_BUDGET
    with pytest.raises(ValueError, match="over the cap"):
        regime_map(cfg, big)


@pytest.mark.parametrize("bad", [{"axis": "colour"}, {"gain_min": 0.0}, {"gain_min": 5.0, "gain_max": 1.0},
                                 {"gain_points": 1}, {"seeds": 9}, {"view": "x"}, {"gain_max": float("nan")}])
def test_settings_validate(bad):
    with pytest.raises(ValueError):
        MapSettings(**bad)


def test_lenient_settings_fall_back_with_warnings():
    s, warnings = MapSettings.parse_lenient({"axis": "<script>", "gain_points": "12", "seeds": "1e9"})
    assert s.axis == "activation" and s.gain_points == 12 and s.seeds == 3
    assert len(warnings) == 2
