"""The one configuration object: every choice of an experiment, validated once, convertible to a flat dict.

``Config`` is the single source of truth (like TensorFlow Playground's ``state.ts``): widgets, URL query
parameters, cache keys and tests all derive from the ``FIELDS`` declared here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .activations import ACTIVATIONS
from .initializers import INITIALIZERS
from .inputs import INPUT_KINDS
from .message import Message

LOSSES = ("last", "all")
CELL_NAMES = ("rnn", "leaky", "lstm", "gru", "lru")
FORGET_INITS = ("constant", "chrono")
MAX_WORK = 2**24  # T * B * N: one float64 state array is then 128 MiB; the analysis keeps a few such arrays
# The dashboard's stricter cap (32 MiB per array): a shared server with ~1 GB must survive a room of users.
UI_MAX_WORK = 2**22
MAX_TEXT = 200


def _spec(label: str, help: str, *, lo: float | None = None, hi: float | None = None,
          choices: tuple[str, ...] | None = None, log: bool = False, ui_hi: float | None = None) -> dict[str, Any]:
    return {"label": label, "help": help, "lo": lo, "hi": hi, "choices": choices, "log": log,
            "ui_hi": ui_hi if ui_hi is not None else hi}


@dataclass(frozen=True)
class Config:
    """Every choice of one experiment. Frozen and validated at construction.

    Raises ``ValueError`` naming the field, the value received and what is allowed.

    Examples
    --------
    >>> cfg = Config(seq_len=50, gain=0.5)
    >>> Config.from_dict(cfg.to_dict()) == cfg
    True
    >>> Config(activation="tahn")
    Traceback (most recent call last):
    ...
    ValueError: activation='tahn' is not one of 'tanh', 'sigmoid', 'relu', 'leaky_relu', 'linear'
    """

    cell: str = field(default="rnn", metadata=_spec(
        "Cell", "The recurrent update rule: the vanilla RNN, a leaky RNN, an LSTM, a GRU or a linear recurrent unit.",
        choices=CELL_NAMES))
    seq_len: int = field(default=100, metadata=_spec(
        "Sequence length T", "Number of time steps the RNN reads.", lo=1, hi=10_000, ui_hi=5_000))
    hidden_size: int = field(default=64, metadata=_spec(
        "Hidden size N", "Number of hidden units (W_hh is N x N).", lo=1, hi=1024, ui_hi=512))
    batch_size: int = field(default=1, metadata=_spec(
        "Batch B", "Number of input sequences run side by side.", lo=1, hi=256, ui_hi=64))
    activation: str = field(default="tanh", metadata=_spec(
        "Activation", "The nonlinearity act in h_t = act(W_hh h_{t-1} + W_xh x_t + b).",
        choices=tuple(ACTIVATIONS)))
    init: str = field(default="normal", metadata=_spec(
        "W_hh initializer", "How the recurrent matrix is drawn.", choices=tuple(INITIALIZERS)))
    gain: float = field(default=1.0, metadata=_spec(
        "Gain g", "Scale of W_hh (for 'spectral_radius' it is the radius itself).", lo=0.0, hi=100.0, log=True,
        ui_hi=20.0))
    input_kind: str = field(default="noise", metadata=_spec(
        "Input", "The sequence x_1..x_T fed to the network.", choices=INPUT_KINDS))
    input_scale: float = field(default=1.0, metadata=_spec(
        "Input scale", "Amplitude of the input.", lo=0.0, hi=100.0, ui_hi=10.0))
    input_size: int = field(default=8, metadata=_spec(
        "Input size D", "Input units (for text input: the vocabulary size instead).", lo=1, hi=4096, ui_hi=64))
    text: str = field(default="hello", metadata=_spec(
        "Text", "Characters read one per step, one-hot (input 'text' only).", lo=1, hi=MAX_TEXT))
    loss: str = field(default="last", metadata=_spec(
        "Loss", "'last': L = u·h_T; 'all': L = sum_t u·h_t (u a fixed random unit readout).", choices=LOSSES))
    seed: int = field(default=0, metadata=_spec(
        "Seed", "Seeds the weights, the inputs and the readout.", lo=0, hi=2**32 - 1))
    bias_scale: float = field(default=0.0, metadata=_spec(
        "Bias scale", "b ~ N(0, bias_scale^2).", lo=0.0, hi=10.0))

    leak: float = field(default=0.1, metadata=_spec(
        "Leak α", "Leaky RNN: h_t = (1 - α) h_{t-1} + α act(W_hh h_{t-1} + W_xh x_t + b); α = 1 is the vanilla RNN.",
        lo=0.001, hi=1.0))
    forget_bias: float = field(default=1.0, metadata=_spec(
        "Forget-gate bias", "LSTM: the forget gate's bias (1.0 keeps the cell state from the start).",
        lo=-10.0, hi=10.0))
    forget_init: str = field(default="constant", metadata=_spec(
        "Forget-gate init", "LSTM: 'constant' uses the forget-gate bias; 'chrono' draws log U(1, T - 1) per unit "
        "(Tallec & Ollivier 2018), and the input gate's bias is its negative.", choices=FORGET_INITS))
    r_min: float = field(default=0.5, metadata=_spec(
        "Ring r_min", "LRU: the smallest |λ| of the eigenvalue ring.", lo=0.0, hi=0.9999))
    r_max: float = field(default=0.99, metadata=_spec(
        "Ring r_max", "LRU: the largest |λ| of the eigenvalue ring (the memory horizon ~ 1 / (1 - r_max)).",
        lo=0.0, hi=0.9999))
    max_phase: float = field(default=6.283, metadata=_spec(
        "Max phase", "LRU: eigenvalue phases drawn in [0, max_phase] (2π: the whole ring).", lo=0.0, hi=6.2832))

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_field(f, getattr(self, f.name))
            if f.type in ("float", float):
                # + 0.0 turns -0.0 into 0.0 (which "0 <= x" lets through and numpy's scale arguments refuse), and an
                # int into the float the field declares, so that to_dict() round trips compare equal
                object.__setattr__(self, f.name, float(getattr(self, f.name)) + 0.0)
        check_work(self, MAX_WORK)
        if self.r_min > self.r_max:
            raise ValueError(f"r_min={self.r_min} exceeds r_max={self.r_max}: the ring needs r_min <= r_max")
        if self.init == "spectral_radius" and self.gain == 0:
            raise ValueError("gain=0.0 is not allowed with init='spectral_radius': the radius must be > 0")

    @property
    def input_dim(self) -> int:
        """The number of input units actually used (the vocabulary size for text input)."""
        return len(set(self.text)) if self.input_kind == "text" else self.input_size

    def to_dict(self) -> dict[str, int | float | str]:
        """A flat dict of plain values: the URL query parameters and the cache key."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Config:
        """Build from a flat dict whose values may be strings (as in a URL). Unknown keys raise ``ValueError``."""
        known = field_names()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown configuration field(s) {unknown}; allowed: {list(known)}")
        return cls(**{k: coerce(k, v) for k, v in values.items()})

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


FIELDS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(Config)}


def field_names() -> tuple[str, ...]:
    return tuple(FIELDS)


def field_error(name: str, value_text: str, reason: str) -> ValueError:
    """The ValueError for a value refused for one field: its message names the field, the value and what is allowed
    (``seq_len=-5 is outside the allowed range [1, 10000]``); its ``reason`` attribute is what is wrong without the
    name and value (``is outside the allowed range [1, 10000]``), for a message that already shows them."""
    err = ValueError(Message("{name}={value} {reason}", name=name, value=value_text, reason=reason))
    err.reason = reason
    return err


def coerce(name: str, value: Any) -> Any:
    """Convert ``value`` (often a string from a URL) to the type of field ``name``; ValueError if it cannot."""
    f = FIELDS[name]
    if f.type in ("int", int):
        if isinstance(value, bool):
            raise field_error(name, repr(value), "is not an integer")
        if isinstance(value, int):
            return value
        try:
            as_float = float(str(value).strip())
        except ValueError:
            raise field_error(name, repr(value), "is not an integer") from None
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise field_error(name, repr(value), "is not an integer")
        return int(as_float)
    if f.type in ("float", float):
        if isinstance(value, bool):
            raise field_error(name, repr(value), "is not a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise field_error(name, repr(value), "is not a number") from None
        except OverflowError:  # an int beyond float64
            raise field_error(name, _repr(value), _outside(f.metadata["lo"], f.metadata["hi"])) from None
    if not isinstance(value, str):
        raise field_error(name, repr(value), "is not a string")
    return value


def check_work(config: Config, cap: int) -> None:
    """Raise ValueError if ``T * B * N`` exceeds ``cap``, saying what to lower."""
    work = config.seq_len * config.batch_size * config.hidden_size
    if work > cap:
        raise ValueError(Message("seq_len * batch_size * hidden_size = {work:,} exceeds the work cap {cap:,}; "
                                 "shorten the sequence or shrink the batch or hidden size", work=work, cap=cap))


def _check_field(f: dataclasses.Field, value: Any, ui: bool = False) -> None:
    """Check one value against its field's declaration; ``ui`` uses the dashboard's tighter upper limits."""
    spec, name = f.metadata, f.name
    if spec["choices"] is not None:
        if value not in spec["choices"]:
            allowed = ", ".join(repr(c) for c in spec["choices"])
            raise field_error(name, repr(value), Message("is not one of {allowed}", allowed=allowed))
        return
    if f.type in ("str", str):
        if not isinstance(value, str) or not spec["lo"] <= len(value) <= spec["hi"]:
            raise field_error(name, repr(value), Message("must be a string of {lo} to {hi} characters",
                                                         lo=spec["lo"], hi=spec["hi"]))
        return
    is_int = f.type in ("int", int)
    if isinstance(value, bool) or not isinstance(value, (int, float) if not is_int else int):
        raise field_error(name, repr(value), "is not an integer" if is_int else "is not a number")
    hi = spec["ui_hi"] if ui else spec["hi"]
    # an int is finite (and math.isfinite would raise OverflowError for one beyond float64)
    if not (isinstance(value, int) or math.isfinite(value)) or not spec["lo"] <= value <= hi:
        raise field_error(name, _repr(value), _outside(spec["lo"], hi))


def _outside(lo: Any, hi: Any) -> Message:
    return Message("is outside the allowed range [{lo}, {hi}]", lo=lo, hi=hi)


def nearest_allowed(name: str, raw: Any, ui: bool = False) -> int | float | None:
    """The limit nearest to ``raw`` when it is a number beyond field ``name``'s range (``ui``: the dashboard's
    limits), else None: ``seq_len='999999'`` gives 5000 with ``ui``, ``'-5'`` gives 1, ``'abc'``, ``'2.5'`` (not an
    integer) and ``'nan'`` give None.

    Strings are read as :func:`coerce` reads them (``float``, so ``'1e400'`` is infinite and lies above every range).

    Examples
    --------
    >>> nearest_allowed("seq_len", "999999", ui=True), nearest_allowed("gain", "-1e400"), nearest_allowed("gain", "2")
    (5000, 0.0, None)
    """
    f = FIELDS.get(name)
    if f is None or f.metadata["choices"] is not None or f.type not in ("int", int, "float", float):
        return None
    number = _number(raw)
    if number is None or number != number:  # not a number, or NaN
        return None
    is_int = f.type in ("int", int)
    if is_int and isinstance(number, float) and math.isfinite(number) and number != int(number):
        return None  # 2.5 is no integer, whatever the range
    lo, hi = f.metadata["lo"], f.metadata["ui_hi" if ui else "hi"]
    kind = int if is_int else float
    if number > hi:
        return kind(hi)
    if number < lo:
        return kind(lo)
    return None


def _number(raw: Any) -> int | float | None:
    """``raw`` as a number (an int of any size as it is, a string through ``float``), or None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return raw
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def parse_lenient(values: Mapping[str, Any], base: Config | None = None, *, ui: bool = False,
                  ignore: tuple[str, ...] = ()) -> tuple[Config, list[str]]:
    """Build a Config from untrusted values (a URL): each bad field falls back to ``base``'s value with a warning.

    A number beyond its field's range becomes the nearest allowed value (``seq_len=999999`` the largest sequence
    length), with a warning that says so. Never raises. Unknown keys are ignored with a warning (keys in ``ignore``
    silently); if the fields are valid alone but not together (the work cap), the size fields fall back as well.
    ``ui`` applies the dashboard's limits (``ui_hi`` and ``UI_MAX_WORK``).

    Returns
    -------
    config : Config
    warnings : list of str, one per value that was not used.
    """
    base = base or Config()
    kept: dict[str, Any] = {}
    warnings: list[str] = []  # Messages: English, with the templates another language says them from
    for key, raw in values.items():
        if key in ignore:
            continue
        if key not in FIELDS:
            warnings.append(Message("Ignored unknown parameter {key}.", key=_short(key)))
            continue
        try:
            value = coerce(key, raw)
            _check_field(FIELDS[key], value, ui=ui)
        except ValueError as err:
            nearest = nearest_allowed(key, raw, ui=ui)
            if nearest is not None:  # a number beyond the range: its nearest limit, and say so
                warnings.append(Message("Ignored {key}={raw}: it is out of range. Using the smallest allowed value, "
                                        "{value}." if nearest == FIELDS[key].metadata["lo"] else
                                        "Ignored {key}={raw}: it is out of range. Using the largest allowed value, "
                                        "{value}.", key=_short(key), raw=_short(raw), value=repr(nearest)))
                kept[key] = nearest
                continue
            reason = _reason(raw, err)
            warnings.append(Message("Ignored {key}={raw}: it {reason}. Using {value}.", key=_short(key),
                                    raw=_short(raw), reason=reason if len(reason) <= 200 else reason[:200],
                                    value=repr(getattr(base, key))))
            continue
        kept[key] = value
    try:
        config = base.replace(**kept)
        if ui:
            check_work(config, UI_MAX_WORK)
        return config, warnings
    except ValueError as err:
        sizes = {"seq_len", "hidden_size", "batch_size"}
        fallback = {k: v for k, v in kept.items() if k not in sizes}
        warnings.append(Message("Ignored the sizes from the link: {error}.", error=message_of(err)))
        try:
            return base.replace(**fallback), warnings
        except ValueError as err2:
            warnings.append(Message("Ignored the whole link: {error}.", error=message_of(err2)))
            return base, warnings


def _reason(raw: Any, err: ValueError) -> str:
    """What is wrong with ``raw``, without repeating the field's name and the value (the warning shows them)."""
    number = _number(raw)
    if isinstance(number, float) and math.isnan(number):
        return "is not a number"  # rather than 'outside the allowed range'
    return getattr(err, "reason", message_of(err))


def message_of(err: Exception) -> str:
    """An exception's message, a :class:`~rnn_core.message.Message` where it was raised with one (``str(err)`` would
    drop the template)."""
    return err.args[0] if len(err.args) == 1 and isinstance(err.args[0], Message) else str(err)


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except ValueError:  # an int of more than 4300 digits has no repr
        return f"<{type(value).__name__} too long to print>"


def _short(value: Any, n: int = 40) -> str:
    text = _repr(value) if not isinstance(value, str) else value
    return repr(text[:n] + "…") if len(text) > n else repr(text)
