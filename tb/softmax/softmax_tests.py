"""cocotb/pyuvm tests of ``softmax`` (the module the runner loads). Tests only choose stimulus:
the common ones come from tb/common/tests.py, chosen with this block's sequences."""

from __future__ import annotations

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
    StreamingMixSeq,
    TiesSeq,
)

standard_tests(globals(), SoftmaxTest, random=RandomRowsSeq, extremes=ExtremesSeq,
               back_to_back=BackToBackSeq, cycle=CycleSeq)
test_class(globals(), SoftmaxTest, "TiesTest", TiesSeq)
test_class(globals(), SoftmaxTest, "MaskedRowsTest", MaskedRowsSeq)
test_class(globals(), SoftmaxTest, "LevitRowsTest", LevitRowsSeq)
test_class(globals(), SoftmaxTest, "StreamingCycleTest", StreamingMixSeq, CycleCheckTest,
           doc=StreamingMixSeq.__doc__, min_utilisation=STREAM_MIN_UTILISATION)
stall_matrix(globals(), RandomTest)  # noqa: F821 -- defined by standard_tests
