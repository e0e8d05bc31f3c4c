"""cocotb/pyuvm tests of ``sparse_attn`` (the module the runner loads). Tests only choose
stimulus.

No reset-mid-stream tests yet: a reset makes the block forget the head's keys and values, and
the forked Q/mask sequences would have to reload them (as delta_lstm's sequences do)."""

from __future__ import annotations

from tb.common.bench import Knobs
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
    RingFullSeq,
    RowMixSeq,
)

#: the sink goes, then stops, for this many cycles each: a stop outlasts the time the
#: softmax's ring (519 slots on typical) takes to fill with one-key rows at one per cycle, and
#: the first stop begins while RingFullSeq's rows are still coming (its 2 x 519 rows start
#: after the K load of 256 cycles)
RING_FULL_BACKPRESSURE = "burst:600"

RandomTest = test_class(globals(), SparseAttnTest, "RandomTest", RandomHeadsSeq)
test_class(globals(), SparseAttnTest, "ExtremesTest", ExtremesSeq)
test_class(globals(), SparseAttnTest, "MaskShapesTest", MaskShapesSeq)
test_class(globals(), SparseAttnTest, "BackToBackTest", BackToBackSeq)
test_class(globals(), SparseAttnTest, "DeitMaskTest", DeitMaskSeq)
test_class(globals(), SparseAttnTest, "DeitHeadTest", DeitHeadSeq)
test_class(globals(), SparseAttnTest, "CycleTest", CycleSeq, CycleCheckTest,
           doc=CycleCheckTest.__doc__)
test_class(globals(), SparseAttnTest, "MinilmTest", MinilmSeq)
test_class(globals(), SparseAttnTest, "RowMixTest", RowMixSeq, CycleCheckTest,
           doc=RowMixSeq.__doc__ + "\n\n" + CycleCheckTest.__doc__)
test_class(globals(), SparseAttnTest, "RingFullTest", RingFullSeq,
           knobs=Knobs(idle="none", backpressure=RING_FULL_BACKPRESSURE))
test_class(globals(), SparseAttnTest, "DeitLayerTest", DeitLayerSeq, CycleCheckTest,
           doc=DeitLayerSeq.__doc__ + "\n\n" + CycleCheckTest.__doc__)
stall_matrix(globals(), RandomTest)
