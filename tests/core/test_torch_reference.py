"""PyTorch autograd as the reference: same weights in ``torch.nn.RNN`` (float64), same loss, same gradients."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_core import ACTIVATIONS, Config, backward, forward, gradients, init_inputs, init_params, param_grads

torch = pytest.importorskip("torch")

RTOL = 1e-10  # the bound; both sides are float64 with the same operations, measured ~1e-14


def _torch_rnn(p, nonlinearity):
    N, D = p.W_xh.shape
    rnn = torch.nn.RNN(D, N, nonlinearity=nonlinearity, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(p.W_xh))
        rnn.weight_hh_l0.copy_(torch.from_numpy(p.W_hh))
        rnn.bias_ih_l0.copy_(torch.from_numpy(p.b))
        rnn.bias_hh_l0.zero_()
    return rnn


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(params=["tanh", "relu"])
def nonlinearity(request):
    return request.param


@pytest.fixture
def setup(nonlinearity, loss):
    cfg = Config(activation=nonlinearity, gain=1.2, seq_len=12, hidden_size=5, batch_size=3, input_size=4,
                 bias_scale=0.3, loss=loss, seed=11)
    p, x = init_params(cfg), init_inputs(cfg)
    return cfg, p, x


def test_states_agree_with_torch_rnn(setup, nonlinearity):
    _, p, x = setup
    out, h_n = _torch_rnn(p, nonlinearity)(torch.from_numpy(x))
    traj = forward(p, x, nonlinearity)
    np.testing.assert_allclose(traj.h[1:], out.detach().numpy(), rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(traj.h[-1], h_n[0].detach().numpy(), rtol=RTOL, atol=1e-14)


def test_every_dL_dh_agrees_with_autograd(setup, nonlinearity, loss):
    cfg, p, x = setup
    rnn = _torch_rnn(p, nonlinearity)
    cell = torch.nn.RNNCell(cfg.input_size, cfg.hidden_size, nonlinearity=nonlinearity, dtype=torch.float64)
    with torch.no_grad():  # the cell shares the RNN's weights
        cell.weight_ih.copy_(rnn.weight_ih_l0)
        cell.weight_hh.copy_(rnn.weight_hh_l0)
        cell.bias_ih.copy_(rnn.bias_ih_l0)
        cell.bias_hh.copy_(rnn.bias_hh_l0)
    xt = torch.from_numpy(x)
    h = torch.zeros(cfg.batch_size, cfg.hidden_size, dtype=torch.float64, requires_grad=True)  # h_0, a leaf
    hs = [h]
    for t in range(cfg.seq_len):  # one step at a time so that every h_t keeps its gradient
        h = cell(xt[t], h)
        h.retain_grad()
        hs.append(h)
    u = torch.from_numpy(p.u)
    L = (hs[-1] @ u).sum() if loss == "last" else sum((hh @ u).sum() for hh in hs[1:])
    L.backward()
    expected = np.stack([hh.grad.numpy() for hh in hs])  # (T+1, B, N)
    ours = backward(p, forward(p, x, nonlinearity), loss).values()
    for t in range(cfg.seq_len + 1):
        assert _rel(ours[t], expected[t]) < RTOL, t
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=0)  # elementwise too


def test_parameter_gradients_agree_with_autograd(setup, nonlinearity, loss):
    _, p, x = setup
    rnn = _torch_rnn(p, nonlinearity)
    out, _ = rnn(torch.from_numpy(x))  # (T, B, N): h_1..h_T
    u = torch.from_numpy(p.u)
    L = (out[-1] @ u).sum() if loss == "last" else (out @ u).sum()
    L.backward()
    traj = forward(p, x, nonlinearity)
    dW_hh, dW_xh, db = param_grads(backward(p, traj, loss), traj, x).values()
    assert _rel(dW_hh, rnn.weight_hh_l0.grad.numpy()) < RTOL
    assert _rel(dW_xh, rnn.weight_ih_l0.grad.numpy()) < RTOL
    assert _rel(db, rnn.bias_ih_l0.grad.numpy()) < RTOL
    # bias_hh enters the same pre-activation as bias_ih, so its gradient is the same dL/db
    assert _rel(db, rnn.bias_hh_l0.grad.numpy()) < RTOL


def test_an_initial_state_agrees_with_torch(setup, nonlinearity, loss):
    # h0 given to both (PyTorch's (layers, B, N)); the one-pass gradients(): states, dL/dh_0 and the parameters
    cfg, p, x = setup
    h0 = np.random.default_rng(4).normal(0, 0.5, (cfg.batch_size, cfg.hidden_size))
    rnn = _torch_rnn(p, nonlinearity)
    h0t = torch.from_numpy(h0[None].copy()).requires_grad_(True)
    out, _ = rnn(torch.from_numpy(x), h0t)
    u = torch.from_numpy(p.u)
    L = (out[-1] @ u).sum() if loss == "last" else (out @ u).sum()
    L.backward()
    traj = forward(p, x, nonlinearity, h0=h0)
    np.testing.assert_allclose(traj.h[1:], out.detach().numpy(), rtol=RTOL, atol=1e-14)
    grad, pg = gradients(p, traj, x, loss)
    assert _rel(grad.values()[0], h0t.grad[0].numpy()) < RTOL  # dL/dh_0
    dW_hh, dW_xh, db = pg.values()
    assert _rel(dW_hh, rnn.weight_hh_l0.grad.numpy()) < RTOL
    assert _rel(dW_xh, rnn.weight_ih_l0.grad.numpy()) < RTOL
    assert _rel(db, rnn.bias_ih_l0.grad.numpy()) < RTOL


@pytest.mark.parametrize("name, fn", [
    ("tanh", lambda a: torch.tanh(a)),
    ("sigmoid", lambda a: torch.sigmoid(a)),
    ("relu", lambda a: torch.relu(a)),
    ("leaky_relu", lambda a: torch.nn.functional.leaky_relu(a, 0.01)),
    ("linear", lambda a: a * 1.0),
])
def test_activation_and_derivative_agree_with_torch(name, fn):
    a = np.concatenate([np.linspace(-30, 30, 601), [0.0, -1e-300, 1e-300, -745.0, 745.0]])
    at = torch.tensor(a, requires_grad=True)
    y = fn(at)
    y.sum().backward()
    act = ACTIVATIONS[name]
    np.testing.assert_allclose(act(a), y.detach().numpy(), rtol=1e-15, atol=1e-300)  # same formulas: ~1 ulp
    # act' from h (1 - h^2, h (1 - h)) cancels near saturation: the two libraries round it differently, by at most
    # a couple of ulps of 1 in absolute terms. relu'(0) = 0 in both.
    np.testing.assert_allclose(act.derivative(a), at.grad.numpy(), rtol=1e-12, atol=5e-16)


@pytest.mark.parametrize("name, torch_name, param", [
    ("tanh", "tanh", None), ("sigmoid", "sigmoid", None), ("relu", "relu", None),
    ("leaky_relu", "leaky_relu", 0.01), ("linear", "linear", None),
])
def test_standard_gain_is_torch_calculate_gain(name, torch_name, param):
    assert ACTIVATIONS[name].standard_gain == pytest.approx(torch.nn.init.calculate_gain(torch_name, param),
                                                            rel=1e-15)
