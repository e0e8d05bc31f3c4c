"""cocotb/pyuvm tests of ``gemm`` (the module the runner loads). Tests only choose stimulus."""

from __future__ import annotations

import cocotb
import pyuvm

from tb.common.bench import DEFAULT_IDLE, Knobs
from tb.common.uvm import CycleCheckTest, run_uvm
from tb.common.uvm import ResetMidStreamTest as ResetMidStream
from tb.gemm.env import GemmTest
from tb.gemm.sequences import (
    BackToBackSeq,
    CycleSeq,
    ExtremesSeq,
    K1Seq,
    LongKSeq,
    RandomTilesSeq,
    RequantCornersSeq,
    ZerosSeq,
)

IDLE_LEVELS = [0.0, 0.5]  # no gaps / a gap before half the beats
BACKPRESSURE_LEVELS = [0.0, 0.5]  # sink always ready / ready half the cycles
MIN_LONG_K_UTILISATION = 0.90  # issue target for long K at steady state


@pyuvm.test()
class RandomTest(GemmTest):
    sequence = RandomTilesSeq


@pyuvm.test()
class ZerosTest(GemmTest):
    sequence = ZerosSeq


@pyuvm.test()
class ExtremesTest(GemmTest):
    sequence = ExtremesSeq


@pyuvm.test()
class K1Test(GemmTest):
    sequence = K1Seq


@pyuvm.test()
class LongKTest(GemmTest):
    sequence = LongKSeq


HANDOFF_STALL_BACKPRESSURE = 0.8  # short tiles finish faster than a throttled sink drains rows


@pyuvm.test()
class BackToBackTest(GemmTest):
    """Short tiles back to back into a slow sink: a finished tile must wait in the hand-off
    state until the output buffer is free (R rows at 20 % ready outlast a K <= 3 tile)."""

    sequence = BackToBackSeq
    knobs = Knobs(idle=DEFAULT_IDLE, backpressure=HANDOFF_STALL_BACKPRESSURE)


@pyuvm.test()
class RequantCornersTest(GemmTest):
    sequence = RequantCornersSeq


@pyuvm.test()
class ResetMidStreamTest(GemmTest, ResetMidStream):
    sequence = RandomTilesSeq


@pyuvm.test()
class CycleTest(GemmTest, CycleCheckTest):
    """Back-to-back CYCLE_K tiles: cycles equal the model, utilisation >= the issue's 90 %."""

    sequence = CycleSeq
    min_utilisation = MIN_LONG_K_UTILISATION


@cocotb.test()
@cocotb.parametrize(idle=IDLE_LEVELS, backpressure=BACKPRESSURE_LEVELS)
async def test_idle_backpressure(dut, idle, backpressure):
    """Random tiles under every idle x backpressure combination."""
    await run_uvm(RandomTest, f"RandomTest/idle={idle}/bp={backpressure}", idle=idle,
                  backpressure=backpressure)
