"""A tiny CNN trained on ``load_digits`` (tools/cnn_digits.py), the real conv layers of the
gemm/nm_gemm tile benchmark (tests/sim/test_bench_conv.py). The images are the eie fixture's
(data/eie_digits/digits.npz, same split); the weights are ``data/cnn_digits/cnn.npz``, its
sha256 checked on load.

The network (PyTorch layout, inputs ``pixel / 16`` as one 8 x 8 channel):
conv1 3x3, 1 -> C1 channels, pad 1, no bias, ReLU (8 x 8 out; K = 9);
conv2 3x3, C1 -> C2 channels, stride 2, pad 1, no bias, ReLU (4 x 4 out; K = 9 C1);
flatten (C2 * 16) -> linear 10 with bias (on the host in the benchmark).
The convolutions are bias-free so that the K on the array is the layer's own.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np

from models.conv import conv_out_size
from models.eie.digits import ROOT, inputs_float, load_digits_fixture
from models.pinned import check_pinned

CNN_DIR = ROOT / "data" / "cnn_digits"
CNN_FILE = CNN_DIR / "cnn.npz"
#: sha256 of the committed weights (tools/cnn_digits.py --write prints it)
CNN_SHA256 = "ba172275fd4e232cbf6af4d90ca2a26a5c7d21f9953cdbbf47ef1e12cdfecef2"
SIZE = 8  # load_digits' images are 8 x 8
#: (name, stride, pad) of the two conv layers; kernels 3 x 3
CONVS = (("conv1", 1, 1), ("conv2", 2, 1))
C1, C2 = 8, 16


class CnnError(ValueError):
    """The weights file is missing or is not the committed one."""


@dataclasses.dataclass(frozen=True)
class Cnn:
    conv: list[np.ndarray]  # per conv layer (C_out, C_in, 3, 3) float64
    fc_w: np.ndarray        # (10, C2 * 16)
    fc_b: np.ndarray        # (10,)


@functools.lru_cache(maxsize=2)
def load_cnn(path: Path = CNN_FILE, check_hash: bool = True) -> Cnn:
    path = check_pinned(path, CNN_SHA256, CnnError, regen="python -m tools.cnn_digits --write",
                        const="models.cnn_digits.CNN_SHA256", check_hash=check_hash)
    with np.load(path, allow_pickle=False) as f:
        return Cnn([f["conv1"].astype(np.float64), f["conv2"].astype(np.float64)],
                   f["fc_w"].astype(np.float64), f["fc_b"].astype(np.float64))


def images(x: np.ndarray) -> np.ndarray:
    """(n, 64) pixels -> (n, 1, 8, 8) float inputs ``pixel / 16``."""
    return inputs_float(x).reshape(-1, 1, SIZE, SIZE)


def im2col_batch(x: np.ndarray, k: int, stride: int, pad: int) -> np.ndarray:
    """(n, C, H, W) float -> (n, C*k*k, H_out*W_out), models.conv.im2col's order per image."""
    n, c, h, w = x.shape
    ho, wo = conv_out_size(h, k, stride, pad), conv_out_size(w, k, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, c, k, k, ho, wo))
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]
    return cols.reshape(n, c * k * k, ho * wo)


def conv_forward(w: np.ndarray, x: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Float conv + ReLU, (n, C_in, H, W) -> (n, C_out, H_out, W_out)."""
    n, _, h, _ = x.shape
    ho = conv_out_size(h, w.shape[2], stride, pad)
    y = np.einsum("ok,nkp->nop", w.reshape(w.shape[0], -1), im2col_batch(x, w.shape[2],
                                                                          stride, pad))
    return np.maximum(y, 0.0).reshape(n, w.shape[0], ho, -1)


def logits(net: Cnn, x: np.ndarray, conv=None) -> np.ndarray:
    """Float logits for images (n, 1, 8, 8); ``conv``: a callable(layer index, input) that
    replaces the float conv layers (the integer/pruned ones of the benchmark)."""
    h = x
    for i, (_, stride, pad) in enumerate(CONVS):
        h = conv(i, h) if conv else conv_forward(net.conv[i], h, stride, pad)
    return h.reshape(len(h), -1) @ net.fc_w.T + net.fc_b


def accuracy(z: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(z, axis=1) == np.asarray(labels)))


def split_images(which: str = "test"):
    """(images (n, 1, 8, 8), labels) of the eie fixture's "train" or "test" split."""
    d = load_digits_fixture()
    idx = d.test_idx if which == "test" else d.train_idx
    return images(d.x[idx]), d.y[idx]
