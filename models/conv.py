"""conv2d as im2col + GEMM, on the same bit-exact integer model as the ``gemm`` block.

Layout follows PyTorch: input ``x`` (C_in, H, W), weights ``w`` (C_out, C_in, kh, kw), output
(C_out, H_out, W_out) with ``H_out = (H + 2*pad - kh) // stride + 1``. im2col makes the
reduction dimension ``K = C_in*kh*kw`` (ordered c, i, j like ``w.reshape(C_out, -1)``) and the
GEMM is ``W (C_out x K) @ cols (K x H_out*W_out)`` -- the shape the systolic array tiles.
"""

from __future__ import annotations

import numpy as np

from models.gemm import requantise


def conv_out_size(n: int, k: int, stride: int, pad: int) -> int:
    out = (n + 2 * pad - k) // stride + 1
    if out < 1:
        raise ValueError(f"conv2d: kernel {k} with pad {pad} does not fit an input of {n}")
    return out


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """(C_in, H, W) -> (C_in*kh*kw, H_out*W_out), zero padding."""
    if x.ndim != 3:
        raise ValueError(f"conv2d: input must be (C_in, H, W) (got shape {x.shape})")
    c, h, w = x.shape
    ho, wo = conv_out_size(h, kh, stride, pad), conv_out_size(w, kw, stride, pad)
    xp = np.pad(x.astype(np.int64), ((0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((c, kh, kw, ho, wo), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[:, i:i + stride * ho:stride, j:j + stride * wo:stride]
    return cols.reshape(c * kh * kw, ho * wo)


def conv2d_int(x: np.ndarray, w: np.ndarray, stride: int = 1, pad: int = 0, *,
               scale: int | None = None, shift: int = 0, out_bits: int = 8,
               relu: bool = False) -> np.ndarray:
    """Integer conv2d = GEMM(w, im2col(x)); optional requantisation as the ``gemm`` block."""
    cout, cin, kh, kw = w.shape
    if x.shape[0] != cin:
        raise ValueError(f"conv2d: input has {x.shape[0]} channels, weights expect {cin}")
    ho = conv_out_size(x.shape[1], kh, stride, pad)
    wo = conv_out_size(x.shape[2], kw, stride, pad)
    acc = w.reshape(cout, -1).astype(np.int64) @ im2col(x, kh, kw, stride, pad)
    y = requantise(acc, scale, shift, out_bits) if scale is not None else acc
    if relu:
        y = np.maximum(y, 0)
    return y.reshape(cout, ho, wo)
