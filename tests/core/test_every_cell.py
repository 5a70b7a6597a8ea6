"""What the engine shows for every registered cell: contributions, saturation, theory curves, the diagnosis."""

from dataclasses import replace

import numpy as np
import pytest

from rnn_core import Config, analyze, backward, forward, init_inputs, init_params, step_contributions
from rnn_core.cells import CELLS, make_cell
from rnn_core.phase import AXES, MapSettings, regime_map, theory_lines
from rnn_core.sweep import sweep
from rnn_core.tidy import gradient_frame

SMALL = {"hidden_size": 6, "seq_len": 12, "batch_size": 3, "input_size": 2, "bias_scale": 0.3}


@pytest.mark.parametrize("cell", [c for c in CELLS if c != "lru"])  # the LRU has no W_hh
def test_step_contributions_are_the_terms_of_dL_dW_hh(cell):
    # The term of step t is dL/dW_hh with W_hh changed at step t alone: central finite differences of a loop that
    # uses W_hh + eps E_ij at that step only, on a few entries, against the per-step terms the chart sums.
    c = Config(cell=cell, gain=1.5, loss="all", **SMALL)
    p, x = init_params(c), init_inputs(c)
    cl = make_cell(c)
    traj = forward(p, x, cl)
    grad = backward(p, traj, "all")
    contributions = step_contributions(grad, traj)
    rng = np.random.default_rng(0)

    def loss(t_changed: int, W: np.ndarray) -> float:
        s, total = traj.s[0], 0.0
        for t in range(1, c.seq_len + 1):
            s = cl.step(replace(p, W_hh=W) if t == t_changed else p, s, x[t - 1])
            total += float(np.sum(cl.output(s) @ p.u))
        return total

    for t in (1, c.seq_len // 2, c.seq_len):
        term = np.zeros_like(p.W_hh)
        for i, j in zip(rng.integers(0, p.W_hh.shape[0], 40), rng.integers(0, p.W_hh.shape[1], 40), strict=True):
            E = np.zeros_like(p.W_hh)
            E[i, j] = 1e-6
            term[i, j] = (loss(t, p.W_hh + E) - loss(t, p.W_hh - E)) / 2e-6
        # the sampled entries' share of the term, from the cell's parameter gradients of that step
        delta = cl.delta(p, grad.values()[t][None], traj.s[t - 1][None], traj.s[t][None], x[t - 1][None])
        full = cl.param_grads(p, delta, traj.s[t - 1][None], x[t - 1][None])["W_hh"]
        sampled = term != 0
        np.testing.assert_allclose(term[sampled], full[sampled], rtol=1e-6, atol=1e-9)
        norm = np.linalg.norm(full)  # 0 at t = 1, from h_0 = 0
        assert contributions[t - 1] == (pytest.approx(np.log10(norm), abs=1e-10) if norm > 0 else -np.inf)


def test_the_leaky_rnn_measures_saturation_and_act_prime_of_its_preactivations():
    c = Config(cell="leaky", leak=0.5, gain=4.0, **SMALL)
    a = analyze(c)
    cl, p = make_cell(c), init_params(c)
    s, x = a.traj.s, a.x
    act_a = np.tanh(cl.preactivation(p, s[:-1], x))
    np.testing.assert_allclose(a.saturated[1:], (np.abs(act_a) > 0.97).mean(axis=(-1, -2)))
    assert a.diagnosis.mean_dact == pytest.approx(float(np.mean(1 - act_a**2)), rel=1e-12)
    assert a.saturated[1:].mean() > 0.3  # a large gain saturates act(a), though the averaged state need not show it


@pytest.mark.parametrize("cell", list(CELLS))
def test_every_cell_gets_a_diagnosis_and_curves_built_from_its_own_numbers(cell):
    a = analyze(Config(cell=cell, **SMALL))
    d = a.diagnosis
    assert d.regime in ("vanishing", "stable", "exploding") and d.sentence
    df = gradient_frame(a)
    assert np.isfinite(df["log10_value"]).all()
    for name, curve in a.reference.items():  # each theory curve is in the chart and named in the sentence
        assert f"ref:{name}" in set(df["quantity"])
        assert name in d.sentence
        assert curve[a.loss_step] == 0.0  # norm 1 at the loss
    if np.isfinite(d.pascanu):
        assert "pascanu_bound" in set(df["quantity"])
    else:  # gated: no bound to draw, no bound to state
        assert "pascanu_bound" not in set(df["quantity"]) and "γ·σ_max" not in d.sentence
    if cell == "lstm":
        assert set(a.part_norms) == {"h", "c"}
    else:
        assert a.part_norms == {}


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_sweep_row_of_any_cell_is_that_network_run_alone(cell):
    base = Config(cell=cell, hidden_size=8, seq_len=30, batch_size=2, input_size=3)
    table = sweep(base, gains=[0.3, 1.0, 4.0], seeds=(0, 5))
    assert len(table) == 6
    for row in table.itertuples():
        alone = analyze(base.replace(gain=row.gain, seed=row.seed)).diagnosis
        assert row.regime == alone.regime
        assert row.rate == pytest.approx(alone.rate, rel=1e-12)
        assert row.lyapunov_max == pytest.approx(alone.lyapunov_max, rel=1e-9, abs=1e-12)
        assert row.pascanu == pytest.approx(alone.pascanu, rel=1e-12, nan_ok=True)


def test_the_regime_map_takes_the_cell_as_its_second_axis():
    settings = MapSettings(axis="cell", gain_points=4, seeds=1)
    table, _ = regime_map(Config(hidden_size=8, seq_len=30), settings)
    assert set(table["axis_value"]) == set(AXES["cell"]) and "lru" not in AXES["cell"]  # the LRU has no gain
    lines = theory_lines(table, settings, Config())
    assert set(lines["axis_value"]) == {"rnn"}  # the Pascanu and rho lines are the vanilla cell's theory only
