"""Wiring of ``delta_lstm`` into the shared bench: two input streams (weight loads on
``s_axis_w``, x steps on ``s_axis_x``), one output (``m_axis_h``), the threshold ports, and the
stateful scoreboard model."""

from __future__ import annotations

from typing import Any

from models.delta_lstm import (
    DeltaLstmParams,
    decode_h_step,
    decode_weight_load,
    decode_x_step,
    encode_weight_load,
    encode_x_step,
    x_beats,
)
from scoreboards import delta_lstm as dl_sb
from tb.common.bench import BlockSpec
from tb.common.uvm import BlockTest
from tb.delta_lstm import coverage

#: the scoreboard model of the running test: the bench creates it through ``model_factory``;
#: coverage and utilisation (called before the model commits a step) read its preview
_MODEL: dict[str, dl_sb.DeltaLstmModel] = {}


def model_factory(p: DeltaLstmParams) -> dl_sb.DeltaLstmModel:
    m = dl_sb.DeltaLstmModel(p)
    _MODEL["current"] = m
    return m


def _preview(x) -> dl_sb.StepResult:
    return _MODEL["current"].preview(x)


def encode(p: DeltaLstmParams, txn: Any):
    return encode_weight_load(p, txn) if dl_sb.is_load(txn) else encode_x_step(p, txn)


def cfg(p: DeltaLstmParams) -> dict[str, int]:
    return {"cfg_theta_x": p.theta_x, "cfg_theta_h": p.theta_h}


DELTA_LSTM_SPEC = BlockSpec(
    name="delta_lstm",
    encode=encode,
    decode_in=decode_x_step,
    decode_out=decode_h_step,
    model_factory=model_factory,
    compare=dl_sb.compare,
    cycles=dl_sb.cycles,
    # MACs the PEs execute: K per fired column on every PE (padding entries included, as the
    # RTL spends the cycle on them too), so 1.0 is a PE array busy every cycle
    useful_ops=lambda p, x: _preview(x).stats.n_fired * p.keep * p.num_pe,
    n_pe=lambda p: p.num_pe,
    describe=dl_sb.describe,
    sample=lambda p, x, knobs: coverage.sample(p, _preview(x), knobs),
    in_prefix=dl_sb.X_PREFIX,
    out_prefix=dl_sb.H_PREFIX,
    aux_inputs={dl_sb.W_PREFIX: decode_weight_load},
    route=dl_sb.route,
    beats_per_txn=lambda p, prefix: x_beats(p) if prefix == dl_sb.X_PREFIX else None,
    cfg=cfg,
)


#: a threshold spelled ``THETA_LARGE`` is 2**(act_width-1): the largest that can still fire
#: from the initial state (x̂ = 0 and |x| <= 2**(act_width-1), so a larger one never fires;
#: with it only a jump to the most negative value, or between the extremes, fires)
THETA_LARGE = "large"
DEFAULT = "default"  # the config's own threshold


def theta_value(p: DeltaLstmParams, t: int | str, own: int) -> int:
    if t == THETA_LARGE:
        return 1 << (p.act_width - 1)
    return own if t == DEFAULT else int(t)


class DeltaLstmTest(BlockTest):
    """Base test. ``thresholds = (theta_x, theta_h)`` (ints, ``THETA_LARGE`` or ``DEFAULT``)
    runs the test with other thresholds than the config's (they are cfg ports, not part of the
    Verilog): the bench's params, its model and the ports are switched before reset."""

    SPEC = DELTA_LSTM_SPEC
    thresholds: tuple[int, int] | None = None

    def build_phase(self):
        super().build_phase()
        if self.thresholds is not None:
            b = self.bench
            tx, th = (theta_value(b.p, t, own) for t, own in zip(self.thresholds,
                                                                 (b.p.theta_x, b.p.theta_h)))
            b.p = b.p.replace(theta_x=tx, theta_h=th)
            b.model = b.spec.model_factory(b.p)
            for port, value in b.spec.cfg(b.p).items():
                getattr(b.dut, port).value = value
            b.log.info("thresholds theta_x %d theta_h %d", b.p.theta_x, b.p.theta_h)
