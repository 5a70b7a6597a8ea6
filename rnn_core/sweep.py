"""Many networks in one call: a grid of gains (and seeds, and activations), vectorized over stacked matrices."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .activations import get_activation
from .bptt import backward
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
    # Every initializer is linear in the gain (W(g) = g * W(1), equal to rounding): one unit matrix per seed, and the
    # (S, G) networks stacked as leading dimensions of the parameters, so each step is one stacked matrix product.
    unit = [init_params(base.replace(gain=1.0, seed=s)) for s in seeds]
    W1 = np.stack([p.W_hh for p in unit])  # (S, N, N)

    def stack(name: str) -> np.ndarray:  # (S, G, ...): seed s's array for every gain
        a = np.stack([getattr(p, name) for p in unit])
        return np.broadcast_to(a[:, None], (S, G, *a.shape[1:]))
    stacked = ScaledStack.build(W1, np.broadcast_to(gains, (S, G)), stack("W_xh"), stack("b"), stack("u"))
    x = np.stack([init_inputs(base.replace(seed=s)) for s in seeds], axis=1)[:, :, None]  # (T, S, 1, B, D)
    spec = spectrum(W1)  # of W(1); the spectrum of g * W(1) is g times it
    # One Lyapunov exponent from each seed's own starting vector, the first column of analyze()'s frame: a row then
    # equals that configuration run alone.
    start = np.stack([initial_frame(base.hidden_size, 1, s) for s in seeds])[:, None]  # (S, 1, N, 1)
    rows, curve_frames = [], []
    for i, act in enumerate(activations):
        traj = forward(stacked, x, act)
        grad = backward(stacked, traj, "last")
        lyap = (lyapunov_spectrum(stacked, traj, k=1, start=start)[..., 0] if lyapunov  # (S, G)
                else np.full((S, G), np.nan))
        with np.errstate(invalid="ignore"):
            curves_g = grad.log10_norm.mean(axis=-1)  # (T+1, S, G): geometric mean over the batch
        valid = traj.valid_T[..., 0]  # (S, G)
        gamma = get_activation(act).gamma
        for si, seed in enumerate(seeds):
            for gi, gain in enumerate(gains):
                Tv = int(valid[si, gi])
                by_lag = curves_g[Tv::-1, si, gi]
                slope, zero_from = fit_rate(by_lag)
                exponent = slope * math.log(10) if math.isfinite(slope) else slope
                sigma = float(gain * spec.sigma_max[si])
                rows.append({
                    "activation": act, "seed": seed, "gain": float(gain),
                    "rate": 10.0**slope if not math.isnan(slope) else math.nan, "exponent": exponent,
                    "log10_rate": slope, "regime": "vanishing" if zero_from is not None else classify(exponent),
                    **{f"horizon_1e{d}": memory_horizon(by_lag, d) for d in HORIZON_DECADES},
                    "sigma_max": sigma, "spectral_radius": float(gain * spec.spectral_radius[si]),
                    "pascanu": gamma * sigma, "lyapunov_max": float(lyap[si, gi]),
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

