"""cocotb/pyuvm tests of ``sddmm`` (the module the runner loads). Tests only choose stimulus.

No reset-mid-stream tests yet: a reset makes the block forget the head's keys, and the forked
Q/mask sequences would have to reload them (as delta_lstm's sequences do for its weights)."""

from __future__ import annotations

from tb.common.attention import head_tests
from tb.sddmm.env import SddmmTest
from tb.sddmm.sequences import (
    BackToBackSeq,
    CycleSeq,
    DeitMaskSeq,
    ExtremesSeq,
    MaskShapesSeq,
    RandomHeadsSeq,
)

head_tests(globals(), SddmmTest, random=RandomHeadsSeq, extremes=ExtremesSeq,
           mask_shapes=MaskShapesSeq, back_to_back=BackToBackSeq, deit=DeitMaskSeq,
           cycle=CycleSeq)
