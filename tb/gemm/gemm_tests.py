"""cocotb/pyuvm tests of ``gemm`` (the module the runner loads). Tests only choose stimulus."""

from __future__ import annotations

import cocotb
import pyuvm
from cocotb.triggers import RisingEdge

from models.gemm import expected_cycles
from tb.common.bench import DEFAULT_IDLE, Knobs
from tb.common.uvm import run_uvm
from tb.gemm.env import GemmTest
from tb.gemm.sequences import (
    BackToBackSeq,
    ExtremesSeq,
    K1Seq,
    LongKSeq,
    RandomTilesSeq,
    RequantCornersSeq,
    ZerosSeq,
)

IDLE_LEVELS = [0.0, 0.5]  # no gaps / a gap before half the beats
BACKPRESSURE_LEVELS = [0.0, 0.5]  # sink always ready / ready half the cycles
CYCLE_TOLERANCE = 0  # cycles: the model mirrors the RTL's timeline exactly when nothing stalls
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
class ResetMidStreamTest(GemmTest):
    """Reset while a tile is half loaded and an output is in flight; then run correctly."""

    sequence = RandomTilesSeq

    async def stimulus(self):
        b = self.bench
        first = RandomTilesSeq("first")
        task = cocotb.start_soon(first.start(self.env.seqr))
        # wait for a checked output and a partly loaded input: the worst moment to reset
        while not (b.sb.n_checked >= 1 and b.in_mon.beats):
            await RisingEdge(b.dut.clk)
            if task.done():
                break
        assert not task.done(), "the sequence ended before a mid-stream moment came"
        checked_before = b.sb.n_checked
        await b.reset()
        await task
        second = RandomTilesSeq("second")
        await second.start(self.env.seqr)
        await b.drain()
        assert b.sb.n_checked > checked_before, "no tile was checked after the reset"


@pyuvm.test()
class CycleTest(GemmTest):
    """Measured cycles of back-to-back long tiles equal the model's; utilisation is reported.

    No idle cycles and no backpressure here (and only here): a stall would measure the
    testbench, not the array."""

    sequence = LongKSeq
    knobs = Knobs(idle=0.0, backpressure=0.0)

    def check_phase(self):
        super().check_phase()
        b = self.bench
        want = expected_cycles(b.p, [t.k for t in b.sent])
        got = b.busy_cycles()
        assert abs(got - want) <= CYCLE_TOLERANCE, (
            f"gemm[{b.p.tag}] cycles: measured {got}, model expects {want} "
            f"(tolerance {CYCLE_TOLERANCE})")
        util = b.summary()["utilisation"]
        assert util >= MIN_LONG_K_UTILISATION, (
            f"gemm[{b.p.tag}] long-K utilisation {util:.3f} < {MIN_LONG_K_UTILISATION}")


@cocotb.test()
@cocotb.parametrize(idle=IDLE_LEVELS, backpressure=BACKPRESSURE_LEVELS)
async def test_idle_backpressure(dut, idle, backpressure):
    """Random tiles under every idle x backpressure combination."""
    await run_uvm(RandomTest, f"RandomTest/idle={idle}/bp={backpressure}", idle=idle,
                  backpressure=backpressure)
