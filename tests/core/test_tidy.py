"""Long-format frames for the charts: column names, row counts, and no non-finite values where they are drawn."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import Config, analyze
from rnn_core.tidy import (
    QUANTITIES,
    gradient_frame,
    lyapunov_frame,
    singular_value_frame,
    spectrum_frame,
    states_frame,
    step_frame,
)

CASES = {
    "plain": Config(seq_len=40, hidden_size=6, batch_size=2, gain=1.2),
    "overflow": Config(activation="linear", gain=3.0, seq_len=2000, hidden_size=5),
    "zero_gain": Config(gain=0.0, seq_len=15, hidden_size=3, input_kind="zeros"),
    "one_step": Config(seq_len=1, hidden_size=1),
    "dead_relu": Config(activation="relu", gain=50.0, seq_len=30, hidden_size=1),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def result(request):
    return analyze(CASES[request.param], all_singular_values=True)


def _finite(df, columns):
    return np.isfinite(df[list(columns)].to_numpy(dtype=float)).all()


def test_gradient_frame(result):
    df = gradient_frame(result)
    assert list(df.columns) == ["t", "lag", "quantity", "label", "log10_value"]
    assert _finite(df, ["t", "lag", "log10_value"])
    assert set(df["quantity"]) <= set(QUANTITIES)  # the vanilla cell: no state parts, no curves of its own
    assert (df["label"] == df["quantity"].map(QUANTITIES)).all()
    Tv = result.loss_step
    assert (df["lag"] == Tv - df["t"]).all() and df["t"].between(0, Tv).all()
    assert df.groupby("quantity").size().max() <= Tv + 1
    # the values are the analysis' own numbers, not recomputed
    grad = df[df["quantity"] == "grad_norm"].set_index("t")["log10_value"]
    np.testing.assert_array_equal(grad.to_numpy(), result.grad_log10_norm()[grad.index])
    bound = df[df["quantity"] == "pascanu_bound"].set_index("t")["log10_value"]
    lag = Tv - bound.index.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):  # pascanu = 0: only lag 0 (value 0) is kept
        expected = np.where(lag == 0, 0.0, lag * np.log10(result.diagnosis.pascanu))
    np.testing.assert_allclose(bound.to_numpy(), expected, rtol=1e-15)


def test_gradient_frame_row_count_when_all_values_are_finite():
    a = analyze(CASES["plain"])
    df = gradient_frame(a)
    T = a.config.seq_len
    assert len(df) == 4 * (T + 1)  # four curves, steps 0..T, nothing dropped
    assert df.groupby("quantity").size().to_dict() == dict.fromkeys(QUANTITIES, T + 1)


def test_gradient_frame_drops_non_finite_rows():
    a = analyze(CASES["zero_gain"])  # log10 0 = -inf before the last step; pascanu = 0
    df = gradient_frame(a)
    grad = df[df["quantity"] == "grad_norm"]
    assert grad["t"].tolist() == [a.config.seq_len]  # only lag 0 is finite
    assert _finite(df, ["log10_value"])


def test_step_frame(result):
    df = step_frame(result)
    T, Tv = result.config.seq_len, result.loss_step
    assert list(df.columns) == ["t", "mean_abs_h", "log10_norm_h", "saturated", "log10_contribution", "valid"]
    assert len(df) == T + 1 and df["t"].tolist() == list(range(T + 1))  # one row per step, as documented
    assert (df["valid"] == (df["t"] <= Tv)).all()
    valid = df[df["valid"]]
    assert _finite(valid, ["mean_abs_h", "saturated"])
    # past the loss step the rows say "no value" (NaN), never a number or an infinity
    assert df.loc[~df["valid"], ["mean_abs_h", "log10_norm_h", "saturated", "log10_contribution"]].isna().all().all()
    # the contribution column is finite or NaN: -inf (an exact zero) is turned into NaN for the charts
    assert not np.isinf(df["log10_contribution"]).any()
    # log10 ||h_t|| is finite wherever h_t != 0
    nonzero = np.abs(result.traj.h[: Tv + 1]).max(axis=-1).min(axis=-1) > 0  # (max, not a norm: h ~ 1e307)
    assert np.isfinite(valid["log10_norm_h"].to_numpy()[nonzero]).all()


def test_states_frame(result):
    df = states_frame(result, max_steps=25, max_units=4)
    assert list(df.columns) == ["t", "unit", "h"]
    assert _finite(df, ["t", "unit", "h"])
    steps = df["t"].unique()
    assert len(steps) <= 25 and steps.max() <= result.loss_step and 0 in steps
    assert df["unit"].max() < min(4, result.config.hidden_size)
    assert len(df) == len(steps) * min(4, result.config.hidden_size)
    h = result.traj.h[df["t"].to_numpy(), 0, df["unit"].to_numpy()]
    np.testing.assert_array_equal(df["h"].to_numpy(), h)


def test_spectrum_and_singular_value_frames(result):
    N = result.config.hidden_size
    spec = spectrum_frame(result)
    assert list(spec.columns) == ["re", "im", "abs"] and len(spec) == N
    assert _finite(spec, ["re", "im", "abs"])
    np.testing.assert_allclose(spec["abs"], np.hypot(spec["re"], spec["im"]), rtol=1e-15)
    sv = singular_value_frame(result)
    assert list(sv.columns) == ["index", "matrix", "log10_value"]
    assert _finite(sv, ["index", "log10_value"])
    assert set(sv["matrix"]) <= {"W_hh", "dh_T/dh_0"}
    assert (sv["matrix"] == "W_hh").sum() == N  # log10 of max(sigma, 1e-300): W_hh is always drawn in full
    assert (sv["matrix"] == "dh_T/dh_0").sum() <= N


def test_lyapunov_frame(result):
    df = lyapunov_frame(result)
    assert list(df.columns) == ["index", "exponent"]
    assert _finite(df, ["index", "exponent"])
    assert len(df) == np.isfinite(result.lyapunov).sum()
    assert (np.diff(df["exponent"]) <= 0).all()
