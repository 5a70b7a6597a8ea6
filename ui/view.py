"""What a page shows for one configuration, computed once and small enough to cache for a room of users.

An :class:`~rnn_core.analysis.Analysis` holds every state and gradient (tens of MB for long sequences); a ``View``
keeps only the tidy frames the charts draw, thinned, plus the diagnosis and captions (well under 1 MB).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnn_core import Analysis, Config, analyze
from rnn_core.cells.lru import curse_of_memory
from rnn_core.diagnosis import Diagnosis
from rnn_core.tidy import gradient_frame, lyapunov_frame, singular_value_frame, spectrum_frame, states_frame, step_frame

from .captions import contributions_caption, gradient_caption, spectrum_caption, states_caption, zero_state
from .charts import gradient_domain

MAX_CHART_STEPS = 1000  # points per curve in a chart; the CSV keeps every step


@dataclass(frozen=True)
class View:
    """The frames, diagnosis and captions of one configuration."""

    config: Config
    diagnosis: Diagnosis
    gradient: pd.DataFrame  # every step (CSV); charts use gradient_thin
    gradient_thin: pd.DataFrame
    steps: pd.DataFrame
    states: pd.DataFrame
    spectrum: pd.DataFrame
    singular_values: pd.DataFrame
    lyapunov: pd.DataFrame
    captions: dict[str, str]
    gamma: float
    jacobians_skipped: str | None
    log10_grad_W_hh: float  # log10 ||dL/dW_hh||_F, exact beyond float64 (what clipping would rescale)
    reference: dict[str, float]  # a gated cell's own theory from t = 0 to the loss (log10), shown beside the verdict
    curse: pd.DataFrame | None  # the LRU's curse of memory against |lambda| (see curse_frame); None for other cells
    seconds: float
    zero_state: bool = False  # the state is exactly 0 at every step: the state charts give way to a line saying why


def thin(df: pd.DataFrame, column: str = "t", max_points: int = MAX_CHART_STEPS) -> pd.DataFrame:
    """Keep at most ``max_points`` evenly spaced values of ``column`` (the first and last included)."""
    values = np.sort(df[column].unique())
    if values.size <= max_points:
        return df
    keep = values[np.unique(np.linspace(0, values.size - 1, max_points).round().astype(int))]
    return df[df[column].isin(keep)].reset_index(drop=True)


def build_view(config: Config, result: Analysis | None = None) -> View:
    """Analyze ``config`` (or take its analysis, ``result``: an uploaded model's) and reduce it to what the pages
    draw. An uploaded model's view leaves out ``log10_grad_W_hh`` (NaN): only the tour draws it, and the parameter
    gradients of a 1024-unit LSTM take 120 MB at T = 1000."""
    start = time.perf_counter()
    log10_dW = math.nan
    if result is None:
        result = analyze(config)
        pg = result.param_grads()
        recurrent = next(iter(pg.mantissas))  # W_hh, or the LRU's nu_log: the first parameter is the recurrent one
        with np.errstate(divide="ignore"):
            log10_dW = pg.log10_scale + float(np.log10(np.linalg.norm(pg.mantissas[recurrent])))
    grad = gradient_frame(result)
    grad_thin = thin(grad)
    return View(
        config=config,
        diagnosis=result.diagnosis,
        gradient=grad,
        gradient_thin=grad_thin,
        steps=step_frame(result),
        states=states_frame(result, max_steps=200, max_units=64),
        spectrum=spectrum_frame(result),
        singular_values=singular_value_frame(result),
        lyapunov=lyapunov_frame(result),
        captions={"gradient": gradient_caption(result, gradient_domain(grad_thin)), "states": states_caption(result),
                  "spectrum": spectrum_caption(result), "contributions": contributions_caption(result)},
        gamma=result.diagnosis.gamma,
        jacobians_skipped=result.jacobians_skipped,
        log10_grad_W_hh=log10_dW,
        reference=({} if np.isfinite(result.diagnosis.pascanu) else
                   {name: float(curve[0]) for name, curve in result.reference.items()}),
        curse=curse_frame() if config.cell == "lru" else None,
        seconds=time.perf_counter() - start,
        zero_state=zero_state(result),
    )


def curse_frame() -> pd.DataFrame:
    """The curse of memory (Zucchet & Orvieto 2024) over ``|lambda|`` in [0, 0.9999], for a long sequence (the limit
    T -> inf, white-noise input of unit variance): columns ``r, curve, log10_value`` — the sensitivity
    ``E|dh/dlambda|^2`` with the LRU's input normalization, ``(1 + r^2) / (1 - r^2)^2``, and the state's variance
    without it, ``1 / (1 - r^2)``."""
    r = np.unique(np.concatenate([np.linspace(0.0, 0.9, 46), 1.0 - np.geomspace(0.1, 1e-4, 60)]))
    variance = -np.log10((1.0 - r) * (1.0 + r)) + 0.0  # + 0.0: no -0.0 at r = 0
    sensitivity = curse_of_memory(r, normalized=True)
    return pd.concat([pd.DataFrame({"r": r, "curve": CURSE_LABELS[0], "log10_value": sensitivity}),
                      pd.DataFrame({"r": r, "curve": CURSE_LABELS[1], "log10_value": variance})], ignore_index=True)


CURSE_LABELS = ("sensitivity to λ, E|dh/dλ|² (normalized input)", "state variance E|h|² (no normalization)")
