"""A reference for the tests: per-step gradients of one RNN, GRU or LSTM layer by torch autograd, step by step
(imported by tests/core/test_weights.py and tests/app/test_your_model.py; torch is imported by the caller)."""

import numpy as np


def torch_reference(torch, module_kind, sd_layer, x, h0, u, activation="tanh"):
    """dL/dh_t (and an LSTM's dL/dc_t along the cell state) for L = u·h_T, by torch autograd, step by step."""
    W_ih, W_hh, b_ih, b_hh = (torch.tensor(a, dtype=torch.float64) for a in sd_layer)
    N = W_hh.shape[1]
    h = torch.tensor(h0[:N], dtype=torch.float64, requires_grad=True)
    c = torch.tensor(h0[N:], dtype=torch.float64, requires_grad=True) if module_kind == "lstm" else None
    hs, cs = [h], [c]
    act = torch.tanh if activation == "tanh" else torch.relu
    for t in range(x.shape[0]):
        xt = torch.tensor(x[t, 0])
        gi, gh = W_ih @ xt + b_ih, W_hh @ hs[-1] + b_hh
        if module_kind == "rnn":
            h = act(gi + gh)
        elif module_kind == "gru":
            r_i, z_i, n_i = gi.chunk(3)
            r_h, z_h, n_h = gh.chunk(3)
            r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
            n = torch.tanh(n_i + r * n_h)
            h = (1 - z) * n + z * hs[-1]
        else:
            i, f, g, o = (gi + gh).chunk(4)
            c_new = torch.sigmoid(f) * cs[-1] + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c_new)
            c = c_new.clone()  # the state passed on: its gradient is the one along the cell state
            c.retain_grad()
            cs.append(c)
        h.retain_grad()
        hs.append(h)
    (torch.tensor(u) @ hs[-1]).backward()
    norm = lambda v: 0.0 if v.grad is None else np.linalg.norm(v.grad.numpy())  # noqa: E731 (c_T: the loss reads h)
    dh = np.array([norm(v) for v in hs])
    dc = np.array([norm(v) for v in cs]) if module_kind == "lstm" else None
    return dh, dc
