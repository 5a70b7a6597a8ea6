""""Reproduce in code": both scripts, run as a user runs them, print the dashboard's numbers.

The dashboard's numbers are those of its view (``ui.view.build_view``), the per-step ``log10 ||dL/dh_t||`` of the
gradient chart. The rnn_core snippet must give them exactly; the PyTorch script (torch.autograd, float64) to 1e-10
relative wherever float64 holds the number with full precision, between 1e-300 and 1e300 (lower, the script's
gradients are subnormal, then zero, and it prints -inf; higher they overflow; the dashboard computes in the log
domain).
The standalone script runs from an empty folder without rnn_core on the path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn_core import Config, analyze
from rnn_core.reproduce import core_script, torch_script
from ui.view import build_view

ROOT = Path(__file__).resolve().parents[2]
REL = np.log10(1 + 1e-10)  # 1e-10 relative, in log10


def run(code: str, folder: Path, with_rnn_core: bool) -> dict[int, float]:
    (folder / "script.py").write_text(code)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if with_rnn_core:
        env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "script.py"], cwd=folder, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return {int(t): float(v) for t, v in (line.split() for line in out.stdout.splitlines() if line[:1].isdigit())}


def dashboard_numbers(config: Config) -> dict[int, float]:
    g = build_view(config).gradient
    g = g[g["quantity"] == "grad_norm"]
    return dict(zip(g["t"].tolist(), g["log10_value"].tolist(), strict=True))


CONFIGS = [
    Config(),
    Config(cell="leaky", leak=0.3, activation="relu", seq_len=60),
    Config(cell="lstm", forget_init="chrono", seq_len=80),
    Config(cell="gru", loss="all", seq_len=50),
    Config(cell="lru", r_min=0.9, r_max=0.999, input_kind="text", text="abcab"),
    Config(activation="sigmoid", batch_size=3, input_kind="sine", seq_len=40, hidden_size=16),
    Config(activation="leaky_relu", gain=4.0, seq_len=400, hidden_size=16),  # exploding
    Config(gain=0.3, seq_len=800, hidden_size=16),  # 1e-574 at t = 0: far below float64's range
    Config(activation="linear", gain=3.0, seq_len=1000, hidden_size=16),  # the states overflow: the loss moves back
]


def test_the_rnn_core_snippet_prints_the_dashboards_numbers(tmp_path):
    for config in CONFIGS[:3]:
        printed = run(core_script(config), tmp_path, with_rnn_core=True)
        expected = dashboard_numbers(config)
        assert {t: printed[t] for t in expected} == expected  # the same engine: exactly


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.cell}-{c.activation}-{c.input_kind}-B{c.batch_size}")
def test_the_pytorch_script_prints_the_dashboards_numbers(tmp_path, config):
    pytest.importorskip("torch")
    expected = dashboard_numbers(config)
    printed = run(torch_script(analyze(config), title="test", config=config), tmp_path, with_rnn_core=False)
    assert set(expected) <= set(printed)
    finite = {t: v for t, v in expected.items() if -300 < printed[t] < 300}  # float64's range, without subnormals
    assert len(finite) >= min(len(expected), 50)  # underflow may end the comparison early, never at the start
    worst = max(abs(printed[t] - v) for t, v in finite.items())
    assert worst < REL, worst
    if config.gain == 0.3:  # where float64 underflows, the script says so rather than printing garbage
        assert min(expected.values()) < -500 and printed[0] == -np.inf


def test_a_large_network_is_regenerated_from_its_seed(tmp_path):
    pytest.importorskip("torch")
    config = Config(cell="lstm", hidden_size=128, seq_len=30)
    script = torch_script(analyze(config), title="test", config=config)
    assert "rnn_core regenerates them" in script and len(script) < 20_000  # no embedded weights
    printed = run(script, tmp_path, with_rnn_core=True)
    expected = dashboard_numbers(config)
    assert max(abs(printed[t] - v) for t, v in expected.items()) < REL


def test_the_script_embeds_what_it_cannot_regenerate():
    config = Config(input_kind="impulse", seq_len=20, hidden_size=8)
    script = torch_script(analyze(config), title="test", config=config)
    assert "embedded('x')" in script and "'x': ((20, 1, 8)," in script
    noise = torch_script(analyze(Config(seq_len=20, hidden_size=8)), title="test", config=Config(seq_len=20,
                                                                                                   hidden_size=8))
    assert "streams[2].normal(0.0, 1.0, size=(20, 1, 8))" in noise and "'x':" not in noise


def test_a_script_ends_where_the_page_does_when_the_states_overflow(tmp_path):
    pytest.importorskip("torch")
    config = CONFIGS[-1]
    result = analyze(config)
    assert result.diagnosis.overflow_step is not None and result.loss_step < config.seq_len
    printed = run(torch_script(result, title="test", config=config), tmp_path, with_rnn_core=False)
    assert max(printed) == result.loss_step  # the same steps as the page, no NaN past the overflow
    assert not any(np.isnan(v) for v in printed.values())


def test_an_uploaded_model_too_large_to_embed_is_read_from_its_file(tmp_path):
    """Plain arrays without W_xh (the page uses zeros, one input) and no bias, read back from the file."""
    pytest.importorskip("torch")
    from safetensors.numpy import save

    from rnn_core.weights import Run, diagnose, model_from_state_dict
    W = np.random.default_rng(2).normal(0, 1 / np.sqrt(30), (30, 30))
    (tmp_path / "w.safetensors").write_bytes(save({"W_hh": W}))
    run_ = Run(seq_len=60, input_kind="impulse", h0="random")
    result = diagnose(model_from_state_dict({"W_hh": W}), run_)
    spec = {"file": "w.safetensors", "cell": "rnn", "layer": 0, "direction": 0, "activation": "tanh", "prefix": "",
            "source": "arrays", "run": dict(vars(run_))}
    script = torch_script(result, title="test", model=spec, embed_max=100)
    assert "read from your file" in script
    printed = run(script, tmp_path, with_rnn_core=False)
    expected = result.grad_log10_norm()
    assert max(abs(printed[t] - expected[t]) for t in range(61)) < REL
