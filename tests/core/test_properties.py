"""Properties over random valid configurations, extremes included: analyze() never fails and never lies."""

from __future__ import annotations

import math
import re

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rnn_core import ACTIVATIONS, INITIALIZERS, INPUT_KINDS, Config, analyze, parse_lenient
from rnn_core.config import FIELDS, LOSSES, coerce

# database=None: no .hypothesis/ folder in the work tree; the explicit examples below pin the extremes instead.
SETTINGS = settings(max_examples=40, deadline=None, database=None)


@st.composite
def configs(draw):
    """Valid Configs, small enough to analyze in milliseconds, with the extremes drawn often."""
    init = draw(st.sampled_from(tuple(INITIALIZERS)))
    gain = draw(st.one_of(st.sampled_from([0.0, 1e-300, 0.5, 1.0, 1.1, 3.0, 50.0, 100.0]),
                          st.floats(0.0, 100.0, allow_nan=False)))
    if init == "spectral_radius" and gain == 0.0:
        gain = 1.0  # the one combination Config forbids
    text = draw(st.text(min_size=1, max_size=12))
    return Config(
        seq_len=draw(st.one_of(st.sampled_from([1, 2, 3]), st.integers(1, 120))),
        hidden_size=draw(st.one_of(st.just(1), st.integers(1, 8))),
        batch_size=draw(st.integers(1, 3)),
        activation=draw(st.sampled_from(tuple(ACTIVATIONS))),
        init=init,
        gain=gain,
        input_kind=draw(st.sampled_from(INPUT_KINDS)),
        input_scale=draw(st.sampled_from([0.0, 1.0, 5.0, 100.0])),
        input_size=draw(st.integers(1, 4)),
        text=text,
        loss=draw(st.sampled_from(LOSSES)),
        seed=draw(st.integers(0, 2**32 - 1)),
        bias_scale=draw(st.sampled_from([0.0, 0.5, 10.0])),
    )


EXTREMES = [
    Config(seq_len=1),
    Config(seq_len=1, hidden_size=1, batch_size=3, activation="relu"),
    Config(hidden_size=1, seq_len=50),
    Config(gain=0.0, seq_len=30, hidden_size=5),
    Config(gain=0.0, seq_len=30, hidden_size=5, input_kind="zeros", activation="sigmoid"),
    Config(gain=50.0, seq_len=60, hidden_size=8, activation="tanh"),  # saturated: act' rounds to 0
    Config(gain=50.0, seq_len=60, hidden_size=8, activation="relu", batch_size=2),
    Config(activation="linear", gain=3.0, seq_len=2000, hidden_size=8),  # states overflow float64
    Config(activation="linear", gain=3.0, seq_len=2000, hidden_size=8, loss="all", batch_size=2),
    Config(activation="linear", init="identity", gain=100.0, seq_len=400, hidden_size=2, input_scale=100.0),
    Config(activation="sigmoid", gain=100.0, seq_len=40, hidden_size=3, bias_scale=10.0),
    # a subnormal gain: products whose norm has no float64 inverse (found by hypothesis: NaN gradients once)
    Config(seq_len=2, hidden_size=1, batch_size=1, gain=2.2250738585e-313, input_kind="zeros", input_scale=0.0,
           bias_scale=0.0),
]


def _with_extremes(test):
    for cfg in EXTREMES:
        test = example(cfg)(test)
    return test


NAN_WORD = re.compile(r"\b(nan|inf)\b", re.IGNORECASE)


@_with_extremes
@given(configs())
@SETTINGS
def test_analyze_reports_only_finite_or_flagged_numbers(cfg):
    a = analyze(cfg)
    d = a.diagnosis
    T, Tv = cfg.seq_len, a.loss_step
    # the rate: a number, or the gradient is exactly zero from some lag (then rate = 0, exponent = -inf)
    assert math.isfinite(d.rate) or d.zero_from_lag is not None
    assert math.isfinite(d.exponent) or (d.zero_from_lag is not None and d.exponent == -math.inf)
    assert d.regime in ("vanishing", "stable", "exploding")
    for name in ("sigma_max", "spectral_radius", "pascanu", "gamma", "mean_dact"):
        assert math.isfinite(getattr(d, name)), name
    # lambda_max: a number, or -inf where the Jacobian product is exactly singular (documented); never NaN
    assert math.isfinite(d.lyapunov_max) or d.lyapunov_max == -math.inf
    assert not np.isnan(a.lyapunov).any()
    # overflow: flagged exactly when a state left float64, and the loss moves to the step before
    states_ok = bool(np.isfinite(a.traj.h).all())
    assert (d.overflow_step is None) == states_ok
    if d.overflow_step is not None:
        assert d.loss_step == d.overflow_step - 1 and Tv == d.loss_step
        assert np.isnan(a.traj.h[d.overflow_step:]).all()
    else:
        assert Tv == T == d.loss_step
    assert np.isfinite(a.traj.h[: Tv + 1]).all()
    # NaN in the log10 gradient norms only past the loss step; +inf never (it is a log: beyond float64 is fine)
    for g in (a.grad, a.grad_last):
        assert not np.isnan(g.log10_norm[: Tv + 1]).any()
        assert np.isnan(g.log10_norm[Tv + 1:]).all()
        assert not np.isposinf(g.log10_norm).any()
    assert not np.isnan(a.grad_log10_norm()[: Tv + 1]).any()
    if a.jacobians is not None:
        assert not np.isnan(a.jacobians.log10_norm[: Tv + 1]).any()
    assert not np.isnan(a.contributions[:Tv]).any()
    # the sentence: non-empty, with no 'nan' or 'inf' in it
    assert d.sentence.strip()
    assert not NAN_WORD.search(d.sentence), d.sentence
    for horizon in d.horizons.values():
        assert horizon is None or 1 <= horizon <= Tv


@given(configs())
@SETTINGS
def test_config_round_trips(cfg):
    assert Config.from_dict(cfg.to_dict()) == cfg
    assert Config.from_dict({k: str(v) for k, v in cfg.to_dict().items()}) == cfg
    assert parse_lenient({k: str(v) for k, v in cfg.to_dict().items()}) == (cfg, [])


untrusted_values = st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.none(), st.booleans(),
                             st.lists(st.text(max_size=5), max_size=3), st.sampled_from(["1e400", "-0", "١٢", "0x10"]))


@given(st.dictionaries(st.one_of(st.sampled_from(tuple(FIELDS)), st.text(max_size=20)), untrusted_values,
                       max_size=8))
@settings(max_examples=200, deadline=None, database=None)  # no analysis here: cheap
def test_parse_lenient_never_raises(values):
    cfg, warnings = parse_lenient(values)
    assert isinstance(cfg, Config)
    assert all(isinstance(w, str) and 0 < len(w) < 600 for w in warnings)
    if any(w.startswith(("Ignored the sizes", "Ignored the whole link")) for w in warnings):
        return
    for key, raw in values.items():  # every known key was either used as given or warned about by name
        if key in FIELDS and not any(w.startswith(f"Ignored {key!r}=") for w in warnings):
            assert getattr(cfg, key) == coerce(key, raw)
