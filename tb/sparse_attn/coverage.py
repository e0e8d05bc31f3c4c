"""Functional coverage of ``sparse_attn`` mask rows (cocotb-coverage), sampled by the bench."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_section

from models.sddmm import MaskRow
from models.sparse_attn import SparseAttnParams

KEPT_BINS = ["0", "1", "few", "many", "all"]  # kept keys of a row, of the head's keys
STALL_BINS = ["none", "some"]


def kept_bin(p: SparseAttnParams, m: MaskRow) -> str:
    n = len(m.cols)
    if n in (0, 1):
        return str(n)
    if n == p.max_keys:
        return "all"
    return "few" if n <= max(p.max_keys // 8, 1) else "many"


_cov = coverage_section(
    CoverPoint("sparse_attn.kept", xf=lambda p, m, kn: kept_bin(p, m), bins=KEPT_BINS),
    CoverPoint("sparse_attn.idle", xf=lambda p, m, kn: kn.stall_class("s_axis_m", True),
               bins=STALL_BINS),
    CoverPoint("sparse_attn.backpressure",
               xf=lambda p, m, kn: kn.stall_class("m_axis_o", False), bins=STALL_BINS),
    CoverCross("sparse_attn.kept_x_backpressure",
               items=["sparse_attn.kept", "sparse_attn.backpressure"]),
)


@_cov
def sample(p, m, knobs) -> None:
    """Called by the bench for every mask row the input monitor saw."""
