"""Regime maps: the per-step rate and lambda_max over gain × one more axis, with the theory lines beside them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .activations import ACTIVATIONS, get_activation
from .config import Config, message_of
from .initializers import INITIALIZERS
from .meanfield import tanh_lyapunov
from .message import Message
from .sweep import sweep

# The second axis of a map and the values it takes. 'spectral_radius' is left out of the initializers: its gain is the
# radius itself, so it would merely duplicate the rho = 1 line.
AXES: dict[str, tuple] = {
    "activation": ("tanh", "sigmoid", "relu", "linear"),
    "init": tuple(k for k in INITIALIZERS if k != "spectral_radius"),
    "hidden_size": (8, 16, 32, 64, 128, 256),
    "seq_len": (10, 25, 50, 100, 200, 400),
    # the cells whose recurrent weights the gain scales (the LRU has no gain: its ring sets its eigenvalues)
    "cell": ("rnn", "leaky", "lstm", "gru"),
}
VIEWS = ("rate", "lyapunov")
MAP_BUDGET = 1.2e10  # flops of one map (forward + backward); the default map is ~6e9, about a second here


@dataclass(frozen=True)
class MapSettings:
    """What a regime map sweeps; validated at construction like :class:`~rnn_core.config.Config`."""

    axis: str = "activation"
    gain_min: float = 0.1
    gain_max: float = 10.0
    gain_points: int = 40
    seeds: int = 3
    view: str = "rate"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_setting(f.name, getattr(self, f.name))
        if self.gain_min >= self.gain_max:
            raise ValueError(Message("gain_min={lo} must be below gain_max={hi}", lo=repr(self.gain_min),
                                     hi=repr(self.gain_max)))

    @property
    def gains(self) -> np.ndarray:
        """Log-spaced gains, rounded to 4 significant digits so that they read well in links and tooltips."""
        g = np.geomspace(self.gain_min, self.gain_max, self.gain_points)
        return np.array([float(f"{x:.4g}") for x in g])

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def parse_lenient(cls, values: Mapping[str, Any]) -> tuple[MapSettings, list[str]]:
        """From untrusted values (a URL): bad fields fall back to the default with a warning. Never raises.

        Each field is checked alone first, then the pair gain_min < gain_max (both fall back if it fails).
        """
        kept: dict[str, Any] = {}
        warnings: list[str] = []
        for f in dataclasses.fields(cls):
            if f.name not in values:
                continue
            raw = values[f.name]
            try:
                value = str(raw) if f.type == "str" else (int(str(raw)) if f.type == "int" else float(str(raw)))
                _check_setting(f.name, value)
            except (ValueError, OverflowError) as err:
                warnings.append(Message("Ignored {key}={raw}: {error}.", key=f.name, raw=repr(_text(raw)),
                                        error=message_of(err) if len(str(err)) <= 160 else str(err)[:160]))
                continue
            kept[f.name] = value
        try:
            return cls(**kept), warnings
        except ValueError as err:  # only the pair can fail here: drop whichever of the two the link gave
            for name in ("gain_min", "gain_max"):
                if name in kept:
                    warnings.append(Message("Ignored {key}={raw}: {error}.", key=name, raw=repr(_text(kept.pop(name))),
                                            error=message_of(err)))
            return cls(**kept), warnings


_LIMITS = {"gain_min": (0.001, 100.0), "gain_max": (0.001, 100.0), "gain_points": (2, 80), "seeds": (1, 8)}


def _check_setting(name: str, value: Any) -> None:
    """One map setting against its declaration, alone (the gain_min < gain_max pair is checked by the class)."""
    if name == "axis" and value not in AXES:
        raise ValueError(Message("{name}={value} is not one of {allowed}", name="axis", value=repr(value),
                                 allowed=", ".join(map(repr, AXES))))
    if name == "view" and value not in VIEWS:
        raise ValueError(Message("{name}={value} is not one of {allowed}", name="view", value=repr(value),
                                 allowed=", ".join(map(repr, VIEWS))))
    if name in _LIMITS:
        lo, hi = _LIMITS[name]
        kind = int if name in ("gain_points", "seeds") else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value) \
                or not lo <= value <= hi:
            raise ValueError(Message("{name}={value} is outside the allowed range [{lo}, {hi}]", name=name,
                                     value=_text(value), lo=lo, hi=hi))


def _text(raw: Any, n: int = 40) -> str:
    """``str(raw)`` cut to ``n`` characters; never raises (an int of 5,000 digits cannot be printed)."""
    try:
        return str(raw)[:n]
    except ValueError:
        return f"<{type(raw).__name__}>"


MAP_FIELDS = tuple(f.name for f in dataclasses.fields(MapSettings))


def map_configs(base: Config, settings: MapSettings) -> list[tuple[Any, Config]]:
    """The base configuration of each row of the map (one per value of the axis)."""
    values = AXES[settings.axis]
    if settings.axis == "activation":
        return [(v, base.replace(activation=v)) for v in values]
    return [(v, base.replace(**{settings.axis: v})) for v in values]


# The recurrent weights' rows per hidden unit: the gated cells multiply the state by 4 (LSTM) or 3 (GRU) blocks.
CELL_WORK = {"rnn": 1, "leaky": 1, "lstm": 4, "gru": 3, "lru": 1}


def map_cost(base: Config, settings: MapSettings) -> float:
    """Floating-point work of a map: 4 k N^2 T B per network (forward and backward matrix products, k row blocks)."""
    return sum(4.0 * CELL_WORK[c.cell] * c.hidden_size**2 * c.seq_len * c.batch_size * settings.gain_points
               * settings.seeds for _, c in map_configs(base, settings))


def check_cost(base: Config, settings: MapSettings) -> None:
    """Raise ValueError when a map's work exceeds ``MAP_BUDGET``, saying how far and what to lower."""
    cost = map_cost(base, settings)
    if cost > MAP_BUDGET:
        raise ValueError(f"this map needs {cost:.2g} flops, over the cap {MAP_BUDGET:.2g}: use fewer gains, seeds, "
                         "a shorter sequence, a smaller hidden size or batch")


def map_row(base: Config, settings: MapSettings, value: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row of the map (one value of the axis): the sweep table and curves, tagged with ``axis_value``."""
    cfg = dict(map_configs(base, settings))[value]
    seeds = tuple(range(base.seed, base.seed + settings.seeds))
    table, curve = sweep(cfg, settings.gains, seeds=seeds, curves=True)
    return table.assign(axis_value=str(value)), curve.assign(axis_value=str(value))


def regime_map(base: Config, settings: MapSettings, progress: Callable[[float], None] | None = None,
               row: Callable[[Any], tuple[pd.DataFrame, pd.DataFrame]] | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sweep every (axis value, seed, gain); one row per network, and the gradient curves for small multiples.

    Raises ValueError when the work exceeds ``MAP_BUDGET``. ``row(value)`` computes one row (default
    :func:`map_row`; the dashboard passes a cached one).

    Returns
    -------
    table : the :func:`~rnn_core.sweep.sweep` columns plus ``axis_value``.
    curves : ``axis_value, seed, gain, lag, log10_norm``.
    """
    check_cost(base, settings)
    values = AXES[settings.axis]
    tables, curves = [], []
    for i, value in enumerate(values):
        table, curve = row(value) if row is not None else map_row(base, settings, value)
        tables.append(table)
        curves.append(curve)
        if progress is not None:
            progress((i + 1) / len(values))
    return pd.concat(tables, ignore_index=True), pd.concat(curves, ignore_index=True)


def cell_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over seeds per (axis value, gain): ``log10_rate``, ``lyapunov_max`` and the majority regime."""
    finite = table.assign(log10_rate=table["log10_rate"].clip(lower=-3.0))  # exact zeros (-inf) drawn at the floor
    g = finite.groupby(["axis_value", "gain"], sort=False)
    out = g.agg(log10_rate=("log10_rate", "mean"), log10_rate_sd=("log10_rate", "std"),
                lyapunov_max=("lyapunov_max", "mean"), lyapunov_sd=("lyapunov_max", "std"),
                pascanu=("pascanu", "mean"), spectral_radius=("spectral_radius", "mean"),
                regime=("regime", lambda r: r.mode().iloc[0])).reset_index()
    return out.fillna({"log10_rate_sd": 0.0, "lyapunov_sd": 0.0})


def crossings(summary: pd.DataFrame, column: str, level: float = 0.0) -> pd.DataFrame:
    """Per axis value, the gains where ``column`` crosses ``level`` (interpolated linearly in log gain).

    This is the contour of the map: with ``column='log10_rate'`` it is where the measured rate crosses 1.
    """
    out = []
    for value, grp in summary.groupby("axis_value", sort=False):
        grp = grp.sort_values("gain")
        x, y = np.log10(grp["gain"].to_numpy()), grp[column].to_numpy() - level
        for i in np.flatnonzero(np.isfinite(y[:-1]) & np.isfinite(y[1:]) & (np.sign(y[:-1]) * np.sign(y[1:]) < 0)):
            xc = x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i])
            out.append({"axis_value": value, "gain": float(10**xc)})
    return pd.DataFrame(out, columns=["axis_value", "gain"])


def theory_lines(table: pd.DataFrame, settings: MapSettings, base: Config) -> pd.DataFrame:
    """The gains at which ``gamma * sigma_max(W) = 1`` (Pascanu) and ``rho(W) = 1``, from the actual matrices.

    Every initializer is linear in the gain, so ``sigma_max(g W_1) = g sigma_max(W_1)``: the line sits at
    ``1 / (gamma sigma_max(W_1))``, averaged over seeds. Columns ``axis_value, line, gain``.
    """
    out = []
    for value, grp in table.groupby("axis_value", sort=False):
        if (value if settings.axis == "cell" else base.cell) != "rnn":
            continue  # the lines are the vanilla cell's theory: the other cells state their own in the Explorer
        grp = grp[grp["gain"] > 0]
        act = value if settings.axis == "activation" else base.activation
        gamma = get_activation(act).gamma
        unit_sigma = (grp["sigma_max"] / grp["gain"]).groupby(grp["seed"]).first()
        unit_rho = (grp["spectral_radius"] / grp["gain"]).groupby(grp["seed"]).first()
        pascanu_gain = float(np.mean(1 / (gamma * unit_sigma)))
        out.append({"axis_value": value, "line": "γ·σ_max = 1 (Pascanu)", "gain": pascanu_gain})
        out.append({"axis_value": value, "line": "ρ(W) = 1", "gain": float(np.mean(1 / unit_rho))})
    return pd.DataFrame(out, columns=["axis_value", "line", "gain"])


def mean_field_frame(gains: np.ndarray) -> pd.DataFrame:
    """The mean-field lambda_max of a random tanh network (no input) at each gain: columns ``gain, lyapunov_max``."""
    return pd.DataFrame({"gain": gains, "lyapunov_max": tanh_lyapunov(gains)})


def standard_gain(activation: str) -> float:
    return ACTIVATIONS[activation].standard_gain
