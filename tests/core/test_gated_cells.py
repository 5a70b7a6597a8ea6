"""The LSTM and the GRU: finite differences, PyTorch, the exact carousels, the tangent maps, init and extremes.

The reference here is written from PyTorch's documented equations, block by block (``W_ii``, ``W_hf``, ...), not from
``rnn_core``, so that a test comparing the two can fail. Everything is float64.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rnn_core import (
    INITIALIZERS,
    INPUT_KINDS,
    Config,
    analyze,
    backward,
    forward,
    gradients,
    init_inputs,
    jacobian_products,
    lyapunov_spectrum,
    step_contributions,
)
from rnn_core.cells.gru import GRU, GRUParams
from rnn_core.cells.lstm import LSTM, LSTMParams
from rnn_core.initializers import init_matrix, readout_vector, streams

Array = np.ndarray
FD_STEP, FD_RTOL = 1e-6, 1e-7  # central differences: truncation ~1e-12, rounding ~1e-16 / 1e-6 = 1e-10 (relative)
TORCH_RTOL = 1e-10  # both sides float64 with the same operations in a different order: measured ~1e-15
PARAM_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh")
CELLS = {"lstm": (LSTM, LSTMParams, 4), "gru": (GRU, GRUParams, 3)}  # cell, its parameters, gate blocks


def _sig(a: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-a))


# ----------------------------------------------------------------------------------------------------------------
# The independent reference: PyTorch's equations, one block of rows per gate


def reference_states(name: str, p, x: Array, s0: Array | None = None) -> Array:
    """(T+1, B, S): the states from a plain loop over PyTorch's equations; ``s0`` (B, S) the initial state."""
    T, B, _ = x.shape
    N = p.W_hh.shape[1]
    k = CELLS[name][2]
    Wi, Wh, bi, bh = (np.split(a, k) for a in (p.W_ih, p.W_hh, p.b_ih, p.b_hh))
    s = np.zeros((B, k // 2 * N)) if s0 is None else s0  # LSTM [h, c], GRU h
    out = [s]
    for t in range(T):
        xt, h = x[t], s[:, :N]
        pre = [xt @ Wi[j].T + bi[j] for j in range(k)], [h @ Wh[j].T + bh[j] for j in range(k)]
        if name == "lstm":
            (xi, xf, xg, xo), (hi, hf, hg, ho) = pre
            i, f, g, o = _sig(xi + hi), _sig(xf + hf), np.tanh(xg + hg), _sig(xo + ho)
            c = f * s[:, N:] + i * g
            s = np.concatenate([o * np.tanh(c), c], axis=1)
        else:
            (xr, xz, xn), (hr, hz, hn) = pre
            r, z = _sig(xr + hr), _sig(xz + hz)
            n = np.tanh(xn + r * hn)
            s = (1 - z) * n + z * h
        out.append(s)
    return np.stack(out)


def reference_loss(name: str, p, x: Array, loss: str, s0: Array | None = None) -> float:
    """'last': L = sum_b u·h_T; 'all': L = sum_b sum_{t=1..T} u·h_t."""
    h = reference_states(name, p, x, s0)[..., : p.W_hh.shape[1]]
    return float((h[-1] @ p.u).sum() if loss == "last" else (h[1:] @ p.u).sum())


def small_network(name: str, seed: int = 0, N: int = 4, D: int = 3, T: int = 6, B: int = 3):
    """Random weights (``W_hh ~ N(0, 1/N)``, biases ``N(0, 0.5^2)``), noise input (T, B, D), an initial state."""
    rng = np.random.default_rng(seed)
    k = CELLS[name][2]
    p = CELLS[name][1].from_arrays(rng.normal(0, 1 / np.sqrt(D), (k * N, D)), rng.normal(0, 1 / np.sqrt(N), (k * N, N)),
                                   rng.normal(0, 0.5, k * N), rng.normal(0, 0.5, k * N), seed=seed)
    x = rng.normal(size=(T, B, D))
    s0 = rng.normal(0, 0.5, (B, k // 2 * N))  # LSTM: [h0, c0]
    return p, x, s0


@pytest.fixture(params=tuple(CELLS))
def name(request) -> str:
    return request.param


@pytest.fixture(params=("last", "all"))
def loss(request) -> str:
    return request.param


def test_the_reference_is_the_cell(name):
    p, x, s0 = small_network(name)
    traj = forward(p, x, CELLS[name][0](), h0=s0)
    np.testing.assert_allclose(traj.s, reference_states(name, p, x, s0), rtol=1e-13, atol=1e-15)


# ----------------------------------------------------------------------------------------------------------------
# Finite differences


@pytest.mark.parametrize("initial", ["zeros", "given"])
def test_parameter_gradients_match_finite_differences(name, loss, initial):
    p, x, s0 = small_network(name)
    s0 = None if initial == "zeros" else s0
    _, pg = gradients(p, forward(p, x, CELLS[name][0](), h0=s0), x, loss)
    got = pg.as_dict()
    assert tuple(got) == PARAM_NAMES
    for pname in PARAM_NAMES:
        arr = getattr(p, pname)
        fd = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            plus, minus = arr.copy(), arr.copy()
            plus[idx] += FD_STEP
            minus[idx] -= FD_STEP
            fd[idx] = (reference_loss(name, dataclasses.replace(p, **{pname: plus}), x, loss, s0)
                       - reference_loss(name, dataclasses.replace(p, **{pname: minus}), x, loss, s0)) / (2 * FD_STEP)
        assert got[pname].shape == arr.shape
        assert np.linalg.norm(got[pname] - fd) < FD_RTOL * np.linalg.norm(fd), pname


def test_dL_ds0_matches_finite_differences(name, loss):
    p, x, s0 = small_network(name)
    grad = backward(p, forward(p, x, CELLS[name][0](), h0=s0), loss).values()[0]  # (B, S): [dL/dh_0, dL/dc_0]
    fd = np.zeros_like(s0)
    for idx in np.ndindex(s0.shape):
        plus, minus = s0.copy(), s0.copy()
        plus[idx] += FD_STEP
        minus[idx] -= FD_STEP
        fd[idx] = (reference_loss(name, p, x, loss, plus) - reference_loss(name, p, x, loss, minus)) / (2 * FD_STEP)
    assert np.linalg.norm(grad - fd) < FD_RTOL * np.linalg.norm(fd)
    if name == "lstm":  # the c part is not negligible: the check covers the carousel's own gradient
        N = p.hidden_size
        assert np.linalg.norm(fd[:, N:]) > 0.1 * np.linalg.norm(fd[:, :N])


# ----------------------------------------------------------------------------------------------------------------
# PyTorch


def _torch_modules(name: str, p):
    """``torch.nn.LSTM``/``GRU`` and the matching ``LSTMCell``/``GRUCell``, float64, with the weights of ``p``."""
    torch = pytest.importorskip("torch")
    D, N = p.input_size, p.hidden_size
    net = (torch.nn.LSTM if name == "lstm" else torch.nn.GRU)(D, N, dtype=torch.float64)
    cell = (torch.nn.LSTMCell if name == "lstm" else torch.nn.GRUCell)(D, N, dtype=torch.float64)
    with torch.no_grad():
        for ours, theirs in zip(PARAM_NAMES, ("weight_ih", "weight_hh", "bias_ih", "bias_hh"), strict=True):
            getattr(net, theirs + "_l0").copy_(torch.from_numpy(getattr(p, ours)))
            getattr(cell, theirs).copy_(torch.from_numpy(getattr(p, ours)))
    return torch, net, cell


def _rel(a: Array, b: Array) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_states_and_every_dL_ds_agree_with_torch(name, loss):
    p, x, s0 = small_network(name, seed=3, T=9)
    torch, net, tcell = _torch_modules(name, p)
    N, (T, B, _) = p.hidden_size, x.shape
    xt = torch.from_numpy(x)
    # one step at a time, so that every h_t (and c_t) keeps its gradient; h_0 (and c_0) leaves
    h = torch.from_numpy(s0[:, :N].copy()).requires_grad_(True)
    c = torch.from_numpy(s0[:, N:].copy()).requires_grad_(True) if name == "lstm" else None
    hs, cs, dh_dc = [h], [c], [torch.zeros(B, N, dtype=torch.float64)]
    for t in range(T):
        if name == "lstm":
            with torch.no_grad():  # o_t (1 - tanh(c_t)^2), from the rows of the output gate
                o = torch.sigmoid(xt[t] @ tcell.weight_ih[3 * N:].T + tcell.bias_ih[3 * N:]
                                  + h @ tcell.weight_hh[3 * N:].T + tcell.bias_hh[3 * N:])
            h, c = tcell(xt[t], (h, c))
            c.retain_grad()
            dh_dc.append(o * (1 - torch.tanh(c.detach()) ** 2))
        else:
            h = tcell(xt[t], h)
        h.retain_grad()
        hs.append(h)
        cs.append(c)
    u = torch.from_numpy(p.u)
    L = (hs[-1] @ u).sum() if loss == "last" else sum((hh @ u).sum() for hh in hs[1:])
    L.backward()

    traj = forward(p, x, CELLS[name][0](), h0=s0)
    parts = [hs] if name == "gru" else [hs, cs]
    expected_s = np.concatenate([np.stack([v.detach().numpy() for v in part]) for part in parts], axis=-1)
    np.testing.assert_allclose(traj.s, expected_s, rtol=TORCH_RTOL, atol=1e-14)
    out, last = net(xt, (hs[0][None], cs[0][None]) if name == "lstm" else hs[0][None])  # the whole-sequence module
    np.testing.assert_allclose(traj.h[1:], out.detach().numpy(), rtol=TORCH_RTOL, atol=1e-14)
    if name == "lstm":
        np.testing.assert_allclose(traj.s[-1, :, N:], last[1][0].detach().numpy(), rtol=TORCH_RTOL, atol=1e-14)

    def grad_of(v):  # c_T is outside the loss's graph: its gradient is exactly zero
        return np.zeros((B, N)) if v.grad is None else v.grad.numpy()

    expected = np.concatenate([np.stack([grad_of(v) for v in part]) for part in parts], axis=-1)  # (T+1, B, S)
    if name == "lstm":
        # PyTorch's c_t.grad is the whole dL/dc_t: h_t = o_t tanh(c_t) is computed from the tensor c_t. The engine's
        # dL/ds_t takes h_t and c_t as two coordinates of the state (J_t = ds_t/ds_{t-1}), so its c part is that
        # minus the path through h_t. (At t = 0 both are leaves: nothing to remove.)
        expected[:, :, N:] -= expected[:, :, :N] * np.stack([v.numpy() for v in dh_dc])
    ours = backward(p, traj, loss).values()
    for t in range(T + 1):
        assert _rel(ours[t], expected[t]) < TORCH_RTOL, t


@pytest.mark.parametrize("initial", ["zeros", "given"])
def test_parameter_gradients_agree_with_torch(name, loss, initial):
    p, x, s0 = small_network(name, seed=5, T=11)
    torch, net, _ = _torch_modules(name, p)
    N = p.hidden_size
    s0 = None if initial == "zeros" else s0
    if s0 is None:
        out, _ = net(torch.from_numpy(x))
    else:
        h0 = torch.from_numpy(s0[None, :, :N].copy())
        out, _ = net(torch.from_numpy(x), (h0, torch.from_numpy(s0[None, :, N:].copy())) if name == "lstm" else h0)
    u = torch.from_numpy(p.u)
    L = (out[-1] @ u).sum() if loss == "last" else (out @ u).sum()
    L.backward()
    _, pg = gradients(p, forward(p, x, CELLS[name][0](), h0=s0), x, loss)
    for ours, theirs in zip(PARAM_NAMES, ("weight_ih", "weight_hh", "bias_ih", "bias_hh"), strict=True):
        assert _rel(pg.as_dict()[ours], getattr(net, theirs + "_l0").grad.numpy()) < TORCH_RTOL, ours


# ----------------------------------------------------------------------------------------------------------------
# The exact cases: the carousels


def _constant_forget_lstm(b: float, N: int = 3, D: int = 2, seed: int = 0) -> LSTMParams:
    """W_hh = 0 and no input to the forget rows: f = sigmoid(b) at every step and unit."""
    rng = np.random.default_rng(seed)
    W_ih, b_ih = rng.normal(size=(4 * N, D)), rng.normal(size=4 * N)
    W_ih[N:2 * N], b_ih[N:2 * N] = 0.0, b
    return LSTMParams.from_arrays(W_ih, np.zeros((4 * N, N)), b_ih, seed=seed)


@pytest.mark.parametrize("b", [-2.0, 1.0, 4.0])
def test_lstm_carousel_is_sigmoid_b_to_the_lag(b):
    p, T, N = _constant_forget_lstm(b), 2000, 3
    x = np.random.default_rng(1).normal(size=(T, 1, 2))
    cell = LSTM()
    traj = forward(p, x, cell)
    lag = T - np.arange(T + 1)
    log10_f = -np.log1p(np.exp(-b)) / np.log(10)  # log10 sigmoid(b)
    # the reference curve: log10 max_i prod f = (T - t) log10 sigmoid(b), far below float64 at b = -2 (1e-1850)
    np.testing.assert_allclose(cell.reference_curves(p, traj)["carousel"], lag * log10_f, rtol=1e-12, atol=1e-12)
    # the engine's dL/dc_t, for t < T: with W_hh = 0, dL/dc_t = dL/dc_T(total) * f^(T-t), the total being
    # u * o_T * (1 - tanh(c_T)^2) from the readout of h_T
    grad = backward(p, traj, "last")
    with np.errstate(divide="ignore"):  # dL/dc_T = 0: the loss reads h_T only
        c_part = np.log10(np.linalg.norm(grad.v[:, 0, N:], axis=-1)) + grad.log10_norm[:, 0]
    assert c_part[T] == -np.inf
    o_T = _sig(x[-1, 0] @ p.W_ih[3 * N:].T + p.b_ih[3 * N:])
    top = np.log10(np.linalg.norm(p.u * o_T * (1 - np.tanh(traj.s[-1, 0, N:]) ** 2)))
    np.testing.assert_allclose(c_part[:T], top + lag[:T] * log10_f, rtol=1e-12, atol=1e-9)


def test_lstm_backward_of_unit_vectors_in_c_is_the_carousel():
    # the rows of [0 | I]: a Jacobian product restricted to c, as the engine passes it (several rows per state)
    b, T, N = 1.0, 200, 3
    p = _constant_forget_lstm(b, N)
    x = np.random.default_rng(2).normal(size=(T, 1, 2))
    cell = LSTM()
    s = forward(p, x, cell).s[:, 0]  # (T+1, 2N)
    M = np.concatenate([np.zeros((N, N)), np.eye(N)], axis=1)  # dc_T/ds_T
    f = _sig(b)
    for t in range(T - 1, -1, -1):
        M = cell.backward(p, M, s[t], s[t + 1], x[t, 0])  # dc_T/ds_t
        np.testing.assert_array_equal(M[:, :N], 0.0)  # no path from h_t to c_T when W_hh = 0
        np.testing.assert_allclose(M[:, N:], f ** (T - t) * np.eye(N), rtol=1e-12, atol=0)
    assert np.linalg.norm(M, 2) == pytest.approx(f**T, rel=1e-12)


def test_lstm_carousel_is_exact_at_a_hundred_thousand_steps():
    # reference_curves only needs the states and inputs: W_hh = 0 makes the states irrelevant to the gates
    b, T, N = 1.0, 100_000, 2
    p = _constant_forget_lstm(b, N)
    traj = SimpleNamespace(s=np.zeros((T + 1, 1, 2 * N)), x=np.ones((T, 1, 2)), valid_T=np.array([T - 10]), T=T)
    curve = LSTM().reference_curves(p, traj)["carousel"]
    lag = np.arange(T - 10, -1, -1)
    np.testing.assert_allclose(curve[: T - 9], lag * np.log10(_sig(b)), rtol=1e-11)
    assert curve[0] < -13_000 and np.isnan(curve[T - 9:]).all()  # NaN past the valid step


def test_gru_with_zero_recurrent_weights_has_jacobian_diag_prod_z():
    N, D, T = 4, 2, 3000
    rng = np.random.default_rng(7)
    # b_hh nonzero: with W_hh = 0 it is a constant inside every gate, the Jacobian stays diag(z)
    p = GRUParams.from_arrays(rng.normal(size=(3 * N, D)), np.zeros((3 * N, N)), rng.normal(size=3 * N),
                              rng.normal(size=3 * N))
    x = rng.normal(size=(T, 1, D))
    cell = GRU()
    traj = forward(p, x, cell)
    a_z = x[:, 0] @ p.W_ih[N:2 * N].T + p.b_ih[N:2 * N] + p.b_hh[N:2 * N]  # (T, N): steps 1..T
    log10_z = -np.log1p(np.exp(-a_z)) / np.log(10)
    expected = np.concatenate([np.cumsum(log10_z[::-1], axis=0)[::-1], np.zeros((1, N))]).max(axis=1)  # (T+1,)
    assert expected[0] < -400  # far below float64
    np.testing.assert_allclose(jacobian_products(p, traj).log10_norm, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(cell.reference_curves(p, traj)["update gate"], expected, rtol=0, atol=1e-10)


# ----------------------------------------------------------------------------------------------------------------
# The tangent map (jvp) against the backward step and against the step itself


def _one_step(name: str, seed: int):
    p, x, s0 = small_network(name, seed=seed, T=3, B=1)
    s = forward(p, x, CELLS[name][0](), h0=s0).s[:, 0]  # (T+1, S), one sequence, as the engine's jvp sees it
    return p, s[1], s[2], x[1, 0]


def test_jvp_is_the_transpose_of_backward(name):
    cell = CELLS[name][0]()
    for seed in range(3):
        p, s_prev, s, x = _one_step(name, seed)
        rng = np.random.default_rng(seed)
        S = s.size
        q, g = rng.normal(size=(S, 5)), rng.normal(size=(5, S))  # five columns, five rows
        Jq = cell.jvp(p, q, s_prev, s, x)  # (S, 5)
        JTg = cell.backward(p, g, s_prev, s, x)  # (5, S)
        # g_j · (J q_j) == (J^T g_j) · q_j, and across pairs: G J Q == (J^T G^T)^T Q
        np.testing.assert_allclose(g @ Jq, JTg @ q, rtol=1e-12, atol=1e-14)


def test_jvp_matches_finite_differences_of_step(name):
    cell = CELLS[name][0]()
    for seed in range(3):
        p, s_prev, s, x = _one_step(name, seed)
        q = np.random.default_rng(seed).normal(size=(s.size, 3))
        Jq = cell.jvp(p, q, s_prev, s, x)
        for j in range(3):
            plus = cell.step(p, (s_prev + FD_STEP * q[:, j])[None], x[None])[0]
            minus = cell.step(p, (s_prev - FD_STEP * q[:, j])[None], x[None])[0]
            fd = (plus - minus) / (2 * FD_STEP)
            assert np.linalg.norm(Jq[:, j] - fd) < FD_RTOL * np.linalg.norm(fd)


def test_a_stack_of_networks_is_each_network_alone(name):
    # leading dimensions: two networks at once through forward, backward and the Lyapunov tangents
    nets = [small_network(name, seed=s, T=20, B=2) for s in (0, 1)]
    x = nets[0][1]
    stack = CELLS[name][1](*(np.stack([getattr(n[0], f) for n in nets]) for f in (*PARAM_NAMES, "u")))
    cell = CELLS[name][0]()
    traj = forward(stack, x, cell)
    grad = backward(stack, traj, "all")
    lyap = lyapunov_spectrum(stack, traj, k=3)
    for g, (p, _, _) in enumerate(nets):
        alone = forward(p, x, cell)
        np.testing.assert_allclose(traj.s[:, g], alone.s, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(grad.values()[:, g], backward(p, alone, "all").values(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(lyap[g], lyapunov_spectrum(p, alone, k=3)[0], rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# End to end, and over random configurations


@pytest.mark.parametrize("forget_init", ["constant", "chrono"])
def test_analyze_runs_end_to_end(name, forget_init):
    cell = CELLS[name][0]()
    cfg = Config(cell=name, hidden_size=6, seq_len=80, batch_size=2, input_size=3, forget_init=forget_init,
                 bias_scale=0.3, seed=2)
    a = analyze(cfg, params=cell.init_params(cfg), cell=cell)
    T = cfg.seq_len
    assert a.traj.s.shape == (T + 1, 2, cell.state_size(a.params))
    assert np.isfinite(a.grad_log10_norm()).all() and np.isfinite(a.grad_log10_norm(last=True)).all()
    assert a.diagnosis.regime in ("vanishing", "stable", "exploding")
    assert math.isfinite(a.diagnosis.rate) and a.diagnosis.sentence.strip()
    assert a.jacobians is not None and np.isfinite(a.jacobians.log10_norm).all()
    assert np.isfinite(a.lyapunov).all()
    assert a.contributions[0] == -np.inf and np.isfinite(a.contributions[1:]).all()  # step 1 reads h_0 = 0
    sat = a.saturated
    assert ((sat >= 0) & (sat <= 1)).all() if name == "lstm" else np.isnan(sat).all()
    curve = cell.reference_curves(a.params, a.traj)
    (key,) = curve
    assert key == ("carousel" if name == "lstm" else "update gate")
    assert curve[key].shape == (T + 1,) and curve[key][T] == 0.0 and (np.diff(curve[key]) >= 0).all()


@st.composite
def gated_configs(draw):
    """Valid small Configs of the two gated cells, the extremes drawn often."""
    init = draw(st.sampled_from(tuple(INITIALIZERS)))
    gain = draw(st.one_of(st.sampled_from([0.0, 1e-300, 0.5, 1.0, 3.0, 20.0]), st.floats(0.0, 20.0)))
    if init == "spectral_radius" and gain == 0.0:
        gain = 1.0  # the one combination Config forbids
    return Config(
        cell=draw(st.sampled_from(tuple(CELLS))),
        seq_len=draw(st.one_of(st.sampled_from([1, 2, 3]), st.integers(1, 60))),
        hidden_size=draw(st.integers(1, 5)),
        batch_size=draw(st.integers(1, 3)),
        init=init,
        gain=gain,
        input_kind=draw(st.sampled_from(INPUT_KINDS)),
        input_scale=draw(st.sampled_from([0.0, 1.0, 5.0, 100.0])),
        input_size=draw(st.integers(1, 3)),
        text=draw(st.text(min_size=1, max_size=8)),
        loss=draw(st.sampled_from(("last", "all"))),
        seed=draw(st.integers(0, 2**32 - 1)),
        bias_scale=draw(st.sampled_from([0.0, 0.5, 10.0])),
        forget_bias=draw(st.sampled_from([-10.0, 0.0, 1.0, 10.0])),
        forget_init=draw(st.sampled_from(("constant", "chrono"))),
    )


@example(Config(cell="lstm", gain=20.0, input_scale=100.0, bias_scale=10.0, forget_bias=10.0, seq_len=40,
                hidden_size=4))  # everything saturated: gate derivatives round to exactly 0
@example(Config(cell="gru", gain=20.0, input_scale=100.0, bias_scale=10.0, seq_len=40, hidden_size=4))
@example(Config(cell="lstm", gain=0.0, input_kind="zeros", seq_len=30, hidden_size=3))  # h = c = 0 throughout
@example(Config(cell="gru", gain=0.0, input_kind="zeros", seq_len=30, hidden_size=3))
@example(Config(cell="lstm", seq_len=1, hidden_size=1, forget_init="chrono"))
@given(gated_configs())
@settings(max_examples=40, deadline=None, database=None)
def test_gated_cells_never_give_nan(cfg):
    cell = CELLS[cfg.cell][0]()
    p, x = cell.init_params(cfg), init_inputs(cfg)
    traj = forward(p, x, cell)
    assert not traj.overflowed  # h is bounded by 1 (a gated mix of tanh's), |c_t| grows at most by 1 per step
    grad, pg = gradients(p, traj, x, cfg.loss)
    # log10 norms: a number or -inf (exactly zero), never NaN, never +inf
    assert not np.isnan(grad.log10_norm).any() and not np.isposinf(grad.log10_norm).any()
    assert np.isfinite(grad.v).all()
    assert math.isfinite(pg.log10_scale) or pg.log10_scale == -math.inf
    assert all(np.isfinite(m).all() for m in pg.mantissas.values())
    assert not np.isnan(step_contributions(grad, traj)).any()
    jac = jacobian_products(p, traj)
    assert not np.isnan(jac.log10_norm).any() and not np.isposinf(jac.log10_norm).any()
    assert not np.isnan(lyapunov_spectrum(p, traj, k=3)).any()
    for curve in cell.reference_curves(p, traj).values():
        assert not np.isnan(curve).any() and (curve <= 0).all()


# ----------------------------------------------------------------------------------------------------------------
# Initialization


def test_lstm_init_blocks_and_forget_bias():
    cfg = Config(cell="lstm", hidden_size=5, input_size=3, init="orthogonal", gain=1.3, forget_bias=2.5,
                 bias_scale=0.4, seed=9)
    p = LSTM().init_params(cfg)
    N = 5
    assert (p.W_ih.shape, p.W_hh.shape, p.b_ih.shape, p.b_hh.shape, p.u.shape) == ((20, 3), (20, 5), (20,), (20,),
                                                                                   (5,))
    # each of the four blocks its own draw from stream 0, in the order i, f, g, o
    rng_hh, rng_ih, _, _ = streams(cfg.seed)
    for j in range(4):
        np.testing.assert_array_equal(p.W_hh[j * N:(j + 1) * N], init_matrix("orthogonal", N, N, 1.3, rng_hh))
    np.testing.assert_array_equal(p.W_ih, init_matrix("normal", 4 * N, 3, 1.0, rng_ih))
    drawn = rng_ih.normal(0.0, 0.4, size=4 * N)
    np.testing.assert_array_equal(p.b_ih[N:2 * N], 2.5)  # the forget bias, set
    np.testing.assert_array_equal(np.delete(p.b_ih, np.s_[N:2 * N]), np.delete(drawn, np.s_[N:2 * N]))
    np.testing.assert_array_equal(p.b_hh, 0.0)
    np.testing.assert_array_equal(p.u, readout_vector(N, cfg.seed))


@pytest.mark.parametrize("seq_len", [1, 2, 3, 50, 5000])
def test_lstm_chrono_init(seq_len):
    cfg = Config(cell="lstm", hidden_size=64, seq_len=seq_len, batch_size=1, forget_init="chrono", bias_scale=0.5)
    p = LSTM().init_params(cfg)
    N, T_max = 64, max(seq_len, 3)
    b_i, b_f = p.b_ih[:N], p.b_ih[N:2 * N]
    assert (b_f >= 0).all() and (b_f <= np.log(T_max - 1)).all()  # log U(1, T_max - 1)
    np.testing.assert_array_equal(b_i, -b_f)
    np.testing.assert_array_equal(p.b_hh, 0.0)
    if seq_len >= 50:  # spread over the range: the characteristic times 1 / (1 - f) cover 1..T_max
        assert np.exp(b_f).max() > 0.8 * (T_max - 1) and np.exp(b_f).min() < 1 + 0.2 * (T_max - 2)


def test_gru_init_blocks():
    cfg = Config(cell="gru", hidden_size=4, input_size=2, init="identity", gain=0.7, bias_scale=0.0, seed=3)
    p = GRU().init_params(cfg)
    assert (p.W_ih.shape, p.W_hh.shape, p.b_ih.shape, p.b_hh.shape) == ((12, 2), (12, 4), (12,), (12,))
    np.testing.assert_array_equal(p.W_hh, np.tile(0.7 * np.eye(4), (3, 1)))
    np.testing.assert_array_equal(p.b_ih, 0.0)
    np.testing.assert_array_equal(p.b_hh, 0.0)


def test_init_is_reproducible_from_the_seed(name):
    cell = CELLS[name][0]()
    cfg = Config(cell=name, hidden_size=4, bias_scale=0.5, forget_init="chrono", seed=123)
    a, b, other = cell.init_params(cfg), cell.init_params(cfg), cell.init_params(cfg.replace(seed=124))
    for f in (*PARAM_NAMES, "u"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.W_hh, other.W_hh) and not np.array_equal(a.b_ih, other.b_ih)
    # the recurrent stream alone: another initializer changes neither the input weights nor the readout
    changed = cell.init_params(cfg.replace(init="orthogonal"))
    np.testing.assert_array_equal(changed.W_ih, a.W_ih)
    np.testing.assert_array_equal(changed.u, a.u)


def test_params_validate_shapes_and_values(name):
    P, k = CELLS[name][1], CELLS[name][2]
    p = P.from_arrays(np.zeros((k * 2, 3)), np.zeros((k * 2, 2)))
    assert (p.hidden_size, p.input_size, p.cell_name) == (2, 3, name)
    assert p.W_ih.dtype == np.float64 and np.linalg.norm(p.u) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="W_hh"):
        P.from_arrays(np.zeros((k * 2, 3)), np.zeros((k * 2 + 1, 2)))
    with pytest.raises(ValueError, match="W_ih"):
        P.from_arrays(np.zeros((k * 2 + 1, 3)), np.zeros((k * 2, 2)))
    with pytest.raises(ValueError, match="b_ih"):
        P.from_arrays(np.zeros((k * 2, 3)), np.zeros((k * 2, 2)), np.zeros(k))
    W_ih = np.zeros((k * 2, 3))
    W_ih[0, 0] = np.nan
    with pytest.raises(ValueError, match="W_ih contains 1 non-finite"):
        P.from_arrays(W_ih, np.zeros((k * 2, 2)))
