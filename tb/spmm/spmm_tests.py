"""cocotb/pyuvm tests of ``spmm`` (the module the runner loads). Tests only choose stimulus.

No reset-mid-stream tests yet: a reset makes the block forget the head's values, and the P
rows that follow would have to wait for a reload (as delta_lstm's sequences do)."""

from __future__ import annotations

from tb.common.attention import head_tests
from tb.spmm.env import SpmmTest
from tb.spmm.sequences import (
    BackToBackSeq,
    CycleSeq,
    DeitMaskSeq,
    ExtremesSeq,
    MaskShapesSeq,
    RandomHeadsSeq,
)

head_tests(globals(), SpmmTest, random=RandomHeadsSeq, extremes=ExtremesSeq,
           mask_shapes=MaskShapesSeq, back_to_back=BackToBackSeq, deit=DeitMaskSeq,
           cycle=CycleSeq)
