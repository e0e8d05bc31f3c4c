"""Wiring of ``spmm`` into the shared bench: a V load and P rows in, output rows out."""

from __future__ import annotations

from models.spmm import decode_out, decode_p, decode_v, encode_p, encode_v, output_latency
from scoreboards import spmm as sp_sb
from tb.common.bench import BlockSpec, StreamSpec
from tb.common.uvm import BlockTest
from tb.spmm.coverage import sample

SPMM_SPEC = BlockSpec(
    name="spmm",
    inputs=[
        StreamSpec(sp_sb.V_PREFIX, decode_v, encode_v),
        # useful work: head_dim MACs per kept entry of P
        StreamSpec(sp_sb.P_PREFIX, decode_p, encode_p, sample=sample,
                   useful_ops=lambda p, r: p.head_dim * len(r.cols)),
    ],
    outputs=[StreamSpec(sp_sb.O_PREFIX, decode_out)],
    predictor=sp_sb.SpmmModel,
    compare=sp_sb.compare,
    cycles=sp_sb.cycles,
    n_pe=lambda p: p.head_dim,
    latency=output_latency,
    route=sp_sb.route,
    timing_input=sp_sb.P_PREFIX,
)


class SpmmTest(BlockTest):
    SPEC = SPMM_SPEC
