"""Functional coverage of ``spmm`` P rows (cocotb-coverage), sampled by the bench."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_section

from models.spmm import PRow, SpmmParams

KEPT_BINS = ["0", "1", "few", "many", "all"]  # kept keys of a row, of max_keys
PROB_BINS = ["zero", "max", "inside"]  # probabilities at 0, at 2**PW - 1, between
STALL_BINS = ["none", "some"]


def kept_bin(p: SpmmParams, r: PRow) -> str:
    n = len(r.cols)
    if n in (0, 1):
        return str(n)
    if n == p.max_keys:
        return "all"
    return "few" if n <= max(p.max_keys // 8, 1) else "many"


def prob_bins(p: SpmmParams, r: PRow) -> list[str]:
    top = (1 << p.prob_width) - 1
    pr = [int(x) for x in r.probs]
    out = set()
    if 0 in pr:
        out.add("zero")
    if top in pr:
        out.add("max")
    if any(0 < x < top for x in pr):
        out.add("inside")
    return sorted(out)


def _member(value, b) -> bool:
    return b in value


_cov = coverage_section(
    CoverPoint("spmm.kept", xf=lambda p, r, kn: kept_bin(p, r), bins=KEPT_BINS),
    CoverPoint("spmm.probs", xf=lambda p, r, kn: prob_bins(p, r), bins=PROB_BINS,
               rel=_member, inj=False),
    CoverPoint("spmm.idle", xf=lambda p, r, kn: kn.stall_class("s_axis_p", True),
               bins=STALL_BINS),
    CoverPoint("spmm.backpressure", xf=lambda p, r, kn: kn.stall_class("m_axis_o", False),
               bins=STALL_BINS),
    CoverCross("spmm.kept_x_backpressure", items=["spmm.kept", "spmm.backpressure"]),
)


@_cov
def sample(p, r, knobs) -> None:
    """Called by the bench for every P row the input monitor saw."""
