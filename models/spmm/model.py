"""The bit-exact ``spmm`` head model, its float64 references and the two budgets (package
doc), the quantised-softmax helpers and the seeded head generators."""

from __future__ import annotations

import dataclasses

import numpy as np

from models.attn_load import check_load
from models.attn_mask import (
    check_mask_rows,
    mask_to_rows,
    random_mask,
    rows_to_mask,
)
from models.fixed import round_shift, smax, smin
from models.gemm import requantise
from models.spmm.params import SpmmParams


@dataclasses.dataclass
class SpmmHead:
    """One transaction: per query row ``cols[i]`` (ascending kept keys) and ``probs[i]`` (one
    unsigned P per kept key), ``v`` (n_k, d), requantisation pair."""

    cols: list[np.ndarray]
    probs: list[np.ndarray]
    v: np.ndarray
    scale: int = 1
    shift: int = 0

    @property
    def n_q(self) -> int:
        return len(self.cols)

    @property
    def n_k(self) -> int:
        return int(self.v.shape[0])

    @property
    def mask(self) -> np.ndarray:
        return rows_to_mask(self.cols, self.n_k)

    def dense_p(self) -> np.ndarray:
        """P as a dense (n_q, n_k) int64 array, 0 at pruned entries."""
        out = np.zeros((self.n_q, self.n_k), dtype=np.int64)
        for i, (c, pr) in enumerate(zip(self.cols, self.probs)):
            out[i, np.asarray(c, dtype=np.int64)] = pr
        return out


def head_from_dense(p_int: np.ndarray, mask: np.ndarray, v: np.ndarray, scale: int = 1,
                    shift: int = 0) -> SpmmHead:
    """A head whose row i keeps ``mask[i]`` with the values ``p_int[i, kept]``."""
    rows = mask_to_rows(mask)
    p_int = np.asarray(p_int, dtype=np.int64)
    return SpmmHead(rows, [p_int[i, c] for i, c in enumerate(rows)],
                    np.asarray(v, dtype=np.int64), scale, shift)


def check_head(p: SpmmParams, h: SpmmHead) -> None:
    """Raise ``ValueError`` naming the rule a head breaks (shapes, ranges, requant fields)."""
    check_load(p, h.v, h.scale, h.shift, "spmm", "V")
    if h.n_q < 1 or len(h.probs) != h.n_q:
        raise ValueError(f"spmm: a head needs n_q >= 1 rows and one probability list per row "
                         f"(got {h.n_q} column lists, {len(h.probs)} probability lists)")
    check_mask_rows(h.cols, h.n_k)
    top = p.p_one - 1
    for i, (c, pr) in enumerate(zip(h.cols, h.probs)):
        pr = np.asarray(pr)
        if pr.shape != (len(c),) or (pr.size and not np.issubdtype(pr.dtype, np.integer)):
            raise ValueError(f"spmm: row {i}: one integer probability per kept column "
                             f"(got {pr.dtype} {pr.shape} for {len(c)} columns)")
        if pr.size and (pr.min() < 0 or pr.max() > top):
            bad = int(pr[np.argmax((pr < 0) | (pr > top))])
            raise ValueError(f"spmm: row {i}: probability {bad} does not fit "
                             f"{p.prob_width} unsigned bits [0, {top}]")


def spmm_acc(p: SpmmParams, h: SpmmHead) -> np.ndarray:
    """Exact int64 accumulators (n_q, d): each row sums only its kept keys."""
    check_head(p, h)
    v = h.v.astype(np.int64)
    out = np.zeros((h.n_q, p.head_dim), dtype=np.int64)
    for i, (c, pr) in enumerate(zip(h.cols, h.probs)):
        if len(c):
            out[i] = np.asarray(pr, dtype=np.int64) @ v[np.asarray(c, dtype=np.int64)]
    return out


def spmm_ref(p: SpmmParams, h: SpmmHead) -> np.ndarray:
    """Bit-exact expected output (n_q, d) int64, ``data_width`` bits signed."""
    return requantise(spmm_acc(p, h), h.scale, h.shift, p.data_width)


def saturated_positions(p: SpmmParams, h: SpmmHead) -> np.ndarray:
    """``(m, 2)`` int64 (row, output column) of every output that saturated."""
    r = round_shift(spmm_acc(p, h) * int(h.scale), h.shift)
    return np.argwhere((r < smin(p.data_width)) | (r > smax(p.data_width))).astype(np.int64)


def spmm_float(h: SpmmHead) -> np.ndarray:
    """Independent float64 reference of budget 1: dense ``P_int @ V * scale / 2**shift``."""
    pd = h.dense_p().astype(np.float64)
    return pd @ np.asarray(h.v, dtype=np.float64) * float(h.scale) / 2.0 ** h.shift


# -- end to end: P from a float softmax ---------------------------------------------------------
def quantise_probs(p_float, prob_width: int) -> np.ndarray:
    """Float probabilities in [0, 1] -> UQ0.prob_width ints: round half up of
    ``p * 2**prob_width`` (exact in float64: a power-of-two scale), saturated at
    ``2**prob_width - 1`` (1.0 is not representable)."""
    pf = np.asarray(p_float, dtype=np.float64)
    if pf.size and (np.isnan(pf).any() or pf.min() < 0 or pf.max() > 1):
        raise ValueError("spmm: probabilities must be in [0, 1]")
    q = np.floor(pf * 2.0 ** prob_width + 0.5).astype(np.int64)
    return np.minimum(q, (1 << prob_width) - 1)


def unit_requant(p: SpmmParams) -> tuple[int, int]:
    """(scale, shift) that keeps the output in V's units: ``o = round(acc / 2**prob_width)``."""
    return 1, p.prob_width


def e2e_float(p_float: np.ndarray, mask: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Float64 ``(p_float ⊙ mask) @ v``: the end-to-end reference of budget 2."""
    return np.where(mask, np.asarray(p_float, dtype=np.float64), 0.0) @ np.asarray(
        v, dtype=np.float64)


def e2e_budget(p: SpmmParams, p_float: np.ndarray, mask: np.ndarray,
               v: np.ndarray) -> np.ndarray:
    """Budget 2 per output element (n_q, d), in LSBs of V (module doc):
    ``1/2 + sum_j min(b_j, p_f[j]) * |v[j, c]|`` over kept j, ``b_j = 2**-(pw+1)``, or
    ``2**-pw`` where the quantiser saturates, plus the clamp term of rows summing above 1."""
    pf = np.where(mask, np.asarray(p_float, dtype=np.float64), 0.0)
    half = 2.0 ** -(p.prob_width + 1)
    b = np.where(pf > 1.0 - half, 2.0 * half, half)
    over = 2.0 ** (p.data_width - 1) * np.maximum(pf.sum(axis=1, keepdims=True) - 1.0, 0.0)
    return 0.5 + np.minimum(b, pf) @ np.abs(np.asarray(v, dtype=np.float64)) + over


def e2e_closed_form(p: SpmmParams, nnz_row: int) -> float:
    """The closed-form budget 2 of a row with ``nnz_row`` kept keys and no saturated P."""
    return 0.5 + 2.0 ** (p.data_width - 1) * min(nnz_row * 2.0 ** -(p.prob_width + 1), 1.0)


def masked_softmax(logits: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Float64 softmax of each row over its kept entries (0 elsewhere; an all-masked row is 0)."""
    x = np.where(mask, np.asarray(logits, dtype=np.float64), -np.inf)
    m = np.max(x, axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.where(mask, np.exp(x - m), 0.0)
    s = e.sum(axis=1, keepdims=True)
    return np.divide(e, s, out=np.zeros_like(e), where=s > 0)


def macs(p: SpmmParams, h: SpmmHead) -> int:
    """Useful multiply-accumulates: ``head_dim`` per kept entry of P."""
    return sum(len(c) for c in h.cols) * p.head_dim


# -- stimulus -----------------------------------------------------------------------------------
def useful_requant(p: SpmmParams, rng: np.random.Generator, nnz: int) -> tuple[int, int]:
    """A random (scale, shift) mapping the accumulators of rows with ``nnz`` uniform P into the
    output range (as :func:`models.gemm.useful_requant`): a product of a uniform P and a uniform
    V has RMS about ``2**(pw + dw - 1) / 3``; an nnz-sum grows like sqrt(nnz). +-2 bits jitter."""
    scale = int(rng.integers(1, 1 << p.scale_width))
    acc_rms_bits = (p.prob_width + p.data_width - 1) + max(nnz, 1).bit_length() // 2
    target = acc_rms_bits + scale.bit_length() - (p.data_width - 1) + int(rng.integers(-2, 3))
    return scale, int(np.clip(target, 0, p.max_shift))


def random_head(p: SpmmParams, rng: np.random.Generator, n_q: int, n_k: int, *,
                density: float = 0.1, mask: np.ndarray | None = None,
                softmax: bool = True, extremes: bool = False) -> SpmmHead:
    """A head with uniform V (or only the two extremes) and P on ``mask`` (or a random one of
    ``density``): with ``softmax`` a quantised softmax of normal logits with
    :func:`unit_requant`, else uniform P over the full range with :func:`useful_requant`."""
    if mask is None:
        mask = random_mask(rng, n_q, n_k, density)
    lo, hi = smin(p.data_width), smax(p.data_width)
    if extremes:
        v = rng.choice([lo, hi], size=(n_k, p.head_dim))
    else:
        v = rng.integers(lo, hi + 1, size=(n_k, p.head_dim))
    if softmax:
        pf = masked_softmax(rng.normal(scale=2.0, size=mask.shape), mask)
        return head_from_dense(quantise_probs(pf, p.prob_width), mask, v, *unit_requant(p))
    pi = rng.integers(0, p.p_one, size=mask.shape)
    nnz = int(round(mask.sum(axis=1).mean()))
    return head_from_dense(pi, mask, v, *useful_requant(p, rng, nnz))
