"""Directed tests of the overlapped tiles of the output-stationary array blocks (``gemm``,
``nm_gemm``; rtl/common/array.py), written once and chosen per block with its sequences.

* ``ShortTilesCycleTest``: the shortest tiles back to back (the densest hand-off: a boundary
  on every few anti-diagonals, the tlast spacing holding the input), cycles asserted against
  the block's model with tolerance 0;
* ``AlternatingKCycleTest``: the shortest and a long K alternating, cycles asserted too;
* ``BackpressureInFlightTest``: the sink stops the moment two tiles are in flight (one
  finished and travelling through the array, the next one partly loaded) and stays stopped
  until the array refuses an offered input beat; that must happen before the input runs
  out, and every output must be right;
* ``ResetInFlightTest``: a reset at that same moment, then a full second run;
* ``TileBenchTest``: ``ZS_TILE_K`` (dense K) x ``ZS_TILE_COUNT`` tiles back to back,
  cycle-checked: what tests/sim/test_bench_tiles.py runs for its sweep (small by default).

The in-flight tests watch the DUT cycle by cycle, so they are cycle-mode tests (fast mode runs
them with the Python agents on the same build, as ``ResetMidStreamTest``).
"""

from __future__ import annotations

import os

import cocotb
from cocotb.triggers import RisingEdge

from models.gemm import OBUF_DEPTH
from tb.common.stall import Never, Stall
from tb.common.tests import test_class
from tb.common.uvm import BlockTest, CycleCheckTest, ResetMidStreamTest, VirtualSeq

TILE_K_ENV, TILE_COUNT_ENV = "ZS_TILE_K", "ZS_TILE_COUNT"  # the tile benchmark's knobs
#: TileBenchTest without the knobs (make test, make coverage): one K >= R of every named array
DEFAULT_TILE_K, DEFAULT_TILE_COUNT = 16, 4


def bench_shape() -> tuple[int, int]:
    """(dense K, tile count) of TileBenchTest from the environment."""
    return (int(os.environ.get(TILE_K_ENV, DEFAULT_TILE_K)),
            int(os.environ.get(TILE_COUNT_ENV, DEFAULT_TILE_COUNT)))


#: tiles of the in-flight tests: two in the array (one draining, one loading), up to
#: OBUF_DEPTH finished ones in the output FIFO (one row each at R = 1), the one whose input the
#: array must refuse, and one more because the stop may come after the first tile's row left
N_IN_FLIGHT_TILES = 2 + OBUF_DEPTH + 1 + 1


class Hold(Stall):
    """Backpressure on every cycle until the test swaps it out (the in-flight test's stop)."""

    spec = "hold"

    @property
    def rate(self) -> float:
        return 0.0

    def stall(self) -> bool:
        return True


def two_in_flight(b) -> bool:
    """One tile accepted whole and not yet all out, and the next one partly loaded."""
    inp = b.spec.inputs[0].prefix
    return b.mons[inp].n_txns >= 1 and b.pending >= 1 and b.inputs_partial()


class BackpressureInFlightTest(BlockTest):
    """The sink stops exactly when two tiles are in flight and stays stopped until the array
    refuses an offered input beat (tvalid high, tready low): the array must stall before the
    sequence has given all its input, and every output must still be right.

    The stop is held until the refusal itself, not for a fixed number of cycles: how many
    tiles the output FIFO swallows first depends on the array (one row per tile at 1 x 1, so
    ``OBUF_DEPTH`` whole tiles; R rows per tile at R x C), and a source that idles by its
    stall pattern must not pass for an array that stalls."""

    fast_ok = False

    async def stimulus(self):
        b = self.bench
        inp, out = b.spec.inputs[0].prefix, b.spec.outputs[0].prefix
        task = cocotb.start_soon(self.sequence("seq").start())
        while not two_in_flight(b):
            assert not task.done(), f"{b.ctx.prefix()}: two tiles were never in flight"
            await RisingEdge(b.dut.clk)
        sink, mon = b.sinks[out], b.mons[inp]
        sink.stall = Hold()
        beats_before, refused_before, cycles = mon.n_beats, mon.n_refused, 0
        while mon.n_refused == refused_before and not task.done():
            await RisingEdge(b.dut.clk)
            cycles += 1
        sink.stall = Never()
        assert mon.n_refused > refused_before, (
            f"{b.ctx.prefix()}: the array never stalled: it took all the remaining "
            f"{mon.n_beats - beats_before} input beats in {cycles} cycles while the sink "
            f"(at most {OBUF_DEPTH} rows of output FIFO) was stopped")
        await task
        await b.drain()


class ResetInFlightTest(ResetMidStreamTest):
    """Reset exactly when two tiles are in flight (one finished and travelling through the
    array, the next partly loaded); then a full second run must be checked correct."""

    def mid_stream(self) -> bool:
        return two_in_flight(self.bench)


def overlap_tests(ns: dict, base: type[BlockTest], *, short: type[VirtualSeq],
                  alternating: type[VirtualSeq], in_flight: type[VirtualSeq],
                  bench: type[VirtualSeq]) -> None:
    """The tests above into the block's test module ``ns``."""
    test_class(ns, base, "ShortTilesCycleTest", short, CycleCheckTest)
    test_class(ns, base, "AlternatingKCycleTest", alternating, CycleCheckTest)
    test_class(ns, base, "BackpressureInFlightTest", in_flight, BackpressureInFlightTest,
               doc=BackpressureInFlightTest.__doc__)
    test_class(ns, base, "ResetInFlightTest", in_flight, ResetInFlightTest,
               doc=ResetInFlightTest.__doc__)
    test_class(ns, base, "TileBenchTest", bench, CycleCheckTest)
