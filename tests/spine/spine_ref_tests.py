"""cocotb/pyuvm tests of the spine's reference DUT ``spine_ref`` (the module the runner loads).

What they prove about the spine (tb/common), independently of any accelerator:

* two input streams driven concurrently by their own drivers (``fork`` in a virtual sequence),
  asserted: the two inputs' handshakes overlap in time;
* keyed scoreboards: beats of the two sources interleave on each output in an order the
  arbitration decides, asserted: the key changes between consecutive outputs;
* data-dependent output counts: a packet yields zero, one or many outputs on either stream, all
  zeros yield nothing at all;
* the quiet window, the stall patterns per port and reset mid-stream, as for every block.
"""

from __future__ import annotations

from models.fixed import smax, smin
from scoreboards.base import KeyedScoreboard
from tb.common.bench import BlockSpec, Knobs, StreamSpec
from tb.common.tests import stall_matrix, test_class
from tb.common.uvm import NO_STALLS, BlockTest, ResetMidStreamTest, VirtualSeq
from tests.spine.spine_ref_model import (
    IN_A,
    IN_B,
    INPUTS,
    MAX_PACKET,
    OUT_EVEN,
    OUT_ODD,
    Packet,
    SpineRefPredictor,
    cycles,
    decode_in,
    decode_out,
    encode,
    out_key,
    random_packet,
    route,
)

N_PACKETS = 12  # per input: enough for every arbitration order under every stall pattern
PACKET_MAX = 8  # beats; one long packet per input adds a MAX_PACKET run
LATENCY = 1  # cycles from an accepted input beat to its output (one output register)

SPINE_REF_SPEC = BlockSpec(
    name="spine_ref",
    inputs=[StreamSpec(IN_A, decode_in(IN_A), encode), StreamSpec(IN_B, decode_in(IN_B), encode)],
    outputs=[StreamSpec(OUT_EVEN, decode_out, key=out_key),
             StreamSpec(OUT_ODD, decode_out, key=out_key)],
    predictor=SpineRefPredictor,
    cycles=cycles,
    n_pe=lambda p: 1,
    latency=lambda p: LATENCY,
    route=route,
)


class SpineRefTest(BlockTest):
    SPEC = SPINE_REF_SPEC


def packets(p, rng, src: str, zero_share: float = 0.3) -> list[Packet]:
    ps = [random_packet(p, rng, src, int(rng.integers(1, PACKET_MAX + 1)), zero_share)
          for _ in range(N_PACKETS)]
    ps.append(random_packet(p, rng, src, MAX_PACKET, zero_share))
    return ps


class ConcurrentSeq(VirtualSeq):
    """Random packets on both inputs at once, each input in its own order."""

    async def body(self):
        b = self.bench
        await self.fork({src: packets(b.p, b.rng, src) for src in INPUTS})


class ConflictSeq(VirtualSeq):
    """Both inputs at once, every key even and no zero: every beat wants m_axis_even, so the
    arbitration decides the order of every beat; m_axis_odd must stay silent."""

    async def body(self):
        b = self.bench
        per = {}
        for src in INPUTS:
            ps = packets(b.p, b.rng, src, zero_share=0.0)
            for t in ps:
                t.keys &= ~1
            per[src] = ps
        await self.fork(per)


class ZerosSeq(VirtualSeq):
    """Packets of zeros only (no output at all), then mixed, then zeros again, concurrently."""

    async def body(self):
        b = self.bench
        per = {}
        for src in INPUTS:
            zeros = [random_packet(b.p, b.rng, src, int(b.rng.integers(1, PACKET_MAX + 1)), 1.0)
                     for _ in range(3)]
            per[src] = zeros + packets(b.p, b.rng, src) + zeros
        await self.fork(per)


class ExtremesSeq(VirtualSeq):
    """Keys 0 and the largest, values at both extremes and +-1, on both inputs."""

    async def body(self):
        b = self.bench
        p = b.p
        kmax = (1 << p.key_width) - 1
        vals = [smin(p.value_width), smax(p.value_width), -1, 1]
        per = {src: [Packet(src, b.rng.choice([0, kmax], size=16),
                            b.rng.choice(vals, size=16)) for _ in range(4)]
               for src in INPUTS}
        await self.fork(per)


class SerialSeq(VirtualSeq):
    """One packet at a time, alternating sources (routed by ``route``): nothing overlaps."""

    async def body(self):
        b = self.bench
        a, bb = packets(b.p, b.rng, IN_A), packets(b.p, b.rng, IN_B)
        for pa, pb in zip(a, bb):
            await self.send(pa)
            await self.send(pb)


class ConcurrencyCheck:
    """The inputs' handshakes overlapped in time, and on each output whose beats came from both
    sources the key changed between consecutive outputs (the order was the arbitration's)."""

    def check_phase(self):
        super().check_phase()
        b = self.bench
        ma, mb = b.mons[IN_A], b.mons[IN_B]
        assert ma.first_cycle < mb.last_cycle and mb.first_cycle < ma.last_cycle, (
            f"{b.ctx.prefix()}: the two inputs never overlapped "
            f"(a {ma.first_cycle}..{ma.last_cycle}, b {mb.first_cycle}..{mb.last_cycle})")
        switches = {s: sb.key_switches for s, sb in b.sbs.items()
                    if isinstance(sb, KeyedScoreboard)}
        assert any(n > 0 for n in switches.values()), (
            f"{b.ctx.prefix()}: no output interleaved the two sources: {switches}")


class SilentOddCheck:
    def check_phase(self):
        super().check_phase()
        b = self.bench
        assert b.mons[OUT_ODD].n_beats == 0, "m_axis_odd carried beats for even keys"
        assert b.mons[OUT_EVEN].n_beats > 0


test_class(globals(), SpineRefTest, "ConcurrentTest", ConcurrentSeq, ConcurrencyCheck)
test_class(globals(), SpineRefTest, "FreeRunTest", ConcurrentSeq, ConcurrencyCheck,
           doc="Both inputs free-running, both sinks always ready (the fastest timeline).",
           knobs=NO_STALLS)
test_class(globals(), SpineRefTest, "ConflictTest", ConflictSeq, ConcurrencyCheck,
           SilentOddCheck)
test_class(globals(), SpineRefTest, "ZerosTest", ZerosSeq)
test_class(globals(), SpineRefTest, "ExtremesTest", ExtremesSeq)
test_class(globals(), SpineRefTest, "SerialTest", SerialSeq,
           knobs=Knobs(idle="random:0.3", backpressure="burst:3"))
test_class(globals(), SpineRefTest, "ResetMidStreamTest", ConcurrentSeq, ResetMidStreamTest,
           doc=ResetMidStreamTest.__doc__)
stall_matrix(globals(), ConcurrentTest)  # noqa: F821 -- defined by test_class
