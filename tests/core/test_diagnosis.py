"""Diagnosis: the fitted rate, the regime, the memory horizon and the sentence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_core import STABLE_TOL, Config, analyze
from rnn_core.diagnosis import classify, fit_rate, memory_horizon


@pytest.mark.parametrize("rate", [0.3, 0.9, 0.999, 1.0, 1.05, 2.0])
def test_fit_rate_of_a_pure_geometric_curve(rate):
    y = np.log10(rate) * np.arange(300)
    slope, zero_from = fit_rate(y)
    assert zero_from is None
    assert 10**slope == pytest.approx(rate, rel=1e-12)  # exact data: rounding only


def test_fit_rate_is_robust_to_a_few_outliers():
    y = np.log10(0.8) * np.arange(200)
    y[[10, 50, 120]] += [30.0, -40.0, 25.0]  # Theil-Sen: the median of pairwise slopes ignores them
    assert 10 ** fit_rate(y)[0] == pytest.approx(0.8, rel=1e-12)


def test_fit_rate_stops_at_an_exact_zero():
    y = np.concatenate([np.log10(0.5) * np.arange(10), np.full(5, -np.inf)])
    slope, zero_from = fit_rate(y)
    assert zero_from == 10
    assert 10**slope == pytest.approx(0.5, rel=1e-12)  # fitted on the lags before the zero
    assert fit_rate(np.array([0.0, -np.inf, -np.inf])) == (-math.inf, 1)


def test_fit_rate_ignores_nan_and_needs_two_points():
    y = np.log10(0.7) * np.arange(20)
    y_nan = np.concatenate([y, [np.nan] * 5])
    assert fit_rate(y_nan)[0] == pytest.approx(fit_rate(y)[0], rel=1e-14)
    slope, zero_from = fit_rate(np.array([0.0]))
    assert math.isnan(slope) and zero_from is None


@pytest.mark.parametrize("exponent, regime", [
    (-1.0, "vanishing"), (-STABLE_TOL * 1.001, "vanishing"), (-STABLE_TOL, "stable"), (0.0, "stable"),
    (STABLE_TOL, "stable"), (STABLE_TOL * 1.001, "exploding"), (math.nan, "stable"), (-math.inf, "vanishing"),
])
def test_classify_thresholds(exponent, regime):
    assert classify(exponent) == regime


@pytest.mark.parametrize("rate", [0.3, 0.5, 0.8, 0.9, 0.95, 0.99])
def test_memory_horizon_of_a_geometric_decay(rate):
    y = np.log10(rate) * np.arange(3000)
    # first lag k with k |log10 rate| >= d. None of these rates puts d / |log10 rate| within rounding of an integer.
    for d in (3, 6):
        assert abs(d / -np.log10(rate) - round(d / -np.log10(rate))) > 1e-6
        assert memory_horizon(y, d) == math.ceil(d / -np.log10(rate))
    assert memory_horizon(np.log10(1.01) * np.arange(100), 3) is None  # never falls


def _linear_orthogonal(gain, T=200, **kw):
    cfg = Config(activation="linear", init="orthogonal", gain=gain, seq_len=T, hidden_size=8, **kw)
    return analyze(cfg, jacobians=False)


def test_linear_orthogonal_0_9_is_vanishing_at_rate_0_9():
    d = _linear_orthogonal(0.9).diagnosis
    assert d.regime == "vanishing"
    assert d.rate == pytest.approx(0.9, rel=1e-12)  # the curve is exactly lag * log10 0.9 up to rounding
    assert d.exponent == pytest.approx(math.log(0.9), rel=1e-11)
    assert d.horizons == {1000: math.ceil(3 / -math.log10(0.9)), 1_000_000: math.ceil(6 / -math.log10(0.9))}
    assert d.sigma_max == pytest.approx(0.9, rel=1e-14) and d.spectral_radius == pytest.approx(0.9, rel=1e-13)
    assert d.pascanu == pytest.approx(0.9, rel=1e-14) and d.gamma == 1.0
    assert d.lyapunov_max == pytest.approx(math.log(0.9), rel=1e-12)
    assert d.zero_from_lag is None and d.overflow_step is None and d.loss_step == 200 and d.mean_dact == 1.0
    # the sentence states the regime and the numbers
    s = d.sentence
    assert "vanishing" in s and "factor 0.9 per step" in s
    assert f"fallen 1000-fold {d.horizons[1000]} steps back" in s
    assert "after 200 steps it is 7.1e-10 of its size" in s  # 0.9^200 = 7.06e-10
    assert "γ·σ_max = 1·0.9 = 0.9 < 1" in s and "guarantees vanishing" in s


def test_linear_orthogonal_1_0_is_stable():
    d = _linear_orthogonal(1.0).diagnosis
    assert d.regime == "stable"
    assert d.rate == pytest.approx(1.0, rel=1e-12)
    assert d.horizons == {1000: None, 1_000_000: None}
    assert "stable" in d.sentence and "1.000 per step" in d.sentence
    assert "γ·σ_max = 1·1 = 1 ≥ 1" in d.sentence


def test_linear_orthogonal_1_1_is_exploding():
    d = _linear_orthogonal(1.1).diagnosis
    assert d.regime == "exploding"
    assert d.rate == pytest.approx(1.1, rel=1e-12)
    assert "exploding" in d.sentence and "factor 1.1 per step" in d.sentence
    assert "after 200 steps it is 1.9e+8 times its size" in d.sentence  # 1.1^200 = 1.9e8
    assert "1.1 > 1, which exploding requires" in d.sentence


def test_sentence_far_beyond_float64():
    # g = 2 over 5000 steps: 2^5000 = 1.4e+1505, written from the log, not computed
    cfg = Config(activation="linear", init="orthogonal", gain=2.0, seq_len=5000, hidden_size=2, input_kind="zeros")
    d = analyze(cfg, jacobians=False, lyapunov_k=1).diagnosis
    assert d.rate == pytest.approx(2.0, rel=1e-12)
    assert "1.4e+1505 times its size" in d.sentence


def test_zero_gradient_is_flagged():
    d = analyze(Config(gain=0.0, seq_len=20, hidden_size=4), jacobians=False).diagnosis
    assert d.zero_from_lag == 1 and d.regime == "vanishing"
    assert d.rate == 0.0 and d.exponent == -math.inf
    assert "exactly zero from lag 1" in d.sentence and "nan" not in d.sentence.lower()


def test_overflow_sentence_names_the_steps():
    a = analyze(Config(activation="linear", gain=3.0, seq_len=2000, hidden_size=8), jacobians=False)
    d = a.diagnosis
    assert d.overflow_step is not None
    assert f"overflowed float64 at step {d.overflow_step}" in d.sentence
    assert f"placed at step {d.loss_step}" in d.sentence
    assert f"after {d.loss_step} steps it is" in d.sentence  # the curve runs from the loss step, not from T
    assert d.regime == "exploding" and math.isfinite(d.rate)


def test_sigmoid_gamma_enters_the_pascanu_product():
    a = analyze(Config(activation="sigmoid", gain=2.0, seq_len=30, hidden_size=6), jacobians=False)
    d = a.diagnosis
    assert d.gamma == 0.25
    assert d.pascanu == pytest.approx(0.25 * d.sigma_max, rel=1e-15)
    assert d.sigma_max == pytest.approx(np.linalg.norm(a.params.W_hh, 2), rel=1e-13)
