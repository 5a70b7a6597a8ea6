"""The "Your model" page, driven as a user drives it: upload a file, read what the page says.

A real round trip (torch.nn.LSTM / nn.GRU -> safetensors -> upload -> the page's numbers = torch autograd), every
hostile file refused with a message and no exception (and nothing unpickled), names from the file never rendered as
markdown, and the page's "Reproduce in code" scripts printing the page's numbers.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from apptools import open_on_demand
from torch_steps import torch_reference

from rnn_core.weights import model_from_state_dict, read_weights

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/your_model.py"


def open_page(app):
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception
    return app


def upload(app, name: str, data: bytes):
    app.file_uploader(key="model_upload").set_value((name, data, "application/octet-stream")).run()
    assert not app.exception, app.exception
    return app


def shown_view(app):
    """The view the page drew (its numbers), from the session."""
    return app.session_state["model_view"][2]


def rendered_text(app) -> list[str]:
    """Everything the page renders as markdown (markdown, captions, alerts, metrics' labels)."""
    return ([e.value for e in app.markdown] + [e.value for e in app.caption] + [e.value for e in app.info]
            + [e.value for e in app.error] + [e.value for e in app.warning] + [e.value for e in app.success]
            + [m.label for m in app.metric] + [e.value for e in app.title] + [e.value for e in app.subheader])


def refused(app) -> str:
    assert [e.value for e in app.error] == ["This file cannot be used:"]
    assert not app.metric  # no view drawn
    return app.text[0].value


@pytest.fixture
def no_unpickling(monkeypatch):
    """``arm()``: from then on anything that unpickles fails the test (armed after the first page run, since
    Streamlit's own cache of the Explorer's views is pickled)."""
    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    def arm():
        for name in ("loads", "load", "Unpickler"):
            monkeypatch.setattr(pickle, name, refuse)
    return arm


def test_before_an_upload_the_page_says_what_to_do(app):
    open_page(app)
    assert "Upload a file to begin" in app.info[0].value
    assert not app.metric


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_round_trip_from_torch_gives_torch_autograd_gradients(app, kind):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save
    torch.manual_seed(5)
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(6, 16)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(2.5)
    upload(open_page(app), f"my_{kind}.safetensors", save(module.state_dict()))
    assert next(s for s in app.selectbox if s.label == "Cell").value == kind
    view = shown_view(app)
    g = view.gradient[view.gradient["quantity"] == ("part:h" if kind == "lstm" else "grad_norm")]
    # the same inputs and readout as the page used (noise from seed 0, zeros h0, T = 100)
    model = model_from_state_dict({k: v.double().numpy() for k, v in module.state_dict().items()})
    x = np.random.default_rng(0).normal(0.0, 1.0, size=(100, 1, 6))
    sd = [module.state_dict()[f"{n}_l0"].double().numpy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    dh, _ = torch_reference(torch, kind, sd, x, np.zeros(model.cell.state_size(model.params)), model.params.u)
    ok = dh > 0
    np.testing.assert_allclose(g["log10_value"].to_numpy(), np.log10(dh[ok]), rtol=0, atol=1e-10)
    summary = next(c.value for c in app.caption if c.value.startswith("your "))
    assert summary == f"your {kind.upper()}: N = 16, 6 inputs, T = 100"
    assert "Converted to float64: 4 from float32 (of 4 tensors)." in [c.value for c in app.caption]


def hostile_files():
    """(what, file name, bytes, words the message must hold): every refusal of issue 15."""
    buf = io.BytesIO()
    np.savez(buf, W_hh=np.array([{"a": 1}], dtype=object))
    nan = {"W_hh": np.eye(3)}
    nan["W_hh"][1, 1] = np.nan
    from safetensors.numpy import save as np_save
    many = {f"t{i}": {"dtype": "F64", "shape": [1], "data_offsets": [8 * i, 8 * i + 8]} for i in range(10_000)}
    many_header = json.dumps(many).encode()
    files = [
        ("pickle renamed .safetensors", "model.safetensors", pickle.dumps({"W_hh": np.eye(2)}), "pickle"),
        ("truncated", "model.safetensors", np_save({"W_hh": np.eye(4)})[:-7], "truncated"),
        ("header claiming 2^40 bytes", "model.safetensors", struct.pack("<Q", 2**40) + b"{}", "1,099,511,627,776"),
        ("10,000 tensors", "model.safetensors",
         struct.pack("<Q", len(many_header)) + many_header + b"\0" * 80_000, "10,000 tensors"),
        ("NaN weights", "model.safetensors", np_save(nan), "'W_hh' has 1 NaN"),
        ("shapes that do not fit", "model.safetensors",
         np_save({"weight_hh_l0": np.zeros((5, 4)), "weight_ih_l0": np.zeros((5, 2))}), "expected (N, N)"),
        ("object array in an npz", "model.npz", buf.getvalue(), "unpickl"),
    ]
    try:
        import torch
        pt = io.BytesIO()
        torch.save(torch.nn.GRU(2, 3).state_dict(), pt)
        files.append(("torch.save .pt renamed", "model.safetensors", pt.getvalue(), "torch.save"))
    except ImportError:
        pass
    return files


@pytest.mark.parametrize("what,name,data,words", hostile_files(), ids=[f[0] for f in hostile_files()])
def test_hostile_files_are_refused_with_a_message(app, no_unpickling, what, name, data, words):
    open_page(app)
    no_unpickling()
    upload(app, name, data)
    assert words in refused(app)


def test_names_from_the_file_are_never_rendered_as_markdown(app):
    from safetensors.numpy import save
    evil = "<img src=x onerror=alert(1)>**bold**[link](javascript:alert(1))"
    rng = np.random.default_rng(0)
    tensors = {"W_hh": rng.normal(size=(4, 4)) * 0.5, "W_xh": rng.normal(size=(4, 2)), evil: np.zeros(3)}
    upload(open_page(app), "arrays.safetensors", save(tensors))
    assert shown_view(app).diagnosis.regime in ("vanishing", "stable", "exploding")
    assert evil in app.dataframe[0].value["tensor"].tolist()  # as data, in a table cell
    assert not any(evil in text or "<img" in text for text in rendered_text(app))
    # and where a message must quote it, it is plain text
    upload(app, "evil.safetensors", save({evil: np.zeros(2)}))
    assert repr(evil) in refused(app)
    assert not any("<img" in text for text in rendered_text(app))


def test_reproduce_scripts_print_the_pages_numbers(app, tmp_path):
    """The page's rnn_core snippet and PyTorch script, run next to the uploaded file, print the numbers the page shows
    (to 1e-10 relative; the PyTorch script's float64 underflows below ~1e-308, where it prints -inf)."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save
    torch.manual_seed(1)
    data = save(torch.nn.GRU(4, 10).state_dict())
    (tmp_path / "gru.safetensors").write_bytes(data)
    upload(open_page(app), "gru.safetensors", data)
    view = shown_view(app)
    g = view.gradient[view.gradient["quantity"] == "grad_norm"]
    expected = dict(zip(g["t"].tolist(), g["log10_value"].tolist(), strict=True))
    snippet = open_on_demand(app).code[-1].value  # the rnn_core snippet, shown when its expander is opened
    # the PyTorch script is made when it is downloaded: made here as the page makes it, from the file (not embedded)
    from rnn_core.reproduce import torch_script
    from rnn_core.weights import Run, diagnose
    model = model_from_state_dict(read_weights(data, "gru.safetensors").tensors, cell="gru")
    spec = {"file": "gru.safetensors", "cell": "gru", "layer": 0, "direction": 0, "activation": "tanh",
            "prefix": "", "source": "torch", "run": dataclasses.asdict(Run())}
    script = torch_script(diagnose(model, Run()), title="test", model=spec, embed_max=10)  # read from the file
    for code in (snippet, script):
        (tmp_path / "script.py").write_text(code)
        out = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert out.returncode == 0, out.stderr
        printed = {int(t): float(v) for t, v in (line.split() for line in out.stdout.splitlines()
                                                 if line[:1].isdigit())}
        assert set(expected) <= set(printed)
        diff = max(abs(printed[t] - v) for t, v in expected.items() if np.isfinite(printed[t]))
        assert diff < 4.3e-11  # log10(1 + 1e-10)


def test_a_model_without_input_weights_says_why_its_state_is_zero(app):
    """Plain W_hh (no W_xh): no input reaches the state, which stays at h_0 = 0 until the user picks a random h_0;
    the page says so instead of offering the built-in networks' advice (choose an input)."""
    from safetensors.numpy import save
    W = np.random.default_rng(3).normal(0, 1.5 / np.sqrt(8), (8, 8))
    upload(open_page(app), "w_hh.safetensors", save({"W_hh": W}))
    info = [i.value for i in app.info]
    assert any("input weights are all zero" in v and "random initial state" in v for v in info), info
    assert not any("Choose an input" in v for v in info)
    next(s for s in app.selectbox if s.label == "Initial state").set_value("random")
    next(b for b in app.button if b.label == "Analyze").click().run()
    assert not app.exception
    assert not shown_view(app).zero_state  # a random h_0: the states move, the charts are drawn
