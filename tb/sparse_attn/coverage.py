"""Functional coverage of ``sparse_attn`` mask rows (cocotb-coverage), sampled by the bench:
the family's row cover points (tb/common/attention.py) on the mask stream and the output."""

from __future__ import annotations

from cocotb_coverage.coverage import coverage_section

from models.sparse_attn import M_PREFIX, O_PREFIX
from tb.common.attention import row_coverpoints

_cov = coverage_section(*row_coverpoints("sparse_attn", M_PREFIX, O_PREFIX))


@_cov
def sample(p, m, knobs) -> None:
    """Called by the bench for every mask row the input monitor saw."""
