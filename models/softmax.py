"""Integer softmax over a row of kept attention scores: parameters, formats, bit-exact model.

One transaction is one *row*: the scores of the kept entries of one query row (0 to
``max_len`` of them, in key order; the masked entries are not in the stream). The output row
has the same length: one probability per kept score, masked entries are exactly 0 by never
being sent. An all-masked row is one input beat with the EMPTY flag and gives one output beat
with the EMPTY flag and probability 0.

Scores are in the **base-2 log domain**: a score ``x`` (signed ``in_width`` bits, ``frac_bits``
fractional bits) stands for ``x / 2**frac_bits * ln 2`` natural-log units, so that the unit
computes ``2**(x - max)`` with a shift and a LUT and no multiplier. The upstream requantiser
(SDDMM) folds ``log2(e) / sqrt(d)`` into its scale. The float reference is therefore
``softmax(x * ln2 / 2**frac_bits)``.

Arithmetic, exactly as the RTL does it (F = frac_bits, L = lut_bits, E = exp_bits,
Q = norm_bits, R = recip_bits, P = prob_width):

1. ``m = max(x)``; per score ``d = m - x >= 0``, ``ip = d >> F``, ``t = (d mod 2**F) >> (F - L)``
   (the top L fraction bits: truncated).
2. ``e = EXP_LUT[t] >> ip`` (0 when ``ip > E``), ``EXP_LUT[t] = round(2**E * 2**(-t / 2**L))``:
   UQ1.E, so the row max gives exactly ``2**E`` and the sum ``S >= 2**E``.
3. ``S = sum(e)``; ``z`` = index of S's top bit; ``mq`` = the top Q+1 bits of S (truncated, or
   S shifted up when it has fewer): ``mq / 2**Q`` in [1, 2).
4. Reciprocal: ``r0 = RECIP_LUT[top R fraction bits of mq]`` (``round(2**Q / mid)`` with
   ``mid`` the centre of the LUT interval), one Newton step ``t = (mq * r0) >> Q``,
   ``r1 = (r0 * (2**(Q+1) - t)) >> Q``: ``r1 / 2**Q`` ~ ``2**z / S``.
5. ``prob = min((e * r1 + 2**(sh-1)) >> sh, 2**P - 1)`` with ``sh = Q + z - P``: round half up,
   then saturate to UQ0.P (a probability of 1.0 -- a row with one kept score -- reads 2**P - 1;
   that is the format's rule, covered by a coverpoint, not a silent clip).

The error against the float reference is bounded in :func:`error_bound` (derivation there).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from models.fixed import check_integer, check_signed, smax, smin
from models.params import BlockParams, ParamError

#: Longest row we build: one DeiT attention row (197 keys) fits with room to spare.
MAX_LEN = 256
#: Widest LUT address (exp and reciprocal): 256 entries of <= 17 bits is a small ROM.
MAX_LUT_BITS = 8
#: Widest output probability: products stay within int64 for every legal config.
MAX_PROB_WIDTH = 16
#: Pipeline depths of the streaming RTL (rtl/softmax/), in clock edges; the cycle model
#: (:func:`slot_times`) and the RTL share them.
#: sum pass: ring read register, exponential register; the row sum is registered the edge after
SUM_PIPE = 2
#: reciprocal: leading one, justify + LUT, first Newton product, second product (written into
#: the row's metadata on the 4th edge after the row sum)
RECIP_PIPE = 4
#: emit pass: ring read register, exponential register, product register, output register
EMIT_PIPE = 3
#: ring slots beyond 2 max_len that make a row mix stall-free: a score waits in the ring for its
#: row to load (up to max_len edges), to be summed (up to max_len), for the sum and reciprocal
#: pipelines and for the edge on which the emit pass may read the reciprocal
RING_SLACK = SUM_PIPE + RECIP_PIPE + 1
#: Largest ring: two longest rows plus the slack, with room for a deeper ring at MAX_LEN
MAX_RING_DEPTH = 4 * MAX_LEN
EMPTY = 1  # tuser bit 0 on both streams: the row has no kept score


@dataclasses.dataclass(frozen=True)
class SoftmaxParams(BlockParams):
    """Softmax row unit configuration.

    in_width    -- score width in bits (signed, base-2 log domain)
    frac_bits   -- fractional bits of a score (F)
    lut_bits    -- fraction bits that address the exp LUT (L <= F; the rest are truncated)
    exp_bits    -- fractional bits of an exponential, UQ1.E (E)
    prob_width  -- output probability width, UQ0.P (P)
    max_len     -- most kept scores in one row (row buffer depth per bank)
    recip_bits  -- fraction bits of the normalised sum that address the reciprocal LUT (R)
    norm_bits   -- fraction bits of the normalised sum and of the reciprocal (Q >= 2R + 3)
    ring_depth  -- score ring capacity in slots (one per kept score, one per empty row); 0
                   (default) means ``2 max_len + RING_SLACK``, the least with which no mix of
                   row lengths ever stalls the input; at least ``max_len`` (a row must fit)
    """

    BLOCK = "softmax"
    TAG_FIELDS = (("w", "in_width"), ("f", "frac_bits"), ("l", "lut_bits"), ("e", "exp_bits"),
                  ("p", "prob_width"), ("n", "max_len"), ("r", "recip_bits"),
                  ("q", "norm_bits"), ("c", "ring_slots"))

    in_width: int = 16
    frac_bits: int = 8
    lut_bits: int = 8
    exp_bits: int = 15
    prob_width: int = 8
    max_len: int = 16
    recip_bits: int = 6
    norm_bits: int = 16
    ring_depth: int = 0

    def validate(self) -> None:
        self.require_range("in_width", 2, 24)
        self.require_range("frac_bits", 0, self.in_width - 1)
        self.require_range("lut_bits", 0, min(self.frac_bits, MAX_LUT_BITS))
        self.require_range("exp_bits", 2, 24)
        self.require_range("prob_width", 1, MAX_PROB_WIDTH)
        self.require_range("max_len", 1, MAX_LEN)
        self.require_range("recip_bits", 1, MAX_LUT_BITS)
        # r1 < 2**Q (the reciprocal of a normalised sum >= 1 never reads 1.0, so it fits Q
        # bits): Newton from r0 leaves 1 - r1 >= (1 - r0)**2 - 2**-Q and 1 - r0 ~ 2**-(R+1)
        self.require_range("norm_bits", 2 * self.recip_bits + 3, 24)
        self.require(self.norm_bits + self.exp_bits > self.prob_width,
                     "norm_bits + exp_bits must exceed prob_width (the output shift is "
                     "norm_bits + exp_bits - prob_width at least)",
                     self.norm_bits + self.exp_bits)
        if self.ring_depth:
            # a row's slots must all fit, or its last slot could never be written (the row
            # would never be summed and the ring never drain)
            self.require_range("ring_depth", self.max_len, MAX_RING_DEPTH)

    @property
    def ring_slots(self) -> int:
        """Score ring capacity: ``ring_depth``, or ``2 max_len + RING_SLACK`` when it is 0."""
        return self.ring_depth or 2 * self.max_len + RING_SLACK

    # -- derived widths -------------------------------------------------------------------
    @property
    def d_width(self) -> int:
        """Bits of ``max - x`` (unsigned: at most 2**in_width - 1)."""
        return self.in_width

    @property
    def ip_width(self) -> int:
        """Bits of the integer part of ``max - x``."""
        return max(self.in_width - self.frac_bits, 1)

    @property
    def e_width(self) -> int:
        """Bits of one exponential (UQ1.E: up to 2**E inclusive)."""
        return self.exp_bits + 1

    @property
    def sum_width(self) -> int:
        """Bits of the row sum: ``max_len`` exponentials of at most 2**E."""
        return (self.max_len << self.exp_bits).bit_length()

    @property
    def z_width(self) -> int:
        return max(self.sum_width - 1, 1).bit_length()

    @property
    def r_width(self) -> int:
        """Bits of a reciprocal (UQ0.Q: below 1.0, see validate)."""
        return self.norm_bits

    @property
    def len_width(self) -> int:
        return self.max_len.bit_length()

    def port_widths(self) -> dict[str, int]:
        return {"s_axis_tdata": self.in_width, "s_axis_tuser": 1,
                "m_axis_tdata": self.prob_width, "m_axis_tuser": 1}


# -- the two ROMs -------------------------------------------------------------------------------
def exp_lut(p: SoftmaxParams) -> np.ndarray:
    """``EXP_LUT[t] = round(2**E * 2**(-t / 2**L))`` for t in [0, 2**L): UQ1.E."""
    t = np.arange(1 << p.lut_bits, dtype=np.float64)
    return np.floor(np.exp2(p.exp_bits - t / (1 << p.lut_bits)) + 0.5).astype(np.int64)


def recip_lut(p: SoftmaxParams) -> np.ndarray:
    """``RECIP_LUT[j] = round(2**Q / (1 + (j + 0.5) / 2**R))``: 1/m at the centre of the j-th
    interval of the normalised sum m in [1, 2)."""
    j = np.arange(1 << p.recip_bits, dtype=np.float64)
    mid = 1.0 + (j + 0.5) / (1 << p.recip_bits)
    return np.floor((1 << p.norm_bits) / mid + 0.5).astype(np.int64)


# -- the arithmetic -----------------------------------------------------------------------------
def exp2_neg(p: SoftmaxParams, d: np.ndarray) -> np.ndarray:
    """Steps 1-2: ``e`` for ``d = max - x`` (int64 array, every value in [0, 2**in_width))."""
    d = np.asarray(d, dtype=np.int64)
    ip = d >> p.frac_bits
    t = (d & ((1 << p.frac_bits) - 1)) >> (p.frac_bits - p.lut_bits)
    e = exp_lut(p)[t] >> np.minimum(ip, p.exp_bits + 1)
    return e


def normalise(p: SoftmaxParams, s):
    """Step 3: ``(z, mq)`` of a sum ``s >= 1`` (vectorised over int64 arrays)."""
    s = np.asarray(s, dtype=np.int64)
    z = np.floor(np.log2(s.astype(np.float64))).astype(np.int64)
    # log2 of a float can land one off near powers of two: fix z so that 2**z <= s < 2**(z+1)
    z = np.where((np.int64(1) << z) > s, z - 1, z)
    z = np.where((np.int64(1) << (z + 1)) <= s, z + 1, z)
    q = p.norm_bits
    mq = np.where(z >= q, s >> np.maximum(z - q, 0), s << np.maximum(q - z, 0))
    return z, mq


def reciprocal(p: SoftmaxParams, s):
    """Steps 3-4: ``(z, r1)`` with ``r1 / 2**Q ~ 2**z / s`` (vectorised)."""
    z, mq = normalise(p, s)
    q, r = p.norm_bits, p.recip_bits
    j = (mq >> (q - r)) & ((1 << r) - 1)
    r0 = recip_lut(p)[j]
    t = (mq * r0) >> q
    r1 = (r0 * ((1 << (q + 1)) - t)) >> q
    return z, r1


@dataclasses.dataclass
class SoftmaxRow:
    """One transaction: the kept scores of one query row (int64, length 0 .. max_len)."""

    x: np.ndarray

    def __post_init__(self):
        self.x = np.asarray(self.x)

    @property
    def n(self) -> int:
        return int(self.x.size)


def check_row(p: SoftmaxParams, row: SoftmaxRow) -> None:
    """Raise ``ValueError`` naming the rule a row breaks (shape, length, integer range)."""
    if row.x.ndim != 1:
        raise ValueError(f"softmax: a row must be a 1-D array of scores (got shape "
                         f"{row.x.shape})")
    if row.n > p.max_len:
        raise ValueError(f"softmax: a row has at most max_len={p.max_len} kept scores "
                         f"(got {row.n})")
    check_integer(row.x, "softmax: scores")
    check_signed(row.x, p.in_width, "softmax: scores")


def softmax_ref(p: SoftmaxParams, row: SoftmaxRow) -> dict:
    """Bit-exact output of one row: ``{"empty": 0/1, "p": int64 probabilities}`` (an empty row
    gives ``empty = 1`` and one probability 0, its one output beat)."""
    check_row(p, row)
    if row.n == 0:
        return {"empty": np.int64(1), "p": np.zeros(1, dtype=np.int64)}
    x = row.x.astype(np.int64)
    e = exp2_neg(p, x.max() - x)
    z, r1 = reciprocal(p, np.int64(e.sum()))
    sh = p.norm_bits + int(z) - p.prob_width
    prob = (e * int(r1) + (np.int64(1) << (sh - 1))) >> sh
    return {"empty": np.int64(0), "p": np.minimum(prob, (1 << p.prob_width) - 1)}


def softmax_float(p: SoftmaxParams, x: np.ndarray) -> np.ndarray:
    """Independent float64 reference: ``softmax(x * ln2 / 2**F)`` (plain numpy, no LUTs)."""
    v = np.asarray(x, dtype=np.float64) * math.log(2.0) / (1 << p.frac_bits)
    v = np.exp(v - v.max())
    return v / v.sum()


# -- the error budget ----------------------------------------------------------------------------
def recip_error(p: SoftmaxParams) -> float:
    """Bound on ``|relative error|`` of ``r1 / 2**Q`` against ``2**z / S``.

    * ``mq`` truncates S to Q+1 bits: ``m' = m (1 - a)``, ``0 <= a < 2**-Q`` (1/m' is up to
      2**-Q too high);
    * ``r0`` is within half an interval of the centre: ``|1 - m' r0 / 2**Q| <= eps0`` with
      ``eps0 = 2**-(R+1) + 2**-Q`` (interval half-width / m >= 1, plus the LUT's rounding);
    * exact Newton gives ``1 - m' r1 = eps0**2`` (never above 1/m'); truncating ``t`` raises
      ``r1`` by at most ``2**-Q`` relative, truncating ``r1`` (>= 2**(Q-1)) lowers it by at most
      ``2 * 2**-Q``.

    Total: ``eps0**2 + 4 * 2**-Q`` (first order; tests/unit/test_model_softmax.py checks it
    exhaustively over every sum of every named config).
    """
    eps0 = 2.0 ** -(p.recip_bits + 1) + 2.0 ** -p.norm_bits
    return eps0 * eps0 + 4.0 * 2.0 ** -p.norm_bits


def error_bound(p: SoftmaxParams, probs: np.ndarray) -> np.ndarray:
    """Per-element bound on ``|prob_int - 2**P * prob_float|`` for a row of ``n`` kept scores
    whose float softmax is ``probs``.

    Write ``u_j = 2**(-(m - x_j) / 2**F)`` (so ``prob_j = u_j / U``, ``U = sum u >= 1``). The
    unit computes ``e_j = 2**E u_j (1 + a_j) + b_j`` with

    * ``0 <= a_j <= alpha = 2**((2**(F-L) - 1) / 2**F) - 1`` from the truncated LUT address
      (exponent too small by up to (2**(F-L) - 1) / 2**F: ``e`` too large), and
      ``|LUT - exact| <= 1/2`` from the LUT's rounding, i.e. ``|a_j|`` at most
      ``2**-E`` more (a LUT entry is >= 2**(E-1)); both shrink with the shift, so
      ``|a_j| <= alpha + 2**-E`` relative for every ``ip``;
    * ``-1 < b_j <= 0`` from the floor of the shift.

    Then ``S = 2**E U (1 + abar) + B`` with ``abar`` a weighted mean of the ``a_j`` and
    ``-n < B <= 0``, and ``e_j / S`` differs from ``u_j / U`` by at most
    ``prob_j * 2 (alpha + 2**-E) + (1 + prob_j n) / (2**E U)`` (first order; U >= 1). The
    reciprocal adds ``prob_j * recip_error``, the final rounding 1/2 LSB, and saturation at
    ``2**P - 1`` at most one LSB more (only where ``2**P prob_j > 2**P - 1``). A 1 %
    second-order allowance covers the products of the small terms.
    """
    probs = np.asarray(probs, dtype=np.float64)
    n = probs.size
    alpha = 2.0 ** ((2 ** (p.frac_bits - p.lut_bits) - 1) / 2 ** p.frac_bits) - 1.0
    lsb = float(1 << p.prob_width)
    rel = 2.0 * (alpha + 2.0 ** -p.exp_bits) + recip_error(p)
    absolute = (1.0 + probs * n) * 2.0 ** -p.exp_bits
    sat = np.where(lsb * probs > lsb - 1.0, 1.0, 0.0)
    return 0.5 + sat + 1.01 * lsb * (probs * rel + absolute)


# -- stream format (see rtl/softmax/ for the port table) --------------------------------------
Beat = tuple[int, bool, int]


def encode_row(p: SoftmaxParams, row: SoftmaxRow) -> list[Beat]:
    """Input beats of one row: one score per beat (two's complement), tlast on the last; an
    empty row is one beat with the EMPTY flag (tuser bit 0) and tdata 0."""
    check_row(p, row)
    if row.n == 0:
        return [(0, True, EMPTY)]
    mask = (1 << p.in_width) - 1
    return [(int(v) & mask, i == row.n - 1, 0) for i, v in enumerate(row.x.tolist())]


def decode_row(p: SoftmaxParams, beats: list[Beat]) -> SoftmaxRow:
    """Inverse of :func:`encode_row` (what the input monitor saw)."""
    if len(beats) == 1 and beats[0][2] & EMPTY:
        return SoftmaxRow(np.zeros(0, dtype=np.int64))
    if any(u & EMPTY for _, _, u in beats):
        raise ValueError("softmax: malformed row: the EMPTY flag is set on a row with "
                         f"{len(beats)} beats (an empty row is exactly one beat)")
    w = p.in_width
    v = np.array([d for d, _, _ in beats], dtype=np.int64)
    return SoftmaxRow(np.where(v >= 1 << (w - 1), v - (1 << w), v))


def decode_out(p: SoftmaxParams, beats: list[Beat]) -> dict:
    """Output beats of one row -> ``{"empty", "p"}`` like :func:`softmax_ref`. ``empty`` is
    the EMPTY flag of the first beat (a flag on any later beat makes ``empty`` 2: wrong)."""
    flags = [u & EMPTY for _, _, u in beats]
    empty = flags[0] if flags and not any(flags[1:]) else 2
    return {"empty": np.int64(empty),
            "p": np.array([d for d, _, _ in beats], dtype=np.int64)}


# -- cycles ---------------------------------------------------------------------------------------
def slot_times(p: SoftmaxParams, lens: list[int]) -> list[tuple[int, int, int]]:
    """Per ring slot (one per kept score, one per empty row, in stream order) the edges of
    ``(load, sum issue, emit issue)`` with no stalls, counted from the first input handshake at
    edge 0 (see rtl/softmax/). With ``C = ring_slots``, slot ``k`` of row ``r``:

    * load ``L[k] = max(L[k-1] + 1, E[k-C] + 1)``: one beat per edge while the ring has room
      (``s_axis_tready`` is ``count < C``, a slot is freed on the edge the emit pass reads it);
    * sum issue ``S[k] = S[k-1] + 1``, or for the row's first slot
      ``max(S[k-1] + 1, L[last slot of r] + 1)``: a row is summed once it is loaded (its max is
      known), back to back with the previous row;
    * emit issue ``E[k] = E[k-1] + 1``, or for the row's first slot
      ``max(E[k-1] + 1, S[last slot of r] + RING_SLACK)``: the row sum is registered
      ``SUM_PIPE`` edges after its last slot, the reciprocal written ``RECIP_PIPE`` edges later,
      and read on the next edge.

    No per-row cycle: every pass moves from one row to the next without a bubble."""
    c = p.ring_slots
    out: list[tuple[int, int, int]] = []
    prev = (-1, -1, -1)
    for n in lens:
        k0 = len(out)
        slots = max(n, 1)
        loads = []
        lo = prev[0]
        for i in range(slots):
            j = k0 + i - c  # the slot that must have left the ring first (an earlier row)
            lo = max(lo + 1, out[j][2] + 1 if j >= 0 else 0)
            loads.append(lo)
        s0 = max(prev[1] + 1, loads[-1] + 1)
        e0 = max(prev[2] + 1, s0 + slots - 1 + RING_SLACK)
        out += [(loads[i], s0 + i, e0 + i) for i in range(slots)]
        prev = out[-1]
    return out


def row_times(p: SoftmaxParams, lens: list[int]) -> list[tuple[int, int, int]]:
    """Per row ``(first input edge, last input edge, last output-register load edge)`` with no
    stalls (from :func:`slot_times`): the output register loads a slot ``EMIT_PIPE`` edges
    after the emit pass reads it."""
    st = slot_times(p, lens)
    out, k = [], 0
    for n in lens:
        slots = max(n, 1)
        out.append((st[k][0], st[k + slots - 1][0], st[k + slots - 1][2] + EMIT_PIPE))
        k += slots
    return out


def expected_cycles(p: SoftmaxParams, rows: list[SoftmaxRow]) -> int:
    """Cycles from the first input handshake to the last output handshake, inclusive, with no
    stalls: the last output beat leaves the edge after its load."""
    if not rows:
        return 0
    return row_times(p, [r.n for r in rows])[-1][2] + 2


def output_latency(p: SoftmaxParams) -> int:
    """Longest no-stall time from a row's last input beat to its last output beat: the ring
    ahead of it holds at most ``ring_slots`` slots, emitted one per edge once the pipelines are
    full (a row's max_len slots summed, the reciprocal, ``RING_SLACK``), then this row's own
    ``max_len`` slots, the output pipeline and the output handshake."""
    return p.ring_slots + 2 * p.max_len + RING_SLACK + EMIT_PIPE + 2


# -- stimulus helpers ------------------------------------------------------------------------------
def random_row(p: SoftmaxParams, rng: np.random.Generator, n: int, *,
               spread_bits: float | None = None) -> SoftmaxRow:
    """``n`` scores spread over ``2**spread_bits`` base-2 units around a random centre (default:
    a spread that gives a mix of large, small and underflowing exponentials)."""
    lo, hi = smin(p.in_width), smax(p.in_width)
    if spread_bits is None:
        spread_bits = float(rng.uniform(0.0, max(p.in_width - p.frac_bits - 1, 1)))
    spread = max(int(round(2.0 ** spread_bits * (1 << p.frac_bits))), 1)
    spread = min(spread, hi - lo)
    centre = int(rng.integers(lo + spread // 2, hi - spread // 2 + 1))
    x = centre + rng.integers(-(spread // 2), spread - spread // 2, size=n)
    return SoftmaxRow(np.clip(x, lo, hi).astype(np.int64))


def from_probs(p: SoftmaxParams, probs: np.ndarray) -> SoftmaxRow:
    """Scores whose softmax is ``probs`` (kept entries, > 0): ``x = log2(probs) * 2**F`` rounded
    and shifted so that the largest is at the top of the range (softmax is shift-invariant).
    Scores below the range are clamped to its bottom (their exponential underflows anyway when
    the range spans more than ``exp_bits + 1`` base-2 units)."""
    lg = np.log2(np.asarray(probs, dtype=np.float64)) * (1 << p.frac_bits)
    x = np.floor(lg - lg.max() + 0.5) + smax(p.in_width)
    return SoftmaxRow(np.maximum(x, smin(p.in_width)).astype(np.int64))


__all__ = ["EMPTY", "ParamError", "SoftmaxParams", "SoftmaxRow", "check_row", "decode_out",
           "decode_row", "encode_row", "error_bound", "exp2_neg", "exp_lut", "expected_cycles",
           "from_probs", "output_latency", "random_row", "recip_error", "recip_lut",
           "reciprocal", "row_times", "slot_times", "softmax_float", "softmax_ref",
           "EMIT_PIPE", "RECIP_PIPE", "RING_SLACK", "SUM_PIPE"]


#: named corners (models/configs.py collects them)
CONFIGS = {
    # one kept score per row, 4-bit scores, 1-bit LUT addresses: every width at its floor
    "min": SoftmaxParams(in_width=4, frac_bits=2, lut_bits=1, exp_bits=6, prob_width=4,
                         max_len=1, recip_bits=1, norm_bits=8),
    "typical": SoftmaxParams(),  # 16-bit scores Q7.8, exact 256-entry exp LUT, UQ0.8 out
    # truncated exp LUT address (L < F), odd widths, a row length that is no power of two
    "non_pow2": SoftmaxParams(in_width=12, frac_bits=5, lut_bits=3, exp_bits=11, prob_width=7,
                              max_len=13, recip_bits=5, norm_bits=13),
    # one DeiT attention row (197 keys) at the typical widths
    "max": SoftmaxParams(max_len=197),
}
