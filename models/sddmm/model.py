"""The bit-exact ``sddmm`` head model, its float64 reference and budget (package doc), and the
seeded head generators."""

from __future__ import annotations

import dataclasses

import numpy as np

from models.attn_load import check_load
from models.attn_mask import (
    check_dense_mask,
    mask_to_rows,
    random_mask,
)
from models.fixed import check_signed, round_shift, smax, smin
from models.gemm import requantise
from models.sddmm.params import SddmmParams

#: float64 represents every integer below 2**53 exactly: the float reference is exact below it.
FLOAT64_EXACT_BITS = 53
#: error budget of the requantised score against the exact rational (module doc)
SDDMM_BUDGET_LSB = 0.5


@dataclasses.dataclass
class SddmmHead:
    """One transaction: ``q`` (n_q, d), ``k`` (n_k, d), ``mask`` bool (n_q, n_k) True = kept."""

    q: np.ndarray
    k: np.ndarray
    mask: np.ndarray
    scale: int = 1
    shift: int = 0

    @property
    def n_q(self) -> int:
        return int(self.q.shape[0])

    @property
    def n_k(self) -> int:
        return int(self.k.shape[0])


def check_head(p: SddmmParams, h: SddmmHead) -> None:
    """Raise ``ValueError`` naming the rule a head breaks (shapes, ranges, requant fields)."""
    if h.q.ndim != 2 or h.q.shape[1] != p.head_dim or h.q.shape[0] < 1:
        raise ValueError(f"sddmm: Q must have shape (n_q >= 1, head_dim={p.head_dim}) "
                         f"(got {h.q.shape})")
    check_load(p, h.k, h.scale, h.shift, "sddmm", "K")
    check_dense_mask(h.mask, (h.n_q, h.n_k))
    check_signed(h.q, p.data_width, "sddmm: Q")


def sddmm_acc(p: SddmmParams, h: SddmmHead) -> list[np.ndarray]:
    """Per query row the exact int64 accumulators of its kept entries, ascending columns."""
    check_head(p, h)
    q = h.q.astype(np.int64)
    k = h.k.astype(np.int64)
    return [k[cols] @ q[i] for i, cols in enumerate(mask_to_rows(h.mask))]


def sddmm_ref(p: SddmmParams, h: SddmmHead) -> list[np.ndarray]:
    """Bit-exact expected scores: per query row an int64 array of its kept scores in ascending
    column order (empty for an all-masked row)."""
    return [requantise(a, h.scale, h.shift, p.score_width) for a in sddmm_acc(p, h)]


def saturated_positions(p: SddmmParams, h: SddmmHead) -> np.ndarray:
    """``(m, 2)`` int64 (row, col) of every kept entry whose requantised score saturated."""
    lo, hi = smin(p.score_width), smax(p.score_width)
    sat = np.zeros(h.mask.shape, dtype=bool)
    for i, (cols, a) in enumerate(zip(mask_to_rows(h.mask), sddmm_acc(p, h))):
        r = round_shift(a * int(h.scale), h.shift)
        sat[i, cols] = (r < lo) | (r > hi)
    return np.argwhere(sat).astype(np.int64)


def sddmm_float(h: SddmmHead) -> np.ndarray:
    """Independent float64 reference ``(Q Kᵀ) * scale / 2**shift`` as a dense (n_q, n_k) array,
    NaN at pruned entries (budget: module doc)."""
    s = (np.asarray(h.q, dtype=np.float64) @ np.asarray(h.k, dtype=np.float64).T)
    s = s * float(h.scale) / 2.0 ** h.shift
    return np.where(h.mask, s, np.nan)


def rows_to_dense(rows: list[np.ndarray], mask: np.ndarray, fill=0) -> np.ndarray:
    """Scatter per-row kept values (ascending columns) back into a dense (n_q, n_k) array."""
    out = np.full(mask.shape, fill, dtype=np.result_type(np.int64, np.asarray(fill).dtype))
    for i, (cols, v) in enumerate(zip(mask_to_rows(mask), rows)):
        if len(v) != len(cols):
            raise ValueError(f"sddmm: row {i} has {len(v)} values for {len(cols)} kept columns")
        out[i, cols] = v
    return out


def macs(p: SddmmParams, mask: np.ndarray) -> int:
    """Useful multiply-accumulates of a head: ``head_dim`` per kept entry."""
    check_dense_mask(mask)
    return int(mask.sum()) * p.head_dim


# -- stimulus -----------------------------------------------------------------------------------
def useful_requant(p: SddmmParams, rng: np.random.Generator) -> tuple[int, int]:
    """A random (scale, shift) that maps typical scores into the ``score_width`` range, so most
    outputs are neither saturated nor zero.

    A product of two uniform operands has RMS ``2**(2w-2)/3``; a d-sum grows like sqrt(d). We
    aim the RMS of ``acc * scale`` at the top bit of the score, +-2 bits of jitter (as
    :func:`models.gemm.useful_requant`)."""
    scale = int(rng.integers(1, 1 << p.scale_width))
    acc_rms_bits = (2 * p.data_width - 2) + p.head_dim.bit_length() // 2
    target = acc_rms_bits + scale.bit_length() - (p.score_width - 1) + int(rng.integers(-2, 3))
    return scale, int(np.clip(target, 0, p.max_shift))


def random_head(p: SddmmParams, rng: np.random.Generator, n_q: int, n_k: int, *,
                density: float = 0.1, mask: np.ndarray | None = None,
                extremes: bool = False, requant: bool = True) -> SddmmHead:
    """A head with uniform Q/K (or only the two extremes), the given ``mask`` or a random one
    of ``density``, and :func:`useful_requant` (or the pass-through 1, 0)."""
    if mask is None:
        mask = random_mask(rng, n_q, n_k, density)
    lo, hi = smin(p.data_width), smax(p.data_width)
    if extremes:
        q = rng.choice([lo, hi], size=(n_q, p.head_dim))
        k = rng.choice([lo, hi], size=(n_k, p.head_dim))
    else:
        q = rng.integers(lo, hi + 1, size=(n_q, p.head_dim))
        k = rng.integers(lo, hi + 1, size=(n_k, p.head_dim))
    scale, shift = useful_requant(p, rng) if requant else (1, 0)
    return SddmmHead(q.astype(np.int64), k.astype(np.int64), mask, scale, shift)
