"""cocotb/pyuvm tests of ``sparse_attn`` (the module the runner loads). Tests only choose
stimulus.

No reset-mid-stream tests yet: a reset makes the block forget the head's keys and values, and
the forked Q/mask sequences would have to reload them (as delta_lstm's sequences do)."""

from __future__ import annotations

from tb.common.tests import stall_matrix, test_class
from tb.common.uvm import CycleCheckTest
from tb.sparse_attn.env import SparseAttnTest
from tb.sparse_attn.sequences import (
    BackToBackSeq,
    CycleSeq,
    DeitHeadSeq,
    DeitLayerSeq,
    DeitMaskSeq,
    ExtremesSeq,
    MaskShapesSeq,
    MinilmSeq,
    RandomHeadsSeq,
)

RandomTest = test_class(globals(), SparseAttnTest, "RandomTest", RandomHeadsSeq)
test_class(globals(), SparseAttnTest, "ExtremesTest", ExtremesSeq)
test_class(globals(), SparseAttnTest, "MaskShapesTest", MaskShapesSeq)
test_class(globals(), SparseAttnTest, "BackToBackTest", BackToBackSeq)
test_class(globals(), SparseAttnTest, "DeitMaskTest", DeitMaskSeq)
test_class(globals(), SparseAttnTest, "DeitHeadTest", DeitHeadSeq)
test_class(globals(), SparseAttnTest, "CycleTest", CycleSeq, CycleCheckTest,
           doc=CycleCheckTest.__doc__)
test_class(globals(), SparseAttnTest, "MinilmTest", MinilmSeq)
test_class(globals(), SparseAttnTest, "DeitLayerTest", DeitLayerSeq, CycleCheckTest,
           doc=DeitLayerSeq.__doc__ + "\n\n" + CycleCheckTest.__doc__)
stall_matrix(globals(), RandomTest)
