"""cocotb/pyuvm tests of ``eie`` (the module the runner loads). Tests only choose stimulus;
every output vector (values and status) is compared bit-exactly by the scoreboard."""

from __future__ import annotations

from scoreboards import eie as eie_sb
from tb.common.bench import DEFAULT_IDLE, Knobs
from tb.common.tests import HANDOFF_STALL_BACKPRESSURE, stall_matrix, test_class
from tb.common.uvm import CYCLE_TOLERANCE, CycleCheckTest, ResetMidStreamTest
from tb.eie.env import DigitsOut, EieTest
from tb.eie.sequences import (
    BackToBackSeq,
    CycleSeq,
    DigitsSeq,
    ExtremesSeq,
    FifoFullSeq,
    ImbalanceSeq,
    MalformedSeq,
    MatrixSeq,
    RandomSeq,
    ZeroActSeq,
    ZeroRunSeq,
)

ns = globals()
test_class(ns, EieTest, "RandomTest", RandomSeq)
test_class(ns, EieTest, "ZeroActTest", ZeroActSeq)
test_class(ns, EieTest, "ImbalanceTest", ImbalanceSeq)
test_class(ns, EieTest, "ZeroRunTest", ZeroRunSeq)
test_class(ns, EieTest, "FifoFullTest", FifoFullSeq, knobs=Knobs("none", "none"),
           doc="PE 0 carries every column's work; no input idles so its FIFO fills.")
test_class(ns, EieTest, "ExtremesTest", ExtremesSeq)
test_class(ns, EieTest, "BackToBackTest", BackToBackSeq,
           doc="Small layers back to back into a slow sink.",
           knobs=Knobs(idle=DEFAULT_IDLE, backpressure=HANDOFF_STALL_BACKPRESSURE))
test_class(ns, EieTest, "MalformedTest", MalformedSeq)
test_class(ns, EieTest, "MatrixTest", MatrixSeq)


class _ResetMid(ResetMidStreamTest):
    """The common test at a moment every config has: an output checked and a vector in
    flight (half sent, or being computed). The sequence reloads the layer afterwards."""

    def mid_stream(self) -> bool:
        b = self.bench
        return b.n_checked >= 1 and (b.inputs_partial() or b.pending > 0)


test_class(ns, EieTest, "ResetMidStreamTest", RandomSeq, _ResetMid, doc=_ResetMid.__doc__)
class _Cycle(CycleCheckTest):
    """Measured busy cycles (first activation handshake to last output handshake) of one
    layer's vectors, with no stalls, equal the cycle twin's (scoreboards.eie.run_cycles:
    models.eie.simulate) exactly; the spec's ``cycles`` adds the load beats for the timeout
    budget, which the measurement does not span."""

    def check_phase(self):
        EieTest.check_phase(self)
        b = self.bench
        want, got = eie_sb.run_cycles(b.p, b.sent), b.busy_cycles()
        repro = f"\n  reproduce with waves: {b.ctx.repro}" if b.ctx.repro else ""
        assert abs(got - want) <= CYCLE_TOLERANCE, (
            f"{b.ctx.prefix()}: cycles measured {got}, model expects {want} "
            f"(tolerance {CYCLE_TOLERANCE}){repro}")


test_class(ns, EieTest, "CycleTest", CycleSeq, _Cycle, doc=_Cycle.__doc__)
test_class(ns, EieTest, "DigitsTest", DigitsSeq, DigitsOut, doc=DigitsSeq.__doc__)
stall_matrix(ns, MatrixTest)  # noqa: F821 -- defined by test_class above
