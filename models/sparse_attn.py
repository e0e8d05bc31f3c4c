"""``sparse_attn``: one sparse attention head, ``O = softmax_mask(Q Kᵀ) V``, as the chain of the
family's three engines on chip: parameters, transactions, bit-exact model, float reference and
its derived error budget.

A head is a K load and a V load (one row per key, each with its requantisation pair), then per
query row one Q beat and the row's mask packet (models/attn_mask.py). The model is the
composition of the three block models, exactly as the RTL chains the blocks::

    s   = models.sddmm.row_out(q_i, K, mask_i)          kept scores, base-2 log domain
    p   = models.softmax.softmax_ref(s)                 UQ0.P probabilities, one per score
    o_i = models.spmm.row_out(p, V)                     requantised to data_width

so a row's output is one (1, d) array, and an all-masked row gives zeros (sddmm's EMPTY beat
becomes softmax's EMPTY row, then spmm's zero row).

Float reference (:func:`attn_float`) and budget (:func:`attn_budget`)
    With ``x_j = (q_i · k_j) * s_scale / 2**s_shift`` (exact in float64 for every config: the
    sddmm bound), ``pf = softmax(x * ln2 / 2**F)`` over the kept j (F = frac_bits) and
    ``c = 2**P * o_scale / 2**o_shift`` (P = prob_width), the reference is
    ``y_i = c * sum_j pf_j v_j``. The integer pipeline differs in three places:

    * sddmm rounds each score: ``|x_int - x| <= 1/2`` LSB when no score saturates (a saturated
      score has no bound: :func:`saturated_scores` lists them, the budget refuses such rows).
      Each log2-domain logit moves by at most ``2**-(F+1)``, so every ratio ``u_j / U`` of the
      softmax moves by a factor in ``[2**-(2**-F), 2**(2**-F)]``:
      ``|pf(x_int)_j - pf_j| <= pf_j * (2**(2**-F) - 1)``;
    * softmax: ``|p_int_j - 2**P pf(x_int)_j| <= models.softmax.error_bound`` (evaluated at the
      upper bound ``min(1, pf_j * 2**(2**-F))`` of ``pf(x_int)_j``: the bound grows with it);
    * spmm: ``o = clamp(round(acc * o_scale / 2**o_shift))`` with ``acc = sum_j p_int_j v_j``
      exact: the rounding adds 1/2, the clamp is 1-Lipschitz and adds at most the distance of
      ``y`` from ``[smin, smax]`` (0 when ``c <= 1``, since ``sum pf = 1``).

    Per output element, in LSBs of the output::

        |o_ic - y_ic| <= 1/2 + c * sum_j E_j |v_jc| + dist(y_ic, [smin, smax])
        E_j = error_bound_j / 2**P + pf_j * (2**(2**-F) - 1)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from models import sddmm as sd
from models import softmax as sm
from models import spmm as mm
from models.attn_load import check_load
from models.attn_mask import check_dense_mask, mask_to_rows, random_mask
from models.fixed import smax, smin
from models.params import BlockParams, ParamError

#: The softmax row unit holds a whole row (models.softmax.MAX_LEN): the head's key count is
#: bounded by it.
MAX_KEYS = sm.MAX_LEN
#: log2 units from the largest score of a random head to zero (:func:`score_requant`): e**-5.5
#: at the far end, so a random row is neither one-hot nor flat
SPREAD_LOG2 = 3


@dataclasses.dataclass(frozen=True)
class SparseAttnParams(BlockParams):
    """Sparse attention head configuration (the three engines' parameters in one place).

    head_dim     -- d: the Q/K reduction length and the V / output columns
    max_keys     -- most keys a head may have (<= the softmax's longest row)
    data_width   -- Q, K, V and output element width (signed)
    acc_width    -- score accumulator width of the SDDMM (signed)
    score_width  -- score width = softmax input width (signed, base-2 log domain)
    frac_bits, lut_bits, exp_bits, prob_width, recip_bits, norm_bits
                 -- the softmax unit's arithmetic (models/softmax.py)
    o_acc_width  -- SpMM accumulator width (signed)
    scale_width  -- width of both per-head requantisation multipliers
    kv_banks     -- banks of the SDDMM's K and the SpMM's V memories (build time, 1 or 2):
                    with 2 the next head's K and V load into the idle banks while the current
                    head computes (models/load_banks.py; tag ``b2``)
    """

    BLOCK = "sparse_attn"
    TAG_FIELDS = (("d", "head_dim"), ("k", "max_keys"), ("w", "data_width"),
                  ("a", "acc_width"), ("s", "score_width"), ("f", "frac_bits"),
                  ("l", "lut_bits"), ("e", "exp_bits"), ("p", "prob_width"),
                  ("r", "recip_bits"), ("q", "norm_bits"), ("o", "o_acc_width"))
    TAG_SUFFIX_FIELDS = (("b", "kv_banks"),)

    head_dim: int = 64
    max_keys: int = 256
    data_width: int = 8
    acc_width: int = 32
    score_width: int = 16
    frac_bits: int = 8
    lut_bits: int = 8
    exp_bits: int = 15
    prob_width: int = 8
    recip_bits: int = 6
    norm_bits: int = 16
    o_acc_width: int = 32
    scale_width: int = 16
    kv_banks: int = 1

    def validate(self) -> None:
        self.require_range("max_keys", 1, MAX_KEYS)
        # each engine validates its own share and names the rule; re-raise under our name
        for build in (self._sddmm, self._softmax, self._spmm):
            try:
                build()
            except ParamError as e:
                self.fail(f"the {str(e).split(':')[0]} engine refuses this config: "
                          f"{str(e).split(': ', 1)[1]}", self.tag)

    # -- the three engines ------------------------------------------------------------------------
    def _sddmm(self) -> sd.SddmmParams:
        return sd.SddmmParams(head_dim=self.head_dim, max_keys=self.max_keys,
                              data_width=self.data_width, acc_width=self.acc_width,
                              score_width=self.score_width, scale_width=self.scale_width,
                              kv_banks=self.kv_banks)

    def _softmax(self) -> sm.SoftmaxParams:
        return sm.SoftmaxParams(in_width=self.score_width, frac_bits=self.frac_bits,
                                lut_bits=self.lut_bits, exp_bits=self.exp_bits,
                                prob_width=self.prob_width, max_len=self.max_keys,
                                recip_bits=self.recip_bits, norm_bits=self.norm_bits)

    def _spmm(self) -> mm.SpmmParams:
        return mm.SpmmParams(head_dim=self.head_dim, max_keys=self.max_keys,
                             data_width=self.data_width, prob_width=self.prob_width,
                             acc_width=self.o_acc_width, scale_width=self.scale_width,
                             kv_banks=self.kv_banks)

    @property
    def sddmm(self) -> sd.SddmmParams:
        return self._sddmm()

    @property
    def softmax(self) -> sm.SoftmaxParams:
        return self._softmax()

    @property
    def spmm(self) -> mm.SpmmParams:
        return self._spmm()

    @property
    def col_width(self) -> int:
        return self.sddmm.col_width

    @property
    def row_width(self) -> int:
        return self.head_dim * self.data_width

    def port_widths(self) -> dict[str, int]:
        a, b = self.sddmm.port_widths(), self.spmm.port_widths()
        return {**{k: v for k, v in a.items() if k.startswith("s_axis")},
                "s_axis_v_tdata": b["s_axis_v_tdata"], "s_axis_v_tuser": b["s_axis_v_tuser"],
                "m_axis_o_tdata": b["m_axis_o_tdata"]}


# -- a head ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class AttnHead:
    """One transaction: ``q`` (n_q, d), ``k`` and ``v`` (n_k, d), a bool ``mask`` (n_q, n_k),
    the score requantisation (``s_scale``, ``s_shift``: into the softmax's base-2 log domain,
    i.e. folding ``log2(e) / sqrt(d) * 2**F``) and the output one (``o_scale``, ``o_shift``)."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    mask: np.ndarray
    s_scale: int = 1
    s_shift: int = 0
    o_scale: int = 1
    o_shift: int = 0

    @property
    def n_q(self) -> int:
        return int(self.q.shape[0])

    @property
    def n_k(self) -> int:
        return int(self.k.shape[0])

    def sddmm_head(self) -> sd.SddmmHead:
        return sd.SddmmHead(self.q, self.k, self.mask, self.s_scale, self.s_shift)


def check_head(p: SparseAttnParams, h: AttnHead) -> None:
    """Raise ``ValueError`` naming the rule a head breaks (every engine's rules)."""
    sd.check_head(p.sddmm, h.sddmm_head())
    check_load(p.spmm, h.v, h.o_scale, h.o_shift, "spmm", "V")  # shape, range, requant
    if h.v.shape[0] != h.n_k:
        raise ValueError(f"sparse_attn: V must have one row per key ({h.n_k}; got "
                         f"{h.v.shape[0]})")


# -- the bit-exact model --------------------------------------------------------------------------
def row_out(p: SparseAttnParams, k: sd.KLoad, v: mm.VLoad, q: sd.QRow,
            m: sd.MaskRow) -> np.ndarray:
    """Bit-exact output of one query row, shape (1, d), as ``models.spmm.decode_out`` gives it."""
    s = sd.row_out(p.sddmm, k, q, m)
    probs = np.zeros(0, np.int64)
    if not s["empty"]:
        probs = sm.softmax_ref(p.softmax, sm.SoftmaxRow(s["s"]))["p"]
    return mm.row_out(p.spmm, v, mm.PRow(s["col"], probs, q.last, m.n_k))


def attn_ref(p: SparseAttnParams, h: AttnHead) -> np.ndarray:
    """Bit-exact output of a head: (n_q, d) int64."""
    k, v, qs, ms = head_txns(p, h)
    return np.concatenate([row_out(p, k, v, q, m) for q, m in zip(qs, ms)])


def row_scores(p: SparseAttnParams, h: AttnHead) -> list[np.ndarray]:
    """The integer scores between the engines (per row, ascending kept columns)."""
    return sd.sddmm_ref(p.sddmm, h.sddmm_head())


def saturated_scores(p: SparseAttnParams, h: AttnHead) -> np.ndarray:
    """(m, 2) (row, col) of every kept score the SDDMM saturated (outside the budget)."""
    return sd.saturated_positions(p.sddmm, h.sddmm_head())


# -- float reference and budget -------------------------------------------------------------------
def _scores_float(h: AttnHead) -> np.ndarray:
    return sd.sddmm_float(h.sddmm_head())


def _probs_float(p: SparseAttnParams, h: AttnHead) -> np.ndarray:
    x = _scores_float(h)
    logits = np.where(h.mask, np.nan_to_num(x) * math.log(2.0) / (1 << p.frac_bits), 0.0)
    return mm.masked_softmax(logits, h.mask)


def _out_gain(p: SparseAttnParams, h: AttnHead) -> float:
    return (1 << p.prob_width) * h.o_scale / 2.0 ** h.o_shift


def attn_float(p: SparseAttnParams, h: AttnHead) -> np.ndarray:
    """Independent float64 reference (module doc): ``c * softmax_mask(x ln2 / 2**F) @ v``."""
    return _out_gain(p, h) * (_probs_float(p, h) @ np.asarray(h.v, dtype=np.float64))


def attn_budget(p: SparseAttnParams, h: AttnHead) -> np.ndarray:
    """Per-element bound on ``|attn_ref - attn_float|`` (n_q, d), in output LSBs (module doc).
    Refuses a head with a saturated score (no bound exists there)."""
    sat = saturated_scores(p, h)
    if len(sat):
        raise ValueError(f"sparse_attn: {len(sat)} scores saturate (first at row, col "
                         f"{tuple(int(x) for x in sat[0])}); the budget holds only without "
                         "score saturation")
    pf = _probs_float(p, h)
    grow = 2.0 ** (2.0 ** -p.frac_bits)
    e = np.zeros_like(pf)
    for i, cols in enumerate(mask_to_rows(h.mask)):
        if cols.size:
            hi = np.minimum(pf[i, cols] * grow, 1.0)
            e[i, cols] = (sm.error_bound(p.softmax, hi) / (1 << p.prob_width)
                          + pf[i, cols] * (grow - 1.0))
    y = attn_float(p, h)
    lo, hi_ = smin(p.data_width), smax(p.data_width)
    dist = np.maximum(y - hi_, 0.0) + np.maximum(lo - y, 0.0)
    return 0.5 + _out_gain(p, h) * (e @ np.abs(np.asarray(h.v, dtype=np.float64))) + dist


# -- streams (the engines' own formats: K, Q, mask as sddmm; V as spmm; O as spmm) ----------------
K_PREFIX, V_PREFIX, Q_PREFIX, M_PREFIX, O_PREFIX = (
    "s_axis_k", "s_axis_v", "s_axis_q", "s_axis_m", "m_axis_o")


def head_txns(p: SparseAttnParams, h: AttnHead):
    """A head as the block's input transactions: (KLoad, VLoad, [QRow], [MaskRow])."""
    check_head(p, h)
    k, qs, ms = sd.head_txns(p.sddmm, h.sddmm_head())
    return k, mm.VLoad(h.v, h.o_scale, h.o_shift), qs, ms


def encode_k(p: SparseAttnParams, t: sd.KLoad):
    return sd.encode_k(p.sddmm, t)


def decode_k(p: SparseAttnParams, beats):
    return sd.decode_k(p.sddmm, beats)


def encode_v(p: SparseAttnParams, t: mm.VLoad):
    return mm.encode_v(p.spmm, t)


def decode_v(p: SparseAttnParams, beats):
    return mm.decode_v(p.spmm, beats)


def encode_q(p: SparseAttnParams, t: sd.QRow):
    return sd.encode_q(p.sddmm, t)


def decode_q(p: SparseAttnParams, beats):
    return sd.decode_q(p.sddmm, beats)


def encode_m(p: SparseAttnParams, t: sd.MaskRow):
    return sd.encode_m(p.sddmm, t)


def decode_m(p: SparseAttnParams, beats):
    return sd.decode_m(p.sddmm, beats)


def decode_out(p: SparseAttnParams, beats):
    return mm.decode_out(p.spmm, beats)


# -- stimulus -------------------------------------------------------------------------------------
def score_requant(p: SparseAttnParams, q: np.ndarray, k: np.ndarray,
                  target_bits: int | None = None) -> tuple[int, int]:
    """(s_scale, s_shift) of a head that maps its largest ``|q · k|`` to at most
    ``2**target_bits`` score LSBs, so no score saturates (``target_bits <= score_width - 2``).
    The default ``min(score_width - 2, frac_bits + SPREAD_LOG2)`` gives the softmax a spread
    of ``2**SPREAD_LOG2`` log2 units between the largest and the smallest score: neither
    one-hot nor flat. The scale is the largest with ``scale * peak / 2**shift <= 2**target``
    and at least half the scale range (most resolution)."""
    if target_bits is None:
        target_bits = min(p.score_width - 2, p.frac_bits + SPREAD_LOG2)
    if not 0 <= target_bits <= p.score_width - 2:
        raise ValueError(f"sparse_attn: target_bits must be in [0, score_width - 2 = "
                         f"{p.score_width - 2}] (got {target_bits})")
    peak = max(int(np.abs(np.asarray(q, np.int64) @ np.asarray(k, np.int64).T).max()), 1)
    top = (1 << p.scale_width) - 1
    for shift in range(p.sddmm.max_shift + 1):
        scale = (1 << (target_bits + shift)) // peak
        if scale > top:  # only at shift 0: floor(2x) <= 2 floor(x) + 1 <= top after that
            return top, 0
        if scale >= (top + 1) >> 1:
            return max(scale, 1), shift
    return max(scale, 1), p.sddmm.max_shift


def random_head(p: SparseAttnParams, rng: np.random.Generator, n_q: int, n_k: int, *,
                density: float = 0.1, mask: np.ndarray | None = None,
                extremes: bool = False, spread_bits: int | None = None) -> AttnHead:
    """A head with uniform Q/K/V (or only their extremes), the given ``mask`` or a random one,
    a score requantisation that does not saturate (:func:`score_requant`; ``spread_bits`` sets
    how far the largest score reaches) and the unit output requantisation (O in V's units)."""
    if mask is None:
        mask = random_mask(rng, n_q, n_k, density)
    check_dense_mask(mask, (n_q, n_k))
    lo, hi = smin(p.data_width), smax(p.data_width)

    def draw(n):
        if extremes:
            return rng.choice([lo, hi], size=(n, p.head_dim)).astype(np.int64)
        return rng.integers(lo, hi + 1, size=(n, p.head_dim)).astype(np.int64)

    q, k, v = draw(n_q), draw(n_k), draw(n_k)
    s_scale, s_shift = score_requant(p, q, k, spread_bits)
    o_scale, o_shift = mm.unit_requant(p.spmm)
    return AttnHead(q, k, v, mask, s_scale, s_shift, o_scale, o_shift)


#: depth of the row-flag FIFO (rtl/sparse_attn.py): the query rows the SDDMM can hold
#: between accepting a row's Q beat and emitting its last score -- the row whose last score
#: sits in the output register, the current row, the next row's Q in the skid
ROW_FLAGS = 3


def col_fifo_depth(p: SparseAttnParams) -> int:
    """Entries of the column FIFO between the split and the join: every score inside the
    softmax has its column waiting there, so it must hold as many as the softmax can (its
    ring's slots, the emit pipeline's registers and the output register); fewer would stall
    the SDDMM while the softmax still has room (and below one row, deadlock: the softmax emits
    a row only after its last score)."""
    return p.softmax.ring_slots + sm.EMIT_PIPE + 1


def expected_cycles(p: SparseAttnParams, heads: list[tuple[int, list[int]]]) -> int:
    """Cycles from the first Q handshake to the last output handshake, inclusive, with no
    stalls, of ``heads`` = [(n_k, [kept keys per row])] sent back to back on all four streams:
    the clock-by-clock twin of models/sparse_attn_cycles.py (why not a formula: there)."""
    from models.sparse_attn_cycles import simulate

    return simulate(heads, ring_slots=p.softmax.ring_slots, max_len=p.max_keys,
                    col_fifo=col_fifo_depth(p), row_flags=ROW_FLAGS,
                    kv_banks=p.kv_banks)["busy"]


def output_latency(p: SparseAttnParams) -> int:
    """Longest no-stall time from a row's last input beat to its output: the SDDMM's output
    register, the softmax's own latency, the join into the SpMM and its output register."""
    return (sd.output_latency(p.sddmm) + sm.output_latency(p.softmax)
            + mm.output_latency(p.spmm) + 2)


__all__ = ["K_PREFIX", "MAX_KEYS", "M_PREFIX", "O_PREFIX", "Q_PREFIX", "ROW_FLAGS", "V_PREFIX",
           "AttnHead", "SparseAttnParams", "attn_budget", "attn_float", "attn_ref", "check_head",
           "col_fifo_depth", "decode_k", "decode_m", "decode_out", "decode_q", "decode_v",
           "encode_k", "encode_m", "encode_q", "encode_v", "expected_cycles", "head_txns",
           "output_latency", "random_head", "row_out", "row_scores", "saturated_scores",
           "score_requant"]


#: named corners: one key of one element at every engine's floor widths; a ViT head (d = 64,
#: up to 256 keys: a DeiT head's 197 fit); DeiT-like odd sizes; the widest head we regress
#: (typical and non_pow2 with two K/V banks, the second starting at row 197 in non_pow2; min
#: and max with one)
CONFIGS = {
    "min": SparseAttnParams(head_dim=1, max_keys=1, data_width=2, acc_width=4, score_width=4,
                            frac_bits=2, lut_bits=1, exp_bits=6, prob_width=4, recip_bits=1,
                            norm_bits=8, o_acc_width=6, scale_width=1),
    "typical": SparseAttnParams(kv_banks=2),
    "non_pow2": SparseAttnParams(head_dim=24, max_keys=197, score_width=12, frac_bits=5,
                                 lut_bits=3, exp_bits=11, prob_width=7, recip_bits=5,
                                 norm_bits=13, kv_banks=2),
    "max": SparseAttnParams(head_dim=128, max_keys=256, acc_width=32, score_width=20,
                            prob_width=10),
}
