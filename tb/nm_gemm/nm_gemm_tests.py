"""cocotb/pyuvm tests of ``nm_gemm`` (the module the runner loads). Tests only choose stimulus."""

from __future__ import annotations

import cocotb
import pyuvm

from tb.common.bench import DEFAULT_IDLE, Knobs
from tb.common.uvm import CycleCheckTest, run_uvm
from tb.common.uvm import ResetMidStreamTest as ResetMidStream
from tb.nm_gemm.coverage import pattern_coverage
from tb.nm_gemm.env import NmGemmTest
from tb.nm_gemm.sequences import (
    BackToBackSeq,
    CycleSeq,
    ExtremesSeq,
    MalformedSeq,
    PatternsSeq,
    RandomTilesSeq,
    RequantCornersSeq,
    ZerosSeq,
)

IDLE_LEVELS = [0.0, 0.5]  # no gaps / a gap before half the beats
BACKPRESSURE_LEVELS = [0.0, 0.5]  # sink always ready / ready half the cycles
HANDOFF_STALL_BACKPRESSURE = 0.8  # short tiles finish faster than a throttled sink drains rows


@pyuvm.test()
class RandomTest(NmGemmTest):
    sequence = RandomTilesSeq


@pyuvm.test()
class ZerosTest(NmGemmTest):
    sequence = ZerosSeq


@pyuvm.test()
class ExtremesTest(NmGemmTest):
    sequence = ExtremesSeq


@pyuvm.test()
class PatternsTest(NmGemmTest):
    """Every C(m, n) index pattern reaches the array; the pattern coverpoint must be full."""

    sequence = PatternsSeq

    def check_phase(self):
        super().check_phase()
        hit, size = pattern_coverage()
        assert hit == size, (f"nm_gemm[{self.bench.p.tag}] index patterns: {hit} of {size} "
                             f"seen by the input monitor")


@pyuvm.test()
class BackToBackTest(NmGemmTest):
    """Short tiles back to back into a slow sink: a finished tile (and its flag) must wait in
    the hand-off state until the output buffer is free (R rows at 20 % ready outlast a one- or
    two-group tile)."""

    sequence = BackToBackSeq
    knobs = Knobs(idle=DEFAULT_IDLE, backpressure=HANDOFF_STALL_BACKPRESSURE)


@pyuvm.test()
class MalformedTest(NmGemmTest):
    sequence = MalformedSeq


@pyuvm.test()
class RequantCornersTest(NmGemmTest):
    sequence = RequantCornersSeq


@pyuvm.test()
class ResetMidStreamTest(NmGemmTest, ResetMidStream):
    sequence = RandomTilesSeq


@pyuvm.test()
class CycleTest(NmGemmTest, CycleCheckTest):
    """Back-to-back tiles of the dense K that gemm's CycleTest uses: cycles equal the model
    (the speed-up benchmark divides the two)."""

    sequence = CycleSeq


@cocotb.test()
@cocotb.parametrize(idle=IDLE_LEVELS, backpressure=BACKPRESSURE_LEVELS)
async def test_idle_backpressure(dut, idle, backpressure):
    """Random tiles under every idle x backpressure combination."""
    await run_uvm(RandomTest, f"RandomTest/idle={idle}/bp={backpressure}", idle=idle,
                  backpressure=backpressure)


@cocotb.test()
@cocotb.parametrize(backpressure=BACKPRESSURE_LEVELS)
async def test_malformed_backpressure(dut, backpressure):
    """Malformed tiles with the output stalled or not: the flag travels with its tile through
    the output double buffer either way."""
    await run_uvm(MalformedTest, f"MalformedTest/bp={backpressure}", idle=0.0,
                  backpressure=backpressure)
