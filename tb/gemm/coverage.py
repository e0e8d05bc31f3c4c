"""Functional coverage of ``gemm`` input tiles (cocotb-coverage), sampled by the bench."""

from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_section

from models.fixed import smax, smin

K_BINS = ["1", "2-8", "9-64", "65+"]  # K=1 corner, short, medium, long tiles
VALUE_BINS = ["all_zero", "has_min", "has_max", "mixed"]  # operand classes
SHIFT_BINS = ["none", "some"]
STALL_BINS = ["none", "some"]  # the idle and backpressure knobs of the test


def k_bin(k: int) -> str:
    return "1" if k == 1 else "2-8" if k <= 8 else "9-64" if k <= 64 else "65+"


def value_bin(x: np.ndarray, bits: int) -> str:
    if not x.any():
        return "all_zero"
    if (x == smin(bits)).any():
        return "has_min"
    if (x == smax(bits)).any():
        return "has_max"
    return "mixed"


_cov = coverage_section(
    CoverPoint("gemm.k", xf=lambda p, t, kn: k_bin(t.k), bins=K_BINS),
    CoverPoint("gemm.a_values", xf=lambda p, t, kn: value_bin(t.a, p.data_width),
               bins=VALUE_BINS),
    CoverPoint("gemm.b_values", xf=lambda p, t, kn: value_bin(t.b, p.data_width),
               bins=VALUE_BINS),
    CoverPoint("gemm.relu", xf=lambda p, t, kn: bool(t.relu), bins=[False, True]),
    CoverPoint("gemm.shift", xf=lambda p, t, kn: "some" if t.shift else "none",
               bins=SHIFT_BINS),
    CoverPoint("gemm.idle", xf=lambda p, t, kn: kn.stall_class("s_axis", True),
               bins=STALL_BINS),
    CoverPoint("gemm.backpressure", xf=lambda p, t, kn: kn.stall_class("m_axis", False),
               bins=STALL_BINS),
    CoverCross("gemm.k_x_backpressure", items=["gemm.k", "gemm.backpressure"]),
)


@_cov
def sample(p, tile, knobs) -> None:
    """Called by the bench for every tile the input monitor saw."""
