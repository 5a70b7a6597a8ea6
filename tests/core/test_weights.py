"""A trained model's weights: safe reading (every refusal with a hostile file), the cell the shapes say, and the
same gradients as torch autograd for models that went through a file."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest
from torch_steps import torch_reference

from rnn_core.message import Message
from rnn_core.weights import (
    MAX_FILE_BYTES,
    Run,
    WeightsError,
    diagnose,
    layout,
    model_from_state_dict,
    parse_sequence,
    read_weights,
)


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch):
    """Every test here fails if anything unpickles: the reader must recognize pickles, never open them."""
    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


@pytest.fixture(autouse=True)
def refusals_are_messages(monkeypatch):
    """Every refusal raised in these tests is a Message (a page says it in its language from the same numbers; the
    Danish catalogue's coverage of them is tests/app/test_danish.py's)."""
    raised = []

    def record(self, *args):
        raised.append(args)
        ValueError.__init__(self, *args)
    monkeypatch.setattr(WeightsError, "__init__", record)
    yield
    for args in raised:
        assert len(args) == 1 and isinstance(args[0], Message), args


def safetensors_bytes(tensors: dict[str, np.ndarray]) -> bytes:
    from safetensors.numpy import save
    return save({k: np.ascontiguousarray(v) for k, v in tensors.items()})


def handmade(header: dict, body: bytes) -> bytes:
    """A safetensors file written by hand, so that its header can lie."""
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + body


def rnn_state_dict(N=4, D=3, k=1, dtype=np.float32, seed=0, prefix=""):
    rng = np.random.default_rng(seed)
    return {f"{prefix}weight_ih_l0": rng.normal(size=(k * N, D)).astype(dtype),
            f"{prefix}weight_hh_l0": rng.normal(size=(k * N, N)).astype(dtype),
            f"{prefix}bias_ih_l0": rng.normal(size=k * N).astype(dtype),
            f"{prefix}bias_hh_l0": rng.normal(size=k * N).astype(dtype)}


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------------------------
# What is read, and how


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_safetensors_read_as_float64_and_the_conversion_is_said(dtype):
    sd = rnn_state_dict(dtype=dtype)
    w = read_weights(safetensors_bytes(sd), "m.safetensors")
    assert all(a.dtype == np.float64 for a in w.tensors.values())
    for name, a in sd.items():
        np.testing.assert_array_equal(w.tensors[name], a.astype(np.float64))
    if dtype is np.float64:
        assert w.notes == ()
    else:
        assert w.notes == (f"Converted to float64: 4 from {np.dtype(dtype)} (of 4 tensors).",)


def test_bfloat16_is_widened_exactly():
    torch = pytest.importorskip("torch")
    from safetensors.torch import save
    t = torch.tensor([[1.5, -2.25], [3.0e-3, 7.0e30]], dtype=torch.bfloat16)
    w = read_weights(save({"W_hh": t}), "m.safetensors")
    np.testing.assert_array_equal(w.tensors["W_hh"], t.double().numpy())
    assert "1 from bfloat16" in w.notes[0]


def test_npz_is_read_without_pickle():
    sd = rnn_state_dict(dtype=np.float64)
    w = read_weights(npz_bytes(**sd), "m.npz")
    for name, a in sd.items():
        np.testing.assert_array_equal(w.tensors[name], a)


# ----------------------------------------------------------------------------------------------------------------
# Hostile files: each refused with a message that names the problem


def refusal(data: bytes, filename: str = "m.safetensors") -> str:
    with pytest.raises(WeightsError) as err:
        read_weights(data, filename)
    return str(err.value)


def test_a_pickle_renamed_safetensors_is_refused_unopened():
    data = pickle.dumps({"weight_hh_l0": np.eye(3)}, protocol=4)  # (pickle.dumps itself is not patched)
    assert "pickle" in refusal(data, "model.safetensors").lower()


def test_a_torch_save_file_is_refused_unopened(tmp_path):
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save(torch.nn.RNN(3, 4).state_dict(), buf)
    message = refusal(buf.getvalue(), "model.pt")
    assert "torch.save" in message and "data.pkl" in message


def test_a_truncated_file_is_refused():
    data = safetensors_bytes(rnn_state_dict())
    assert "truncated" in refusal(data[:-10]) or "does not match" in refusal(data[:-10])
    assert "too short" in refusal(data[:5])
    assert "truncated" in refusal(npz_bytes(**rnn_state_dict())[:300], "m.npz")


def test_a_header_that_claims_2_to_the_40_bytes_is_refused():
    message = refusal(struct.pack("<Q", 2**40) + b"{}")
    assert "1,099,511,627,776" in message and "truncated" in message


def test_a_tensor_whose_shape_needs_more_bytes_than_its_range_is_refused():
    header = {"W_hh": {"dtype": "F64", "shape": [1000, 1000], "data_offsets": [0, 32]}}
    message = refusal(handmade(header, b"\0" * 32))
    assert "'W_hh'" in message and "8,000,000" in message


def test_overlapping_ranges_are_refused():
    header = {"a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
              "b": {"dtype": "F64", "shape": [2], "data_offsets": [8, 24]}}
    assert "overlap" in refusal(handmade(header, b"\0" * 24))


def test_ten_thousand_tensors_are_refused():
    header = {f"t{i}": {"dtype": "F64", "shape": [1], "data_offsets": [8 * i, 8 * i + 8]} for i in range(10_000)}
    assert "10,000 tensors" in refusal(handmade(header, b"\0" * 80_000))


def test_a_file_over_the_limit_is_refused_before_reading():
    assert "limit" in refusal(b"\0" * (MAX_FILE_BYTES + 1))


def test_nan_and_inf_weights_are_refused_by_name_and_count():
    sd = rnn_state_dict(dtype=np.float64)
    sd["weight_hh_l0"][0, :3] = np.nan
    sd["weight_hh_l0"][1, 0] = np.inf
    message = refusal(safetensors_bytes(sd))
    assert "'weight_hh_l0'" in message and "3 NaN" in message and "1 infinite" in message and "of 16" in message


def test_integer_tensors_are_refused():
    message = refusal(safetensors_bytes({"W_hh": np.eye(3, dtype=np.int64)}))
    assert "'W_hh'" in message and "I64" in message


def test_not_json_and_garbage_are_refused():
    assert "JSON" in refusal(struct.pack("<Q", 4) + b"\xff\xfe{[")
    assert "corrupt" in refusal(b"GARBAGE!" * 10, "m.npz")


def test_an_npz_with_an_object_array_is_refused_unpickled():
    buf = io.BytesIO()
    np.savez(buf, W_hh=np.array([{"a": 1}], dtype=object))  # np.savez pickles it (writing is not patched)
    assert "unpickl" in refusal(buf.getvalue(), "m.npz")


def test_a_zip_holding_other_files_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "hello")
    assert "'notes.txt'" in refusal(buf.getvalue(), "m.npz")


def test_names_with_html_and_markdown_are_kept_as_data():
    """The reader keeps such names as they are (a page shows them as plain text); messages quote them with repr."""
    name = "<script>alert(1)</script>**bold**[x](javascript:y)"
    w = read_weights(safetensors_bytes({name: np.eye(2)}), "m.safetensors")
    assert list(w.tensors) == [name]
    with pytest.raises(WeightsError) as err:
        model_from_state_dict(w.tensors)
    assert repr(name) in str(err.value)


# ----------------------------------------------------------------------------------------------------------------
# From the shapes to a cell


@pytest.mark.parametrize("k,cell", [(1, "rnn"), (3, "gru"), (4, "lstm")])
def test_the_cell_comes_from_the_shapes(k, cell):
    lay = layout(rnn_state_dict(k=k, prefix="encoder.rnn."))
    assert (lay.cell, lay.hidden_size, lay.layers, lay.directions, lay.prefix) == (cell, 4, 1, 1, "encoder.rnn.")


def test_other_tensors_are_listed_and_left_out():
    sd = {**rnn_state_dict(k=4), "embedding.weight": np.zeros((10, 3)), "decoder.weight": np.zeros((5, 4))}
    model = model_from_state_dict(sd)
    assert model.layout.ignored == ("embedding.weight", "decoder.weight")
    assert model.cell.name == "lstm" and model.hidden_size == 4 and model.input_size == 3


@pytest.mark.parametrize("change,words", [
    (lambda sd: sd.pop("weight_ih_l0"), "'weight_ih_l0' is missing"),
    (lambda sd: sd.update(weight_hh_l0=np.zeros((5, 4))), "expected (N, N)"),
    (lambda sd: sd.update(bias_ih_l0=np.zeros(7)), "'bias_ih_l0' has shape (7,); expected (16,)"),
    (lambda sd: sd.update(weight_ih_l0=np.zeros((16, 3, 1))), "'weight_ih_l0' has shape (16, 3, 1)"),
    (lambda sd: sd.update(weight_hr_l0=np.zeros((2, 4))), "projections"),
])
def test_shapes_that_do_not_fit_are_refused(change, words):
    sd = rnn_state_dict(k=4, dtype=np.float64)
    change(sd)
    with pytest.raises(WeightsError, match=None) as err:
        model_from_state_dict(sd)
    assert words in str(err.value)


def test_a_wrong_cell_layer_or_direction_is_refused():
    sd = rnn_state_dict(k=3)
    for kwargs, words in [({"cell": "lstm"}, "GRU, not LSTM"), ({"layer": 1}, "1 layer"),
                          ({"direction": 1}, "1 direction")]:
        with pytest.raises(WeightsError) as err:
            model_from_state_dict(sd, **kwargs)
        assert words in str(err.value)


def test_no_rnn_weights_at_all():
    with pytest.raises(WeightsError) as err:
        model_from_state_dict({"fc.weight": np.zeros((2, 2))})
    assert "No RNN weights" in str(err.value) and "'fc.weight'" in str(err.value)


def test_plain_arrays_are_a_vanilla_rnn():
    rng = np.random.default_rng(1)
    W, Wx, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 2)), rng.normal(size=5)
    model = model_from_state_dict({"W_hh": W, "W_xh": Wx, "b": b}, activation="relu")
    assert model.cell.name == "rnn" and model.cell.activation == "relu"
    np.testing.assert_array_equal(model.params.W_hh, W)
    np.testing.assert_array_equal(model.params.W_xh, Wx)


def test_parse_sequence_refuses_what_it_cannot_read():
    for text, words in [("", "empty"), ("1 2 x", "Line 1"), ("1 2", "2 numbers"), ("nan", "NaN")]:
        with pytest.raises(WeightsError) as err:
            parse_sequence(text, 3)
        assert words in str(err.value)


def test_text_needs_one_input_per_character():
    model = model_from_state_dict(rnn_state_dict(k=1, D=3))
    with pytest.raises(WeightsError, match="4 distinct characters"):
        diagnose(model, Run(input_kind="text", text="hello"))
    a = diagnose(model, Run(input_kind="text", text="aab", seq_len=6))
    np.testing.assert_array_equal(a.x[:, 0, 2], 0.0)  # the third input: no character
    np.testing.assert_array_equal(a.x[:, 0, 0], [1, 1, 0, 1, 1, 0])


# ----------------------------------------------------------------------------------------------------------------
# The round trip: torch -> file -> rnn_core, the same gradients as torch autograd


@pytest.mark.parametrize("kind,layers,bidirectional,layer,direction,nonlinearity", [
    ("lstm", 1, False, 0, 0, None), ("gru", 1, False, 0, 0, None), ("rnn", 1, False, 0, 0, "relu"),
    ("lstm", 2, True, 1, 1, None), ("gru", 2, True, 1, 0, None)])
def test_round_trip_through_a_file_gives_torch_autograd_gradients(kind, layers, bidirectional, layer, direction,
                                                                  nonlinearity):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save
    torch.manual_seed(3)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    extra = {"nonlinearity": nonlinearity} if nonlinearity else {}
    module = cls(5, 12, num_layers=layers, bidirectional=bidirectional, **extra)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(3.0)  # a trained-looking scale, so that the gradients neither vanish nor blow up at once
    data = save(module.state_dict())  # float32, as a trained model is saved
    model = model_from_state_dict(read_weights(data, "m.safetensors").tensors, layer=layer, direction=direction,
                                  activation=nonlinearity or "tanh")
    run = Run(seq_len=40, input_kind="noise", seed=4, h0="random", h0_scale=0.3)
    result = diagnose(model, run)
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    sd_layer = [module.state_dict()[f"{n}{suffix}"].double().numpy()
                for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    dh, dc = torch_reference(torch, kind, sd_layer, result.x, result.traj.s[0, 0], model.params.u,
                             nonlinearity or "tanh")
    ours_h = result.part_norms["h"] if kind == "lstm" else result.grad_log10_norm()
    np.testing.assert_allclose(ours_h, np.log10(dh), rtol=0, atol=1e-11)
    if kind == "lstm":
        ok = dc > 0
        np.testing.assert_allclose(result.part_norms["c"][ok], np.log10(dc[ok]), rtol=0, atol=1e-11)


def test_model_from_torch_reads_the_module():
    torch = pytest.importorskip("torch")
    from rnn_core.weights import model_from_torch
    module = torch.nn.RNN(3, 6, nonlinearity="relu")
    model = model_from_torch(module)
    assert model.cell.name == "rnn" and model.cell.activation == "relu"
    np.testing.assert_allclose(model.params.b, (module.bias_ih_l0 + module.bias_hh_l0).detach().double().numpy())


# ----------------------------------------------------------------------------------------------------------------
# Files made to break the reader (found in review): each refused with a message, nothing allocated in bulk


def test_a_zip_bomb_is_refused_before_it_is_decompressed():
    buf = io.BytesIO()
    np.savez_compressed(buf, W_hh=np.zeros(2**27))  # 1 GiB of float64 zeros in a ~1 MB file
    import tracemalloc
    tracemalloc.start()
    message = refusal(buf.getvalue(), "bomb.npz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "1,024 MiB in float64" in message and peak < 50 * 2**20


def test_an_npz_member_that_lies_about_its_size_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        member = io.BytesIO()
        np.lib.format.write_array(member, np.eye(4))
        z.writestr("W_hh.npy", member.getvalue()[:-16])  # the header says 16 values, the data has 14
    assert "says it holds 16 values" in refusal(buf.getvalue(), "m.npz")


def test_a_zip_of_an_unknown_version_or_method_is_refused():
    good = npz_bytes(W_hh=np.eye(2))
    i = good.index(b"PK\x01\x02") + 6
    bad = good[:i] + bytes([99]) + good[i + 1:]  # "made by / needs" zip version 9.9
    assert "corrupt" in refusal(bad, "m.npz") or "cannot be read" in refusal(bad, "m.npz")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as z:
        member = io.BytesIO()
        np.lib.format.write_array(member, np.eye(2))
        z.writestr("W_hh.npy", member.getvalue())
    assert "method 12" in refusal(buf.getvalue(), "m.npz")


@pytest.mark.parametrize("entry,words", [
    ({"dtype": [1], "shape": [1], "data_offsets": [0, 8]}, "dtype [1]"),
    ({"dtype": "BF16", "shape": [1] * 70, "data_offsets": [0, 2]}, "at most 8 dimensions"),
    ({"dtype": "BF16", "shape": [0, 2**70], "data_offsets": [0, 0]}, "at most 8 dimensions of at most 2^31"),
])
def test_hostile_header_entries_are_refused(entry, words):
    body = b"\0" * (entry["data_offsets"][1])
    assert words in refusal(handmade({"W_hh": entry}, body))


def test_a_deeply_nested_header_is_refused():
    h = b"[" * 100_000 + b"]" * 100_000
    assert "JSON" in refusal(struct.pack("<Q", len(h)) + h)


def test_npz_truncated_inside_a_member_is_said_to_be_corrupt_not_pickled():
    data = npz_bytes(W_hh=np.eye(40))
    message = refusal(data[: len(data) // 2] + data[-200:], "m.npz")
    assert "unpickl" not in message


def test_layers_must_run_from_zero():
    sd = rnn_state_dict(k=3)
    sd["bias_ih_l" + "9" * 290] = np.zeros(12)
    with pytest.raises(WeightsError, match="layers must run 0, 1, 2"):
        layout(sd)
