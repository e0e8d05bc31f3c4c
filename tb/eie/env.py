"""Wiring of ``eie`` into the shared bench: layer loads on ``s_axis_w``, activation vectors
on ``s_axis_a``, output vectors (with their status) on ``m_axis_b``."""

from __future__ import annotations

from models.eie import EieParams, decode_act, decode_load, decode_out, encode_act, encode_load
from scoreboards import eie as eie_sb
from tb.common.bench import BlockSpec, StreamSpec
from tb.common.uvm import NO_STALLS, BlockTest
from tb.eie import coverage

#: the scoreboard model of the running test (the bench creates it through model_factory);
#: coverage and utilisation, called before the model sees a vector, read its layer
_MODEL: dict[str, eie_sb.EieModel] = {}


def model_factory(p: EieParams) -> eie_sb.EieModel:
    m = eie_sb.EieModel(p)
    _MODEL["current"] = m
    return m


def latency(p: EieParams) -> int:
    """Longest no-stall latency from a vector's last beat to its last output beat: every FIFO
    full of columns of local_rows entries each (the most a column slice holds), the column in
    flight, the idle check and the write-back of local_rows beats, plus the pipeline's few
    register stages (LATENCY_SLACK)."""
    return (p.fifo_depth + 1) * (p.local_rows + 1) + p.local_rows + LATENCY_SLACK


LATENCY_SLACK = 8

EIE_SPEC = BlockSpec(
    name="eie",
    inputs=[
        StreamSpec(eie_sb.W_PREFIX, decode_load, encode_load),
        StreamSpec(eie_sb.A_PREFIX, decode_act, encode_act,
                   sample=lambda p, v, knobs: coverage.sample(p, _MODEL["current"].layer, v),
                   useful_ops=lambda p, v: eie_sb.useful_macs(_MODEL["current"], p, v)),
    ],
    outputs=[StreamSpec(eie_sb.B_PREFIX, decode_out)],
    predictor=model_factory,
    compare=eie_sb.compare,
    cycles=eie_sb.cycles,
    n_pe=lambda p: p.num_pe,
    latency=latency,
    route=eie_sb.route,
    timing_input=eie_sb.A_PREFIX,
)


class EieTest(BlockTest):
    SPEC = EIE_SPEC


class DigitsOut:
    """No stalls; every output vector (values, status) is compared bit-exactly by the
    scoreboard as in every test, and with DIGITS_OUT_ENV set the RTL's output vectors and the
    busy cycles go to that file (make eie-digits reads it)."""

    knobs = NO_STALLS

    def build_phase(self):
        super().build_phase()
        self.outputs = []
        observe = self.bench.observe

        def keep(prefix, result):
            self.outputs.append(result)
            observe(prefix, result)

        self.bench.observe = keep

    def report_phase(self):
        super().report_phase()
        import os

        import numpy as np

        from tb.eie.sequences import DIGITS_OUT_ENV

        path = os.environ.get(DIGITS_OUT_ENV)
        if path:
            b = [o["b"].ravel() for o in self.outputs]
            np.savez(path, b=np.array(b, dtype=np.int64).reshape(len(b), -1),
                     status=np.array([int(o["status"].max()) for o in self.outputs]),
                     cycles=self.bench.busy_cycles())
