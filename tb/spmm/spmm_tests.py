"""cocotb/pyuvm tests of ``spmm`` (the module the runner loads). Tests only choose stimulus.

No reset-mid-stream tests yet: a reset makes the block forget the head's values, and the P
rows that follow would have to wait for a reload (as delta_lstm's sequences do)."""

from __future__ import annotations

from tb.common.tests import stall_matrix, test_class
from tb.common.uvm import CycleCheckTest
from tb.spmm.env import SpmmTest
from tb.spmm.sequences import (
    BackToBackSeq,
    CycleSeq,
    DeitMaskSeq,
    ExtremesSeq,
    MaskShapesSeq,
    RandomHeadsSeq,
)

RandomTest = test_class(globals(), SpmmTest, "RandomTest", RandomHeadsSeq)
test_class(globals(), SpmmTest, "ExtremesTest", ExtremesSeq)
test_class(globals(), SpmmTest, "MaskShapesTest", MaskShapesSeq)
test_class(globals(), SpmmTest, "BackToBackTest", BackToBackSeq)
test_class(globals(), SpmmTest, "DeitMaskTest", DeitMaskSeq)
test_class(globals(), SpmmTest, "CycleTest", CycleSeq, CycleCheckTest,
           doc=CycleCheckTest.__doc__)
stall_matrix(globals(), RandomTest)
