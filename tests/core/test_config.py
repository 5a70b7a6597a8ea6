"""Config: validated once at construction, round trips through flat dicts and strings, lenient parsing of links."""

from __future__ import annotations

import dataclasses
import math

import pytest

from rnn_core import Config, parse_lenient
from rnn_core.config import FIELDS, MAX_WORK, _short, coerce

EXAMPLES = [
    Config(),
    Config(seq_len=1, hidden_size=1, batch_size=1, gain=0.0, seed=0),
    Config(seq_len=10_000, hidden_size=16, batch_size=2, activation="leaky_relu", init="spectral_radius",
           gain=0.1 + 0.2, input_kind="text", text="naïve <b>ü</b> & 'quotes' = \"x\"", loss="all",
           seed=2**32 - 1, bias_scale=1 / 3, input_scale=1e-300, input_size=256),
    Config(gain=100.0, init="orthogonal", activation="linear", input_kind="impulse", input_scale=100.0),
]


@pytest.mark.parametrize("cfg", EXAMPLES)
def test_round_trip_through_a_dict_is_exact(cfg):
    d = cfg.to_dict()
    assert list(d) == [f.name for f in dataclasses.fields(Config)]
    back = Config.from_dict(d)
    assert back == cfg and hash(back) == hash(cfg)
    for name, value in d.items():  # same values and same types: a cache key cannot tell them apart
        assert type(getattr(back, name)) is type(value)


@pytest.mark.parametrize("cfg", EXAMPLES)
def test_round_trip_through_strings_is_exact(cfg):
    as_url = {k: str(v) for k, v in cfg.to_dict().items()}  # what query parameters give back
    back = Config.from_dict(as_url)
    assert back == cfg
    assert back.gain == cfg.gain and back.bias_scale == cfg.bias_scale  # bit for bit: repr(float) round trips
    assert isinstance(back.seq_len, int) and isinstance(back.gain, float)


def test_from_dict_accepts_integer_like_strings():
    cfg = Config.from_dict({"seq_len": "1e3", "hidden_size": " 12 ", "gain": "2", "seed": "7.0"})
    assert (cfg.seq_len, cfg.hidden_size, cfg.gain, cfg.seed) == (1000, 12, 2.0, 7)


INVALID = [
    ({"activation": "tahn"}, "activation='tahn' is not one of 'tanh', 'sigmoid', 'relu', 'leaky_relu', 'linear'"),
    ({"init": "xavier"}, "init='xavier' is not one of"),
    ({"loss": "mean"}, "loss='mean' is not one of 'last', 'all'"),
    ({"input_kind": "wave"}, "input_kind='wave' is not one of"),
    ({"seq_len": -5}, r"seq_len=-5 is outside the allowed range \[1, 10000\]"),
    ({"seq_len": 0}, r"seq_len=0 is outside the allowed range"),
    ({"seq_len": 10_001}, r"seq_len=10001 is outside the allowed range"),
    ({"hidden_size": 1025}, r"hidden_size=1025 is outside"),  # 1024: a trained model's (the dashboard: 512)
    ({"gain": math.nan}, r"gain=nan is outside the allowed range \[0.0, 100.0\]"),
    ({"gain": math.inf}, r"gain=inf is outside"),
    ({"gain": -0.5}, r"gain=-0.5 is outside"),
    ({"seed": -1}, r"seed=-1 is outside"),
    ({"seed": 2**32}, r"seed=4294967296 is outside"),
    ({"text": ""}, r"text='' must be a string of 1 to 200 characters"),
    ({"text": "x" * 201}, r"text='x+' must be a string of 1 to 200 characters"),
    ({"seq_len": "10"}, r"seq_len='10' is not an integer"),
    ({"seq_len": 10.0}, r"seq_len=10.0 is not an integer"),
    ({"seq_len": True}, r"seq_len=True is not an integer"),
    ({"gain": "1"}, r"gain='1' is not a number"),
    ({"gain": None}, r"gain=None is not a number"),
    ({"gain": False}, r"gain=False is not a number"),
    ({"activation": 3}, r"activation=3 is not one of"),
    ({"text": 5}, r"text=5 must be a string"),
    ({"init": "spectral_radius", "gain": 0.0}, r"gain=0.0 is not allowed with init='spectral_radius'"),
    # Python ints beyond float64 used to raise OverflowError from math.isfinite instead of this ValueError
    ({"gain": 10**400}, r"gain=1000+ is outside the allowed range"),
    ({"seq_len": 10**400}, r"seq_len=1000+ is outside the allowed range"),
    pytest.param({"seq_len": 10**5000}, r"seq_len=<int too long to print> is outside the allowed range",
                 id="seq_len-5000-digits"),  # an explicit id: str() of this int raises
]


@pytest.mark.parametrize("kwargs, message", INVALID)
def test_invalid_values_raise_a_value_error_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        Config(**kwargs)


def test_work_cap():
    assert MAX_WORK == 2**24
    Config(seq_len=1024, batch_size=32, hidden_size=512)  # exactly the cap is allowed
    with pytest.raises(ValueError, match=r"seq_len \* batch_size \* hidden_size = 16,793,600 exceeds the work cap "
                                         r"16,777,216"):
        Config(seq_len=1025, batch_size=32, hidden_size=512)


def test_from_dict_rejects_unknown_fields_and_bad_strings():
    with pytest.raises(ValueError, match=r"unknown configuration field\(s\) \['colour'\]"):
        Config.from_dict({"colour": "red"})
    with pytest.raises(ValueError, match="gain='abc' is not a number"):
        Config.from_dict({"gain": "abc"})
    with pytest.raises(ValueError, match=r"seq_len='2\.5' is not an integer"):
        Config.from_dict({"seq_len": "2.5"})
    with pytest.raises(ValueError, match="seq_len='inf' is not an integer"):
        Config.from_dict({"seq_len": "inf"})


def test_replace_validates_again():
    with pytest.raises(ValueError, match=r"gain=-1\.0 is outside"):
        Config().replace(gain=-1.0)
    assert Config().replace(gain=2.0).gain == 2.0


def test_coerce_types():
    assert coerce("seq_len", "12") == 12 and coerce("gain", "0.25") == 0.25 and coerce("text", "12") == "12"
    with pytest.raises(ValueError, match="text=12 is not a string"):
        coerce("text", 12)
    with pytest.raises(ValueError, match="is outside the allowed range"):  # was an OverflowError
        coerce("gain", 10**400)


# ---------------------------------------------------------------------------------------------------------------
# parse_lenient: untrusted values fall back with a warning, never an exception

MALFORMED = [
    ("gain", "abc"),
    ("seq_len", "2.5"),
    ("seq_len", "inf.5"),
    ("gain", "nan"),
    ("seq_len", "nan"),
    ("activation", "tahn"),
    ("activation", "<script>alert(1)</script>"),
    ("gain", "<b>2</b>"),
    ("init", "<img src=x onerror=alert(1)>"),
    ("text", "x" * 5000),
    ("activation", "a" * 10_000),
    ("loss", ""),
    ("gain", None),
    ("seq_len", ["1", "2"]),
]


@pytest.mark.parametrize("key, raw", MALFORMED)
def test_parse_lenient_falls_back_with_a_warning(key, raw):
    base = Config(seq_len=50, gain=0.7)
    cfg, warnings = parse_lenient({key: raw, "hidden_size": "9"}, base)
    assert getattr(cfg, key) == getattr(base, key)  # the bad value fell back
    assert cfg.hidden_size == 9  # the good one was kept
    assert len(warnings) == 1
    assert warnings[0].startswith(f"Ignored '{key}'=") and f"Using {getattr(base, key)!r}." in warnings[0]
    assert len(warnings[0]) < 400  # long values are shortened, not echoed in full
    # the warning shows the value once, then what is wrong with it (not "'gain'='abc': gain='abc' is not ...")
    assert f"{key}=" not in warnings[0]


# A number beyond its field's range from a link becomes the nearest allowed value, and the warning says so.
CLAMPED = [
    ("seq_len", "999999", True, 5000, "largest"),
    ("seq_len", "999999", False, 10_000, "largest"),
    ("seq_len", "-5", True, 1, "smallest"),
    ("seq_len", "1e9", True, 5000, "largest"),
    ("seq_len", "1e400", True, 5000, "largest"),  # float('1e400') is inf: above every range
    ("seq_len", "1" * 5000, True, 5000, "largest"),
    pytest.param("seq_len", 10**5000, True, 5000, "largest", id="seq_len-int-5000-digits"),
    ("gain", "-inf", True, 0.0, "smallest"),
    ("gain", "9" * 5000, True, 20.0, "largest"),
    ("gain", 10**400, False, 100.0, "largest"),
    ("gain", "25", True, 20.0, "largest"),
    ("gain", "25", False, None, None),  # within the core's range: taken as it is
    ("batch_size", " 1000 ", True, 64, "largest"),
    ("seed", "-1", True, 0, "smallest"),
    ("leak", "0", True, 0.001, "smallest"),
]


@pytest.mark.parametrize("key, raw, ui, nearest, side", CLAMPED)
def test_parse_lenient_clamps_numbers_out_of_range(key, raw, ui, nearest, side):
    cfg, warnings = parse_lenient({key: raw, "hidden_size": "9"}, ui=ui)
    assert cfg.hidden_size == 9
    if nearest is None:
        assert warnings == [] and getattr(cfg, key) == float(raw)
        return
    assert getattr(cfg, key) == nearest and type(getattr(cfg, key)) is type(nearest)
    assert warnings == [f"Ignored {key!r}={_short(raw)}: it is out of range. Using the {side} allowed value, "
                        f"{nearest!r}."]
    assert len(warnings[0]) < 200


def test_clamped_sizes_over_the_work_cap_together_fall_back():
    cfg, warnings = parse_lenient({"seq_len": "99999", "hidden_size": "512", "batch_size": "64"}, ui=True)
    assert (cfg.seq_len, cfg.hidden_size, cfg.batch_size) == (100, 64, 1)
    assert len(warnings) == 2 and warnings[-1].startswith("Ignored the sizes from the link")


def test_warnings_do_not_repeat_the_value():
    # was: "Ignored 'activation'='<b>x</b>': activation='<b>x</b>' is not one of ..."
    _, warnings = parse_lenient({"activation": "<b>x</b>", "gain": "abc"}, ui=True)
    assert warnings == [
        "Ignored 'activation'='<b>x</b>': it is not one of 'tanh', 'sigmoid', 'relu', 'leaky_relu', 'linear'. "
        "Using 'tanh'.",
        "Ignored 'gain'='abc': it is not a number. Using 1.0.",
    ]


def test_parse_lenient_ignores_unknown_keys():
    cfg, warnings = parse_lenient({"k" * 10_000: "1", "gain": "2.5"})
    assert cfg.gain == 2.5
    assert len(warnings) == 1 and warnings[0].startswith("Ignored unknown parameter") and len(warnings[0]) < 100


def test_parse_lenient_drops_sizes_that_break_the_work_cap_together():
    cfg, warnings = parse_lenient({"seq_len": "10000", "batch_size": "256", "hidden_size": "512", "gain": "3"})
    assert (cfg.seq_len, cfg.batch_size, cfg.hidden_size) == (Config().seq_len, 1, Config().hidden_size)
    assert cfg.gain == 3.0
    assert len(warnings) == 1 and "Ignored the sizes from the link" in warnings[0] and "work cap" in warnings[0]


def test_parse_lenient_falls_back_to_the_base_when_nothing_fits_together():
    cfg, warnings = parse_lenient({"init": "spectral_radius", "gain": "0"})
    assert cfg == Config()
    assert warnings[-1].startswith("Ignored the whole link") and "spectral_radius" in warnings[-1]


def test_parse_lenient_accepts_every_valid_value_silently():
    cfg = EXAMPLES[2]
    parsed, warnings = parse_lenient({k: str(v) for k, v in cfg.to_dict().items()})
    assert parsed == cfg and warnings == []


def test_fields_declare_every_setting():
    assert tuple(FIELDS) == tuple(f.name for f in dataclasses.fields(Config))
    for f in FIELDS.values():
        assert f.metadata["label"] and f.metadata["help"]


def test_negative_zero_is_zero():
    # "0 <= -0.0" holds, but numpy's scale arguments refuse -0.0: a link with input_scale=-0 once crashed the page
    cfg = Config.from_dict({"input_scale": "-0", "bias_scale": "-0.0", "input_kind": "noise"})
    assert str(cfg.input_scale) == "0.0" and str(cfg.bias_scale) == "0.0"
    from rnn_core import init_inputs, init_params
    init_inputs(cfg)
    init_params(cfg)
