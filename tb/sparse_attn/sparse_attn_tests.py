"""cocotb/pyuvm tests of ``sparse_attn`` (the module the runner loads). Tests only choose
stimulus. The reset tests are the family's (tb/common/attention.py): every engine forgets its
load on reset, and the head sequence sends the head again from its K and V loads."""

from __future__ import annotations

from tb.common.attention import RESET_DOC, RESET_TESTS
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
    ResetSeq,
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
for _name, _mixin in RESET_TESTS:
    test_class(globals(), SparseAttnTest, _name, ResetSeq, _mixin, doc=_mixin.__doc__ + RESET_DOC,
               fast_ok=False, timing_dependent=False)
