"""Wiring of the softmax row unit into the shared bench: its streams and its model."""

from __future__ import annotations

from models.softmax import decode_out, decode_row, encode_row, expected_cycles, output_latency
from scoreboards import softmax as softmax_sb
from scoreboards.base import PerTxnPredictor
from tb.common.bench import BlockSpec, StreamSpec
from tb.common.uvm import BlockTest
from tb.softmax.coverage import sample

IN, OUT = "s_axis", "m_axis"

SOFTMAX_SPEC = BlockSpec(
    name="softmax",
    # useful work: one exponential per kept score (the unit has one exp datapath)
    inputs=[StreamSpec(IN, decode_row, encode_row, sample=sample,
                       useful_ops=lambda p, r: r.n)],
    outputs=[StreamSpec(OUT, decode_out)],
    predictor=lambda p: PerTxnPredictor(softmax_sb.expected, p, IN, OUT, softmax_sb.describe),
    compare=softmax_sb.compare,
    cycles=expected_cycles,
    n_pe=lambda p: 1,
    latency=output_latency,
)


class SoftmaxTest(BlockTest):
    SPEC = SOFTMAX_SPEC
