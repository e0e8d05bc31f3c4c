"""Wiring of ``spmm`` into the shared bench: a V load and P rows in, output rows out."""

from __future__ import annotations

from models.spmm import decode_out, decode_p, decode_v, encode_p, encode_v, output_latency
from scoreboards import spmm as sp_sb
from tb.common.attention import head_spec, useful_macs
from tb.common.bench import StreamSpec
from tb.common.uvm import BlockTest
from tb.spmm.coverage import sample

SPMM_SPEC = head_spec(
    "spmm",
    inputs=[
        StreamSpec(sp_sb.V_PREFIX, decode_v, encode_v),
        StreamSpec(sp_sb.P_PREFIX, decode_p, encode_p, sample=sample, useful_ops=useful_macs),
    ],
    outputs=[StreamSpec(sp_sb.O_PREFIX, decode_out)],
    predictor=sp_sb.SpmmModel,
    scoreboard=sp_sb,
    latency=output_latency,
    timing_input=sp_sb.P_PREFIX,
)


class SpmmTest(BlockTest):
    SPEC = SPMM_SPEC
