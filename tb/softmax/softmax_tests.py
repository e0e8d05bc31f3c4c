"""cocotb/pyuvm tests of ``softmax`` (the module the runner loads). Tests only choose stimulus:
the common ones come from tb/common/tests.py, chosen with this block's sequences."""

from __future__ import annotations

from tb.common.bench import Knobs
from tb.common.tests import stall_matrix, standard_tests, test_class
from tb.common.uvm import CycleCheckTest
from tb.softmax.env import SoftmaxTest
from tb.softmax.sequences import (
    STREAM_MIN_UTILISATION,
    BackToBackSeq,
    CycleSeq,
    ExtremesSeq,
    LevitRowsSeq,
    MaskedRowsSeq,
    RandomRowsSeq,
    RingFullSeq,
    ShiftSweepSeq,
    StreamingMixSeq,
    TiesSeq,
)

#: the sink goes 40 cycles, then stops 40: longer than a typical ring (39 slots, about 12 in
#: use when the sink stops) takes to fill at one one-beat row per cycle
RING_FULL_BACKPRESSURE = "burst:40"

standard_tests(globals(), SoftmaxTest, random=RandomRowsSeq, extremes=ExtremesSeq,
               back_to_back=BackToBackSeq, cycle=CycleSeq)
test_class(globals(), SoftmaxTest, "TiesTest", TiesSeq)
test_class(globals(), SoftmaxTest, "MaskedRowsTest", MaskedRowsSeq)
test_class(globals(), SoftmaxTest, "LevitRowsTest", LevitRowsSeq)
test_class(globals(), SoftmaxTest, "StreamingCycleTest", StreamingMixSeq, CycleCheckTest,
           doc=StreamingMixSeq.__doc__, min_utilisation=STREAM_MIN_UTILISATION)
test_class(globals(), SoftmaxTest, "ShiftSweepTest", ShiftSweepSeq)
test_class(globals(), SoftmaxTest, "RingFullTest", RingFullSeq,
           knobs=Knobs(idle="none", backpressure=RING_FULL_BACKPRESSURE))
stall_matrix(globals(), RandomTest)  # noqa: F821 -- defined by standard_tests
