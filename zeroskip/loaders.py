"""Weights from files in one line: numpy ``.npz`` and safetensors (PyTorch state-dict names,
``fc.weight``, ``lstm.weight_ih_l0`` ...) and Keras hdf5 (``layer/layer/kernel:0`` ...).

safetensors is read and written here with numpy alone (the format is an 8-byte little-endian
header length, a JSON header of ``name: {dtype, shape, data_offsets}``, then the raw
little-endian bytes), so no extra package is needed; Keras hdf5 needs h5py (installed with the
toolchain for textgenrnn).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from models.validate import fail

#: safetensors dtype names -> numpy (bf16 has no numpy dtype: refused with the fix)
ST_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
             "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
ST_NAMES = {(np.dtype(v).kind, np.dtype(v).itemsize): k for k, v in ST_DTYPES.items()}
#: safetensors pads its JSON header with spaces to a multiple of 8 bytes (the data aligned)
HEADER_ALIGN = 8
SUFFIXES = (".npz", ".safetensors", ".h5", ".hdf5")


def load_npz(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def load_safetensors(path) -> dict[str, np.ndarray]:
    raw = Path(path).read_bytes()
    if len(raw) < 8:
        fail(f"safetensors {path}", "file is shorter than its 8-byte header length", len(raw))
    (n,) = struct.unpack("<Q", raw[:8])
    try:
        header = json.loads(raw[8:8 + n])
    except ValueError:
        fail(f"safetensors {path}", "the header is not JSON", None, "is this a safetensors file?")
    base = 8 + n
    out = {}
    for name, d in header.items():
        if name == "__metadata__":
            continue
        if d["dtype"] not in ST_DTYPES:
            fail(f"safetensors {path}: {name}", f"dtype {d['dtype']} is not supported", None,
                 f"convert it to one of {', '.join(ST_DTYPES)} (e.g. bf16 -> float32)")
        a, b = d["data_offsets"]
        out[name] = np.frombuffer(raw[base + a:base + b],
                                  dtype=ST_DTYPES[d["dtype"]]).reshape(d["shape"]).copy()
    return out


def save_safetensors(path, tensors: dict[str, np.ndarray]) -> None:
    header, blobs, pos = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t)
        key = (a.dtype.kind, a.dtype.itemsize)
        if key not in ST_NAMES:
            fail(f"save_safetensors: {name}", f"dtype {a.dtype} is not supported", None,
                 "cast to float32/float64/int")
        b = a.astype(ST_DTYPES[ST_NAMES[key]]).tobytes()  # little-endian
        header[name] = {"dtype": ST_NAMES[key], "shape": list(a.shape),
                        "data_offsets": [pos, pos + len(b)]}
        blobs.append(b)
        pos += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % HEADER_ALIGN)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_keras_h5(path) -> dict[str, np.ndarray]:
    """Every dataset of a Keras weights file, by its path (``rnn_1/rnn_1/kernel:0``)."""
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, np.asarray(o[...]))
                     if isinstance(o, h5py.Dataset) else None)
    return out


def load(path) -> dict[str, np.ndarray]:
    """Any supported file by its suffix."""
    p = Path(path)
    if not p.exists():
        fail(f"load {path}", "file does not exist")
    suf = p.suffix.lower()
    if suf == ".npz":
        return load_npz(p)
    if suf == ".safetensors":
        return load_safetensors(p)
    if suf in (".h5", ".hdf5"):
        return load_keras_h5(p)
    fail(f"load {path}", f"unknown file type {suf!r}", None,
         f"use one of {', '.join(SUFFIXES)}")
    return {}


def pick(sd: dict[str, np.ndarray], name: str, prefix: str = "") -> np.ndarray:
    key = prefix + name
    if key not in sd:
        fail("state dict", f"has no {key!r}", None,
             f"it has {', '.join(sorted(sd)[:12])}{' ...' if len(sd) > 12 else ''}")
    return sd[key]


def linear_weights(sd, prefix: str = "") -> tuple[np.ndarray, np.ndarray | None]:
    """``(weight, bias)`` of an ``nn.Linear`` / ``nn.Conv2d`` (``<prefix>weight``, optional
    ``<prefix>bias``)."""
    return pick(sd, "weight", prefix), sd.get(prefix + "bias")


def lstm_weights(sd, prefix: str = "", layer: int = 0):
    """``(w_ih, w_hh, b_ih, b_hh)`` of layer ``layer`` of an ``nn.LSTM``."""
    return tuple(pick(sd, f"{n}_l{layer}", prefix)
                 for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


__all__ = ["SUFFIXES", "linear_weights", "load", "load_keras_h5", "load_npz",
           "load_safetensors", "lstm_weights", "pick", "save_safetensors"]
