"""cocotb/pyuvm tests of ``sddmm`` (the module the runner loads). Tests only choose stimulus.

No reset-mid-stream tests yet: a reset makes the block forget the head's keys, and the forked
Q/mask sequences would have to reload them (as delta_lstm's sequences do for its weights)."""

from __future__ import annotations

from tb.common.tests import stall_matrix, test_class
from tb.common.uvm import CycleCheckTest
from tb.sddmm.env import SddmmTest
from tb.sddmm.sequences import (
    BackToBackSeq,
    CycleSeq,
    DeitMaskSeq,
    ExtremesSeq,
    MaskShapesSeq,
    RandomHeadsSeq,
)

RandomTest = test_class(globals(), SddmmTest, "RandomTest", RandomHeadsSeq)
test_class(globals(), SddmmTest, "ExtremesTest", ExtremesSeq)
test_class(globals(), SddmmTest, "MaskShapesTest", MaskShapesSeq)
test_class(globals(), SddmmTest, "BackToBackTest", BackToBackSeq)
test_class(globals(), SddmmTest, "DeitMaskTest", DeitMaskSeq)
test_class(globals(), SddmmTest, "CycleTest", CycleSeq, CycleCheckTest,
           doc=CycleCheckTest.__doc__)
stall_matrix(globals(), RandomTest)
