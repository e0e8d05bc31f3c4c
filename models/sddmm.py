"""SDDMM ``S = (Q Kᵀ) ⊙ mask``: parameters, transaction and bit-exact golden model.

One transaction is one attention *head*: ``q`` (n_q x d) and ``k`` (n_k x d) signed
``data_width``-bit, a bool mask (n_q x n_k, True = kept, :mod:`models.attn_mask`) and a
requantisation pair. Only kept entries are computed: for every kept (i, j)::

    acc[i, j] = sum_t q[i, t] * k[j, t]                            (exact, acc_width bits)
    s[i, j]   = saturate(round_shift(acc * scale, shift), score_width)

which is :func:`models.gemm.requantise` (round half up, then saturate; models/fixed.py).
``scale = 1, shift = 0`` passes the accumulator through (saturated to ``score_width``). The
result of a head is one int64 array per query row holding its kept scores in ascending column
order, i.e. the value list of the row packet (:func:`models.attn_mask.encode_value_row`, signed
``score_width`` values; an all-masked row is an empty array / one EMPTY beat).

Error budget against the float64 reference (:func:`sddmm_float`)
    ``x = (q_i · k_j) * scale / 2**shift`` is computed exactly in float64 when
    ``acc_bits_needed + scale_width <= 53`` (every partial sum is an integer below 2**53 and the
    division by a power of two is exact), which holds for every config in ``CONFIGS``. The model
    returns ``clamp(floor(x + 1/2), smin, smax)``. Without saturation ``|floor(x + 1/2) - x| <=
    1/2``, so::

        |s - x| <= 0.5 LSB     whenever  smin - 1/2 <= x < smax + 1/2   (not saturated)

    and otherwise ``s`` is the clamp (``smax`` for ``x >= smax + 1/2``, ``smin`` for
    ``x < smin - 1/2``) and the error is ``|x - s| > 1/2``. Saturated positions are never
    silent: :func:`saturated_positions` lists them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.attn_load import (
    AttnHeadParams,
    check_load,
    decode_load,
    encode_load,
    load_user,
)
from models.attn_mask import (
    EMPTY,
    Beat,
    check_dense_mask,
    decode_mask_row,
    decode_value_row,
    encode_mask_row,
    encode_value_row,
    mask_to_rows,
    random_mask,
)
from models.fixed import check_signed, pack, round_shift, smax, smin, unpack
from models.gemm import acc_bits_needed, requantise
from models.params import BlockParams, ParamError

#: float64 represents every integer below 2**53 exactly: the float reference is exact below it.
FLOAT64_EXACT_BITS = 53
#: error budget of the requantised score against the exact rational (module doc)
SDDMM_BUDGET_LSB = 0.5


@dataclasses.dataclass(frozen=True)
class SddmmParams(AttnHeadParams, BlockParams):
    """Masked Q·Kᵀ engine configuration.

    head_dim     -- d, the reduction length of every score
    max_keys     -- most keys (n_k) a head may have; sizes the column index
    data_width   -- Q and K element width (signed)
    acc_width    -- accumulator width (signed); must hold ``head_dim`` extreme products
    score_width  -- output score width (signed)
    scale_width  -- width of the unsigned per-head requantisation multiplier
    """

    BLOCK = "sddmm"
    TAG_FIELDS = (("d", "head_dim"), ("k", "max_keys"), ("w", "data_width"),
                  ("a", "acc_width"), ("s", "score_width"))

    head_dim: int = 64
    max_keys: int = 256
    data_width: int = 8
    acc_width: int = 32
    score_width: int = 16
    scale_width: int = 16

    def validate(self) -> None:
        self.validate_head()
        need = acc_bits_needed(self.data_width, self.head_dim)
        self.validate_acc(need, f"head_dim={self.head_dim} products of {self.data_width}-bit "
                          "operands")
        self.require_range("score_width", 2, self.acc_width)

    def port_widths(self) -> dict[str, int]:
        return {"s_axis_k_tdata": self.row_width,
                "s_axis_k_tuser": self.load_user_width,
                "s_axis_q_tdata": self.row_width, "s_axis_q_tuser": 1,
                "s_axis_m_tdata": self.col_width, "s_axis_m_tuser": 1,
                "m_axis_s_tdata": self.col_width + self.score_width, "m_axis_s_tuser": 1}


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


# -- stream format of the output: one valued row packet per query row --------------------------
def encode_scores(p: SddmmParams, h: SddmmHead, rows: list[np.ndarray]) -> list[list[Beat]]:
    """Output packets: row i carries its kept (column, score) pairs, score ``score_width`` bits
    signed (:func:`models.attn_mask.encode_value_row`)."""
    return [encode_value_row(cols, v, p.max_keys, p.score_width, True, i)
            for i, (cols, v) in enumerate(zip(mask_to_rows(h.mask), rows))]


def decode_scores(p: SddmmParams, packets) -> list[tuple[np.ndarray, np.ndarray]]:
    """Inverse of :func:`encode_scores`: per row (cols, scores)."""
    return [decode_value_row(b, p.max_keys, p.score_width, True, i)
            for i, b in enumerate(packets)]


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


# -- the RTL's streams (rtl/sddmm.py): a head is a K load, then one Q beat and one mask packet
# per query row --------------------------------------------------------------------------------
LAST_Q = 1  # s_axis_q tuser bit 0: this is the head's last query row


@dataclasses.dataclass
class KLoad:
    """The keys of a head (n_k, d) and its requantisation: one beat per key on ``s_axis_k``."""

    k: np.ndarray
    scale: int = 1
    shift: int = 0


@dataclasses.dataclass
class QRow:
    """One query row (d,) on ``s_axis_q``; ``last``: the head's last query."""

    q: np.ndarray
    last: bool = False


@dataclasses.dataclass
class MaskRow:
    """One query row's kept key columns (ascending) on ``s_axis_m``; ``n_k`` is the head's key
    count (not on the wire: the encoder refuses a column >= n_k)."""

    cols: np.ndarray
    n_k: int


def head_txns(p: SddmmParams, h: SddmmHead) -> tuple[KLoad, list[QRow], list[MaskRow]]:
    """A head as the block's input transactions."""
    check_head(p, h)
    rows = mask_to_rows(h.mask)
    return (KLoad(h.k, h.scale, h.shift),
            [QRow(h.q[i], i == h.n_q - 1) for i in range(h.n_q)],
            [MaskRow(c, h.n_k) for c in rows])


def k_user(p: SddmmParams, t: KLoad) -> int:
    return load_user(p, t.scale, t.shift)


def encode_k(p: SddmmParams, t: KLoad) -> list[Beat]:
    """The K load in the family's load format (:mod:`models.attn_load`): key j on beat j,
    tlast on the last key, tuser = scale | shift << scale_width (sampled on tlast)."""
    return encode_load(p, t.k, t.scale, t.shift, "sddmm", "K")


def decode_k(p: SddmmParams, beats: list[Beat]) -> KLoad:
    return KLoad(*decode_load(p, beats))


def encode_q(p: SddmmParams, t: QRow) -> list[Beat]:
    """One beat: the query row, tlast 1, tuser LAST_Q on the head's last row."""
    q = np.asarray(t.q)
    if q.shape != (p.head_dim,):
        raise ValueError(f"sddmm: a query row must have shape ({p.head_dim},) (got {q.shape})")
    check_signed(q, p.data_width, "sddmm: Q")
    return [(pack(q, p.data_width), True, LAST_Q if t.last else 0)]


def decode_q(p: SddmmParams, beats: list[Beat]) -> QRow:
    return QRow(unpack(beats[0][0], p.head_dim, p.data_width), bool(beats[0][2] & LAST_Q))


def encode_m(p: SddmmParams, t: MaskRow) -> list[Beat]:
    """The row's packet in the family's mask format (models/attn_mask.py)."""
    if t.n_k > p.max_keys:
        raise ValueError(f"sddmm: a head has at most max_keys={p.max_keys} keys (got {t.n_k})")
    return encode_mask_row(t.cols, t.n_k)


def decode_m(p: SddmmParams, beats: list[Beat]) -> MaskRow:
    return MaskRow(decode_mask_row(beats, p.max_keys), p.max_keys)


def decode_out(p: SddmmParams, beats: list[Beat]) -> dict:
    """An output row packet as ``{"empty", "col", "s"}`` without validation (a malformed packet
    from the DUT must reach the comparison, not stop in the decoder): ``empty`` is the first
    beat's EMPTY flag (2 when a later beat carries one)."""
    w, sw = p.col_width, p.score_width
    flags = [u & EMPTY for _, _, u in beats]
    empty = flags[0] if flags and not any(flags[1:]) else 2
    if empty == 1:
        return {"empty": np.int64(1), "col": np.zeros(0, np.int64), "s": np.zeros(0, np.int64)}
    col = np.array([d & ((1 << w) - 1) for d, _, _ in beats], dtype=np.int64)
    v = np.array([(d >> w) & ((1 << sw) - 1) for d, _, _ in beats], dtype=np.int64)
    return {"empty": np.int64(empty), "col": col,
            "s": np.where(v >= 1 << (sw - 1), v - (1 << sw), v)}


def row_out(p: SddmmParams, k: KLoad, q: QRow, m: MaskRow) -> dict:
    """Bit-exact output packet of one query row, as :func:`decode_out` gives it."""
    cols = np.asarray(m.cols, dtype=np.int64)
    if cols.size == 0:
        return {"empty": np.int64(1), "col": cols, "s": np.zeros(0, np.int64)}
    acc = np.asarray(k.k, dtype=np.int64)[cols] @ np.asarray(q.q, dtype=np.int64)
    return {"empty": np.int64(0), "col": cols,
            "s": requantise(acc, k.scale, k.shift, p.score_width)}


#: no-stall cycles of a head besides its mask beats: the first row's Q beat (later rows' Q
#: beats are taken into the skid during the previous row's mask beats, rtl/sddmm.py), and the
#: edge on which the last output leaves after its load
FIRST_Q_CYCLES = 1
LAST_OUTPUT_CYCLES = 1


def expected_cycles(p: SddmmParams, lens: list[int]) -> int:
    """Cycles from a head's first query handshake to its last output handshake, inclusive,
    with no stalls, for rows of ``lens`` kept entries: one edge for the first row's query
    beat, then one per mask beat (an all-masked row has one; every later query beat overlaps
    the previous row's mask beats), then the last output leaves the edge after its load."""
    return FIRST_Q_CYCLES + sum(max(n, 1) for n in lens) + LAST_OUTPUT_CYCLES


def output_latency(p: SddmmParams) -> int:
    """Longest no-stall time from a row's last input beat to its last output beat: the output
    register loads on the mask beat's edge and leaves on the next."""
    return 2


__all__ = ["LAST_Q", "SDDMM_BUDGET_LSB", "KLoad", "MaskRow", "ParamError", "QRow", "SddmmHead",
           "SddmmParams", "check_head", "decode_k", "decode_m", "decode_out", "decode_q",
           "encode_k", "encode_m", "encode_q", "expected_cycles", "head_txns", "output_latency",
           "row_out",
           "decode_scores", "encode_scores", "macs", "random_head", "rows_to_dense",
           "saturated_positions", "sddmm_acc", "sddmm_float", "sddmm_ref", "useful_requant"]


#: named corners: one key of one element, ViT-typical (d = 64, 256 keys), DeiT's 197 keys with
#: a non-power-of-two head, the largest we regress
CONFIGS = {
    "min": SddmmParams(head_dim=1, max_keys=1, data_width=2, acc_width=4, score_width=4,
                       scale_width=1),
    "typical": SddmmParams(head_dim=64, max_keys=256),
    "non_pow2": SddmmParams(head_dim=24, max_keys=197),
    "max": SddmmParams(head_dim=128, max_keys=1024, acc_width=32, score_width=20),
}
