"""conv2d as im2col + GEMM, on the same bit-exact integer model as the ``gemm`` block.

Layout follows PyTorch: input ``x`` (C_in, H, W), weights ``w`` (C_out, C_in, kh, kw), output
(C_out, H_out, W_out) with ``H_out = (H + 2*pad - kh) // stride + 1``. im2col makes the
reduction dimension ``K = C_in*kh*kw`` (ordered c, i, j like ``w.reshape(C_out, -1)``) and the
GEMM is ``W (C_out x K) @ cols (K x H_out*W_out)`` -- the shape the systolic array tiles.
"""

from __future__ import annotations

import numpy as np

from models.gemm import requantise, useful_requant
from models.validate import int_array, int_scalar


def conv_out_size(n: int, k: int, stride: int, pad: int) -> int:
    out = (n + 2 * pad - k) // stride + 1
    if out < 1:
        raise ValueError(f"conv2d: kernel {k} with pad {pad} does not fit an input of {n}")
    return out


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """(C_in, H, W) -> (C_in*kh*kw, H_out*W_out), zero padding."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"conv2d: input must be (C_in, H, W) (got shape {x.shape})")
    stride = int_scalar(stride, "conv2d: stride", 1)
    pad = int_scalar(pad, "conv2d: pad", 0)
    c, h, w = x.shape
    ho, wo = conv_out_size(h, kh, stride, pad), conv_out_size(w, kw, stride, pad)
    x = int_array(x, "conv2d: input x")
    xp = np.pad(x.astype(np.int64), ((0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((c, kh, kw, ho, wo), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[:, i:i + stride * ho:stride, j:j + stride * wo:stride]
    return cols.reshape(c * kh * kw, ho * wo)


def conv2d_int(x: np.ndarray, w: np.ndarray, stride: int = 1, pad: int = 0, *,
               scale: int | None = None, shift: int = 0, out_bits: int = 8,
               relu: bool = False, in_bits: int | None = None) -> np.ndarray:
    """Integer conv2d = GEMM(w, im2col(x)); optional requantisation as the ``gemm`` block.
    ``in_bits``: the operands' signed format, checked (the gemm block's ``data_width``)."""
    w = int_array(w, "conv2d: weights w", bits=in_bits, ndim=4,
                  names="(C_out, C_in, kh, kw)")
    x = int_array(x, "conv2d: input x", bits=in_bits, ndim=3, names="(C_in, H, W)")
    stride = int_scalar(stride, "conv2d: stride", 1)
    pad = int_scalar(pad, "conv2d: pad", 0)
    if scale is not None:
        scale = int_scalar(scale, "conv2d: scale", 0)
        shift = int_scalar(shift, "conv2d: shift", 0)
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


#: a VGG-style 3x3 layer at CIFAR size, the real-size gemm/nm_gemm workload (K = 288, 1024
#: output pixels, 64 output channels): 4096 tiles of 288 beats on a 4 x 4 array
CONV_LAYER = dict(c_in=32, c_out=64, size=32, k=3, pad=1)


def conv_gemm_operands(rng: np.random.Generator, data_width: int, c_in: int, c_out: int,
                       size: int, k: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded integer conv layer as its GEMM: weights W (c_out x K) and im2col of a
    post-ReLU activation map (K x size*size), both ``data_width``-bit."""
    hi = (1 << (data_width - 1)) - 1
    x = rng.integers(0, hi + 1, size=(c_in, size, size))  # activations after a ReLU
    w = rng.integers(-hi - 1, hi + 1, size=(c_out, c_in, k, k))
    return w.reshape(c_out, -1), im2col(x, k, k, 1, pad)


def gemm_tiles(w2d: np.ndarray, cols: np.ndarray, rows: int, n_cols: int):
    """Yield ``(r0, c0, A, B)``: the output-stationary tiles of ``w2d @ cols`` for a
    ``rows x n_cols`` array (A is rows x K of W, B is K x n_cols of cols). A layer whose
    output channels or pixels do not divide the array is padded with zero weight rows and zero
    pixel columns (their outputs are zero and belong to no output)."""
    m, kk = w2d.shape
    if cols.shape[0] != kk:
        raise ValueError(f"conv2d: weights have K = {kk}, im2col has {cols.shape[0]} rows")
    pm, pn = -m % rows, -cols.shape[1] % n_cols
    w2d = np.pad(w2d, ((0, pm), (0, 0)))
    cols = np.pad(cols, ((0, 0), (0, pn)))
    for r0 in range(0, m + pm, rows):
        for c0 in range(0, cols.shape[1], n_cols):
            yield r0, c0, w2d[r0:r0 + rows], cols[:, c0:c0 + n_cols]


def conv_layer_tiles(p, rng: np.random.Generator, limit: int = 0):
    """Yield ``(A, B, scale, shift)`` for the tiles of :data:`CONV_LAYER` (seeded) on the
    array of gemm params ``p``, with one requantisation for the whole layer, as a deployed
    layer has; ``limit`` > 0 stops after that many tiles."""
    w2d, cols = conv_gemm_operands(rng, p.data_width, **CONV_LAYER)
    scale, shift = useful_requant(p, rng, w2d.shape[1]) if p.requant else (1, 0)
    for i, (_, _, a, b) in enumerate(gemm_tiles(w2d, cols, p.rows, p.cols)):
        if limit and i >= limit:
            return
        yield a, b, scale, shift
