"""Long-format pandas DataFrames of an :class:`~rnn_core.analysis.Analysis`, ready for charts and CSV export.

Values that are not finite are kept out of the plotted columns' rows (an exact zero has no logarithm; a step past
an overflow has no value) and stated in a ``note`` instead, so a chart never draws garbage.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .analysis import Analysis
from .message import Message

# Singular values more than this many decades below a matrix's largest are at float64's resolution (the product's
# rounding is ~1e-16 of its largest entry): not meaningful, so not drawn (see bptt.JacobianNorms).
RESOLUTION_DECADES = 15.0

# What the recurrence multiplies the state by, per cell with one such matrix (the matrix whose spectrum is shown).
RECURRENCE = {"rnn": "W_hh", "leaky": "(1−α)·I + α·W_hh", "lru": "Λ"}

QUANTITIES = {
    "grad_norm": "‖dL/dh_t‖ (measured)",
    "jacobian_norm": "‖dh_T/dh_t‖₂ (Jacobian product)",
    "pascanu_bound": "(γ·σ_max)^(T−t) (Pascanu bound)",
    "lyapunov": "exp(λ_max·(T−t)) (Lyapunov)",
}


def quantity_label(quantity: str) -> str:
    """The legend's name of a curve of :func:`gradient_frame` by its ``quantity``: a cell's state part
    (``part:c``) and its own theory (``ref:carousel``) as a :class:`~rnn_core.message.Message`."""
    kind, _, name = quantity.partition(":")
    if kind == "part":
        return Message("‖dL/d{part}_t‖ (measured, {part} alone)", part=name)
    if kind == "ref":
        return Message("{name} (theory)", name=name)
    return QUANTITIES[kind]


def gradient_frame(result: Analysis) -> pd.DataFrame:
    """Columns ``t, lag, quantity, label, log10_value``: the curves of the gradient-norm chart, steps 0..loss step.

    ``grad_norm`` is ``log10 ||dL/dh_t||`` (geometric mean over the batch) for the configured loss; the theory
    lines start at 0 (norm 1) at lag 0. A cell's state parts add ``part:<name>`` (``dL/dc_t`` of an LSTM) and its own
    theory ``ref:<name>`` curves (:attr:`Analysis.reference`). Rows with non-finite values are dropped.
    """
    d = result.diagnosis
    Tv = result.loss_step
    t = np.arange(Tv + 1)
    lag = Tv - t
    cols = {"grad_norm": result.grad_log10_norm()[: Tv + 1]}
    labels = dict(QUANTITIES)
    for part, curve in result.part_norms.items():  # an LSTM's dL/dc_t beside dL/dh_t (the whole state)
        cols[f"part:{part}"] = curve[: Tv + 1]
        labels[f"part:{part}"] = quantity_label(f"part:{part}")
    if result.jacobians is not None:
        cols["jacobian_norm"] = result.jacobians.log10_norm[: Tv + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        if math.isfinite(d.pascanu):  # a cell with a step bound (the vanilla and leaky RNN)
            cols["pascanu_bound"] = (lag * np.log10(d.pascanu) if d.pascanu > 0 else
                                     np.where(lag == 0, 0.0, -np.inf))
            if result.cell.name != "rnn":
                labels["pascanu_bound"] = "(step bound)^(T−t)"
        cols["lyapunov"] = lag * d.lyapunov_max / math.log(10)
    for name, curve in result.reference.items():  # the cell's own theory
        cols[f"ref:{name}"] = curve[: Tv + 1]
        labels[f"ref:{name}"] = quantity_label(f"ref:{name}")
    frames = [pd.DataFrame({"t": t, "lag": lag, "quantity": q, "label": labels[q],
                            "log10_value": np.asarray(v, dtype=float)}) for q, v in cols.items()]
    df = pd.concat(frames, ignore_index=True)
    return df[np.isfinite(df["log10_value"])].reset_index(drop=True)


def step_frame(result: Analysis) -> pd.DataFrame:
    """One row per step t = 0..T: ``mean_abs_h, log10_norm_h, saturated, log10_contribution, valid``."""
    T = result.config.seq_len
    contrib = np.concatenate([[np.nan], result.contributions])
    return pd.DataFrame({
        "t": np.arange(T + 1),
        "mean_abs_h": result.mean_abs_h,
        "log10_norm_h": result.log10_norm_h,
        "saturated": result.saturated,
        "log10_contribution": np.where(np.isfinite(contrib), contrib, np.nan),
        "valid": np.arange(T + 1) <= result.loss_step,
    })


def states_frame(result: Analysis, sequence: int = 0, max_steps: int = 400, max_units: int = 64) -> pd.DataFrame:
    """Columns ``t, unit, h``: hidden states of one sequence, valid steps only, thinned for a heatmap.

    At most ``max_steps`` evenly spaced steps and the first ``max_units`` units, so a chart stays light whatever
    T and N are (the CSV export uses :func:`states_frame` with larger limits).
    """
    h = result.traj.h[: result.loss_step + 1, sequence]  # (T+1, N)
    steps = np.unique(np.linspace(0, h.shape[0] - 1, min(max_steps, h.shape[0])).round().astype(int))
    units = np.arange(min(max_units, h.shape[1]))
    sub = h[np.ix_(steps, units)]
    return pd.DataFrame({
        "t": np.repeat(steps, units.size),
        "unit": np.tile(units, steps.size),
        "h": sub.ravel(),
    })


def spectrum_frame(result: Analysis) -> pd.DataFrame:
    """Eigenvalues of W_hh: columns ``re, im, abs``."""
    ev = result.spectrum.eigenvalues
    return pd.DataFrame({"re": ev.real, "im": ev.imag, "abs": np.abs(ev)})


def singular_value_frame(result: Analysis) -> pd.DataFrame:
    """Singular values, descending: columns ``index, matrix, log10_value`` for the recurrent matrix (``W_hh``; the
    leaky cell's ``(1−α)·I + α·W_hh``, the LRU's ``Λ``: see ``RECURRENCE``) and (when computed) the product
    ``dh_T/dh_0``; non-finite values dropped, and values more than ``RESOLUTION_DECADES`` below their matrix's largest
    (rounding, not data)."""
    matrix = RECURRENCE.get(result.config.cell, "W_hh")
    frames = [pd.DataFrame({"index": np.arange(1, result.spectrum.singular_values.size + 1), "matrix": matrix,
                            "log10_value": np.log10(np.maximum(result.spectrum.singular_values, 1e-300))})]
    if result.jacobians is not None:
        sv = result.jacobians.log10_sv_full
        frames.append(pd.DataFrame({"index": np.arange(1, sv.size + 1), "matrix": "dh_T/dh_0", "log10_value": sv}))
    df = pd.concat(frames, ignore_index=True)
    df = df[np.isfinite(df["log10_value"])]
    top = df.groupby("matrix", sort=False)["log10_value"].transform("max")
    return df[df["log10_value"] >= top - RESOLUTION_DECADES].reset_index(drop=True)


def lyapunov_frame(result: Analysis) -> pd.DataFrame:
    """The Lyapunov spectrum: columns ``index, exponent`` (natural log per step; non-finite dropped)."""
    lam = result.lyapunov
    df = pd.DataFrame({"index": np.arange(1, lam.size + 1), "exponent": lam})
    return df[np.isfinite(df["exponent"])].reset_index(drop=True)
