"""cocotb/pyuvm tests of ``gcn_agg`` (the module the runner loads). Tests only choose
stimulus; the reset tests are the family's (a reset makes the block forget H and clear its
accumulators; the pass sequence sends the pass again from its H load)."""

from __future__ import annotations

from tb.common.attention import RESET_DOC, RESET_TESTS
from tb.common.tests import register, stall_matrix, test_class
from tb.gcn_agg.env import CoraTest, GcnAggTest, PassCycleTest
from tb.gcn_agg.sequences import (
    BackToBackSeq,
    CoraSeq,
    CycleSeq,
    ExtremesSeq,
    HazardSeq,
    RandomGraphsSeq,
    ResetSeq,
    ShapesSeq,
)

_random = test_class(globals(), GcnAggTest, "RandomTest", RandomGraphsSeq)
test_class(globals(), GcnAggTest, "ShapesTest", ShapesSeq)
test_class(globals(), GcnAggTest, "HazardTest", HazardSeq)
test_class(globals(), GcnAggTest, "ExtremesTest", ExtremesSeq)
test_class(globals(), GcnAggTest, "BackToBackTest", BackToBackSeq)
register(globals(), type("CycleTest", (PassCycleTest,), {"sequence": CycleSeq,
                                                          "__module__": __name__,
                                                          "__doc__": PassCycleTest.__doc__}))
test_class(globals(), CoraTest, "CoraTest", CoraSeq)
stall_matrix(globals(), _random)
for _name, _mixin in RESET_TESTS:
    test_class(globals(), GcnAggTest, _name, ResetSeq, _mixin,
               doc=_mixin.__doc__ + RESET_DOC.replace("head", "pass").replace("load(s)",
                                                                             "H load"),
               fast_ok=False, timing_dependent=False)
