"""Functional coverage of ``gcn_agg`` passes (cocotb-coverage), sampled by the bench on every
H load and Â pass the input monitors saw: row degree, lane occupancy, padding share, hazard
distance, output (requantiser) saturation, and the stalls on each stream."""

from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_section

from models.fixed import round_shift, smax, smin
from models.gcn.pcoo import PAD, Schedule, run_schedule
from models.gcn_agg import APass, HLoad, live_slots
from scoreboards.gcn_agg import A_PREFIX, Y_PREFIX
from tb.common.attention import STALL_BINS, member

#: tuples a destination row gets in a pass: none, one, up to max_degree / 8, more, max_degree
DEGREE_BINS = ["0", "1", "few", "many", "max"]
#: busy share of the lane with the least work (min busy / T): idle lane, partly, >= 90 %
OCCUPANCY_BINS = ["idle_lane", "partial", "full"]
FULL_OCCUPANCY = 0.9
#: pad slots of P * T: none, some, at least half (a schedule dominated by padding)
PADDING_BINS = ["none", "some", "half"]
#: smallest beat distance between two tuples of one row on one lane, against L: below L (a
#: hazard), exactly L (the edge), above L, and no row repeated on a lane
HAZARD_BINS = ["below_L", "L", "above_L", "no_repeat"]
#: outputs clamped by the requantiser: at the top, at the bottom, none
SAT_BINS = ["high", "low", "none"]

_state: dict[str, HLoad | None] = {"h": None}


def degree_bins(p, a: APass, n: int) -> list[str]:
    live, _ = live_slots(a.schedule, n)
    deg = np.bincount(a.schedule.row[live], minlength=n)[:n]
    out = set()
    for d in np.unique(deg):
        d = int(d)
        if d == p.max_degree:
            out.add("max")
        elif d in (0, 1):
            out.add(str(d))
        else:
            out.add("few" if d <= max(p.max_degree // 8, 1) else "many")
    return sorted(out)


def occupancy_bin(p, a: APass, knobs=None) -> str:
    s = a.schedule
    if not s.cycles:
        return "idle_lane"
    least = float(s.busy.min()) / s.cycles
    return "idle_lane" if least == 0 else ("full" if least >= FULL_OCCUPANCY else "partial")


def padding_bin(p, a: APass, knobs=None) -> str:
    s = a.schedule
    share = s.padding / (s.lanes * s.cycles) if s.cycles else 0.0
    return "none" if share == 0 else ("half" if share >= 0.5 else "some")


def hazard_bin(p, a: APass, knobs=None) -> str:
    s = a.schedule
    best = None
    for lane in range(s.lanes):
        last: dict[int, int] = {}
        for t in range(s.cycles):
            r = int(s.row[lane, t])
            if r == PAD:
                continue
            if r in last:
                d = t - last[r]
                best = d if best is None else min(best, d)
            last[r] = t
    if best is None:
        return "no_repeat"
    return "below_L" if best < p.latency else ("L" if best == p.latency else "above_L")


def sat_bins(p, a: APass, knobs=None) -> list[str]:
    h = _state["h"]
    if h is None:
        return []
    live, _ = live_slots(a.schedule, h.n)
    s = a.schedule
    kept = Schedule(h.n, s.lanes, p.latency, np.where(live, s.row, PAD),
                    np.where(live, s.col, 0), np.where(live, s.val, 0))
    r = round_shift(run_schedule(kept, np.asarray(h.h, dtype=np.int64)) * int(h.scale), h.shift)
    ob = p.out_width if h.out_bits is None else h.out_bits
    out = [b for b, hit in (("high", (r > smax(ob)).any()), ("low", (r < smin(ob)).any()))
           if hit]
    return out or ["none"]


_cov = coverage_section(
    CoverPoint("gcn_agg.degree", xf=lambda p, a, kn: degree_bins(p, a, _state["h"].n
                                                                  if _state["h"] else 0),
               bins=DEGREE_BINS, rel=member, inj=False),
    CoverPoint("gcn_agg.occupancy", xf=occupancy_bin, bins=OCCUPANCY_BINS),
    CoverPoint("gcn_agg.padding", xf=padding_bin, bins=PADDING_BINS),
    CoverPoint("gcn_agg.hazard", xf=hazard_bin, bins=HAZARD_BINS),
    CoverPoint("gcn_agg.saturation", xf=sat_bins, bins=SAT_BINS, rel=member, inj=False),
    CoverPoint("gcn_agg.idle", xf=lambda p, a, kn: kn.stall_class(A_PREFIX, True),
               bins=STALL_BINS),
    CoverPoint("gcn_agg.backpressure", xf=lambda p, a, kn: kn.stall_class(Y_PREFIX, False),
               bins=STALL_BINS),
    CoverCross("gcn_agg.degree_x_backpressure",
               items=["gcn_agg.degree", "gcn_agg.backpressure"]),
)


def sample_h(p, h: HLoad, knobs) -> None:
    """The pass's operand: remembered for the saturation and degree points of its Â pass."""
    del p, knobs
    _state["h"] = h


@_cov
def sample_a(p, a: APass, knobs) -> None:
    """Called by the bench for every Â pass the input monitor saw."""

