"""Wiring of ``sparse_attn`` into the shared bench: four concurrent input streams (K load,
V load, Q rows, mask rows), one output (O rows), and the stateful model."""

from __future__ import annotations

from models.sparse_attn import (
    decode_k,
    decode_m,
    decode_out,
    decode_q,
    decode_v,
    encode_k,
    encode_m,
    encode_q,
    encode_v,
    output_latency,
)
from scoreboards import sparse_attn as sa_sb
from tb.common.bench import BlockSpec, StreamSpec
from tb.common.uvm import BlockTest
from tb.sparse_attn.coverage import sample

SPARSE_ATTN_SPEC = BlockSpec(
    name="sparse_attn",
    inputs=[
        StreamSpec(sa_sb.K_PREFIX, decode_k, encode_k),
        StreamSpec(sa_sb.V_PREFIX, decode_v, encode_v),
        StreamSpec(sa_sb.Q_PREFIX, decode_q, encode_q),
        # useful work: head_dim MACs for the score and head_dim for the output per kept entry
        StreamSpec(sa_sb.M_PREFIX, decode_m, encode_m, sample=sample,
                   useful_ops=lambda p, m: 2 * p.head_dim * len(m.cols)),
    ],
    outputs=[StreamSpec(sa_sb.O_PREFIX, decode_out)],
    predictor=sa_sb.SparseAttnModel,
    compare=sa_sb.compare,
    cycles=sa_sb.cycles,
    n_pe=lambda p: 2 * p.head_dim,  # the SDDMM's d multipliers and the SpMM's d MACs
    latency=output_latency,
    route=sa_sb.route,
    timing_input=sa_sb.Q_PREFIX,
)


class SparseAttnTest(BlockTest):
    SPEC = SPARSE_ATTN_SPEC
