"""Bit-exact GCN layer ``X' = σ(Â·(X·W))``: combination on the gemm model, the aggregation,
the float64 references and the derived error budgets.

Combination ``H = requant(X·W)``
    :func:`combine` cuts X into ``GEMM.rows``-row tiles and W into ``GEMM.cols``-column tiles
    and runs :func:`models.gemm.gemm_ref` on each (INT8 x INT8 -> INT32, then
    ``saturate(round_shift(acc * scale, shift), 8)``, round half up): the existing dense engine
    does this half of the layer.

Aggregation ``Y = requant(Â_q · H)``
    ``acc[i, f] = sum_j q_ij * H[j, f]`` exactly (int64; ``GcnAggParams`` refuses an
    ``acc_width`` that could overflow), then ``y = saturate(round_shift(acc * scale, shift),
    out_bits)`` (:func:`models.gemm.requantise`), then ReLU when asked. The order of the sum is
    free (integers), so every PCOO schedule and every GCoD split gives the same ``acc`` as long
    as partial sums of a row are added before the requantisation (pcoo.py, gcod.py).

Aggregation budget against float64 (:func:`aggregate_float`, :func:`aggregate_budget`)
    The float reference uses the exact ``Â`` (not its codes) on the same integer ``H``:
    ``x = (Â·H)[i, f] * 2**15 * scale / 2**shift``. With ``|q_ij - 2**15 Â_ij| <= 1/2``::

        |acc*scale/2**shift - x| <= scale/2**shift * 1/2 * sum_j |H[j, f]|     (j in row i)
        |y - x| <= 1/2 + scale/2**shift * 1/2 * sum_j |H[j, f]|    LSB, unless y saturated

    (ReLU is 1-Lipschitz: the bound holds after it). Saturated outputs are reported, never
    silent (:func:`saturated`).

Layer and network budget (:func:`gcn_budget`), float units, elementwise
    Against a float64 GCN with the *dequantised* weights (so that only the integer pipeline's
    roundings are measured; weight quantisation shows in the accuracy instead), with ``E_in``
    the bound on the layer's input (0 for the first layer: its input, Cora's binary features,
    is exact)::

        E_H = E_in @ |W| + s_H/2                        (combination: input error, rounding)
        E_Y = Â @ E_H + 2**-16 * s_H * (|Â|>0) @ |H_int| + s_Y/2       (aggregation)

    ``s_H``, ``s_Y`` are the effective scales of H and Y; the middle term is the Â rounding.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.fixed import check_signed, round_shift, saturate, smax, smin
from models.gcn.adjacency import QAdj
from models.gcn.params import ADJ_FRAC, GcnAggParams
from models.gemm import GemmParams, GemmTile, gemm_ref, requantise

#: the gemm configuration the combination runs on (16 x 16 INT8 tiles, INT32 accumulators)
GEMM = GemmParams(rows=16, cols=16, data_width=8, acc_width=32, max_k=4096, requant=True,
                  scale_width=16)
#: largest graph the float reference multiplies densely (n^2 float64 = 128 MB at 4096)
DENSE_REF_MAX_NODES = 4096


# -- requantisation pairs ---------------------------------------------------------------------
def requant_pair(ratio: float, scale_width: int, max_shift: int) -> tuple[int, int]:
    """``(scale, shift)`` with ``scale / 2**shift ~= ratio``: the largest shift whose rounded
    scale still fits ``scale_width`` unsigned bits (most precision)."""
    if not ratio > 0:
        raise ValueError(f"gcn: a requantisation ratio must be > 0 (got {ratio})")
    best = (1, 0)
    for s in range(max_shift + 1):
        m = int(np.floor(ratio * 2.0 ** s + 0.5))
        if m >= (1 << scale_width):
            break
        if m >= 1:
            best = (m, s)
    return best


# -- combination --------------------------------------------------------------------------------
def combine(x: np.ndarray, w: np.ndarray, scale: int, shift: int, relu: bool = False,
            p: GemmParams = GEMM) -> np.ndarray:
    """``H = requant(X·W)`` through :func:`models.gemm.gemm_ref`, tile by tile (module doc)."""
    check_signed(x, p.data_width, "gcn: X")
    check_signed(w, p.data_width, "gcn: W")
    n, k = x.shape
    if w.shape[0] != k:
        raise ValueError(f"gcn: W must have {k} rows to multiply X (got {w.shape})")
    f = w.shape[1]
    nr, nc = -(-n // p.rows) * p.rows, -(-f // p.cols) * p.cols
    xp = np.zeros((nr, k), dtype=np.int64)
    xp[:n] = x
    wp = np.zeros((k, nc), dtype=np.int64)
    wp[:, :f] = w
    out = np.zeros((nr, nc), dtype=np.int64)
    for r in range(0, nr, p.rows):
        for c in range(0, nc, p.cols):
            t = GemmTile(xp[r:r + p.rows], wp[:, c:c + p.cols], scale, shift, relu)
            out[r:r + p.rows, c:c + p.cols] = gemm_ref(p, t)
    return out[:n, :f]


# -- aggregation ------------------------------------------------------------------------------
def check_features(p: GcnAggParams, a: QAdj, h: np.ndarray) -> None:
    if h.ndim != 2 or h.shape[0] != a.n:
        raise ValueError(f"gcn: H must have shape ({a.n}, F) (got {h.shape})")
    if a.n > p.max_nodes:
        raise ValueError(f"gcn_agg: the graph has {a.n} nodes, more than max_nodes="
                         f"{p.max_nodes}")
    deg = a.degrees
    if deg.max(initial=0) > p.max_degree:
        r = int(np.argmax(deg))
        raise ValueError(f"gcn_agg: row {r} has {int(deg[r])} non-zeros, more than max_degree="
                         f"{p.max_degree}")
    check_signed(h, p.feat_width, "gcn_agg: H")
    if (a.q >= (1 << p.adj_width)).any() or (a.q < 0).any():
        raise ValueError(f"gcn_agg: Â codes must fit {p.adj_width} unsigned bits")


def aggregate_acc(p: GcnAggParams, a: QAdj, h: np.ndarray) -> np.ndarray:
    """Exact int64 ``Â_q · H`` (n, F)."""
    check_features(p, a, h)
    acc = np.zeros((a.n, h.shape[1]), dtype=np.int64)
    np.add.at(acc, a.row, a.q[:, None] * h.astype(np.int64)[a.col])
    return acc


def aggregate(p: GcnAggParams, a: QAdj, h: np.ndarray, scale: int, shift: int,
              out_bits: int | None = None, relu: bool = False) -> np.ndarray:
    """Bit-exact ``Y`` (module doc); ``out_bits`` (default ``out_width``) is the saturation
    width, at most ``out_width``."""
    ob = p.out_width if out_bits is None else out_bits
    if not 2 <= ob <= p.out_width:
        raise ValueError(f"gcn_agg: out_bits must be in [2, out_width={p.out_width}] (got {ob})")
    if not (0 <= scale < (1 << p.scale_width) and 0 <= shift <= p.max_shift):
        raise ValueError(f"gcn_agg: scale must be in [0, 2**{p.scale_width}) and shift in "
                         f"[0, {p.max_shift}] (got {scale}, {shift})")
    y = requantise(aggregate_acc(p, a, h), scale, shift, ob)
    return np.maximum(y, 0) if relu else y


def saturated(p: GcnAggParams, a: QAdj, h: np.ndarray, scale: int, shift: int,
              out_bits: int | None = None) -> np.ndarray:
    """Bool (n, F): outputs whose requantised value was clamped."""
    ob = p.out_width if out_bits is None else out_bits
    r = round_shift(aggregate_acc(p, a, h) * int(scale), shift)
    return (r < smin(ob)) | (r > smax(ob))


def _ahat_matmul(n: int, row, col, val, m: np.ndarray) -> np.ndarray:
    """Float64 ``Â @ m``: dense for small graphs (independent of the COO path), else add.at."""
    m = np.asarray(m, dtype=np.float64)
    if n <= DENSE_REF_MAX_NODES:
        d = np.zeros((n, n))
        d[row, col] = val
        return d @ m
    out = np.zeros((n, m.shape[1]))
    np.add.at(out, row, np.asarray(val)[:, None] * m[col])
    return out


def aggregate_float(a_float: np.ndarray, a: QAdj, h: np.ndarray, scale: int,
                    shift: int) -> np.ndarray:
    """Float64 ``(Â·H) * 2**frac * scale / 2**shift`` with the exact Â values ``a_float``
    (on ``a``'s coordinates), before saturation and ReLU."""
    return _ahat_matmul(a.n, a.row, a.col, a_float, h) * (2.0 ** a.frac * scale / 2.0 ** shift)


def aggregate_budget(a: QAdj, h: np.ndarray, scale: int, shift: int) -> np.ndarray:
    """Per-element bound (LSB of Y) on ``|y - x|`` of unsaturated outputs (module doc)."""
    s = np.zeros((a.n, h.shape[1]))
    np.add.at(s, a.row, np.abs(h.astype(np.float64))[a.col])
    return 0.5 + (scale / 2.0 ** shift) * 0.5 * s


# -- a whole quantised GCN ----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class QuantLayer:
    """One quantised layer: INT8 weights ``w`` (scale ``s_w``), the combination requant
    ``(c_scale, c_shift)`` to INT8 H (effective scale ``s_h``), the aggregation requant
    ``(a_scale, a_shift)`` to ``out_bits`` Y (effective scale ``s_y``), ReLU or not."""

    w: np.ndarray
    s_w: float
    c_scale: int
    c_shift: int
    s_h: float
    a_scale: int
    a_shift: int
    s_y: float
    out_bits: int
    relu: bool


#: activation scales get this headroom over the calibrated float maximum, so that the integer
#: pipeline's own error cannot push a value into saturation
HEADROOM = 1.0625


def quantise_weights(w: np.ndarray, bits: int = 8) -> tuple[np.ndarray, float]:
    """Symmetric per-tensor: ``w_q = round(w / s)``, ``s = max|w| / (2**(bits-1) - 1)``."""
    s = float(np.abs(w).max()) / smax(bits)
    return saturate(np.floor(w / s + 0.5).astype(np.int64), bits), s


def quantise_layer(p: GcnAggParams, w: np.ndarray, s_in: float, h_max: float, y_max: float,
                   out_bits: int, relu: bool) -> QuantLayer:
    """Choose the layer's integers from calibrated float maxima of H and Y."""
    wq, s_w = quantise_weights(w, GEMM.data_width)
    c_scale, c_shift = requant_pair(s_in * s_w / (h_max * HEADROOM / smax(GEMM.data_width)),
                                    GEMM.scale_width, GEMM.acc_width + GEMM.scale_width)
    s_h = s_in * s_w * 2.0 ** c_shift / c_scale
    a_scale, a_shift = requant_pair(s_h * 2.0 ** -ADJ_FRAC / (y_max * HEADROOM / smax(out_bits)),
                                    p.scale_width, p.max_shift)
    s_y = s_h * 2.0 ** -ADJ_FRAC * 2.0 ** a_shift / a_scale
    return QuantLayer(wq, s_w, c_scale, c_shift, s_h, a_scale, a_shift, s_y, out_bits, relu)


def layer_int(p: GcnAggParams, a: QAdj, x: np.ndarray, q: QuantLayer) -> tuple[np.ndarray, ...]:
    """(H, Y) of one integer layer."""
    h = combine(x, q.w, q.c_scale, q.c_shift)
    y = aggregate(p, a, h, q.a_scale, q.a_shift, q.out_bits, q.relu)
    return h, y


def gcn_int(p: GcnAggParams, a: QAdj, x: np.ndarray, layers: list[QuantLayer]):
    """Integer forward: list of (H, Y) per layer; the last Y is the logits (scale s_y)."""
    out = []
    for q in layers:
        h, x = layer_int(p, a, x, q)
        out.append((h, x))
    return out


def gcn_float(a_float: np.ndarray, a: QAdj, x: np.ndarray, ws: list[np.ndarray]) -> list:
    """Independent float64 GCN: per layer (H, Y) with ``H = X W``, ``Y = Â H`` (ReLU on every
    layer but the last)."""
    out = []
    x = np.asarray(x, dtype=np.float64)
    for i, w in enumerate(ws):
        h = x @ np.asarray(w, dtype=np.float64)
        y = _ahat_matmul(a.n, a.row, a.col, a_float, h)
        if i < len(ws) - 1:
            y = np.maximum(y, 0.0)
        out.append((h, y))
        x = y
    return out


def gcn_budget(a_float: np.ndarray, a: QAdj, layers: list[QuantLayer],
               ints: list) -> list[np.ndarray]:
    """Per layer the elementwise float bound on ``|Y_int * s_y - Y_float|`` (module doc),
    against :func:`gcn_float` run with the dequantised weights ``w * s_w``."""
    bounds = []
    e = None
    for q, (h, _) in zip(layers, ints):
        wd = np.abs(q.w.astype(np.float64)) * q.s_w
        e_h = (0.0 if e is None else e @ wd) + 0.5 * q.s_h
        e_h = np.broadcast_to(e_h, h.shape)
        qa = _ahat_matmul(a.n, a.row, a.col, np.ones(a.nnz), np.abs(h.astype(np.float64)))
        e = (_ahat_matmul(a.n, a.row, a.col, a_float, e_h)
             + 2.0 ** -(ADJ_FRAC + 1) * q.s_h * qa + 0.5 * q.s_y)
        bounds.append(e)
    return bounds
