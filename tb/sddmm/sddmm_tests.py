"""cocotb/pyuvm tests of ``sddmm`` (the module the runner loads). Tests only choose stimulus:
the attention family's tests (tb/common/attention.py ``head_tests``), the reset tests included
(a reset makes the block forget the head's keys; the head sequence sends the head again from
its K load)."""

from __future__ import annotations

from tb.common.attention import head_tests
from tb.sddmm.env import SddmmTest
from tb.sddmm.sequences import (
    BackToBackSeq,
    CycleSeq,
    DeitMaskSeq,
    ExtremesSeq,
    MaskShapesSeq,
    OverlapSeq,
    RandomHeadsSeq,
    ResetSeq,
)

head_tests(globals(), SddmmTest, random=RandomHeadsSeq, extremes=ExtremesSeq,
           mask_shapes=MaskShapesSeq, back_to_back=BackToBackSeq, deit=DeitMaskSeq,
           cycle=CycleSeq, overlap=OverlapSeq, reset=ResetSeq)
