"""Bad input everywhere a user can type or paste: it must never raise, and never be rendered as HTML or markdown.

Three layers:

- property tests (hypothesis) of the two lenient parsers a link goes through, ``parse_lenient`` and
  ``MapSettings.parse_lenient``, over random dicts of real and junk keys to hostile strings;
- ~40 fuzzed links (a seeded generator: the same list every run) opened on both pages through AppTest;
- every sidebar widget of the Explorer at its extremes (min and max of each number input and slider, every option of
  each selectbox), plus a few combinations that hit the limits on purpose.

The last test prints how many cases were tried (``pytest -s`` or ``-rP`` shows it).
"""

from __future__ import annotations

import dataclasses
import random
import re
import unicodedata
from collections import Counter

import pytest
from apptools import metric
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from rnn_core.config import FIELDS, UI_MAX_WORK, Config, check_work, coerce, parse_lenient
from rnn_core.phase import AXES, MAP_FIELDS, VIEWS, MapSettings
from rnn_core.presets import PRESETS, PRESETS_BY_SLUG
from ui.controls import CELL_FIELDS
from ui.state import EXTRA_PARAMS  # what the dashboard passes as ``ignore``: hide, preset, lang, the map's
from ui.text import LANGUAGES

CASES: Counter[str] = Counter()  # cases tried, per layer: printed by the last test

SIZES = ("seq_len", "hidden_size", "batch_size")
EVIL_LINK = "[click](http://evil.example/x)"
HOSTILE: tuple[str, ...] = (
    "", " ", "   \t", "\n", "\r\n# injected heading", "\x00", "a\x00b", "\x1b[31m", "\x7f",
    "NaN", "nan", "-nan", "inf", "-inf", "Infinity", "-Infinity", "-0", "-0.0", "+0", "0.0", "1e309", "-1e309",
    "1e-400", "5e-324", "1e-320", "0x10", "0b11", "1_000", "1,5", "1.5.2", "١٢٣", "１２", "²", "Ⅻ",
    "9" * 400, "1" * 5000, str(2**64), str(-(2**63)), str(2**1024), "4294967295", "4294967296", "-1", "3.0", "2.5e0",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</div><h1>big</h1>", "<b>x</b>",
    EVIL_LINK, "![img](http://evil.example/x.png)", "<http://evil.example>", "**bold** _it_", "# Heading",
    ":red[red] :material/home:", "$x^2$", "`code`", "\\", "\\<script>", "&lt;script&gt;", "%3Cscript%3E", "%00",
    "\u202eevil\u202c", "\u200b\u200b", "e\u0301\u0301\u0301\u0301", "🌀" * 60, "👩‍👩‍👧‍👦", "x" * 10_000,
    "javascript:alert(1)", "None", "null", "true", "[]", "{}", "' OR 1=1 --", "tanh ", " TANH", "Tanh", "all,gain",
)
MARKERS = ("<script", "<img", "</div", "<b>", "<h1")  # HTML from the hostile values
JUNK_KEYS = ("nonsense", "", " gain", "Gain", "GAIN", "gain ", "seq-len", "embed", "embed_options", "EMBED", "hide[]",
             "__proto__", "<script>", EVIL_LINK, "ключ", "🌀", "a" * 500)
ALL_KEYS = (*FIELDS, *EXTRA_PARAMS)


def _valid_values(name: str) -> list[str]:
    """Usable values of a field, as strings, extremes included: they reach the widgets."""
    if name in FIELDS:
        spec = FIELDS[name].metadata
        if spec["choices"] is not None:
            return list(spec["choices"])
        if name == "text":
            return ["hello", "a", "🌀é\u202e", "x" * 200, EVIL_LINK, "<script>alert(1)</script>"]
        lo, hi = spec["lo"], spec["ui_hi"]
        if FIELDS[name].type in ("int", int):
            return [str(int(lo)), str(int(hi)), str(int(lo) + 1), f"{int(hi)}.0", f" {int(lo) + 2} "]
        return [str(lo), str(hi), "-0", "1e-300", "0.5", str(hi / 3)]
    return {"axis": list(AXES), "view": list(VIEWS), "gain_min": ["0.001", "0.05", "2"],
            "gain_max": ["100", "3", "0.002"], "gain_points": ["2", "3", "6"], "seeds": ["1", "2"],
            "hide": ["all", "gain,init", "seq_len, hidden_size", "activation,nope", ",,,", "ALL"],
            "preset": [*PRESETS_BY_SLUG, "", "Vanishing: tanh, small gain"], "lang": [*LANGUAGES, "", "EN"],
            "compare": ["rnn,lstm", "gru,lru,leaky,rnn", "rnn", "rnn,rnn", "lstm,x", ",", "a,b,c,d,e"]}[name]


def _control_chars(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc"]


# ---------------------------------------------------------------------------------------------------------------------
# 1. The parsers, property-based
# ---------------------------------------------------------------------------------------------------------------------

def _numberish() -> hs.SearchStrategy[str]:
    return hs.one_of(
        hs.floats(allow_nan=True, allow_infinity=True).map(repr),
        hs.integers(min_value=-(10**30), max_value=10**30).map(str),
        hs.integers(min_value=-(2**70), max_value=2**70).map(lambda i: f"{i}e{i % 400}"),
        hs.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    )


VALUES = hs.one_of(
    hs.sampled_from(HOSTILE),
    hs.text(max_size=60),  # any code point, surrogates and NUL included
    hs.text(alphabet=hs.characters(codec="utf-8"), min_size=300, max_size=3000),
    _numberish(),
    hs.sampled_from(ALL_KEYS).flatmap(lambda k: hs.sampled_from(_valid_values(k))),
    hs.tuples(hs.sampled_from(ALL_KEYS).flatmap(lambda k: hs.sampled_from(_valid_values(k))),
              hs.sampled_from(HOSTILE)).map("".join),
    hs.tuples(hs.sampled_from(HOSTILE), _numberish(), hs.sampled_from(HOSTILE)).map("".join),
)
KEYS = hs.one_of(hs.sampled_from(ALL_KEYS), hs.sampled_from(JUNK_KEYS), hs.text(max_size=40))
# a real key gets a usable value half of the time (so that values are also taken, not only refused)
REAL_ENTRY = hs.sampled_from(ALL_KEYS).flatmap(
    lambda k: hs.tuples(hs.just(k), hs.one_of(hs.sampled_from(_valid_values(k)), VALUES)))
LINKS = hs.lists(hs.one_of(REAL_ENTRY, REAL_ENTRY, hs.tuples(KEYS, VALUES)), max_size=12).map(dict)


def _used(name: str, raw: str, config: Config) -> bool:
    """Whether ``raw`` (for field ``name``) is what ``config`` holds."""
    try:
        value = coerce(name, raw)
    except ValueError:
        return False
    return getattr(config, name) == value


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(values=LINKS, ignore=hs.sets(hs.sampled_from(ALL_KEYS)).map(tuple), real_ignore=hs.booleans())
# the two fallbacks random dicts rarely reach: sizes over the work cap together, fields invalid together
@example(values={"seq_len": "5000", "hidden_size": "512", "batch_size": "64", "gain": "2"}, ignore=(),
         real_ignore=True)
@example(values={"init": "spectral_radius", "gain": "-0", "seq_len": "5000", "hidden_size": "512",
                 EVIL_LINK: "<script>"}, ignore=(), real_ignore=True)
def test_config_parse_lenient_never_raises_and_warns_for_every_unused_value(values, ignore, real_ignore):
    CASES["parse_lenient (hypothesis)"] += 1
    ignore = EXTRA_PARAMS if real_ignore else ignore
    config, warnings = parse_lenient(values, ui=True, ignore=ignore)

    # a valid configuration within the dashboard's limits, which its own link reproduces without a warning
    assert isinstance(config, Config)
    check_work(config, UI_MAX_WORK)
    link = {k: str(v) for k, v in config.to_dict().items()}
    assert parse_lenient(link, ui=True) == (config, [])

    assert isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)
    for w in warnings:  # short and on one line, whatever the input: user text is repr'd and cut
        assert len(w) < 600, w
        assert not _control_chars(w), w
    considered = [k for k in values if k not in ignore]
    unknown = [k for k in considered if k not in FIELDS]
    assert sum(w.startswith("Ignored unknown parameter") for w in warnings) == len(unknown)
    whole = any(w.startswith("Ignored the whole link") for w in warnings)
    sizes = any(w.startswith("Ignored the sizes from the link") for w in warnings)
    for key in considered:
        if key in FIELDS and not _used(key, values[key], config):
            assert (any(w.startswith(f"Ignored {key!r}=") for w in warnings) or whole
                    or (sizes and key in SIZES)), (key, values[key], warnings)
    assert len(warnings) <= len(considered) + 2


MAP_VALUES = hs.one_of(VALUES, hs.floats(0.001, 100.0).map(repr), hs.integers(-5, 100).map(str))
MAP_ENTRY = hs.sampled_from(MAP_FIELDS).flatmap(
    lambda k: hs.tuples(hs.just(k), hs.one_of(hs.sampled_from(_valid_values(k)), MAP_VALUES)))
MAP_LINKS = hs.lists(hs.one_of(MAP_ENTRY, MAP_ENTRY, hs.tuples(KEYS, MAP_VALUES)), max_size=12).map(dict)


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(values=MAP_LINKS)
def test_map_settings_parse_lenient_never_raises_and_warns_for_every_unused_value(values):
    CASES["MapSettings.parse_lenient (hypothesis)"] += 1
    map_settings, warnings = MapSettings.parse_lenient(values)

    assert isinstance(map_settings, MapSettings)
    assert MapSettings(**map_settings.to_dict()) == map_settings  # valid
    assert isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)
    for w in warnings:
        assert len(w) < 400, w
        assert not _control_chars(w), w
    shown = map_settings.to_dict()
    for f in dataclasses.fields(MapSettings):
        if f.name not in values:
            continue
        raw = values[f.name]
        if str(raw) != str(shown[f.name]):  # not taken as given: it must have been reported
            try:
                taken = shown[f.name] == (int(str(raw)) if f.type == "int" else
                                          float(str(raw)) if f.type == "float" else str(raw))
            except ValueError:
                taken = False
            if not taken:
                assert any(w.startswith(f"Ignored {f.name}=") for w in warnings), (f.name, raw, warnings)
    assert len(warnings) <= len([k for k in values if k in MAP_FIELDS])


# Was a bug: parse_lenient checked gain_min against the DEFAULT gain_max (10) before reading gain_max from the link.
@pytest.mark.parametrize("gain_min, gain_max", [(10.0, 20.0), (50.0, 100.0), (12.5, 99.0)])
def test_every_valid_map_setting_survives_its_own_link(gain_min, gain_max):
    CASES["MapSettings round trip"] += 1
    wanted = MapSettings(gain_min=gain_min, gain_max=gain_max)
    parsed, warnings = MapSettings.parse_lenient({k: str(v) for k, v in wanted.to_dict().items()})
    assert (parsed, warnings) == (wanted, [])


ODD = [None, 1.5, float("nan"), float("inf"), -0.0, 10**400, True, b"tanh", ["relu"], {"a": 1}, object()]


@pytest.mark.parametrize("value", [*ODD, 10**5000], ids=lambda v: type(v).__name__)
def test_config_parser_survives_non_string_values(value):
    """Values that are not strings (a caller other than the URL, e.g. a notebook): no exception, a valid Config."""
    for key in (*FIELDS, *MAP_FIELDS):
        CASES["non-string values"] += 1
        config, warnings = parse_lenient({key: value}, ui=True, ignore=EXTRA_PARAMS)
        assert isinstance(config, Config) and all(isinstance(w, str) for w in warnings)


@pytest.mark.parametrize("value", [*ODD, 10**5000], ids=lambda v: type(v).__name__)
def test_map_parser_survives_non_string_values(value):
    for key in MAP_FIELDS:
        CASES["non-string values"] += 1
        map_settings, warnings = MapSettings.parse_lenient({key: value})
        assert isinstance(map_settings, MapSettings) and all(isinstance(w, str) for w in warnings)


# ---------------------------------------------------------------------------------------------------------------------
# 2. Fuzzed links through the dashboard
# ---------------------------------------------------------------------------------------------------------------------

SMALL_MAP = {"gain_points": "6", "seeds": "1", "seq_len": "30", "hidden_size": "8"}
MAP_COSTLY = (*SIZES, "gain_points", "seeds")  # not fuzzed on the map page: a fallback to the default map takes 6 s


def _fuzzed_links(n: int = 40, tour: int = 4, seed: int = 20_261_125) -> list[tuple[str, dict[str, str]]]:
    """``n`` (page, query parameters) pairs, a third of them on each of the Explorer, the regime map and Compare, and
    ``tour`` more on the guided tour; the same every run."""
    rng = random.Random(seed)
    links = []
    for i in range(n + tour):
        page = "tour" if i >= n else ("explorer", "regime_map", "compare")[i % 3]
        pool = [k for k in ALL_KEYS if page == "explorer" or k not in MAP_COSTLY]
        params = dict(SMALL_MAP) if page == "regime_map" else {}
        for _ in range(rng.randint(1, 7)):
            roll = rng.random()
            key = rng.choice(JUNK_KEYS) if roll < 0.15 else rng.choice(pool)
            good = _valid_values(key) if key in ALL_KEYS else ["1"]
            kind = rng.random()
            if kind < 0.45:
                params[key] = rng.choice(HOSTILE)
            elif kind < 0.85:
                params[key] = rng.choice(good)
            else:
                params[key] = rng.choice(good) + rng.choice(HOSTILE)
        links.append((page, params))
    return links


LINKS_TRIED = _fuzzed_links()


def _texts(at: AppTest) -> list[str]:
    """Every piece of text the page shows as markdown (alerts included), main area and sidebar."""
    out = []
    for kind in ("warning", "error", "info", "success", "markdown", "caption", "title", "header", "subheader", "toast"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def _unescaped(text: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``text`` not preceded by a backslash escape (markdown would render it)."""
    for m in re.finditer(re.escape(needle), text):
        backslashes = len(text[:m.start()]) - len(text[:m.start()].rstrip("\\"))
        if backslashes % 2 == 0:
            return True
    return False


def assert_nothing_rendered(at: AppTest, params: dict[str, str]) -> None:
    for text in _texts(at):
        for marker in MARKERS:
            assert not _unescaped(text, marker), (marker, text[:300], params)
        assert "](http://evil.example" not in text, (text[:300], params)
        assert not _unescaped(text, "\n# injected"), (text[:300], params)


def _open(app: AppTest, page: str, params: dict[str, str]) -> AppTest:
    for k, v in params.items():
        app.query_params[k] = v
    at = app.run()
    assert not at.exception, (params, [e.value for e in at.exception])
    assert_nothing_rendered(at, params)
    if page != "explorer":
        at.switch_page(f"pages/{page}.py")
        at.run()
    return at


@pytest.mark.parametrize("page, params", LINKS_TRIED, ids=[f"{i:02d}-{p}" for i, (p, _) in enumerate(LINKS_TRIED)])
def test_fuzzed_link_never_crashes_nor_renders_user_text(app, page, params):
    CASES[f"fuzzed links ({page})"] += 1
    at = _open(app, page, params)
    assert not at.exception, (params, [e.value for e in at.exception])
    assert_nothing_rendered(at, params)
    charts = at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")
    if page == "explorer":
        assert len(at.metric) >= 4  # the page still works (5 for a cell with a step bound, 4 for a gated one)
    elif page == "compare":
        assert len(at.dataframe) == 1 and len(charts) >= 3
    elif page == "tour":
        assert len(charts) >= 8
    elif not any("over the cap" in e.value for e in at.error):
        assert len(charts) >= 6
    # what the page wrote back into the URL is a valid configuration (junk keys dropped)
    shown = {k: v for k, v in at.query_params.items()
             if k not in EXTRA_PARAMS and k.lower() not in ("embed", "embed_options")}  # Streamlit keeps embed*
    assert Config.from_dict({k: v[0] if isinstance(v, list) else v for k, v in shown.items()})


@pytest.mark.parametrize("page, params", [
    ("explorer", {"input_scale": "-0"}),
    ("explorer", {"input_scale": "-0.0", "bias_scale": "-0", "gain": "-0", "seed": "7"}),
    ("regime_map", {"input_scale": "-0"}),
])
def test_negative_zero_link(app, page, params):
    """What the fuzzer found first: ``/explorer?input_scale=-0`` passed validation (0 <= -0.0) and then crashed
    ``rng.normal(0, -0.0)`` with 'ValueError: scale < 0' (fixed in 20dc88a: float fields are normalized)."""
    CASES["explicit regressions"] += 1
    at = _open(app, page, {**params, **(SMALL_MAP if page == "regime_map" else {})})
    assert not at.exception
    assert not at.query_params.get("input_scale", "").startswith("-")


# ---------------------------------------------------------------------------------------------------------------------
# 3. Every sidebar widget of the Explorer at its extremes
# ---------------------------------------------------------------------------------------------------------------------

EXPECTED_ERRORS = ("work cap", "overflowed float64", "not allowed with init='spectral_radius'",
                   "must be a string of", "the ring needs r_min <= r_max")


def _check(at: AppTest, what: str) -> None:
    assert not at.exception, (what, [e.value for e in at.exception])
    for e in at.error:
        assert any(s in e.value for s in EXPECTED_ERRORS), (what, e.value)
    assert_nothing_rendered(at, {"widget": what})
    assert metric(at, "per-step rate")  # the verdict is there (the last valid settings at worst)


def _extremes() -> list[tuple[str, str, list]]:
    """(widget kind, key, values) for every control of the Explorer's sidebar."""
    out: list[tuple[str, str, list]] = [("selectbox", "preset", [p.name for p in PRESETS])]
    for name, f in FIELDS.items():
        spec = f.metadata
        if spec["choices"] is not None:
            out.append(("selectbox", f"w_{name}", list(spec["choices"])))
        elif name == "gain":
            out.append(("select_slider", "w_gain", [0.0, 20.0]))
        elif name == "text":
            continue  # below: needs input_kind='text'
        elif name in ("seq_len", "hidden_size"):
            out.append(("slider", f"w_{name}", [int(spec["lo"]), int(spec["ui_hi"])]))
        elif f.type in ("int", int):
            out.append(("number_input", f"w_{name}", [int(spec["lo"]), int(spec["ui_hi"])]))
        else:
            out.append(("number_input", f"w_{name}", [float(spec["lo"]), float(spec["ui_hi"])]))
    return out


EXTREMES = _extremes()
# The other controls stay at a small network (so that the ~75 reruns below stay fast); each control then goes to its
# own extremes, the sizes included.
SMALL = {"seq_len": "40", "hidden_size": "16"}


def _small(app: AppTest) -> AppTest:
    for k, v in SMALL.items():
        app.query_params[k] = v
    at = app.run()  # the default input is noise: every control is shown
    assert not at.exception
    return at


@pytest.mark.parametrize("kind, key, values", EXTREMES, ids=[k for _, k, _ in EXTREMES])
def test_widget_at_its_extremes(app, kind, key, values):
    at = _small(app)
    owner = CELL_FIELDS.get(key.removeprefix("w_"))
    if owner:  # a setting of one cell only: shown once that cell is chosen
        at.selectbox(key="w_cell").set_value(owner[0]).run()
    for value in values:
        CASES["widget extremes"] += 1
        getattr(at, kind)(key=key).set_value(value).run()
        _check(at, f"{key}={value!r}")


TEXTS = ["a", "x" * 200, "".join(chr(0x100 + i) for i in range(200)), "🌀é\u202eא\u0301", EVIL_LINK,
         "<script>alert(1)</script>", "# Heading\n\n**bold**", " ", "\x00", ""]


def test_text_input_at_its_extremes(app):
    at = _small(app)
    at.selectbox(key="w_input_kind").set_value("text").run()
    _check(at, "input_kind=text")
    for text in TEXTS:
        CASES["widget extremes"] += 1
        at.text_input(key="w_text").set_value(text).run()
        _check(at, f"text={text!r}")
    assert at.query_params["text"] == TEXTS[-2]  # '' is refused (1 to 200 characters): the last valid text stays


@pytest.mark.parametrize("changes", [
    [("selectbox", "w_init", "spectral_radius"), ("select_slider", "w_gain", 0.0)],
    [("selectbox", "w_activation", "linear"), ("select_slider", "w_gain", 20.0), ("slider", "w_seq_len", 5000)],
    [("selectbox", "w_activation", "relu"), ("selectbox", "w_init", "identity"), ("select_slider", "w_gain", 20.0),
     ("number_input", "w_bias_scale", 10.0), ("slider", "w_seq_len", 5000)],
    # over the cap from the second step on (the order matters: T = 5000 with N = 512 alone is allowed, and slow)
    [("number_input", "w_batch_size", 64), ("slider", "w_seq_len", 5000), ("slider", "w_hidden_size", 512)],
    [("slider", "w_seq_len", 1), ("slider", "w_hidden_size", 1), ("selectbox", "w_input_kind", "zeros"),
     ("selectbox", "w_loss", "all"), ("select_slider", "w_gain", 0.0)],
], ids=["spectral_radius_gain_0", "linear_overflow", "relu_identity_max", "work_cap", "all_minimal"])
def test_widget_combinations_at_the_limits(app, changes):
    at = _small(app)
    for kind, key, value in changes:
        CASES["widget combinations"] += 1
        getattr(at, kind)(key=key).set_value(value).run()
        _check(at, f"{key}={value!r}")


def test_zz_report_cases_tried(capsys):
    """Print how many cases this module tried (run after the others: pytest keeps the file's order)."""
    total = sum(CASES.values())
    with capsys.disabled():
        print(f"\nfuzz cases tried in {__name__}: {total}")
        for kind, n in sorted(CASES.items()):
            print(f"  {kind}: {n}")
