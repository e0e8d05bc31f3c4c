"""Functional coverage of ``sddmm`` mask rows (cocotb-coverage), sampled by the bench (before
the row goes to the model): the family's row cover points (tb/common/attention.py), where the
kept columns are, and whether the row's Q beat was prefetched."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverPoint, coverage_section

from models.sddmm import MaskRow, SddmmParams
from scoreboards.sddmm import M_PREFIX, S_PREFIX
from tb.common.attention import member, row_coverpoints
from tb.common.uvm import bench

COL_BINS = ["first", "last", "inside"]  # where the kept columns are
#: how the row's Q beat came (scoreboards/sddmm.py next_q_timing): a head's first row; during
#: the previous row's mask beats (the Q skid); after them
Q_TIMING_BINS = ["first", "prefetched", "waited"]


def col_bins(p: SddmmParams, m: MaskRow) -> list[str]:
    cols = set(int(c) for c in m.cols)
    out = set()
    if 0 in cols:
        out.add("first")
    if p.max_keys - 1 in cols:
        out.add("last")
    if cols - {0, p.max_keys - 1}:
        out.add("inside")
    return sorted(out)


_cov = coverage_section(
    *row_coverpoints("sddmm", M_PREFIX, S_PREFIX),
    CoverPoint("sddmm.cols", xf=lambda p, m, kn: col_bins(p, m), bins=COL_BINS,
               rel=member, inj=False),
    CoverPoint("sddmm.q_prefetch", xf=lambda p, m, kn: bench().model.next_q_timing(),
               bins=Q_TIMING_BINS),
)


@_cov
def sample(p, m, knobs) -> None:
    """Called by the bench for every mask row the input monitor saw."""
