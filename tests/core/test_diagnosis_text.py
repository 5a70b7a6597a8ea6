"""The diagnosis sentence's wording follows its numbers: one format for the rate, a size that says 'times' when the
gradient grew, and a bound that is not said to force vanishing when the regime is stable."""

from __future__ import annotations

import math
import re

import pytest

from rnn_core import Config, analyze
from rnn_core.diagnosis import explain, pow10_text, rate_text, size_text
from rnn_core.presets import PRESETS_BY_SLUG


@pytest.mark.parametrize("rate, text", [(1.0151, "1.015"), (0.98449, "0.984"), (1.0, "1.000"), (0.3347, "0.335"),
                                        (1.3196, "1.32"), (0.9, "0.9"), (1.1, "1.1"), (0.0, "0"), (math.nan, "—")])
def test_rate_text_keeps_the_digits_that_matter(rate, text):
    # inside the stable band (|ln rate| <= 0.02) three decimals: 1.015 and 1.02 differ by a factor 1.5 over 100 steps
    assert rate_text(rate) == text


@pytest.mark.parametrize("log10_value, text", [(0.7226, "5.28 times its size at the loss"),
                                               (-1.07, "0.0851 of its size at the loss"),
                                               (0.001, "as large as at the loss"), (-0.0001, "as large as at the loss"),
                                               (12.1, "1.3e+12 times its size at the loss")])
def test_size_text_says_times_for_growth_and_never_one_of_its_size(log10_value, text):
    assert size_text(log10_value) == text


SENTENCE = dict(slope=0.0, zero_from=None, horizon=None, gamma=1.0, sigma_max=1.88, overflow_step=None, mean_dact=1.0,
                activation="tanh")


def test_a_stable_gradient_that_grew_fivefold_is_not_said_to_keep_its_size():
    # the case: 1.015 per step over 100 steps, 5.28 times at t = 0
    s = explain(regime="stable", rate=1.0151, K=100, end=math.log10(5.28), pascanu=1.88, loss_step=100, **SENTENCE)
    assert "keeps its size" not in s
    assert "a factor 1.015 per step (stable)" in s and "5.28 times its size at the loss" in s


def test_a_gradient_back_at_its_size_says_so():
    s = explain(regime="stable", rate=1.0, K=200, end=0.0, pascanu=1.0, loss_step=200, **SENTENCE)
    assert "1 of its size" not in s and "as large as at the loss" in s


def test_a_bound_below_one_on_a_stable_gradient_says_how_far_it_lets_it_fall():
    # the LRU with |λ| near 1: the step bound 0.999 < 1 forces decay, but only to 0.999^200 = 0.82: stable
    a = analyze(PRESETS_BY_SLUG["lru-near-1"].config)
    d = a.diagnosis
    assert d.regime == "stable" and d.pascanu < 1
    assert "guarantees vanishing" not in d.sentence
    assert f"to at most {pow10_text(d.loss_step * math.log10(d.pascanu))} after {d.loss_step} steps" in d.sentence


@pytest.mark.parametrize("kw", [dict(), dict(activation="linear", gain=1.3), dict(init="orthogonal", input_scale=0.01),
                                dict(cell="lstm"), dict(cell="lru", r_min=0.99, r_max=0.999)])
def test_the_sentence_writes_the_rate_as_every_page_does(kw):
    d = analyze(Config(**kw), jacobians=False).diagnosis
    assert f"a factor {rate_text(d.rate)} per step" in d.sentence
    # no other spelling of the same rate
    others = {f"{d.rate:.3g}", f"{d.rate:.3f}", f"{d.rate:.4g}"} - {rate_text(d.rate)}
    found = set(re.findall(r"factor ([0-9.]+) per step", d.sentence))
    assert not found & others
