"""Your model: a trained PyTorch RNN, LSTM or GRU from its weights, read safely, diagnosed with every Explorer view.

The file and everything made from it stay in this session (``st.session_state``): nothing is written to disk and no
cache shared by the server's sessions holds it. Names and metadata from the file are shown as plain text only
(``st.text``, table cells), never as markdown or HTML.
"""

import dataclasses

import pandas as pd
import streamlit as st

from rnn_core.config import FIELDS, message_of
from rnn_core.message import Message
from rnn_core.reproduce import core_script, torch_script
from rnn_core.weights import (
    INITIAL_STATES,
    MAX_FILE_BYTES,
    RUN_INPUTS,
    RUN_MAX_STEPS,
    Run,
    WeightsError,
    diagnose,
    layout,
    model_config,
    model_from_state_dict,
    read_weights,
)
from ui.captions import model_zero_state_text
from ui.explorer_view import show_reproduce, show_view
from ui.i18n import bound, tr
from ui.layout import page_setup
from ui.view import build_view

ACTIVATIONS = ("tanh", "relu")  # nn.RNN's nonlinearity choices
INPUT_LABELS = {"noise": "noise", "impulse": "impulse at t = 1", "sine": "sine", "zeros": "zeros",
                "text": "text, one-hot", "sequence": "a sequence pasted as numbers"}

page_setup(skip=tuple(FIELDS))  # this page's settings are its own: the sidebar keeps only the navigation
st.title(tr("Your model"))
st.caption(tr("Does your trained network forget, and from how far back does its gradient still arrive? Upload the "
              "weights of a torch.nn.RNN, nn.LSTM or nn.GRU and see every view of the Explorer for them."))
with st.expander(tr("How to export a model from PyTorch")):
    st.code("from safetensors.torch import save_file\n"
            "save_file(model.state_dict(), 'rnn.safetensors')  # model: your nn.RNN, nn.LSTM or nn.GRU (or a module "
            "holding one)", language="python")
    st.markdown(tr("A `.safetensors` file or an `.npz` of NumPy arrays (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, "
                   "`bias_hh_l0`, ... as PyTorch names them, or plain `W_hh`, `W_xh`, `b`), up to {mib} MiB: an LSTM "
                   "of 1024 units with 300 inputs is 22 MB in float32. Files written by `torch.save` (pickles) are "
                   "refused: opening one can run code.", mib=MAX_FILE_BYTES // 2**20))

upload = st.file_uploader(tr("Weights (.safetensors or .npz)"), type=["safetensors", "npz"], key="model_upload")
if upload is None:
    st.info(tr("Upload a file to begin. Nothing leaves this session: the file is read in memory and forgotten when you "
               "close the page."))
    st.stop()


def refuse(message: str) -> None:
    st.error(tr("This file cannot be used:"), icon="🚫")
    st.text(tr(message))  # plain text: it may quote names from the file
    st.stop()


digest = upload.file_id  # Streamlit's id of this upload: a new upload, a new id (the bytes are read once per id)
if st.session_state.get("model_read", (None,))[0] != digest:  # a new file: read it once
    try:
        st.session_state["model_read"] = (digest, read_weights(upload.getvalue(), upload.name), None)
    except WeightsError as err:
        st.session_state["model_read"] = (digest, None, message_of(err))
    except Exception as err:
        st.session_state["model_read"] = (digest, None, Message("The file cannot be read ({error}).",
                                                                error=type(err).__name__))
_, weights, problem = st.session_state["model_read"]
if problem is not None:
    refuse(problem)
try:
    lay = layout(weights.tensors)
except WeightsError as err:
    refuse(message_of(err))
except Exception as err:
    refuse(Message("The file's tensors cannot be used ({error}).", error=type(err).__name__))

st.dataframe(pd.DataFrame({tr("tensor"): list(weights.tensors),
                           tr("shape"): [" × ".join(map(str, a.shape)) or tr("scalar")
                                         for a in weights.tensors.values()],
                           tr("used"): [tr("no (not the RNN's)") if n in lay.ignored else tr("yes")
                                        for n in weights.tensors]}),
             hide_index=True, width="stretch", height=min(300, 38 + 35 * len(weights.tensors)))
for note in weights.notes:
    st.caption(tr(note))

# What to run: the cell (inferred, to confirm), layer and direction, the input, the initial state, the loss.
with st.form("model_run"):
    row = st.container(horizontal=True)
    cell = row.selectbox(tr("Cell"), ["rnn", "lstm", "gru"], index=["rnn", "lstm", "gru"].index(lay.cell),
                         format_func=lambda c: {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[c],
                         help=tr("The shapes say {cell} ({n} hidden units).", cell=lay.cell.upper(),
                                 n=lay.hidden_size), width=140)
    activation = row.selectbox(tr("Nonlinearity"), ACTIVATIONS, help=tr("nn.RNN's nonlinearity (a state dict does "
                               "not say which; the default is tanh). Gated cells: not used."), width=140)
    layer = row.selectbox(tr("Layer"), range(lay.layers), width=100) if lay.layers > 1 else 0
    direction = (row.selectbox(tr("Direction"), (0, 1), format_func=bound(lambda d: tr(("forward", "reverse")[d])),
                               width=140) if lay.directions > 1 else 0)
    row = st.container(horizontal=True)
    input_kind = row.selectbox(tr("Input"), RUN_INPUTS, format_func=bound(lambda k: tr(INPUT_LABELS[k])), width=240)
    seq_len = row.number_input(tr("Sequence length T"), 1, RUN_MAX_STEPS, 100, width=180,
                               help=tr("At most {n} steps here: the analysis of a 1024-unit LSTM keeps a few arrays of "
                                       "T × 2048 floats for every session that runs one.", n=RUN_MAX_STEPS))
    input_scale = row.number_input(tr("Input scale"), 0.0, 100.0, 1.0, 0.1, width=140)
    seed = row.number_input(tr("Seed"), 0, 2**31 - 1, 0, width=140,
                            help=tr("Seeds the noise, a random h_0 and the readout."))
    text = st.text_input(tr("Text (input 'text')"), "hello", max_chars=200)
    sequence = st.text_area(tr("Sequence (input 'a sequence pasted as numbers'): one line per step, the model's "
                               "inputs separated by commas or spaces; a single number a line feeds the first input"),
                            "", height=90)
    row = st.container(horizontal=True)
    h0 = row.selectbox(tr("Initial state"), INITIAL_STATES, format_func=bound(lambda h: tr({
        "zeros": "zeros", "random": "random, N(0, scale²)"}[h])), width=200)
    h0_scale = row.number_input(tr("Scale of a random h₀"), 0.0, 10.0, 0.5, 0.1, width=180)
    loss = row.selectbox(tr("Loss"), ("last", "all"), width=160,
                         format_func={"last": "L = u·h_T", "all": "L = Σ_t u·h_t"}.__getitem__)
    st.form_submit_button(tr("Analyze"), type="primary")

try:
    run = Run(seq_len=int(seq_len), input_kind=input_kind, input_scale=float(input_scale), seed=int(seed), text=text,
              sequence=sequence, h0=h0, h0_scale=float(h0_scale), loss=loss)
    model = model_from_state_dict(weights.tensors, cell=cell, layer=layer, direction=direction,
                                  activation=activation, seed=int(seed))
    key = (digest, cell, activation, layer, direction, dataclasses.astuple(run))
    if st.session_state.get("model_view", (None,))[0] != key:  # only the latest analysis is kept
        with st.spinner(tr("Running your model and backpropagating through time…")):
            result = diagnose(model, run)
            config = model_config(model, run, result.config.seq_len)
            view = build_view(config, result)
            if view.zero_state:  # the reason, from the model and its run rather than from a Config's settings
                view = dataclasses.replace(view, captions={**view.captions, "states": model_zero_state_text(result)})
            st.session_state["model_view"] = (key, config, view)
        del result
except (WeightsError, ValueError) as err:
    refuse(message_of(err))
except Exception as err:
    refuse(Message("The model cannot be analyzed ({error}).", error=f"{type(err).__name__}: {err}"))
_, config, view = st.session_state["model_view"]

where = (f", layer {layer}" if lay.layers > 1 else "") + (", reverse" if direction else "")
name = {"rnn": f"RNN ({activation})", "lstm": "LSTM", "gru": "GRU"}[cell]
where_said = Message.join("", [Message(", layer {layer}", layer=layer)] * (lay.layers > 1)
                          + [Message(", reverse")] * bool(direction))
summary = Message("your {name}{where}: N = {N}, {D} inputs, T = {T}", name=name, where=where_said,
                  N=model.hidden_size, D=model.input_size, T=config.seq_len)
show_view(config, view, key, shared=False, summary=summary)

model_spec = {"file": upload.name, "cell": cell, "layer": layer, "direction": direction, "activation": activation,
              "prefix": lay.prefix, "source": lay.source, "run": dataclasses.asdict(run)}
show_reproduce(core_script(config, model=model_spec),
               lambda: torch_script(diagnose(model, run), title=f"Your {name}{where}", model=model_spec))
st.caption(tr("Computed in {ms:.0f} ms. The file stays in this session only.", ms=view.seconds * 1000))
