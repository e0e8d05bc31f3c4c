"""Wiring of the dense GEMM block into the shared bench: its stream format and its model."""

from __future__ import annotations

from models.gemm import decode_rows, decode_tile, encode_tile, expected_cycles
from scoreboards import gemm as gemm_sb
from tb.common.bench import BlockSpec
from tb.common.uvm import BlockTest
from tb.gemm.coverage import sample

GEMM_SPEC = BlockSpec(
    name="gemm",
    encode=encode_tile,
    decode_in=decode_tile,
    decode_out=decode_rows,
    model=gemm_sb.expected,
    compare=gemm_sb.compare,
    cycles=lambda p, tiles: expected_cycles(p, [t.k for t in tiles]),
    useful_ops=lambda p, t: p.rows * p.cols * t.k,
    n_pe=lambda p: p.rows * p.cols,
    describe=gemm_sb.describe,
    sample=sample,
)


class GemmTest(BlockTest):
    SPEC = GEMM_SPEC
