"""cocotb/pyuvm tests of ``nm_gemm`` (the module the runner loads). Tests only choose
stimulus: the common ones come from tb/common/tests.py, chosen with this block's sequences."""

from __future__ import annotations

from tb.common.bench import Knobs
from tb.common.overlap import overlap_tests
from tb.common.tests import knob_variants, stall_matrix, standard_tests, test_class
from tb.nm_gemm.coverage import pattern_coverage
from tb.nm_gemm.env import NmGemmTest
from tb.nm_gemm.sequences import (
    AlternatingKSeq,
    BackToBackSeq,
    ConvLayerSeq,
    CycleSeq,
    ExtremesSeq,
    InFlightSeq,
    MalformedSeq,
    PatternsSeq,
    RandomTilesSeq,
    RequantCornersSeq,
    ShortTilesSeq,
    TileBenchSeq,
    ZerosSeq,
)

BACKPRESSURE_LEVELS = [0.0, 0.5]  # sink always ready / ready half the cycles

standard_tests(globals(), NmGemmTest, random=RandomTilesSeq, zeros=ZerosSeq,
               extremes=ExtremesSeq, back_to_back=BackToBackSeq, requant=RequantCornersSeq,
               cycle=CycleSeq)


class PatternsCheck:
    """Every C(m, n) index pattern reaches the array; the pattern coverpoint must be full."""

    def check_phase(self):
        super().check_phase()
        hit, size = pattern_coverage()
        assert hit == size, (f"nm_gemm[{self.bench.p.tag}] index patterns: {hit} of {size} "
                             f"seen by the input monitor")


test_class(globals(), NmGemmTest, "PatternsTest", PatternsSeq, PatternsCheck,
           doc=PatternsCheck.__doc__)
test_class(globals(), NmGemmTest, "MalformedTest", MalformedSeq)
test_class(globals(), NmGemmTest, "ConvLayerTest", ConvLayerSeq)
stall_matrix(globals(), RandomTest)  # noqa: F821 -- defined by standard_tests
knob_variants(globals(), MalformedTest, "test_malformed_backpressure",  # noqa: F821
              lambda backpressure: Knobs(idle=0.0, backpressure=backpressure),
              "Malformed tiles with the output stalled or not: the flag travels with its tile "
              "through the output double buffer either way.", backpressure=BACKPRESSURE_LEVELS)
overlap_tests(globals(), NmGemmTest, short=ShortTilesSeq, alternating=AlternatingKSeq,
              in_flight=InFlightSeq, bench=TileBenchSeq)
