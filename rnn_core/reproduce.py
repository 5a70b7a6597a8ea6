"""Back to code: the two scripts behind "Reproduce in code" for any view of the dashboard.

* :func:`core_script` rebuilds exactly the view's configuration with ``rnn_core`` (seed included; for an uploaded
  model, from the user's own file) and prints the diagnosis and ``log10 ||dL/dh_t||`` for every step.
* :func:`torch_script` is a standalone PyTorch script (torch and NumPy only): the same weights (embedded in the
  script when they are at most ``EMBED_MAX`` numbers; otherwise read from the user's file, or, for a large built-in
  network, regenerated from the seed by ``rnn_core``), the same inputs (noise regenerated from the seed with NumPy,
  anything else embedded), the cell's step written out, ``torch.autograd`` for every ``dL/ds_t``, and the same
  per-step line. Where float64 underflows (a gradient below ~1e-308, which the dashboard computes in the log domain)
  it prints ``-inf``.

Both print ``t value`` lines, ``value`` the ``repr`` of ``log10 ||dL/ds_t||`` (geometric mean over the batch), so
that their output can be compared with the dashboard's numbers line by line (``tests/core/test_reproduce.py``).
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np

from .analysis import Analysis
from .cells import GRUParams, LRUParams, LSTMParams, Params
from .config import Config

EMBED_MAX = 40_000  # numbers of weights embedded in the PyTorch script (~430 kB of text); above, not embedded
HEADER = "t log10||dL/dh_t||"


def core_script(config: Config, model: dict[str, Any] | None = None) -> str:
    """A Python snippet that rebuilds ``config`` (or, with ``model``, an uploaded model: ``file``, ``cell``,
    ``layer``, ``direction``, ``activation`` and the ``run`` settings) with rnn_core and prints what the page shows."""
    if model is None:
        body = ("from rnn_core import Config, analyze\n\n"
                f"config = Config.from_dict({_dict(config.to_dict())})\n"
                "result = analyze(config)\n")
    else:
        body = ("from rnn_core.weights import Run, diagnose, model_from_state_dict, read_weights\n\n"
                f"path = {model['file']!r}  # the file you uploaded\n"
                "with open(path, 'rb') as f:\n"
                "    tensors = read_weights(f.read(), path).tensors  # checked, float64, never unpickled\n"
                f"model = model_from_state_dict(tensors, cell={model['cell']!r}, layer={model['layer']}, "
                f"direction={model['direction']}, activation={model['activation']!r}, seed={model['run']['seed']})\n"
                f"result = diagnose(model, Run(**{_dict(model['run'])}))\n")
    return (body + "\nprint(result.diagnosis.sentence)\n"
            f"print({HEADER!r})\n"
            "for t, value in enumerate(result.grad_log10_norm()[: result.loss_step + 1]):\n"
            "    print(t, repr(float(value)))\n")


def _dict(values: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in values.items()) + "}"


def _blob(a: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(np.ascontiguousarray(a, dtype="<f8").tobytes(), 9)).decode()


# The step of each cell in torch, on rows (B, N); `act` is the activation; W the dict of weights.
_ACTS = {"tanh": "torch.tanh", "sigmoid": "torch.sigmoid", "relu": "torch.relu", "linear": "(lambda a: a)",
         "leaky_relu": "(lambda a: torch.nn.functional.leaky_relu(a, 0.01))"}
_STEPS = {
    "rnn": ("def step(W, h, x_t):\n"
            "    return (act(h @ W['W_hh'].T + x_t @ W['W_xh'].T + W['b']),)\n"),
    "leaky": ("def step(W, h, x_t):\n"
              "    return ((1 - ALPHA) * h + ALPHA * act(h @ W['W_hh'].T + x_t @ W['W_xh'].T + W['b']),)\n"),
    "gru": ("def step(W, h, x_t):\n"
            "    r_i, z_i, n_i = (x_t @ W['W_ih'].T + W['b_ih']).chunk(3, dim=-1)\n"
            "    r_h, z_h, n_h = (h @ W['W_hh'].T + W['b_hh']).chunk(3, dim=-1)\n"
            "    r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)\n"
            "    n = torch.tanh(n_i + r * n_h)\n"
            "    return ((1 - z) * n + z * h,)\n"),
    "lstm": ("def step(W, h, c, x_t):\n"
             "    i, f, g, o = (x_t @ W['W_ih'].T + W['b_ih'] + h @ W['W_hh'].T + W['b_hh']).chunk(4, dim=-1)\n"
             "    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)\n"
             "    h = torch.sigmoid(o) * torch.tanh(c)\n"
             "    return h, c.clone()  # the state passed on: its gradient is dL/dc_t along the cell state\n"),
    "lru": ("def step(W, re, im, x_t):  # h = re + i im, lambda = lam_re + i lam_im, diagonal\n"
            "    d_re, d_im = W['gamma'] * (x_t @ W['B_re'].T), W['gamma'] * (x_t @ W['B_im'].T)\n"
            "    return (W['lam_re'] * re - W['lam_im'] * im + d_re, W['lam_im'] * re + W['lam_re'] * im + d_im)\n"),
}


def step_weights(params: Any) -> dict[str, np.ndarray]:
    """The arrays the torch step uses, by the names in ``_STEPS``."""
    if isinstance(params, LRUParams):
        return {"lam_re": params.lam_re, "lam_im": params.lam_im, "gamma": params.gamma, "B_re": params.B_re,
                "B_im": params.B_im}
    if isinstance(params, (LSTMParams, GRUParams)):
        return {"W_ih": params.W_ih, "W_hh": params.W_hh, "b_ih": params.b_ih, "b_hh": params.b_hh}
    assert isinstance(params, Params)
    return {"W_hh": params.W_hh, "W_xh": params.W_xh, "b": params.b}


def torch_script(result: Analysis, *, title: str, config: Config | None = None, model: dict[str, Any] | None = None,
                 embed_max: int = EMBED_MAX) -> str:
    """A standalone PyTorch script that recomputes ``result``'s per-step gradient norms with torch.autograd.

    ``config``: the built-in configuration the result came from (regenerates the inputs and, for large networks,
    the weights from its seed); ``model``: an uploaded model (as for :func:`core_script`), whose weights the script
    reads from the user's file when they are too many to embed.
    """
    cell, params = result.cell, result.params
    kind = cell.name
    weights = step_weights(params)
    data: dict[str, tuple[tuple[int, ...], str]] = {}
    lines = ['"""' + title + "\n\nThe same network, inputs and loss as the RNN Gradient Lab's view, through "
             "torch.autograd: prints\nlog10 ||dL/ds_t|| for t = 0..T (the state s_t: h_t; an LSTM's [h_t, c_t]; the "
             "LRU's [Re h_t, Im h_t]).\nNeeds torch and numpy"
             + (" (and safetensors to read your file)" if model else "")
             + '.\n"""', "import base64", "import zlib", "", "import numpy as np", "import torch", "",
             "torch.set_default_dtype(torch.float64)", "", "",
             "def embedded(name):  # a float64 array stored at the end of this file",
             "    shape, blob = DATA[name]",
             "    return np.frombuffer(zlib.decompress(base64.b64decode(blob)), dtype='<f8').reshape(shape).copy()",
             "", ""]
    body: list[str] = []  # the lines of main()
    count = sum(a.size for a in weights.values())
    if count <= embed_max:
        for name, a in weights.items():
            data[name] = (a.shape, _blob(a))
        body.append("W = {name: torch.from_numpy(embedded(name)) for name in " + repr(list(weights)) + "}")
    elif model is not None:
        body += _file_weights(kind, model)
    else:
        assert config is not None
        body += ["# The weights are too many to embed here: rnn_core regenerates them from the seed.",
                 "from rnn_core import Config",
                 "from rnn_core.cells import make_cell",
                 "from rnn_core.reproduce import step_weights", "",
                 f"config = Config.from_dict({_dict(config.to_dict())})",
                 "W = {k: torch.from_numpy(v) for k, v in step_weights(make_cell(config).init_params(config)).items()}"]
    body += _inputs(result, config, model, data)
    body += ["",
             "state = [p.clone().requires_grad_() for p in s0]  # the parts of s_0, (B, N) each",
             "states = [state]",
             "loss = 0.0",
             f"T = {result.loss_step}  # the loss's step: the last before the states overflowed, if they did",
             "for t in range(1, T + 1):",
             "    state = list(step(W, *state, x[t - 1]))",
             "    for p in state:",
             "        p.retain_grad()",
             "    states.append(state)",
             f"    if {'True' if result.config.loss == 'all' else 't == T'}:",
             "        loss = loss + (torch.cat(state, dim=-1)[:, :READ] * u).sum()  # L = u·h summed over the batch",
             "loss.backward()",
             "",
             f"print({HEADER!r})",
             "for t, state in enumerate(states):",
             "    g = torch.cat([torch.zeros_like(p) if p.grad is None else p.grad for p in state], dim=-1)",
             "    m = g.abs().amax(dim=-1)  # ||g|| = m ||g / m||: squares of numbers below 1e-154 would underflow",
             "    r = torch.linalg.vector_norm(g / torch.where(m > 0, m, 1.0)[:, None], dim=-1)",
             "    with np.errstate(divide='ignore'):",
             "        value = (np.log10(m.numpy()) + np.log10(r.numpy())).mean()",
             "    print(t, repr(float(value)))"]
    if kind == "leaky":
        lines.append(f"ALPHA = {cell.alpha!r}")
    if kind in ("rnn", "leaky"):
        lines.append(f"act = {_ACTS[cell.activation]}")
    lines += ["", "", _STEPS[kind], "", "def main() -> None:"]
    lines += [("    " + line).rstrip() for line in body]
    lines += ["", ""]
    lines.append("DATA = {" + ", ".join(f"{k!r}: ({tuple(s)!r}, {b!r})" for k, (s, b) in data.items()) + "}")
    lines += ["", "if __name__ == '__main__':", "    main()"]
    return "\n".join(lines) + "\n"


def _inputs(result: Analysis, config: Config | None, model: dict[str, Any] | None, data: dict) -> list[str]:
    """``x`` (T, B, D), ``s0`` (the state's parts, (B, N) each), ``u`` and ``READ`` (how much of the state the loss
    reads): regenerated from the seed where that is one line of NumPy, embedded otherwise."""
    x, s0, u = result.x, result.traj.s[0], result.params.u
    lines = []
    run = model["run"] if model is not None else None
    if config is not None and config.input_kind == "noise":
        T, B, D = x.shape
        lines.append("streams = [np.random.default_rng(s) for s in np.random.SeedSequence("
                     f"{config.seed}).spawn(4)]  # rnn_core's: weights, input weights, inputs, readout")
        lines.append(f"x = torch.from_numpy(streams[2].normal(0.0, {config.input_scale!r}, size={(T, B, D)!r}))")
    elif run is not None and run["input_kind"] == "noise":
        lines.append(f"x = torch.from_numpy(np.random.default_rng({run['seed']}).normal(0.0, {run['input_scale']!r}, "
                     f"size={x.shape!r}))")
    else:
        data["x"] = (x.shape, _blob(x))
        lines.append("x = torch.from_numpy(embedded('x'))")
    data["u"] = (u.shape, _blob(u))
    lines.append("u = torch.from_numpy(embedded('u'))  # the loss's fixed unit readout")
    parts = 2 if result.cell.name in ("lstm", "lru") else 1
    S = s0.shape[-1]
    if not s0.any():
        lines.append(f"s0 = [torch.zeros({(s0.shape[0], S // parts)!r}) for _ in range({parts})]")
    else:
        data["s0"] = (s0.shape, _blob(s0))
        lines.append(f"s0 = list(torch.from_numpy(embedded('s0')).chunk({parts}, dim=-1))")
    lines.append(f"READ = {u.shape[-1]}  # the loss reads the first {u.shape[-1]} numbers of the state")
    return lines


def _file_weights(kind: str, model: dict[str, Any]) -> list[str]:
    """Lines that read one layer's weights from the user's file (too many to embed)."""
    path = model["file"]
    suffix = f"_l{model['layer']}" + ("_reverse" if model["direction"] else "")
    prefix = model.get("prefix", "")
    load = (["from safetensors.torch import load_file",
             f"tensors = {{k: v.double() for k, v in load_file({path!r}).items()}}  # the file you uploaded"]
            if not path.lower().endswith(".npz") else
            [f"tensors = {{k: torch.from_numpy(v.astype('<f8')) for k, v in np.load({path!r}, "
             "allow_pickle=False).items()}  # the file you uploaded"])
    lines = ["# The weights are too many to embed here: they are read from your file.", *load]
    if model.get("source") == "arrays":
        lines.append("N = tensors['W_hh'].shape[0]")
        lines.append("W = {'W_hh': tensors['W_hh'], 'W_xh': tensors.get('W_xh', torch.zeros(N, 1)), "
                     "'b': tensors.get('b', torch.zeros(N))}")
        return lines
    names = {"W_ih": "weight_ih", "W_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}
    lines.append("W = {ours: tensors.get(" + repr(prefix) + " + theirs + " + repr(suffix) + ") for ours, theirs in "
                 f"{names!r}.items()}}")
    lines.append("W.update({b: torch.zeros(W['W_hh'].shape[0]) for b in ('b_ih', 'b_hh') if W[b] is None})"
                 "  # bias=False")
    if kind == "rnn":
        lines.append("W = {'W_hh': W['W_hh'], 'W_xh': W['W_ih'], 'b': W['b_ih'] + W['b_hh']}")
    return lines
