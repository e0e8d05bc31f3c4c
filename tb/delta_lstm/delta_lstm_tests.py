"""cocotb/pyuvm tests of ``delta_lstm`` (the module the runner loads). Tests only choose
stimulus; every h_t of every step is compared bit-exactly by the scoreboard."""

from __future__ import annotations

import cocotb
import pyuvm

from tb.common.params import load_params
from tb.common.tests import stall_matrix
from tb.common.uvm import CycleCheckTest, variant
from tb.common.uvm import ResetMidStreamTest as ResetMidStream
from tb.delta_lstm.env import DEFAULT, THETA_LARGE, DeltaLstmTest
from tb.delta_lstm.sequences import (
    ConstantSeq,
    DenseWalkSeq,
    ExtremesSeq,
    LongSeq,
    LutSweepSeq,
    MixedWalkSeq,
    RandomWalkSeq,
    RealWeightsSeq,
    ReloadSeq,
    SaturationSeq,
    SparseWalkSeq,
    StepChangeSeq,
    ThresholdExtremesSeq,
    cycle_seq,
)

#: target share of columns firing per step in the cycle tests: ~0 %, 50 % and 90 % sparsity
FIRE_FRACTIONS = [1.0, 0.5, 0.1]
CYCLE_FIRE = 0.5  # the plain CycleTest: half the columns
CYCLE_QUIET_STEPS = 3  # then steps where no column fires (the MAC phase is only its drain)


@pyuvm.test()
class RandomTest(DeltaLstmTest):
    sequence = RandomWalkSeq


@pyuvm.test()
class DenseTest(DeltaLstmTest):
    """Every input moves every step and theta_h = 0 (acts as one LSB), so that steps where
    every column fires occur, under stalls."""

    sequence = DenseWalkSeq
    thresholds = (DEFAULT, 0)


@pyuvm.test()
class SparseTest(DeltaLstmTest):
    sequence = SparseWalkSeq


@pyuvm.test()
class MixedTest(DeltaLstmTest):
    """Every firing level in one run, theta_h = 0 (so that all columns fire in the dense
    part): the sequence of the stall matrix."""

    sequence = MixedWalkSeq
    thresholds = (DEFAULT, 0)


@pyuvm.test()
class ConstantTest(DeltaLstmTest):
    sequence = ConstantSeq


@pyuvm.test()
class StepChangeTest(DeltaLstmTest):
    sequence = StepChangeSeq


@pyuvm.test()
class LongTest(DeltaLstmTest):
    sequence = LongSeq


@pyuvm.test()
class ReloadTest(DeltaLstmTest):
    sequence = ReloadSeq


@pyuvm.test()
class ExtremesTest(DeltaLstmTest):
    sequence = ExtremesSeq


@pyuvm.test()
class SaturationTest(DeltaLstmTest):
    sequence = SaturationSeq


@pyuvm.test()
class LutSweepTest(DeltaLstmTest):
    sequence = LutSweepSeq


@pyuvm.test()
class RealWeightsTest(DeltaLstmTest):
    """textgenrnn's trained first layer (cropped to the config; whole in the slow benchmark)
    on a real sentence."""

    sequence = RealWeightsSeq


@pyuvm.test()
class ThresholdZeroTest(DeltaLstmTest):
    """Threshold 0 acts as 1 LSB: every change fires, one-LSB moves included."""

    sequence = ThresholdExtremesSeq
    thresholds = (0, 0)


@pyuvm.test()
class ThresholdLargeTest(DeltaLstmTest):
    """Threshold 2**15 (env.THETA_LARGE): only jumps to -2**15 from 0 and jumps between the
    extremes fire; h (|h| <= 1.0) never does."""

    sequence = ThresholdExtremesSeq
    thresholds = (THETA_LARGE, THETA_LARGE)


@pyuvm.test()
class ResetMidStreamTest(DeltaLstmTest, ResetMidStream):
    """The common test, at a moment every config has: an output checked and a step in
    flight (x partly loaded when a step has several x beats, else the step being computed).
    After the reset the sequences reload the weights (the DUT waits for a load)."""

    sequence = RandomWalkSeq

    def mid_stream(self) -> bool:
        b = self.bench
        return b.n_checked >= 1 and (b.inputs_partial() or b.pending > 0)


@pyuvm.test()
class CycleTest(DeltaLstmTest, CycleCheckTest):
    """No stalls: cycles from the first x handshake to the last h handshake equal the model's
    expected_cycles for the fired columns the model computed, exactly."""

    sequence = cycle_seq(CYCLE_FIRE, CYCLE_QUIET_STEPS)
    thresholds = (DEFAULT, THETA_LARGE)  # no h column fires: the quiet steps fire nothing


@pyuvm.test()
class ThresholdCycleTest(CycleTest):
    """Moves of exactly theta_x (fire) and of one LSB (do not) at the config's threshold,
    with no stalls: which columns fired is visible in the cycle count even where a missed or
    extra small delta hardly moves h (deltas telescope, so M catches up at the next fire)."""

    sequence = ThresholdExtremesSeq


@cocotb.test()
@cocotb.parametrize(fire=FIRE_FRACTIONS)
async def test_cycle_sparsity(dut, fire):
    """Cycle accuracy at controlled temporal sparsity (what the benchmark divides): exactly
    round(fire * (I + H)) x columns move per step when that is at most I, with theta_h at
    2**15 so that no h column fires; above I every column fires (DenseDriveSeq, the config's
    thresholds)."""
    p = load_params(dut)  # the config's shape decides whether h columns must fire
    theta_h = DEFAULT if round(fire * p.cols) > p.input_size else THETA_LARGE
    await pyuvm.uvm_root().run_test(variant(CycleTest, f"CycleTest/fire={fire}",
                                            sequence=cycle_seq(fire),
                                            thresholds=(DEFAULT, theta_h)))


# every firing level (MixedTest) under every per-port stall pattern
stall_matrix(globals(), MixedTest)
