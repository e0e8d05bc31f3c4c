"""Wiring of ``sddmm`` into the shared bench: three concurrent input streams (K load, Q rows,
mask rows), one output (score rows), and the stateful model."""

from __future__ import annotations

from models.sddmm import (
    decode_k,
    decode_m,
    decode_out,
    decode_q,
    encode_k,
    encode_m,
    encode_q,
    output_latency,
)
from scoreboards import sddmm as sd_sb
from tb.common.attention import head_spec, useful_macs
from tb.common.bench import StreamSpec
from tb.common.uvm import BlockTest
from tb.sddmm.coverage import sample

SDDMM_SPEC = head_spec(
    "sddmm",
    inputs=[
        StreamSpec(sd_sb.K_PREFIX, decode_k, encode_k),
        StreamSpec(sd_sb.Q_PREFIX, decode_q, encode_q),
        StreamSpec(sd_sb.M_PREFIX, decode_m, encode_m, sample=sample, useful_ops=useful_macs),
    ],
    outputs=[StreamSpec(sd_sb.S_PREFIX, decode_out)],
    predictor=sd_sb.SddmmModel,
    scoreboard=sd_sb,
    latency=output_latency,
    timing_input=sd_sb.Q_PREFIX,
)


class SddmmTest(BlockTest):
    SPEC = SDDMM_SPEC
