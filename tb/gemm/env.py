"""Wiring of the dense GEMM block into the shared bench: its streams and its model."""

from __future__ import annotations

from models.gemm import decode_rows, decode_tile, encode_tile, expected_cycles, output_latency
from scoreboards import gemm as gemm_sb
from scoreboards.base import PerTxnPredictor
from tb.common.bench import BlockSpec, StreamSpec
from tb.common.uvm import BlockTest
from tb.gemm.coverage import sample

IN, OUT = "s_axis", "m_axis"

GEMM_SPEC = BlockSpec(
    name="gemm",
    inputs=[StreamSpec(IN, decode_tile, encode_tile, sample=sample,
                       useful_ops=lambda p, t: p.rows * p.cols * t.k)],
    outputs=[StreamSpec(OUT, decode_rows)],
    predictor=lambda p: PerTxnPredictor(gemm_sb.expected, p, IN, OUT, gemm_sb.describe),
    compare=gemm_sb.compare,
    cycles=lambda p, tiles: expected_cycles(p, [t.k for t in tiles]),
    n_pe=lambda p: p.rows * p.cols,
    latency=output_latency,
)


class GemmTest(BlockTest):
    SPEC = GEMM_SPEC
