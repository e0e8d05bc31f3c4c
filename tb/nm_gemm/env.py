"""Wiring of the N:M sparse GEMM block into the shared bench: its stream format and its model."""

from __future__ import annotations

from models.nm_gemm import decode_rows, decode_tile, encode_tile, expected_cycles_nm
from scoreboards import nm_gemm as nm_gemm_sb
from tb.common.bench import BlockSpec
from tb.common.uvm import BlockTest
from tb.nm_gemm.coverage import sample

NM_GEMM_SPEC = BlockSpec(
    name="nm_gemm",
    encode=encode_tile,
    decode_in=decode_tile,
    decode_out=decode_rows,
    model=nm_gemm_sb.expected,
    compare=nm_gemm_sb.compare,
    cycles=lambda p, tiles: expected_cycles_nm(p, [t.k for t in tiles]),
    # utilisation counts the slot MACs the array executes (K*n/m per PE), so 1.0 is a full
    # array; the dense-equivalent work is m/n times larger
    useful_ops=lambda p, t: p.rows * p.cols * p.beats(t.k),
    n_pe=lambda p: p.rows * p.cols,
    describe=nm_gemm_sb.describe,
    sample=sample,
)


class NmGemmTest(BlockTest):
    SPEC = NM_GEMM_SPEC
