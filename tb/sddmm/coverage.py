"""Functional coverage of ``sddmm`` mask rows (cocotb-coverage), sampled by the bench."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_section

from models.sddmm import MaskRow, SddmmParams

KEPT_BINS = ["0", "1", "few", "many", "all"]  # kept keys of a row, of max_keys
COL_BINS = ["first", "last", "inside"]  # where the kept columns are
STALL_BINS = ["none", "some"]


def kept_bin(p: SddmmParams, m: MaskRow) -> str:
    n = len(m.cols)
    if n in (0, 1):
        return str(n)
    if n == p.max_keys:
        return "all"
    return "few" if n <= max(p.max_keys // 8, 1) else "many"


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


def _member(value, b) -> bool:
    return b in value


_cov = coverage_section(
    CoverPoint("sddmm.kept", xf=lambda p, m, kn: kept_bin(p, m), bins=KEPT_BINS),
    CoverPoint("sddmm.cols", xf=lambda p, m, kn: col_bins(p, m), bins=COL_BINS,
               rel=_member, inj=False),
    CoverPoint("sddmm.idle", xf=lambda p, m, kn: kn.stall_class("s_axis_m", True),
               bins=STALL_BINS),
    CoverPoint("sddmm.backpressure", xf=lambda p, m, kn: kn.stall_class("m_axis_s", False),
               bins=STALL_BINS),
    CoverCross("sddmm.kept_x_backpressure", items=["sddmm.kept", "sddmm.backpressure"]),
)


@_cov
def sample(p, m, knobs) -> None:
    """Called by the bench for every mask row the input monitor saw."""
