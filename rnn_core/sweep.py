"""Many networks in one call: a grid of gains (and seeds, and activations), vectorized over stacked matrices."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .activations import get_activation
from .bptt import backward
from .cells import make_cell
from .config import Config
from .diagnosis import HORIZON_DECADES, classify, fit_rate, memory_horizon
from .fast import ScaledStack
from .rnn import forward, init_inputs, init_params
from .spectra import initial_frame, lyapunov_spectrum, spectrum

Array = np.ndarray


def sweep(base: Config, gains: Sequence[float], seeds: Sequence[int] = (0,),
          activations: Sequence[str] | None = None, *, lyapunov: bool = True, curves: bool = False,
          progress: Callable[[float], None] | None = None) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Diagnose every ``(activation, seed, gain)`` network built from ``base``.

    All networks of one activation go through the forward and backward pass together: their parameters are stacked
    to shape ``(S, G, ...)`` over seeds and gains, and every step is one stacked ``np.matmul``. Each network is the
    one ``init_params(base.replace(gain=g, seed=s))`` draws (to rounding: ``g * W(1)``), so a row equals running that
    configuration alone.

    Parameters
    ----------
    base : Config — every other setting (T, N, B, init, input, loss is ignored: the rate uses the last-step loss).
    gains, seeds, activations : the grid; ``activations`` defaults to ``(base.activation,)``.
    lyapunov : also the largest Lyapunov exponent of each network (batched QR).
    curves : also return the gradient curves (``log10 ||dL/dh||`` by lag) for small multiples.
    progress : called with the fraction done after each activation.

    Returns
    -------
    DataFrame with one row per network: ``activation, seed, gain, rate, exponent, log10_rate, regime,
    horizon_1e3, horizon_1e6, sigma_max, spectral_radius, pascanu, lyapunov_max, overflow_step``; with
    ``curves=True`` a second DataFrame ``activation, seed, gain, lag, log10_norm``.
    """
    activations = tuple(activations or (base.activation,))
    gains = np.array([float(g) for g in gains])
    seeds = [int(s) for s in seeds]
    for s in seeds:  # validates every grid point with the Config's own messages
        for g in gains:
            base.replace(gain=float(g), seed=s)
    G, S = gains.size, len(seeds)
    x = np.stack([init_inputs(base.replace(seed=s)) for s in seeds], axis=1)[:, :, None]  # (T, S, 1, B, D)
    rows, curve_frames = [], []
    for i, act in enumerate(activations):
        cfg = base.replace(activation=act)
        if base.cell == "rnn":
            stacked, sigma, rho = _vanilla_stack(cfg, gains, seeds)
            cell = act
            pascanu = get_activation(act).gamma * sigma
        else:  # any other cell: each network drawn alone, then stacked
            stacked = _stack([[make_cell(cfg).init_params(cfg.replace(gain=float(g), seed=s)) for g in gains]
                              for s in seeds])
            cell = make_cell(cfg)
            theory = cell.theory(stacked)
            spec = spectrum(theory.recurrent) if theory.recurrent is not None else None
            sigma = spec.sigma_max if spec is not None else np.full((S, G), np.nan)
            rho = spec.spectral_radius if spec is not None else np.full((S, G), np.nan)
            pascanu = (np.broadcast_to(theory.step_bound, (S, G)) if theory.step_bound is not None
                       else theory.gamma * sigma)
        traj = forward(stacked, x, cell)
        grad = backward(stacked, traj, "last")
        # One Lyapunov exponent from each seed's own starting vector, the first column of analyze()'s frame: a row
        # then equals that configuration run alone.
        state = traj.s.shape[-1]
        start = np.stack([initial_frame(state, 1, s) for s in seeds])[:, None]  # (S, 1, state, 1)
        lyap = (lyapunov_spectrum(stacked, traj, k=1, start=start)[..., 0] if lyapunov  # (S, G)
                else np.full((S, G), np.nan))
        with np.errstate(invalid="ignore"):
            curves_g = grad.log10_norm.mean(axis=-1)  # (T+1, S, G): geometric mean over the batch
        valid = traj.valid_T[..., 0]  # (S, G)
        for si, seed in enumerate(seeds):
            for gi, gain in enumerate(gains):
                Tv = int(valid[si, gi])
                by_lag = curves_g[Tv::-1, si, gi]
                slope, zero_from = fit_rate(by_lag)
                exponent = slope * math.log(10) if math.isfinite(slope) else slope
                rows.append({
                    "activation": act, "seed": seed, "gain": float(gain),
                    "rate": 10.0**slope if not math.isnan(slope) else math.nan, "exponent": exponent,
                    "log10_rate": slope, "regime": "vanishing" if zero_from is not None else classify(exponent),
                    **{f"horizon_1e{d}": memory_horizon(by_lag, d) for d in HORIZON_DECADES},
                    "sigma_max": float(sigma[si, gi]), "spectral_radius": float(rho[si, gi]),
                    "pascanu": float(pascanu[si, gi]), "lyapunov_max": float(lyap[si, gi]),
                    "overflow_step": Tv + 1 if Tv < base.seq_len else None,
                })
                if curves:
                    curve_frames.append(pd.DataFrame({"activation": act, "seed": seed, "gain": float(gain),
                                                      "lag": np.arange(Tv + 1), "log10_norm": by_lag}))
        if progress is not None:
            progress((i + 1) / len(activations))
    table = pd.DataFrame(rows)
    if curves:
        return table, pd.concat(curve_frames, ignore_index=True)
    return table


def _vanilla_stack(base: Config, gains: Array, seeds: list[int]) -> tuple[ScaledStack, Array, Array]:
    """The vanilla cell's (S, G) networks as one unit matrix per seed times each gain, and their sigma_max and rho.

    Every initializer is linear in the gain (W(g) = g * W(1), equal to rounding), so each step multiplies each unit
    matrix once for all gains (:class:`~rnn_core.fast.ScaledStack`), and the spectrum of g W(1) is g times W(1)'s.
    """
    G, S = gains.size, len(seeds)
    unit = [init_params(base.replace(gain=1.0, seed=s)) for s in seeds]
    W1 = np.stack([p.W_hh for p in unit])  # (S, N, N)

    def stack(name: str) -> np.ndarray:  # (S, G, ...): seed s's array for every gain
        a = np.stack([getattr(p, name) for p in unit])
        return np.broadcast_to(a[:, None], (S, G, *a.shape[1:]))
    stacked = ScaledStack.build(W1, np.broadcast_to(gains, (S, G)), stack("W_xh"), stack("b"), stack("u"))
    spec = spectrum(W1)
    return stacked, gains * spec.sigma_max[:, None], gains * spec.spectral_radius[:, None]


def _stack(params: list[list[Any]]) -> Any:
    """Parameters of S x G networks (nested lists) as one parameter object with leading dimensions (S, G)."""
    first = params[0][0]
    return type(first)(**{f.name: np.stack([np.stack([getattr(p, f.name) for p in row]) for row in params])
                          for f in dataclasses.fields(first)})
