"""cocotb/pyuvm tests of ``gemm`` (the module the runner loads). Tests only choose stimulus:
the common ones come from tb/common/tests.py, chosen with this block's sequences."""

from __future__ import annotations

from tb.common.overlap import overlap_tests
from tb.common.tests import stall_matrix, standard_tests, test_class
from tb.gemm.env import GemmTest
from tb.gemm.sequences import (
    AlternatingKSeq,
    BackToBackSeq,
    ConvLayerSeq,
    CycleSeq,
    ExtremesSeq,
    InFlightSeq,
    K1Seq,
    LongKSeq,
    RandomTilesSeq,
    RequantCornersSeq,
    ShortTilesSeq,
    TileBenchSeq,
    ZerosSeq,
)

MIN_LONG_K_UTILISATION = 0.90  # issue target for long K at steady state

standard_tests(globals(), GemmTest, random=RandomTilesSeq, zeros=ZerosSeq,
               extremes=ExtremesSeq, back_to_back=BackToBackSeq, requant=RequantCornersSeq,
               cycle=CycleSeq, min_utilisation=MIN_LONG_K_UTILISATION)
test_class(globals(), GemmTest, "K1Test", K1Seq)
test_class(globals(), GemmTest, "LongKTest", LongKSeq)
test_class(globals(), GemmTest, "ConvLayerTest", ConvLayerSeq)
stall_matrix(globals(), RandomTest)  # noqa: F821 -- defined by standard_tests
overlap_tests(globals(), GemmTest, short=ShortTilesSeq, alternating=AlternatingKSeq,
              in_flight=InFlightSeq, bench=TileBenchSeq)
