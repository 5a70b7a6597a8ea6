"""A trained model's weights: read safely from a file, mapped to a cell, and run as the dashboard runs its own.

Three steps, each usable alone from a notebook::

    tensors = read_weights(open("rnn.safetensors", "rb").read(), "rnn.safetensors").tensors   # or any mapping
    model = model_from_state_dict(tensors)                      # cell and sizes inferred from the shapes
    result = diagnose(model, Run(seq_len=200, input_kind="noise"))   # an rnn_core Analysis

``read_weights`` accepts a ``.safetensors`` file (read with the ``safetensors`` package's NumPy API after its header
has been checked here) or a ``.npz`` file (``np.load(..., allow_pickle=False)``). Nothing is ever unpickled: a pickle
or a ``torch.save`` file is recognized by its first bytes and refused. Every refusal is a :class:`WeightsError` whose
message names the problem (the tensor, its shape, the count of bad entries); names from the file appear in it only
as ``repr()`` strings, for the caller to show as plain text.

``model_from_state_dict`` reads PyTorch's names (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``,
``_reverse`` for the second direction, any common prefix such as ``rnn.``): ``weight_hh`` of shape (N, N) is an
``nn.RNN``, (3N, N) an ``nn.GRU``, (4N, N) an ``nn.LSTM``. Plain arrays ``W_hh`` (and optionally ``W_xh``, ``b``,
``u``) are a vanilla RNN. Other tensors (an embedding, a decoder) are listed and left out.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .analysis import Analysis, analyze
from .cells import GRU, LSTM, Elman, GRUParams, LSTMParams, Params
from .cells.base import Cell
from .config import Config
from .initializers import readout_vector
from .inputs import make_inputs, vocabulary
from .message import Message, Verbatim

Array = np.ndarray

MAX_FILE_BYTES = 64 * 2**20  # an LSTM of 1024 units with 300 inputs is 22 MB in float32, 43 MB in float64
MAX_TENSORS = 512  # a 4-layer bidirectional LSTM has 32; a whole language model's state dict is refused by count
MAX_HEADER_BYTES = 2**20  # the JSON header of 512 tensors with long names is well under 100 kB
MAX_HIDDEN = 1024
MAX_INPUT = 4096
MAX_NAME = 300
MAX_DIMS = 8  # a weight is 1-D or 2-D; other tensors of a state dict (a convolution's) have a few more
MAX_FLOAT64_BYTES = 4 * MAX_FILE_BYTES  # what the tensors may take once float64 (float16 widens 4x)
MAX_LAYERS = 16
FLOAT_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2"}  # safetensors' names; BF16 decoded here
DTYPE_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}
RUN_MAX_STEPS = 1000  # the dashboard's cap on T for an uploaded model (see Run)


class WeightsError(ValueError):
    """A file or a set of tensors that cannot be used, with a message that says why: ``args[0]`` is a
    :class:`~rnn_core.message.Message`, so that a page can say it in its language (names from the file are
    :class:`~rnn_core.message.Verbatim`, quoted as they are)."""


_NPZ_CORRUPT = "The .npz file is corrupt or truncated ({error})."


def _error(err: Exception) -> Verbatim:
    """A library's exception, quoted as it is: ``'BadZipFile: File is not a zip file'``."""
    return Verbatim(f"{type(err).__name__}: {err}")


@dataclass(frozen=True)
class Weights:
    """The float64 tensors of a file, and what was done to them (``notes``: conversions, for the reader)."""

    tensors: dict[str, Array]
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------------------------------
# Reading a file


def read_weights(data: bytes, filename: str = "") -> Weights:
    """The tensors of a ``.safetensors`` or ``.npz`` file's bytes, as float64, checked.

    Raises :class:`WeightsError` for a file over ``MAX_FILE_BYTES``, a pickle (``torch.save``, ``pickle.dump``), a
    corrupt or truncated file, a header whose sizes do not add up, more than ``MAX_TENSORS`` tensors, a tensor that is
    not floating point, and NaN or infinite entries (naming the tensor and counting them).
    """
    if len(data) > MAX_FILE_BYTES:
        raise WeightsError(Message("The file is {size:.1f} MiB; the limit is {limit} MiB.", size=len(data) / 2**20,
                                   limit=MAX_FILE_BYTES // 2**20))
    if len(data) == 0:
        raise WeightsError(Message("The file is empty."))
    if data[:1] == b"\x80" or data[:2] in (b"(d", b"}q", b"]q", b"(l"):
        raise WeightsError(Message("This is a Python pickle (what torch.save and pickle.dump write). Pickles can run "
                                   "code when opened, so they are never opened here. Save the state dict with "
                                   "safetensors.torch.save_file(model.state_dict(), 'model.safetensors') instead."))
    if data[:4] == b"PK\x03\x04":
        tensors, notes = _read_npz(data)
    elif filename.lower().endswith(".npz"):
        raise WeightsError(Message("This .npz file is not a zip archive: it is corrupt or not an .npz file."))
    else:
        tensors, notes = _read_safetensors(data)
    converted = [Message("{n} from {dtype}", n=notes.count(d), dtype=d) for d in dict.fromkeys(notes)]
    said = ((Message("Converted to float64: {converted} (of {n} tensors).", converted=Message.join(", ", converted),
                     n=len(tensors)),) if converted else ())
    return Weights(_checked(tensors), said)


def _read_npz(data: bytes) -> tuple[dict[str, Array], list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = [i.filename for i in infos]
            headers = [_npy_header(archive, i) for i in infos if i.filename.endswith(".npy")]
    except WeightsError:
        raise
    except Exception as err:
        raise WeightsError(Message("The zip archive cannot be read: it is corrupt or truncated ({error}).",
                                   error=_error(err))) from None
    pickled = [n for n in names if n.endswith(".pkl") or n.endswith("/data.pkl")]
    if pickled:
        raise WeightsError(Message("This zip archive holds {name!r}: it is a PyTorch file written by torch.save, "
                                   "which is a pickle and is never opened here. Save the state dict with "
                                   "safetensors.torch.save_file(model.state_dict(), 'model.safetensors') instead.",
                                   name=Verbatim(pickled[0])))
    others = [n for n in names if not n.endswith(".npy")]
    if others:
        raise WeightsError(Message("This zip archive holds {name!r}, which is not an array (.npy): not an .npz "
                                   "file.", name=Verbatim(others[0])))
    if len(names) > MAX_TENSORS:
        raise WeightsError(Message("The file holds {n:,} arrays; at most {limit} are read.", n=len(names),
                                   limit=MAX_TENSORS))
    _check_total(sum(8 * count for count in headers))
    tensors: dict[str, Array] = {}
    notes: list[str] = []
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for name in npz.files:
                tensors[name] = _float64(name, npz[name], notes)
    except WeightsError:
        raise
    except ValueError as err:
        if "allow_pickle" in str(err) or "Object arrays" in str(err):  # what allow_pickle=False refuses
            raise WeightsError(Message("An array in the file cannot be read without unpickling it, which is never "
                                       "done here ({error}).", error=Verbatim(str(err)))) from None
        raise WeightsError(Message(_NPZ_CORRUPT, error=Verbatim(str(err)))) from None
    except Exception as err:
        raise WeightsError(Message(_NPZ_CORRUPT, error=_error(err))) from None
    return tensors, notes


def _npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The number of values of one ``.npy`` member, from its header, read before anything is decompressed in full:
    a small archive can hold gigabytes of zeros. Only stored or deflated members whose size matches their header."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise WeightsError(Message("Member {name!r} is compressed with method {method}; only stored or deflated "
                                   "arrays (what np.savez and np.savez_compressed write) are read.",
                                   name=Verbatim(info.filename), method=info.compress_type))
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        start = f.tell()
    if dtype.hasobject:
        raise WeightsError(Message("An array in the file ({name!r}) cannot be read without unpickling it, which is "
                                   "never done here (an object array).", name=Verbatim(info.filename)))
    _check_shape(info.filename, list(shape))
    count = int(np.prod(shape, dtype=object))
    if start + count * dtype.itemsize != info.file_size:
        raise WeightsError(Message("Member {name!r} says it holds {count:,} values of {dtype} but has {size:,} "
                                   "bytes: the file is corrupt.", name=Verbatim(info.filename), count=count,
                                   dtype=Verbatim(str(dtype)), size=info.file_size))
    return count


def _check_shape(name: str, shape: list) -> None:
    if len(shape) > MAX_DIMS or any(not isinstance(d, int) or d < 0 or d > 2**31 for d in shape):
        raise WeightsError(Message("Tensor {name!r} has shape {shape}: at most {dims} dimensions of at most 2^31 "
                                   "are read.", name=Verbatim(name), shape=Verbatim(str(tuple(shape)[:MAX_DIMS + 1])),
                                   dims=MAX_DIMS))


def _check_total(float64_bytes: int) -> None:
    if float64_bytes > MAX_FLOAT64_BYTES:
        raise WeightsError(Message("The tensors would take {size:,.0f} MiB in float64; at most {limit} MiB are "
                                   "read.", size=float64_bytes / 2**20, limit=MAX_FLOAT64_BYTES // 2**20))


def _float64(name: str, a: Array, notes: list[str]) -> Array:
    if a.dtype.kind != "f" or a.dtype.itemsize not in (2, 4, 8):
        raise WeightsError(Message("Tensor {name!r} has dtype {dtype}; weights must be floating point (float16, "
                                   "bfloat16, float32 or float64).", name=Verbatim(name), dtype=Verbatim(str(a.dtype))))
    if a.dtype != np.float64:
        notes.append(str(a.dtype))
    return np.asarray(a, dtype=np.float64)


def _read_safetensors(data: bytes) -> tuple[dict[str, Array], list[str]]:
    """Check the header against the file (sizes, offsets, dtypes, count) so that a refusal can say what is wrong,
    then read the tensors with ``safetensors.numpy`` (bfloat16 tensors, which NumPy has no type for, are widened
    here from their checked byte ranges)."""
    if len(data) < 8:
        raise WeightsError(Message("The file has {n} bytes: too short for a safetensors header (truncated?).",
                                   n=len(data)))
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(MAX_HEADER_BYTES, len(data) - 8):
        raise WeightsError(Message("The header says it is {n:,} bytes long, but the file has {rest:,} bytes after "
                                   "the length field: the file is truncated, or not a safetensors file.", n=n,
                                   rest=len(data) - 8))
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise WeightsError(Message("The safetensors header is not valid JSON: the file is corrupt, or not a "
                                   "safetensors file.")) from None
    if not isinstance(header, dict):
        raise WeightsError(Message("The safetensors header is not a table of tensors: the file is corrupt."))
    header.pop("__metadata__", None)  # free text: never shown
    if len(header) > MAX_TENSORS:
        raise WeightsError(Message("The file holds {n:,} tensors; at most {limit} are read.", n=len(header),
                                   limit=MAX_TENSORS))
    body = len(data) - 8 - n
    spans = []
    for name, entry in header.items():
        if len(name) > MAX_NAME:
            raise WeightsError(Message("A tensor name is {n:,} characters long; at most {limit} are read.",
                                       n=len(name), limit=MAX_NAME))
        if not (isinstance(entry, dict) and isinstance(entry.get("shape"), list)
                and isinstance(entry.get("data_offsets"), list) and len(entry["data_offsets"]) == 2
                and all(isinstance(v, int) and v >= 0 for v in [*entry["shape"], *entry["data_offsets"]])):
            raise WeightsError(Message("The header's entry for {name!r} is malformed: the file is corrupt.",
                                       name=Verbatim(name)))
        _check_shape(name, entry["shape"])
        dtype = entry.get("dtype")
        if not isinstance(dtype, str) or dtype not in FLOAT_DTYPES:
            raise WeightsError(Message("Tensor {name!r} has dtype {dtype}; weights must be floating point (F16, "
                                       "BF16, F32 or F64).", name=Verbatim(name), dtype=Verbatim(repr(dtype))))
        begin, end = entry["data_offsets"]
        count = int(np.prod(entry["shape"], dtype=object))
        need = count * np.dtype(FLOAT_DTYPES[dtype]).itemsize
        said = Message("The header says tensor {name!r} ({dtype}, shape {shape}) takes bytes {begin:,} to {end:,}",
                       name=Verbatim(name), dtype=Verbatim(dtype), shape=Verbatim(str(tuple(entry["shape"]))),
                       begin=begin, end=end)
        if end - begin != need:
            raise WeightsError(Message("{said}, but that shape needs {need:,} bytes: the header does not match the "
                                       "file.", said=said, need=need))
        if end > body:
            raise WeightsError(Message("{said}, but the data has only {body:,} bytes: the file is truncated.",
                                       said=said, body=body))
        spans.append((begin, end))
    covered = 0
    for begin, end in sorted(spans):
        if begin != covered:
            raise WeightsError(Message("The tensors' byte ranges overlap or leave gaps: the file is corrupt."))
        covered = end
    if covered != body:
        raise WeightsError(Message("The tensors cover {covered:,} bytes of the file's {body:,}: the file is corrupt.",
                                   covered=covered, body=body))
    _check_total(sum(8 * int(np.prod(e["shape"], dtype=object)) for e in header.values()))
    notes: list[str] = []
    if any(entry["dtype"] == "BF16" for entry in header.values()):
        start = 8 + n
        raw = {name: np.frombuffer(data, dtype=FLOAT_DTYPES[e["dtype"]], count=(e["data_offsets"][1] -
                                   e["data_offsets"][0]) // np.dtype(FLOAT_DTYPES[e["dtype"]]).itemsize,
                                   offset=start + e["data_offsets"][0]).reshape(e["shape"])
               for name, e in header.items()}
        tensors = {}
        for name, a in raw.items():
            if header[name]["dtype"] == "BF16":  # the top half of a float32
                notes.append("bfloat16")
                tensors[name] = (a.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
            else:
                tensors[name] = _float64(name, a, notes)
        return tensors, notes
    from safetensors.numpy import load

    try:
        loaded = load(data)
    except Exception as err:
        raise WeightsError(Message("The safetensors file cannot be read ({error}).", error=_error(err))) from None
    return {name: _float64(name, a, notes) for name, a in loaded.items()}, notes


def _checked(tensors: dict[str, Array]) -> dict[str, Array]:
    for name, a in tensors.items():
        bad = ~np.isfinite(a)
        if bad.any():
            nan, inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
            what = (Message("{nan:,} NaN and {inf:,} infinite", nan=nan, inf=inf) if nan and inf
                    else Message("{nan:,} NaN", nan=nan) if nan else Message("{inf:,} infinite", inf=inf))
            raise WeightsError(Message("Tensor {name!r} has {what} entries (of {size:,}): the weights are broken, "
                                       "perhaps by a diverged training run.", name=Verbatim(name), what=what,
                                       size=a.size))
    return tensors


# ----------------------------------------------------------------------------------------------------------------
# From a state dict to a cell

_TORCH_NAME = re.compile(r"^(?P<prefix>.*?)(?P<kind>weight|bias)_(?P<side>ih|hh)_l(?P<layer>\d+)(?P<rev>_reverse)?$")
GATES = {1: "rnn", 3: "gru", 4: "lstm"}  # row blocks of weight_hh -> the cell


@dataclass(frozen=True)
class Layout:
    """What a state dict holds: the cell its shapes say, the sizes, the layers and directions, and the rest.

    ``cell`` is ``'rnn'``, ``'gru'`` or ``'lstm'``; ``source`` is ``'torch'`` (PyTorch's names, under ``prefix``) or
    ``'arrays'`` (``W_hh``, ``W_xh``, ``b``, ``u``); ``ignored`` lists the tensors that are not the RNN's.
    """

    cell: str
    hidden_size: int
    layers: int
    directions: int
    source: str
    prefix: str = ""
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class Model:
    """One layer and direction of a trained RNN, ready for :func:`diagnose`."""

    cell: Cell
    params: Any
    layout: Layout
    layer: int = 0
    direction: int = 0

    @property
    def hidden_size(self) -> int:
        return int(np.shape(self.params.W_hh)[-1])

    @property
    def input_size(self) -> int:
        p = self.params
        return int((p.W_xh if isinstance(p, Params) else p.W_ih).shape[-1])


def layout(tensors: Mapping[str, Any]) -> Layout:
    """Infer the cell, sizes, layers and directions from the names and shapes of a state dict.

    Examples
    --------
    >>> import numpy as np
    >>> lay = layout({"lstm.weight_ih_l0": np.zeros((8, 3)), "lstm.weight_hh_l0": np.zeros((8, 2)),
    ...               "decoder.weight": np.zeros((5, 2))})
    >>> lay.cell, lay.hidden_size, lay.prefix, lay.ignored
    ('lstm', 2, 'lstm.', ('decoder.weight',))
    """
    names = list(tensors)
    if "W_hh" in tensors:
        W = np.shape(tensors["W_hh"])
        if len(W) != 2 or W[0] != W[1]:
            raise WeightsError(Message("'W_hh' has shape {shape}; a recurrent matrix is square, (N, N).",
                                       shape=Verbatim(str(tuple(W)))))
        used = {"W_hh", "W_xh", "b", "u"}
        return Layout("rnn", W[0], 1, 1, "arrays", "", tuple(n for n in names if n not in used))
    matches = {n: m for n in names if (m := _TORCH_NAME.match(n))}
    if not matches:
        shown = ", ".join(repr(n) for n in names[:8]) + (", ..." if len(names) > 8 else "")
        raise WeightsError(Message("No RNN weights found: expected PyTorch's 'weight_hh_l0' (with 'weight_ih_l0', "
                                   "'bias_ih_l0', 'bias_hh_l0') or plain 'W_hh'. The file holds {shown}.",
                                   shown=Verbatim(shown) if shown else Message("nothing")))
    prefixes = sorted({m["prefix"] for m in matches.values()})
    if len(prefixes) > 1:
        raise WeightsError(Message("The file holds the weights of {n} recurrent modules (prefixes {prefixes}); "
                                   "save one module's state dict.", n=len(prefixes),
                                   prefixes=Verbatim(", ".join(map(repr, prefixes)))))
    prefix = prefixes[0]
    if any(n.startswith(prefix + "weight_hr_l") for n in names):
        raise WeightsError(Message("This LSTM has projections (weight_hr_l0, proj_size > 0): not supported."))
    hh = prefix + "weight_hh_l0"
    if hh not in tensors:
        raise WeightsError(Message("Tensor {name!r} is missing: it is the first layer's recurrent matrix.",
                                   name=Verbatim(hh)))
    rows, N = np.shape(tensors[hh]) if np.ndim(tensors[hh]) == 2 else (0, 0)
    if N == 0 or rows % N or rows // N not in GATES:
        raise WeightsError(Message("{name!r} has shape {shape}; expected (N, N) for an RNN, (3N, N) for a GRU or "
                                   "(4N, N) for an LSTM.", name=Verbatim(hh),
                                   shape=Verbatim(str(tuple(np.shape(tensors[hh]))))))
    if N > MAX_HIDDEN:
        raise WeightsError(Message("The hidden size is {N:,}; at most {limit:,} units are analyzed here.", N=N,
                                   limit=MAX_HIDDEN))
    layers = 0
    while layers < MAX_LAYERS and prefix + f"weight_hh_l{layers}" in tensors:
        layers += 1
    stray = sorted({m["layer"] for m in matches.values()} - {str(k) for k in range(layers)})
    if stray:
        raise WeightsError(Message("Layer {layer!r} has weights but no layer before it has 'weight_hh' (or there are "
                                   "more than {limit} layers): layers must run 0, 1, 2, ...",
                                   layer=Verbatim(stray[0][:20]), limit=MAX_LAYERS))
    directions = 2 if any(m["rev"] for m in matches.values()) else 1
    return Layout(GATES[rows // N], N, layers, directions, "torch", prefix,
                  tuple(n for n in names if n not in matches))


def model_from_state_dict(tensors: Mapping[str, Any], *, cell: str | None = None, layer: int = 0,
                          direction: int = 0, activation: str = "tanh", seed: int = 0) -> Model:
    """One layer and direction of the state dict ``tensors`` (any mapping of names to arrays) as a cell and its
    parameters. ``cell`` confirms the inferred one (a mismatch is an error); ``activation`` is the vanilla RNN's
    (``nn.RNN(nonlinearity=...)``: tanh or relu; a state dict does not record it). The loss's readout ``u`` is the
    file's ``u`` if it has one, else the seeded random unit vector the dashboard uses for its own networks.

    PyTorch's two biases are kept apart for the gated cells (as their equations have them) and added for the vanilla
    RNN (``b = b_ih + b_hh``). Float64 arrays are used as they are, not copied (a large model's weights are tens of
    MB): do not change them in place while the model is in use.
    """
    lay = layout(tensors)
    if cell is not None and cell != lay.cell:
        raise WeightsError(Message("The shapes say {inferred}, not {chosen}.", inferred=Verbatim(lay.cell.upper()),
                                   chosen=Verbatim(cell.upper())))
    if not 0 <= layer < lay.layers:
        raise WeightsError(Message("layer={layer} does not exist: the model has {layers} layer(s).", layer=layer,
                                   layers=lay.layers))
    if not 0 <= direction < lay.directions:
        raise WeightsError(Message("direction={direction} does not exist: the model has {directions} direction(s).",
                                   direction=direction, directions=lay.directions))
    N = lay.hidden_size
    if lay.source == "arrays":
        W_hh = _array(tensors, "W_hh", (N, N))
        W_xh = _array(tensors, "W_xh", (N, None)) if "W_xh" in tensors else np.zeros((N, 1))
        b = _array(tensors, "b", (N,)) if "b" in tensors else None
        u = _array(tensors, "u", (N,)) if "u" in tensors else None
        _check_input_size(W_xh.shape[1])
        b = np.zeros(N) if b is None else b
        return Model(Elman(activation), Params(W_hh, W_xh, b, _unit(u, N, seed)), lay)
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    k = {"rnn": 1, "gru": 3, "lstm": 4}[lay.cell]
    D = None if layer == 0 else N * lay.directions
    W_ih = _array(tensors, lay.prefix + "weight_ih" + suffix, (k * N, D))
    W_hh = _array(tensors, lay.prefix + "weight_hh" + suffix, (k * N, N))
    b_ih = _array(tensors, lay.prefix + "bias_ih" + suffix, (k * N,), optional=True)
    b_hh = _array(tensors, lay.prefix + "bias_hh" + suffix, (k * N,), optional=True)
    _check_input_size(W_ih.shape[1])
    u = _unit(None, N, seed)
    # the arrays themselves, not copies: a 1024-unit LSTM's weights are 43 MB in float64, and nothing writes to them
    b_ih = np.zeros(k * N) if b_ih is None else b_ih
    b_hh = np.zeros(k * N) if b_hh is None else b_hh
    if lay.cell == "rnn":
        return Model(Elman(activation), Params(W_hh, W_ih, b_ih + b_hh, u), lay, layer, direction)
    cls, cell_cls = (LSTMParams, LSTM) if lay.cell == "lstm" else (GRUParams, GRU)
    return Model(cell_cls(), cls(W_ih, W_hh, b_ih, b_hh, u), lay, layer, direction)


def _array(tensors: Mapping[str, Any], name: str, shape: tuple[int | None, ...], optional: bool = False) -> Array:
    if name not in tensors:
        if optional:
            return None
        raise WeightsError(Message("Tensor {name!r} is missing.", name=Verbatim(name)))
    a = np.asarray(tensors[name], dtype=np.float64)
    if a.ndim != len(shape) or any(want is not None and got != want for got, want in zip(a.shape, shape, strict=True)):
        want = "(" + ", ".join("D" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise WeightsError(Message("Tensor {name!r} has shape {shape}; expected {want}.", name=Verbatim(name),
                                   shape=Verbatim(str(a.shape)), want=Verbatim(want)))
    if not np.isfinite(a).all():
        raise WeightsError(Message("Tensor {name!r} has {n:,} NaN or infinite entries.", name=Verbatim(name),
                                   n=int((~np.isfinite(a)).sum())))
    return a


def _check_input_size(D: int) -> None:
    if not 1 <= D <= MAX_INPUT:
        raise WeightsError(Message("The input size is {D:,}; between 1 and {limit:,} inputs are analyzed here.",
                                   D=D, limit=MAX_INPUT))


def _unit(u: Array | None, N: int, seed: int) -> Array:
    if u is None:
        return readout_vector(N, seed)
    n = float(np.linalg.norm(u))
    if n == 0:
        raise WeightsError(Message("The readout 'u' is zero: the loss u·h would be 0."))
    return u / n


def model_from_torch(module: Any, *, layer: int = 0, direction: int = 0, seed: int = 0) -> Model:
    """One layer and direction of a ``torch.nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` (torch is imported by the caller;
    this function only reads the module's state dict and, for ``nn.RNN``, its nonlinearity)."""
    kind = type(module).__name__
    if kind not in ("RNN", "LSTM", "GRU"):
        raise WeightsError(Message("A {kind} is not a torch.nn.RNN, nn.LSTM or nn.GRU.", kind=Verbatim(kind)))
    tensors = {name: t.detach().cpu().double().numpy() for name, t in module.state_dict().items()}
    activation = getattr(module, "nonlinearity", "tanh") if kind == "RNN" else "tanh"
    return model_from_state_dict(tensors, cell=kind.lower(), layer=layer, direction=direction,
                                 activation=activation, seed=seed)


# ----------------------------------------------------------------------------------------------------------------
# Running a model as the dashboard runs its own

RUN_INPUTS = ("noise", "impulse", "sine", "zeros", "text", "sequence")
INITIAL_STATES = ("zeros", "random")


@dataclass(frozen=True)
class Run:
    """How a model is run: the input sequence, the initial state and the loss (one sequence, B = 1).

    ``input_kind`` is one of :data:`RUN_INPUTS`: the dashboard's inputs, ``text`` (characters one-hot in the first
    inputs, one per distinct character, so it needs at least as many inputs as characters), or ``sequence``: the
    numbers in ``sequence``, one line per step, each line either ``D`` numbers or one (fed to the first input).
    ``seq_len`` is at most :data:`RUN_MAX_STEPS` in the dashboard (the analysis keeps a few arrays of ``T x state``
    floats: 16 MB each for a 1024-unit LSTM at T = 1000).
    """

    seq_len: int = 100
    input_kind: str = "noise"
    input_scale: float = 1.0
    seed: int = 0
    text: str = "hello"
    sequence: str = ""
    h0: str = "zeros"
    h0_scale: float = 0.5
    loss: str = "last"

    def __post_init__(self) -> None:
        if self.input_kind not in RUN_INPUTS:
            raise WeightsError(Message("input_kind={value} is not one of {allowed}.",
                                       value=Verbatim(repr(self.input_kind)), allowed=Verbatim(", ".join(RUN_INPUTS))))
        if self.h0 not in INITIAL_STATES:
            raise WeightsError(Message("h0={value} is not one of {allowed}.", value=Verbatim(repr(self.h0)),
                                       allowed=Verbatim(", ".join(INITIAL_STATES))))
        if self.input_kind != "sequence" and not 1 <= self.seq_len <= 10_000:
            raise WeightsError(Message("seq_len={seq_len} is outside [1, 10000].", seq_len=self.seq_len))


def run_inputs(run: Run, D: int) -> Array:
    """The input sequence ``x`` (T, 1, D) of ``run`` for a model with ``D`` inputs."""
    if run.input_kind == "sequence":
        return parse_sequence(run.sequence, D)
    if run.input_kind == "text":
        vocab = vocabulary(run.text)
        if len(vocab) > D:
            raise WeightsError(Message("The text has {n} distinct characters but the model only {D} inputs: one "
                                       "input per character is needed.", n=len(vocab), D=D))
        one_hot = make_inputs("text", run.seq_len, 1, 0, run.input_scale, np.random.default_rng(run.seed), run.text)
        return np.concatenate([one_hot, np.zeros((*one_hot.shape[:2], D - len(vocab)))], axis=-1)
    return make_inputs(run.input_kind, run.seq_len, 1, D, run.input_scale, np.random.default_rng(run.seed))


def parse_sequence(text: str, D: int, max_steps: int = 10_000) -> Array:
    """Numbers pasted as text, one line per step (commas, spaces or tabs between numbers): ``(T, 1, D)``.

    Examples
    --------
    >>> parse_sequence("1, 0\\n0 1\\n", 2)[:, 0]
    array([[1., 0.],
           [0., 1.]])
    >>> parse_sequence("0.5\\n-1", 3)[:, 0]
    array([[ 0.5,  0. ,  0. ],
           [-1. ,  0. ,  0. ]])
    """
    rows = [line for line in text.strip().splitlines() if line.strip()]
    if not rows:
        raise WeightsError(Message("The pasted sequence is empty: one line per step, numbers separated by commas or "
                                   "spaces."))
    if len(rows) > max_steps:
        raise WeightsError(Message("The pasted sequence has {n:,} steps; at most {limit:,} are read.", n=len(rows),
                                   limit=max_steps))
    x = np.zeros((len(rows), 1, D))
    for t, line in enumerate(rows):
        parts = [p for p in re.split(r"[,\s;]+", line.strip()) if p]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise WeightsError(Message("Line {line} of the pasted sequence is not a list of numbers.",
                                       line=t + 1)) from None
        if not all(np.isfinite(values)):
            raise WeightsError(Message("Line {line} of the pasted sequence holds a NaN or infinite number.",
                                       line=t + 1))
        if len(values) not in (1, D):
            raise WeightsError(Message("Line {line} of the pasted sequence has {n} numbers; the model has {D} inputs "
                                       "(give D numbers a line, or one for the first input).", line=t + 1,
                                       n=len(values), D=D))
        x[t, 0, :len(values)] = values
    return x


def initial_state(run: Run, state_size: int) -> Array:
    """``s_0``, shape (state_size,): zeros, or ``N(0, h0_scale^2)`` drawn from ``seed`` (an LSTM's ``[h_0, c_0]``)."""
    if run.h0 == "zeros":
        return np.zeros(state_size)
    return np.random.default_rng([run.seed, 1]).normal(0.0, run.h0_scale, size=state_size)


def model_config(model: Model, run: Run, T: int) -> Config:
    """The :class:`Config` that describes ``model`` under ``run`` to the engine and the pages (sizes, loss, seed)."""
    kind = run.input_kind if run.input_kind in ("noise", "impulse", "sine", "zeros") else "zeros"
    activation = getattr(model.cell, "activation", "tanh")
    return Config(cell=model.cell.name, seq_len=T, hidden_size=model.hidden_size, batch_size=1,
                  activation=activation, input_kind=kind, input_scale=run.input_scale,
                  input_size=model.input_size, loss=run.loss, seed=run.seed)


def diagnose(model: Model, run: Run | None = None, **kwargs: Any) -> Analysis:
    """Analyze ``model`` as the Explorer analyzes its own networks: states, log-domain gradients, Jacobian-product
    norms, Lyapunov exponents and the diagnosis, for the input, initial state and loss of ``run``."""
    run = Run() if run is None else run
    x = run_inputs(run, model.input_size)
    h0 = initial_state(run, model.cell.state_size(model.params))
    return analyze(model_config(model, run, x.shape[0]), model.params, x, h0=h0, cell=model.cell, **kwargs)
