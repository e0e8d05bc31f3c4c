"""cocotb module of make bench-eie (tests/sim/test_bench_eie.py), apart from the block's test
module so that make test does not run it: one density point a run (SWEEP_ENV), no stalls,
every output vector compared bit-exactly by the scoreboard, the busy cycles written to
DIGITS_OUT_ENV's file."""

from __future__ import annotations

from tb.common.tests import test_class
from tb.eie.env import DigitsOut, EieTest
from tb.eie.sequences import SweepSeq

test_class(globals(), EieTest, "SweepTest", SweepSeq, DigitsOut, doc=SweepSeq.__doc__)
