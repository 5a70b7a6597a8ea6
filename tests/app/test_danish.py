"""The whole app in Danish: every page rendered with ``?lang=da`` shows no phrase of the English catalogue.

The English catalogue is the set of keys of ``ui.text.da.MESSAGES`` (the app's phrases, keyed by their English text)
and the guided tour's English prose. A page is read as a user meets it: markdown, captions, titles, widgets' labels,
options and help, metrics, tables (headers and cells), the navigation, and every chart's texts and the labels in its
data. Besides, no template the Danish page asks ``ui.i18n.tr`` for may be missing from the Danish catalogue.
"""

from __future__ import annotations

import io
import json
import re
import string
import zipfile
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pytest
from apptools import open_on_demand
from google.protobuf.message import Message as Proto
from test_your_model import hostile_files

from rnn_core.presets import PRESETS
from ui import i18n
from ui.text import TEXTS
from ui.text.da import MESSAGES

CELLS = ("rnn", "leaky", "lstm", "gru", "lru")
DECIMAL = re.compile(r"(?<![\w.])\d+[.,]\d+(?![\w.])")  # a number with a decimal mark, not a version or a name


def _fragments(template: str) -> set[str]:
    """The literal words of an English template between its fields: each a phrase the Danish page must not show."""
    parts = [lit for lit, *_ in string.Formatter().parse(template)] if "{" in template else [template]
    return {p.strip(" .,;:()") for p in parts if len(re.findall(r"[A-Za-z]{3,}", p)) >= 1}


def _values(obj) -> list[str]:
    """Every text of a nested catalogue (its values, not its keys)."""
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in _values(x)]
    if isinstance(obj, list):
        return [v for x in obj for v in _values(x)]
    return [obj] if isinstance(obj, str) else []


def english_catalogue() -> set[str]:
    """Phrases of the English catalogue that Danish says otherwise (symbols and names, the same in both, left out),
    and that no Danish text contains itself (``'gain'``, ``'seed'`` are Danish too)."""
    danish = " ".join([*MESSAGES.values(), *_values(TEXTS["da"])])
    phrases = {f for en, da in MESSAGES.items() if en != da for f in _fragments(en)}
    phrases |= {s for text in _values(TEXTS["en"]) for s in re.split(r"(?<=[.:;!?])\s+", text) if len(s) > 20}
    return {p for p in phrases if p and len(p) >= 4 and not re.search(rf"(?<!\w){re.escape(p)}(?!\w)", danish)}


def _proto_strings(msg: Proto, columns: bool = True) -> set[str]:
    """Every string in an element's protobuf (labels, help, options, bodies, values), Arrow tables decoded."""
    out: set[str] = set()
    for _, value in msg.ListFields():
        values = value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else [value]
        for v in values:
            if isinstance(v, Proto):
                out |= _proto_strings(v, columns)
            elif isinstance(v, str):
                out.add(v)
            elif isinstance(v, bytes) and len(v) > 8:
                try:
                    frame = pa.ipc.open_stream(io.BytesIO(v)).read_all().to_pandas()
                except Exception:  # not an Arrow stream
                    continue
                out |= {str(c) for c in frame.columns} if columns else set()
                out |= {x for c in frame.columns if frame[c].dtype == object or str(frame[c].dtype) == "str"
                        for x in frame[c] if isinstance(x, str)}
    return out


def _chart_strings(spec: object, key: str = "") -> set[str]:
    """The texts a chart shows: titles, sort orders, domains, label expressions, data values; never field names."""
    if isinstance(spec, dict):
        return set().union(set(), *(_chart_strings(v, k) for k, v in spec.items()
                                    if k not in ("field", "type", "name", "mark", "$schema", "scheme", "shape",
                                                 "orient", "href", "datasets")))
    if isinstance(spec, list):
        return set().union(set(), *(_chart_strings(v, key) for v in spec))
    return {spec} if isinstance(spec, str) and key in ("title", "text", "sort", "domain", "labelExpr", "values",
                                                        "") else set()


def shown(at) -> set[str]:
    """Everything the page shows, as strings (code blocks left out: the reproduce scripts are Python)."""
    out: set[str] = set()
    stack = [at._tree]
    while stack:
        n = stack.pop()
        children = getattr(n, "children", None)
        stack.extend(children.values() if isinstance(children, dict) else children or [])
        proto = getattr(n, "proto", None)
        if proto is None or getattr(n, "type", "") in ("code", "graphviz_chart"):  # Python and Graphviz source
            continue
        if getattr(n, "type", "") in ("vega_lite_chart", "arrow_vega_lite_chart"):
            out |= _chart_strings(json.loads(proto.spec))
            for d in proto.datasets:  # the values in the chart's data (its column names are field names)
                out |= _proto_strings(d, columns=False)
            continue
        if getattr(n, "type", "") == "page_link":  # the label; its query parameters are the link's, not words
            out.add(proto.label)
            continue
        out |= _proto_strings(proto) if children is None or isinstance(proto, Proto) else set()
    # a markdown link's target, a map cell's link ("./?...") and a curve's code ("ref:carousel") are not words
    return {re.sub(r"\]\([^)]*\)", "]", s) for s in out if s and not re.match(r"\./\?|(ref|part):", s)}


def english_left(at) -> set[str]:
    texts = shown(at)
    return {p for p in ENGLISH for s in texts if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", s)}


ENGLISH = english_catalogue()


def open_page(app, page: str, **params):
    app.query_params["lang"] = "da"
    for k, v in params.items():
        app.query_params[k] = v
    app.run()
    open_on_demand(app.switch_page(page).run())  # "The math" and the snippet open: their words are checked too
    assert not app.exception, app.exception
    return app


@pytest.fixture(autouse=True)
def no_missing():
    i18n.MISSING.clear()
    yield
    assert not i18n.MISSING, f"templates without Danish: {sorted(i18n.MISSING)}"


def test_the_catalogue_is_checkable():
    """The Danish catalogue has the English one's fields, and the English catalogue is found where it is shown."""
    fields = string.Formatter()
    for en, da in MESSAGES.items():
        assert {f[1] for f in fields.parse(en) if f[1]} == {f[1] for f in fields.parse(da) if f[1]}, en
    assert "Gradient norm across time" in ENGLISH and "Regime map" in ENGLISH and "vanishing" in ENGLISH


@pytest.mark.parametrize("preset", [p.slug for p in PRESETS])
def test_explorer_in_danish_with_every_preset(app, preset):
    at = open_page(app, "pages/explorer.py", preset=preset)
    assert not english_left(at), english_left(at)
    assert any("Forudindstilling:" in c.value for c in at.caption)


@pytest.mark.parametrize("cell", CELLS)
def test_explorer_in_danish_with_every_cell(app, cell):
    at = open_page(app, "pages/explorer.py", cell=cell, seq_len="60", hidden_size="16")
    assert not english_left(at), english_left(at)


@pytest.mark.parametrize("axis", ["activation", "cell"])
def test_regime_map_in_danish(app, axis):
    at = open_page(app, "pages/regime_map.py", axis=axis, gain_points="6", seeds="1", seq_len="40",
                   hidden_size="16")
    assert not english_left(at), english_left(at)


def test_compare_in_danish(app):
    at = open_page(app, "pages/compare.py", compare="rnn,lstm,gru,lru-near-1", seq_len="80", hidden_size="16")
    assert not english_left(at), english_left(at)
    assert "netværk" in at.dataframe[0].value.columns


def test_tour_in_danish(app):
    at = open_page(app, "pages/tour.py")
    assert not english_left(at), english_left(at)


def test_your_model_in_danish_after_an_upload(app):
    from safetensors.numpy import save

    rng = np.random.default_rng(0)
    N, D = 8, 3
    data = save({"weight_ih_l0": rng.normal(size=(4 * N, D)).astype(np.float32),
                 "weight_hh_l0": rng.normal(size=(4 * N, N)).astype(np.float32) / 3,
                 "bias_ih_l0": np.zeros(4 * N, np.float32), "bias_hh_l0": np.zeros(4 * N, np.float32)})
    at = open_page(app, "pages/your_model.py")
    assert not english_left(at), english_left(at)
    at.file_uploader(key="model_upload").set_value(("lstm.safetensors", data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert not english_left(at), english_left(at)
    assert any("Konverteret til float64" in c.value for c in at.caption)


def _not_an_npz() -> tuple[str, str, bytes, str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "hello")
    return "zip that is not an .npz", "model.npz", buf.getvalue(), "'notes.txt'"


DANISH_REFUSALS = {  # what each hostile file's refusal says in Danish (numbers with the Danish thousands point)
    "pickle renamed .safetensors": "Det er en Python-pickle",
    "truncated": "filen er afkortet",
    "header claiming 2^40 bytes": "1.099.511.627.776 byte lang",
    "10,000 tensors": "Filen indeholder 10.000 tensorer",
    "NaN weights": "'W_hh' har NaN i 1 af sine 9 værdier",
    "shapes that do not fit": "'weight_hh_l0' har formen (5, 4); forventede (N, N) for et RNN",
    "object array in an npz": "kan kun læses ved at åbne det med pickle",
    "torch.save .pt renamed": "PyTorch-fil skrevet med torch.save",
    "zip that is not an .npz": "'notes.txt', som ikke er et array (.npy)",
}
HOSTILE = [*hostile_files(), _not_an_npz()]


@pytest.mark.parametrize("what,name,data,words", HOSTILE, ids=[f[0] for f in HOSTILE])
def test_hostile_files_are_refused_in_danish(app, what, name, data, words):
    """The refusal is the core's Message said in Danish: no English phrase, the names from the file as they are."""
    at = open_page(app, "pages/your_model.py")
    at.file_uploader(key="model_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Filen kan ikke bruges:"]
    said = at.text[0].value
    assert DANISH_REFUSALS[what] in said, said
    assert not english_left(at), english_left(at)


def _core_templates() -> list[tuple[str, int, str]]:
    """Every template a Message of rnn_core is made from (module, line, template), read from the source: what the
    core can say, the sentences no test provokes included. A Message whose template is not a literal or a module
    constant fails the test that reads it (it could not be checked)."""
    import ast
    import importlib
    import inspect
    import pkgutil

    import rnn_core
    found = []
    for info in pkgutil.walk_packages(rnn_core.__path__, "rnn_core."):
        if info.name == "rnn_core.message":  # the class itself
            continue
        module = importlib.import_module(info.name)
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            func = getattr(node, "func", None)
            called = getattr(func, "id", None) or getattr(func, "attr", None)  # Message(...) or message.Message(...)
            if not isinstance(node, ast.Call) or called != "Message":
                continue
            templates = _literal(node.args[0] if node.args else None, module)
            if templates is None:
                raise AssertionError(f"{info.name}:{node.lineno}: a Message whose template this test cannot read")
            found += [(info.name, node.lineno, t) for t in templates]
    return found


def _literal(node, module) -> list[str] | None:
    """The strings an expression can be: a literal, a module's constant, either branch of ``a if c else b``."""
    import ast
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and isinstance(getattr(module, node.id, None), str):
        return [getattr(module, node.id)]
    if isinstance(node, ast.IfExp):
        a, b = _literal(node.body, module), _literal(node.orelse, module)
        return None if a is None or b is None else a + b
    return None


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_sentence_of_the_core_has_danish_with_the_same_fields():
    """Every sentence rnn_core can say (the diagnosis, the file reader's refusals and their clauses, the link's
    warnings) has a Danish template that uses the same fields."""
    found = _core_templates()
    assert sum(module == "rnn_core.weights" for module, _, _ in found) >= 50
    missing = [f"{m}:{line}: {t!r}" for m, line, t in found if t not in MESSAGES]
    assert not missing, "without Danish: " + "; ".join(missing)
    differ = [f"{m}:{line}: {t!r}" for m, line, t in found if _fields(MESSAGES[t]) != _fields(t)]
    assert not differ, "Danish with other fields: " + "; ".join(differ)


def test_link_warnings_in_danish(app):
    at = open_page(app, "pages/explorer.py", gain="abc", seq_len="999999", bogus="1")
    warning = at.warning[0].value
    assert warning.startswith("Nogle indstillinger i linket kunne ikke bruges")
    assert "Ignorerede den ukendte parameter" in warning and "største tilladte værdi" in warning
    assert not english_left(at), english_left(at)


def _sentences(at) -> list[str]:
    return [c.value for c in at.caption] + [m.value for m in at.info] + [m.value for m in at.markdown]


def test_danish_sentences_and_figures_use_decimal_commas(app, new_session):
    """Every number with a decimal mark in the Danish Explorer's sentences and metrics has a comma; the English
    page's have points (the same view)."""
    da = open_page(app, "pages/explorer.py", preset="edge-of-chaos")
    numbers = [n for text in _sentences(da) + [m.value for m in da.metric] for n in DECIMAL.findall(text)]
    assert numbers and all("," in n for n in numbers), numbers
    new_session.query_params["preset"] = "edge-of-chaos"
    new_session.run()
    en = [n for text in _sentences(new_session) for n in DECIMAL.findall(text)]
    assert en and all("." in n for n in en), en


def test_danish_verdict_is_the_cores_sentence_from_the_same_numbers(app):
    """The verdict's sentence is the core's (rnn_core.diagnosis), said in Danish from its own fields."""
    from rnn_core import Config, analyze

    at = open_page(app, "pages/explorer.py", preset="vanishing")
    from rnn_core.presets import PRESETS_BY_SLUG
    d = analyze(Config.from_dict(PRESETS_BY_SLUG["vanishing"].config.to_dict())).diagnosis
    with i18n.using("da"):
        said, rate = i18n.tr(d.sentence), i18n.num(d.rate, ".3g")
    assert said in [m.value for m in at.info]
    assert "Gradienten skrumper med en faktor" in said and "Pascanu-grænsen garanterer" in said
    assert f"faktor {rate} pr. trin" in said and "," in rate
