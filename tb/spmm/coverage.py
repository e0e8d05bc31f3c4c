"""Functional coverage of ``spmm`` P rows (cocotb-coverage), sampled by the bench: the
family's row cover points (tb/common/attention.py) plus the probability values."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverPoint, coverage_section

from models.spmm import PRow, SpmmParams
from scoreboards.spmm import O_PREFIX, P_PREFIX
from tb.common.attention import member, row_coverpoints

PROB_BINS = ["zero", "max", "inside"]  # probabilities at 0, at 2**PW - 1, between


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


_cov = coverage_section(
    *row_coverpoints("spmm", P_PREFIX, O_PREFIX),
    CoverPoint("spmm.probs", xf=lambda p, r, kn: prob_bins(p, r), bins=PROB_BINS,
               rel=member, inj=False),
)


@_cov
def sample(p, r, knobs) -> None:
    """Called by the bench for every P row the input monitor saw."""
