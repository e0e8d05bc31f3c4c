"""Functional coverage of ``softmax`` input rows (cocotb-coverage), sampled by the bench."""

from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_section

from models.fixed import smax, smin
from models.softmax import SoftmaxParams, SoftmaxRow, softmax_ref

LEN_BINS = ["0", "1", "few", "many", "all"]  # kept scores: none, one, <= 1/4, more, max_len
#: exp LUT address quarters, and the integer part of max - x: 0 (no shift), a shift, underflow
LUT_BINS = ["q0", "q1", "q2", "q3"]
SHIFT_BINS = ["none", "some", "underflow"]
MAX_POS_BINS = ["only", "first", "middle", "last"]  # where the row max sits
SCORE_BINS = ["has_min", "has_max", "inside"]  # scores at the ends of the input range
OUT_BINS = ["saturated", "zero", "inside"]  # a probability at 2**P - 1, at 0, or neither
TIE_BINS = ["unique_max", "tied_max"]
STALL_BINS = ["none", "some"]


def len_bin(p: SoftmaxParams, n: int) -> str:
    if n in (0, 1):
        return str(n)
    if n == p.max_len:
        return "all"
    return "few" if n <= max(p.max_len // 4, 1) else "many"


def _d(row: SoftmaxRow) -> np.ndarray:
    x = row.x.astype(np.int64)
    return x.max() - x


def lut_bins(p: SoftmaxParams, row: SoftmaxRow) -> list[str]:
    if row.n == 0:
        return []
    t = (_d(row) & ((1 << p.frac_bits) - 1)) >> (p.frac_bits - p.lut_bits)
    q = (t * 4) >> p.lut_bits
    return sorted({LUT_BINS[int(v)] for v in q})


def shift_bins(p: SoftmaxParams, row: SoftmaxRow) -> list[str]:
    if row.n == 0:
        return []
    ip = _d(row) >> p.frac_bits
    out = set()
    out |= {"none"} if (ip == 0).any() else set()
    out |= {"some"} if ((ip > 0) & (ip <= p.exp_bits)).any() else set()
    out |= {"underflow"} if (ip > p.exp_bits).any() else set()
    return sorted(out)


def max_pos_bin(row: SoftmaxRow) -> str | None:
    if row.n == 0:
        return None
    if row.n == 1:
        return "only"
    i = int(np.argmax(row.x))
    return "first" if i == 0 else "last" if i == row.n - 1 else "middle"


def score_bins(p: SoftmaxParams, row: SoftmaxRow) -> list[str]:
    if row.n == 0:
        return []
    out = {"inside"} if ((row.x > smin(p.in_width)) & (row.x < smax(p.in_width))).any() \
        else set()
    out |= {"has_min"} if (row.x == smin(p.in_width)).any() else set()
    out |= {"has_max"} if (row.x == smax(p.in_width)).any() else set()
    return sorted(out)


def out_bins(p: SoftmaxParams, row: SoftmaxRow) -> list[str]:
    if row.n == 0:
        return []
    y = softmax_ref(p, row)["p"]
    top = (1 << p.prob_width) - 1
    out = {"saturated"} if (y == top).any() else set()
    out |= {"zero"} if (y == 0).any() else set()
    out |= {"inside"} if ((y > 0) & (y < top)).any() else set()
    return sorted(out)


def tie_bin(row: SoftmaxRow) -> str | None:
    if row.n < 2:
        return None
    return "tied_max" if int((row.x == row.x.max()).sum()) > 1 else "unique_max"


def _in(_bins):
    """Multi-bin coverpoint: a row hits every bin in the list its function returns."""
    return lambda got, b: b in got


_cov = coverage_section(
    CoverPoint("softmax.len", xf=lambda p, r, kn: len_bin(p, r.n), bins=LEN_BINS),
    CoverPoint("softmax.lut", xf=lambda p, r, kn: lut_bins(p, r), bins=LUT_BINS,
               rel=_in(LUT_BINS), inj=False),
    CoverPoint("softmax.shift", xf=lambda p, r, kn: shift_bins(p, r), bins=SHIFT_BINS,
               rel=_in(SHIFT_BINS), inj=False),
    CoverPoint("softmax.max_pos", xf=lambda p, r, kn: max_pos_bin(r), bins=MAX_POS_BINS),
    CoverPoint("softmax.scores", xf=lambda p, r, kn: score_bins(p, r), bins=SCORE_BINS,
               rel=_in(SCORE_BINS), inj=False),
    CoverPoint("softmax.out", xf=lambda p, r, kn: out_bins(p, r), bins=OUT_BINS,
               rel=_in(OUT_BINS), inj=False),
    CoverPoint("softmax.ties", xf=lambda p, r, kn: tie_bin(r), bins=TIE_BINS),
    CoverPoint("softmax.idle", xf=lambda p, r, kn: kn.stall_class("s_axis", True),
               bins=STALL_BINS),
    CoverPoint("softmax.backpressure", xf=lambda p, r, kn: kn.stall_class("m_axis", False),
               bins=STALL_BINS),
    CoverCross("softmax.len_x_backpressure", items=["softmax.len", "softmax.backpressure"]),
    CoverCross("softmax.len_x_idle", items=["softmax.len", "softmax.idle"]),
)


@_cov
def sample(p, row, knobs) -> None:
    """Called by the bench for every row the input monitor saw."""
