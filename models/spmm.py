"""SpMM ``O = P · V`` with P sparse in the attention row format: parameters and golden model.

One transaction is one attention *head*: per query row the kept key columns (the row format of
:mod:`models.attn_mask`) with one probability each, and ``v`` (n_k x d) signed ``data_width``.
A probability is unsigned ``prob_width`` bits, UQ0.prob_width: the integer ``p`` stands for
``p / 2**prob_width`` (so 1.0 itself is not representable; :func:`quantise_probs` saturates it
to ``2**prob_width - 1``). For every query row i and output column c::

    acc[i, c] = sum_{j kept in row i} p[i, j] * v[j, c]           (exact, acc_width bits)
    o[i, c]   = saturate(round_shift(acc * scale, shift), data_width)

which is :func:`models.gemm.requantise` (round half up, then saturate). An all-masked row has
``acc = 0`` and so ``o = 0``. ``scale = 1, shift = prob_width`` keeps O in V's units
(:func:`unit_requant`). The accumulator never overflows: :class:`SpmmParams` refuses an
``acc_width`` too narrow for ``max_keys`` products ``(2**pw - 1) * (-2**(dw-1))``.

Budget 1: same integer P (:func:`spmm_float`)
    ``x = (P_int · V) * scale / 2**shift`` in float64 is exact (all partial sums are integers
    below 2**53 for every config in ``CONFIGS``: ``acc_bits_needed + scale_width <= 53``), and
    the model returns ``clamp(floor(x + 1/2))``, so ``|o - x| <= 0.5 LSB`` unless saturated
    (``x >= smax + 1/2`` or ``x < smin - 1/2``, listed by :func:`saturated_positions`).

Budget 2: end to end, P a quantised softmax (:func:`e2e_budget`)
    Let ``p_f`` be the float probabilities of a row's kept entries (sum <= 1), quantised by
    :func:`quantise_probs` (round half up of ``p_f * 2**pw``, saturated at ``2**pw - 1``), and
    the head requantised with :func:`unit_requant`. The reference is ``y = sum_j p_f[j] v[j, c]``
    in float64. Per element ``e_j = p_int[j] / 2**pw - p_f[j]``:

    * not saturated: ``|e_j| <= 2**-(pw+1)`` (rounding), and ``|e_j| <= p_f[j]`` (rounding
      down to 0 errs by ``p_f``; rounding up to ``p_int >= 1`` needs ``p_f >= 2**-(pw+1)``);
    * saturated (``p_f > 1 - 2**-(pw+1)``, at most one per row): ``|e_j| <= 2**-pw``, which is
      also ``<= p_f[j]``.

    ``acc / 2**pw = y + sum_j e_j v[j, c]``; the requantiser's rounding adds at most 1/2; the
    output clamp is 1-Lipschitz, so it adds at most the distance of ``y`` from ``[smin, smax]``,
    which is 0 when ``sum p_f <= 1`` (``smin * sum p_f <= y <= smax * sum p_f``) and at most
    ``2**(dw-1) * (sum p_f - 1)`` for float rows that sum to slightly more than 1. Per output
    element, in LSBs of V::

        |o[i, c] - y[i, c]| <= 1/2 + sum_j min(b_j, p_f[j]) * |v[j, c]|
                                   + 2**(dw-1) * max(0, sum_j p_f[j] - 1)
                               b_j = 2**-(pw+1), or 2**-pw where the quantiser saturates
                            <= 1/2 + 2**(dw-1) * min(nnz_i * 2**-(pw+1), 1)
                               (closed form: sum p_f <= 1 and no P saturated)

    :func:`e2e_budget` returns the first (data-dependent, tighter) bound.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.attn_load import (
    AttnHeadParams,
    check_load,
    decode_load,
    encode_load,
)
from models.attn_mask import (
    Beat,
    check_mask_rows,
    col_width,
    decode_value_row,
    encode_value_row,
    mask_to_rows,
    random_mask,
    rows_to_mask,
)
from models.fixed import round_shift, smax, smin, unpack_rows
from models.gemm import requantise
from models.params import BlockParams, ParamError


def spmm_acc_bits_needed(data_width: int, prob_width: int, max_keys: int) -> int:
    """Smallest signed width holding ``max_keys`` products of an unsigned ``prob_width``-bit P
    and a signed ``data_width``-bit V: ``|sum| <= max_keys * (2**pw - 1) * 2**(dw-1)``."""
    bound = max_keys * ((1 << prob_width) - 1) * (1 << (data_width - 1))
    return bound.bit_length() + 1  # +1: sign bit


@dataclasses.dataclass(frozen=True)
class SpmmParams(AttnHeadParams, BlockParams):
    """Sparse-probability x dense-V engine configuration.

    head_dim     -- d, the columns of V and of the output
    max_keys     -- most keys (n_k, rows of V) a head may have; sizes the column index
    data_width   -- V element and output width (signed)
    prob_width   -- P element width (unsigned, UQ0.prob_width)
    acc_width    -- accumulator width (signed); must hold ``max_keys`` extreme products
    scale_width  -- width of the unsigned per-head requantisation multiplier
    """

    BLOCK = "spmm"
    TAG_FIELDS = (("d", "head_dim"), ("k", "max_keys"), ("w", "data_width"),
                  ("p", "prob_width"), ("a", "acc_width"))

    head_dim: int = 64
    max_keys: int = 256
    data_width: int = 8
    prob_width: int = 8
    acc_width: int = 32
    scale_width: int = 16

    def validate(self) -> None:
        self.validate_head()
        self.require_range("prob_width", 1, 16)
        need = spmm_acc_bits_needed(self.data_width, self.prob_width, self.max_keys)
        self.validate_acc(need, f"max_keys={self.max_keys} products of {self.prob_width}-bit "
                          f"P and {self.data_width}-bit V")

    def port_widths(self) -> dict[str, int]:
        return {"s_axis_v_tdata": self.row_width,
                "s_axis_v_tuser": self.load_user_width,
                "s_axis_p_tdata": self.col_width + self.prob_width, "s_axis_p_tuser": 2,
                "m_axis_o_tdata": self.row_width}

    @property
    def p_one(self) -> int:
        """The integer that would stand for probability 1.0 (one above the largest P)."""
        return 1 << self.prob_width


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


# -- stream format of P: one valued row packet per query row -----------------------------------
def encode_probs(p: SpmmParams, h: SpmmHead) -> list[list[Beat]]:
    """P packets: row i carries its (column, probability) pairs, P unsigned ``prob_width``
    (:func:`models.attn_mask.encode_value_row`)."""
    return [encode_value_row(c, pr, p.max_keys, p.prob_width, False, i)
            for i, (c, pr) in enumerate(zip(h.cols, h.probs))]


def decode_probs(p: SpmmParams, packets) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Inverse of :func:`encode_probs` -> (cols, probs) per row."""
    rows = [decode_value_row(b, p.max_keys, p.prob_width, False, i)
            for i, b in enumerate(packets)]
    return [c for c, _ in rows], [v for _, v in rows]


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


# -- the RTL's streams (rtl/spmm.py): a head is a V load, then one P packet per query row ----
LAST_ROW = 2  # s_axis_p tuser bit 1 (on every beat of the row): the head's last query row
#: s_axis_p tuser bit 0: EMPTY, as in models/attn_mask.py


@dataclasses.dataclass
class VLoad:
    """The values of a head (n_k, d) and its requantisation: one beat per key on ``s_axis_v``."""

    v: np.ndarray
    scale: int = 1
    shift: int = 0


@dataclasses.dataclass
class PRow:
    """One query row of P: kept columns (ascending), their probabilities, whether it is the
    head's last row, and the head's key count ``n_k`` (the encoder's range check)."""

    cols: np.ndarray
    probs: np.ndarray
    last: bool
    n_k: int


def head_txns(p: SpmmParams, h: SpmmHead) -> tuple[VLoad, list[PRow]]:
    check_head(p, h)
    return (VLoad(h.v, h.scale, h.shift),
            [PRow(np.asarray(c), np.asarray(pr), i == h.n_q - 1, h.n_k)
             for i, (c, pr) in enumerate(zip(h.cols, h.probs))])


def encode_v(p: SpmmParams, t: VLoad) -> list[Beat]:
    """The V load in the family's load format (:mod:`models.attn_load`): value row j on beat
    j, tlast on the last, tuser = scale | shift << scale_width (sampled on tlast)."""
    return encode_load(p, t.v, t.scale, t.shift, "spmm", "V")


def decode_v(p: SpmmParams, beats: list[Beat]) -> VLoad:
    return VLoad(*decode_load(p, beats))


def encode_p(p: SpmmParams, t: PRow) -> list[Beat]:
    """The row's valued packet (``col | prob << col_width``, models/attn_mask.py), with
    LAST_ROW on every beat of the head's last row."""
    if t.n_k > p.max_keys:
        raise ValueError(f"spmm: a head has at most max_keys={p.max_keys} keys (got {t.n_k})")
    beats = encode_value_row(t.cols, t.probs, t.n_k, p.prob_width, False)
    w_head, w_max = col_width(t.n_k), p.col_width
    if w_head != w_max:  # re-pack at the block's column width
        beats = [((d & ((1 << w_head) - 1)) | ((d >> w_head) << w_max), last, u)
                 for d, last, u in beats]
    flag = LAST_ROW if t.last else 0
    return [(d, last, u | flag) for d, last, u in beats]


def decode_p(p: SpmmParams, beats: list[Beat]) -> PRow:
    last = bool(beats[-1][2] & LAST_ROW)
    cols, probs = decode_value_row([(d, la, u & ~LAST_ROW) for d, la, u in beats],
                                   p.max_keys, p.prob_width, False)
    return PRow(cols, probs, last, p.max_keys)


def decode_out(p: SpmmParams, beats: list[Beat]) -> np.ndarray:
    """One output beat: the requantised row O[i, :] (d signed data_width elements)."""
    return unpack_rows([d for d, _, _ in beats], p.head_dim, p.data_width)


def row_out(p: SpmmParams, t: VLoad, r: PRow) -> np.ndarray:
    """Bit-exact output of one query row, as :func:`decode_out` gives it: shape (1, d)."""
    cols = np.asarray(r.cols, dtype=np.int64)
    acc = np.asarray(r.probs, dtype=np.int64) @ np.asarray(t.v, dtype=np.int64)[cols] \
        if cols.size else np.zeros(p.head_dim, dtype=np.int64)
    return requantise(np.asarray(acc, dtype=np.int64), t.scale, t.shift, p.data_width)[None, :]


def expected_cycles(p: SpmmParams, lens: list[int]) -> int:
    """Cycles from a head's first P handshake to its last output handshake, inclusive, with no
    stalls: one edge per P beat (an all-masked row has one), then the last row leaves the edge
    after its load."""
    return sum(max(n, 1) for n in lens) + 1


def output_latency(p: SpmmParams) -> int:
    """A row's output register loads on its last P beat and leaves on the next edge."""
    return 2


__all__ = ["LAST_ROW", "PRow", "VLoad", "decode_out", "decode_p", "decode_v", "encode_p",
           "encode_v", "expected_cycles", "head_txns", "output_latency", "row_out",
           "ParamError", "SpmmHead", "SpmmParams", "check_head", "decode_probs", "e2e_budget",
           "e2e_closed_form", "e2e_float", "encode_probs", "head_from_dense", "macs",
           "masked_softmax", "quantise_probs", "random_head", "saturated_positions",
           "spmm_acc", "spmm_acc_bits_needed", "spmm_float", "spmm_ref", "unit_requant",
           "useful_requant"]


#: named corners: one key, typical ViT head, DeiT's 197 keys with a non-power-of-two head, the
#: largest we regress
CONFIGS = {
    "min": SpmmParams(head_dim=1, max_keys=1, data_width=2, prob_width=1, acc_width=4,
                      scale_width=1),
    "typical": SpmmParams(head_dim=64, max_keys=256),
    "non_pow2": SpmmParams(head_dim=24, max_keys=197),
    "max": SpmmParams(head_dim=128, max_keys=1024, prob_width=10, acc_width=32),
}
