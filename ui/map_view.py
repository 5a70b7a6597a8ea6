"""What the Regime map page shows, computed once per (configuration, map settings) and small enough to cache."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from rnn_core import Config, analyze
from rnn_core.phase import AXES, MapSettings, cell_summary, crossings, mean_field_frame, regime_map, theory_lines
from rnn_core.tidy import lyapunov_frame, singular_value_frame, spectrum_frame

from .captions import decades_text, spectra_caption

AXIS_TITLES = {"activation": "activation", "init": "W_hh initializer", "hidden_size": "hidden size N",
               "seq_len": "sequence length T", "cell": "cell"}
MULTIPLE_GAINS = (0.25, 0.5, 0.9, 1.1, 1.5, 2.5, 5.0)  # the coarse grid of the small multiples (nearest gains)


@dataclass(frozen=True)
class MapView:
    settings: MapSettings
    cells: pd.DataFrame  # one row per (axis value, gain): means over seeds, cell edges, link
    table: pd.DataFrame  # one row per network (CSV)
    contour: pd.DataFrame
    theory: pd.DataFrame
    mean_field: pd.DataFrame | None
    multiples: pd.DataFrame
    order: list[str]
    axis_title: str
    seconds: float
    below_mean_field: tuple[int, int] | None = None  # (tanh networks whose lambda_max lies below the mean field, of)


def explorer_link(config: Config) -> str:
    """A relative link that opens ``config`` in the Explorer.

    The app's root: Streamlit serves the default page there, and a fresh load of ``/explorer`` opens a "Page not
    found" dialog over it (Streamlit 1.67). ``./`` keeps any base path the server has (``server.baseUrlPath``).
    """
    return "./?" + urlencode({k: str(v) for k, v in config.to_dict().items()})


def build_map_view(base: Config, settings: MapSettings,
                   row: Callable[[object], tuple[pd.DataFrame, pd.DataFrame]] | None = None) -> MapView:
    """Sweep the map (``row(value)`` computes one row; default uncached) and reduce it to what the page draws."""
    start = time.perf_counter()
    table, curves = regime_map(base, settings, row=row)
    cells = cell_summary(table)
    gains = settings.gains
    edges = np.sqrt(gains[1:] * gains[:-1])  # cell borders halfway between gains on the log axis
    lo = dict(zip(gains, np.concatenate([[gains[0] ** 2 / edges[0]], edges]), strict=True))
    hi = dict(zip(gains, np.concatenate([edges, [gains[-1] ** 2 / edges[-1]]]), strict=True))
    typed = {str(v): v for v in AXES[settings.axis]}
    cells = cells.assign(
        gain_lo=cells["gain"].map(lo), gain_hi=cells["gain"].map(hi),
        href=[explorer_link(base.replace(gain=float(g), **{settings.axis: typed[a]}))
              for a, g in zip(cells["axis_value"], cells["gain"], strict=True)])
    show_mf = settings.axis == "activation" or (base.activation == "tanh" and settings.axis != "cell")
    mean_field = mean_field_frame(np.geomspace(gains[0], gains[-1], 120)) if show_mf else None
    below = None
    if show_mf:  # the tanh networks on the map against the mean-field curve at their own gains (what the caption says)
        tanh = cells if settings.axis != "activation" else cells[cells["axis_value"] == "tanh"]
        theory = mean_field_frame(tanh["gain"].to_numpy())["lyapunov_max"].to_numpy()
        measured = tanh["lyapunov_max"].to_numpy()
        ok = np.isfinite(measured) & np.isfinite(theory)
        below = (int(np.sum(measured[ok] < theory[ok])), int(ok.sum()))
    picks = sorted({float(gains[np.argmin(np.abs(np.log(gains / g)))]) for g in MULTIPLE_GAINS
                    if gains[0] <= g <= gains[-1]})
    first_seed = curves["seed"].min()
    multiples = curves[(curves["seed"] == first_seed) & curves["gain"].isin(picks)]
    regimes = table.loc[table["seed"] == first_seed, ["axis_value", "gain", "regime"]]
    multiples = multiples.merge(regimes, on=["axis_value", "gain"], how="left")
    multiples = multiples.assign(gain_label=multiples["gain"].map(lambda g: f"{g:.3g}"))
    multiples = multiples[np.isfinite(multiples["log10_norm"])]
    return MapView(settings, cells, table, crossings(cells, "log10_rate"), theory_lines(table, settings, base),
                   mean_field, multiples.reset_index(drop=True), [str(v) for v in AXES[settings.axis]],
                   AXIS_TITLES[settings.axis], time.perf_counter() - start, below)


@dataclass(frozen=True)
class SpectraView:
    eigenvalues: pd.DataFrame  # init, re, im, abs
    singular_values: pd.DataFrame  # init, matrix, index, log10_value
    lyapunov: pd.DataFrame  # init, index, exponent
    summary: pd.DataFrame  # init, matrix, the spread of its singular values (decades, as the caption writes it)
    config: Config  # the settings both networks share (see spectra_config)
    spreads: dict[tuple[str, str], float]  # (init, matrix) -> decades between the largest and smallest sigma
    mean_dact: dict[str, float]  # init -> the mean act' along the trajectory (what breaks an isometry)
    caption: str


SPECTRA_INITS = ("normal", "orthogonal")
# Where the lesson holds: gain 1 and a small input, so that tanh stays near its linear range (act' ~ 1) and an
# orthogonal W_hh's isometry carries over to the product of Jacobians. The page hides the gain: it sweeps it.
SPECTRA_CHANGES = {"cell": "rnn", "gain": 1.0, "input_kind": "noise", "input_scale": 0.01}


def spectra_config(base: Config, settings: MapSettings) -> Config:
    """The settings of the Gaussian-vs-orthogonal comparison: the sidebar's, with ``SPECTRA_CHANGES`` (and tanh when
    the map sweeps the activation, whose control the sidebar then hides)."""
    activation = "tanh" if settings.axis == "activation" else base.activation
    return base.replace(activation=activation, **SPECTRA_CHANGES)


def build_spectra_view(base: Config, fixed: tuple[str, ...] = ("gain", "input")) -> SpectraView:
    """Gaussian against orthogonal W_hh on the same settings: eigenvalues, singular values, Lyapunov spectra.
    ``fixed`` names the settings the page sets itself (``spectra_config``), for the caption."""
    eig, sv, lyap, rows, spreads, dact = [], [], [], [], {}, {}
    for init in SPECTRA_INITS:
        result = analyze(base.replace(init=init))
        eig.append(spectrum_frame(result).assign(init=init))
        s = singular_value_frame(result).assign(init=init)
        sv.append(s)
        lyap.append(lyapunov_frame(result).assign(init=init))
        dact[init] = result.diagnosis.mean_dact
        size = {"W_hh": result.spectrum.singular_values.size,
                "dh_T/dh_0": result.jacobians.log10_sv_full.size if result.jacobians else 0}
        for matrix, grp in s.groupby("matrix", sort=False):
            spread = float(grp["log10_value"].max() - grp["log10_value"].min()) + 0.0  # + 0.0: no "-0.0"
            beyond = len(grp) < size[matrix]  # values below float64's resolution (or exact zeros) were left out
            spreads[(init, matrix)] = math.inf if beyond else spread
            rows.append({"init": init, "matrix": matrix,
                         "decades between largest and smallest σ": decades_text(spread, beyond)})
    eigenvalues = pd.concat(eig, ignore_index=True)
    return SpectraView(eigenvalues, pd.concat(sv, ignore_index=True), pd.concat(lyap, ignore_index=True),
                       pd.DataFrame(rows), base, spreads, dact,
                       spectra_caption(base, eigenvalues, spreads, dact, fixed=fixed))
