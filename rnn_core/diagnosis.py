"""Naming the regime: the measured per-step rate, the memory horizon, the Pascanu bound, in one plain sentence."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .message import Message

Array = np.ndarray

# |ln(rate)| per step below which the gradient counts as 'stable': within a factor e over 50 steps.
STABLE_TOL = 0.02
THEIL_SEN_POINTS = 64  # lags used by the robust fit; 64 points give 2016 pairwise slopes
HORIZON_DECADES = (3, 6)  # memory horizon: lags until the gradient has fallen by 1e3 and 1e6
REGIMES = ("vanishing", "stable", "exploding")


def fit_rate(log10_by_lag: Array) -> tuple[float, int | None]:
    """Fit the slope of ``log10 ||dL/dh||`` against the lag, robustly (Theil–Sen: median of pairwise slopes).

    Parameters
    ----------
    log10_by_lag : ndarray, shape (K+1,) — the log10 gradient norm at lags 0..K; -inf where exactly zero.

    Returns
    -------
    slope : float — log10 of the factor per step; -inf if the gradient is exactly zero already at lag 1, NaN when
        fewer than two lags exist.
    zero_from_lag : int or None — the first lag at which the gradient is exactly zero.

    Examples
    --------
    >>> slope, zero_from = fit_rate(np.log10(0.5) * np.arange(10))
    >>> round(10**slope, 12), zero_from
    (0.5, None)
    """
    y = np.asarray(log10_by_lag, dtype=float)
    zero = np.flatnonzero(np.isneginf(y))
    zero_from = int(zero[0]) if zero.size else None
    y = y[:zero_from] if zero_from is not None else y
    y = y[np.isfinite(y)]  # NaN marks steps past an overflow: not part of the fit
    if zero_from is not None and y.size <= 1:
        return (-math.inf, zero_from) if zero_from >= 1 else (math.nan, zero_from)
    if y.size < 2:
        return math.nan, zero_from
    lags = np.unique(np.linspace(0, y.size - 1, min(THEIL_SEN_POINTS, y.size)).round().astype(int))
    i, j = np.triu_indices(lags.size, k=1)
    slopes = (y[lags[j]] - y[lags[i]]) / (lags[j] - lags[i])
    return float(np.median(slopes)), zero_from


def classify(exponent: float) -> str:
    """'vanishing', 'stable' or 'exploding' from the exponent ``ln(rate)`` per step (see ``STABLE_TOL``)."""
    if math.isnan(exponent):
        return "stable"
    if exponent < -STABLE_TOL:
        return "vanishing"
    return "exploding" if exponent > STABLE_TOL else "stable"


def memory_horizon(log10_by_lag: Array, decades: float) -> int | None:
    """The first lag at which the gradient has fallen ``decades`` orders of magnitude below its value at lag 0."""
    y = np.asarray(log10_by_lag, dtype=float)
    below = np.flatnonzero(y <= y[0] - decades)
    return int(below[0]) if below.size else None


@dataclass(frozen=True)
class Diagnosis:
    """The regime of one network, with the numbers that explain it.

    ``rate`` is the factor by which ``||dL/dh_t||`` changes per step of lag, ``exponent = ln(rate)``;
    ``pascanu = gamma * sigma_max(W_hh)``: below 1 vanishing is guaranteed, above 1 is necessary for exploding.
    ``horizons`` maps 1e3 and 1e6 to the lag at which the gradient has fallen that much (None: not within T).
    """

    rate: float
    exponent: float
    regime: str
    horizons: dict[int, int | None]
    gamma: float
    sigma_max: float
    spectral_radius: float
    pascanu: float
    lyapunov_max: float
    zero_from_lag: int | None
    overflow_step: int | None
    loss_step: int
    mean_dact: float
    sentence: str  # a Message: English, with the template and numbers another language says it from


def diagnose(log10_by_lag: Array, *, gamma: float, sigma_max: float, spectral_radius: float,
             lyapunov_max: float, overflow_step: int | None, loss_step: int, mean_dact: float,
             activation: str, step_bound: float | None = None, bound_text: str | None = None,
             reference: dict[str, float] | None = None) -> Diagnosis:
    """Measure the rate from the gradient curve (lags ``0..loss_step``) and say what it means.

    ``step_bound`` is the bound on every step's Jacobian norm (default ``gamma * sigma_max``, the Pascanu bound; NaN
    for a cell with none), ``bound_text`` how it is computed (default ``γ·σ_max = ...``); ``reference`` the cell's
    own theory curves at the largest lag (log10), said in a last sentence.
    """
    slope, zero_from = fit_rate(log10_by_lag)
    exponent = slope * math.log(10) if math.isfinite(slope) else slope
    rate = 10.0**slope if not math.isnan(slope) else math.nan
    regime = "vanishing" if zero_from is not None else classify(exponent)
    horizons = {10**d: memory_horizon(log10_by_lag, d) for d in HORIZON_DECADES}
    pascanu = gamma * sigma_max if step_bound is None else step_bound
    sentence = explain(regime=regime, rate=rate, slope=slope, K=len(log10_by_lag) - 1,
                       end=float(log10_by_lag[-1]) if len(log10_by_lag) else math.nan, zero_from=zero_from,
                       horizon=horizons[10**HORIZON_DECADES[0]], pascanu=pascanu, gamma=gamma, sigma_max=sigma_max,
                       overflow_step=overflow_step, loss_step=loss_step, mean_dact=mean_dact,
                       activation=activation, bound_text=bound_text, reference=reference or {})
    return Diagnosis(rate, exponent, regime, horizons, gamma, sigma_max, spectral_radius, pascanu, lyapunov_max,
                     zero_from, overflow_step, loss_step, mean_dact, sentence)


def explain(*, regime: str, rate: float, slope: float, K: int, end: float, zero_from: int | None,
            horizon: int | None, pascanu: float, gamma: float, sigma_max: float, overflow_step: int | None,
            loss_step: int, mean_dact: float, activation: str, bound_text: str | None = None,
            reference: dict[str, float] | None = None) -> Message:
    """One plain sentence (or three) built only from the numbers, so it can never contradict the settings.

    A :class:`~rnn_core.message.Message`: the English sentence, with the templates and numbers a page in another
    language says it from."""
    parts: list[Message] = []
    if overflow_step is not None:
        parts.append(Message("The hidden states overflowed float64 at step {overflow}, so the loss is placed at step "
                             "{loss}.", overflow=overflow_step, loss=loss_step))
    if K == 0:
        parts.append(Message("With a single step there is no lag to measure a rate over."))
    elif zero_from is not None:
        parts.append(Message("The gradient is exactly zero from lag {lag} on (vanishing): every unit's derivative is "
                             "zero there." if activation in ("relu",) else
                             "The gradient is exactly zero from lag {lag} on (vanishing): the recurrent weights or the "
                             "derivatives are zero.", lag=zero_from))
    else:
        # the measured size K steps back (what the gradient chart and its caption show); the fitted rate's
        # prediction rate**K only where the measurement is missing
        total = end if math.isfinite(end) else slope * K
        said = {"rate": rate_text(rate), "steps": steps_text(K), "size": size_text(total)}
        if regime == "vanishing" and horizon is not None:
            parts.append(Message("The gradient shrinks by a factor {rate} per step (vanishing): after {steps} it is "
                                 "{size}; it has fallen 1000-fold {horizon} steps back.", horizon=horizon, **said))
        elif regime == "vanishing":
            parts.append(Message("The gradient shrinks by a factor {rate} per step (vanishing): after {steps} it is "
                                 "{size}.", **said))
        elif regime == "exploding":
            parts.append(Message("The gradient grows by a factor {rate} per step (exploding): after {steps} it is "
                                 "{size}.", **said))
        else:
            parts.append(Message("The gradient changes by a factor {rate} per step (stable): after {steps} it is "
                                 "{size}.", **said))
    for name, value in (reference or {}).items():
        if K > 0 and math.isfinite(value):
            parts.append(Message("The cell's own theory, {name}, is {value} after {steps}.", name=name,
                                 value=pow10_text(value), steps=steps_text(K)))
    if not math.isfinite(pascanu):  # a cell with no single recurrent matrix: no Pascanu bound to state
        return Message.join(" ", parts)
    bound = bound_text or Message("γ·σ_max = {gamma:g}·{sigma:.3g} = {bound:.3g}", gamma=gamma, sigma=sigma_max,
                                  bound=pascanu)
    if pascanu < 1 and regime == "vanishing":
        parts.append(Message("{bound} < 1, so the Pascanu bound guarantees vanishing.", bound=bound))
    elif pascanu < 1:  # the bound forces decay, but too slowly to count as vanishing within these K steps
        parts.append(Message("{bound} < 1: the bound lets the gradient only shrink, to at most {most} after {steps}.",
                             bound=bound, most=pow10_text(K * math.log10(pascanu)) if pascanu > 0 else "0",
                             steps=steps_text(K)))
    elif regime == "vanishing" and K > 0:
        parts.append(Message("{bound} ≥ 1 would allow growth, yet the activation's derivatives (mean act' = "
                             "{dact:.2f}) shrink it." if mean_dact < 0.9 else
                             "{bound} ≥ 1 would allow growth, yet the directions that grow are not the ones the "
                             "gradient follows.", bound=bound, dact=mean_dact))
    elif regime == "exploding":
        parts.append(Message("{bound} > 1, which exploding requires.", bound=bound))
    else:
        parts.append(Message("{bound} ≥ 1: the bound allows growth but does not force it.", bound=bound))
    return Message.join(" ", parts)


def pow10_text(log10_value: float) -> str:
    """``1e-21``-style text for a power of ten that may be far outside float64 (``1e-3010``)."""
    if not math.isfinite(log10_value):
        return "0" if log10_value < 0 else "∞"
    exp = math.floor(log10_value)
    mant = 10 ** (log10_value - exp)
    if -3 <= log10_value < 3:
        return f"{10**log10_value:.3g}"
    return f"{mant:.2g}e{exp:+d}".replace("e+", "e+") if mant >= 1.05 else f"1e{exp:+d}"


def rate_text(rate: float) -> str:
    """The per-step rate as every page writes it: three decimals inside the stable band (there the digits after the
    1 are the whole story: 1.015 per step is 4.5x over 100 steps), three significant digits outside it.

    >>> rate_text(1.0151), rate_text(0.3347), rate_text(1.3196), rate_text(1.0)
    ('1.015', '0.335', '1.32', '1.000')
    """
    if not math.isfinite(rate) or rate <= 0:
        return "0" if rate == 0 else "—"
    return f"{rate:.3f}" if classify(math.log(rate)) == "stable" else f"{rate:.3g}"


def size_text(log10_value: float) -> Message:
    """The gradient's size relative to its size at the loss, from its log10: ``'5.28 times its size at the loss'``,
    ``'8.3e-48 of its size at the loss'``, or ``'as large as at the loss'`` when it rounds to 1.

    >>> size_text(0.7226), size_text(-47.08), size_text(1e-4)
    ('5.28 times its size at the loss', '8.3e-48 of its size at the loss', 'as large as at the loss')
    """
    text = pow10_text(log10_value)
    if text == "1":
        return Message("as large as at the loss")
    return Message("{size} times its size at the loss" if log10_value > 0 else "{size} of its size at the loss",
                   size=text)


def steps_text(k: int) -> Message:
    """``'1 step'``, ``'200 steps'``."""
    return Message("1 step") if k == 1 else Message("{k} steps", k=k)
