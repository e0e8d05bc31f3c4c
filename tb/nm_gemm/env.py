"""Wiring of the N:M sparse GEMM block into the shared bench: its streams and its model."""

from __future__ import annotations

from models.gemm import output_latency
from models.nm_gemm import decode_rows, decode_tile, encode_tile, expected_cycles_nm
from scoreboards import nm_gemm as nm_gemm_sb
from scoreboards.base import PerTxnPredictor
from tb.common.bench import BlockSpec, StreamSpec
from tb.common.uvm import BlockTest
from tb.nm_gemm.coverage import sample

IN, OUT = "s_axis", "m_axis"

NM_GEMM_SPEC = BlockSpec(
    name="nm_gemm",
    # utilisation counts the slot MACs the array executes (K*n/m per PE), so 1.0 is a full
    # array; the dense-equivalent work is m/n times larger
    inputs=[StreamSpec(IN, decode_tile, encode_tile, sample=sample,
                       useful_ops=lambda p, t: p.rows * p.cols * p.beats(t.k))],
    outputs=[StreamSpec(OUT, decode_rows)],
    predictor=lambda p: PerTxnPredictor(nm_gemm_sb.expected, p, IN, OUT, nm_gemm_sb.describe),
    compare=nm_gemm_sb.compare,
    cycles=lambda p, tiles: expected_cycles_nm(p, [t.k for t in tiles]),
    n_pe=lambda p: p.rows * p.cols,
    latency=lambda p: output_latency(p.dense),  # the same array and output stage as gemm
)


class NmGemmTest(BlockTest):
    SPEC = NM_GEMM_SPEC
