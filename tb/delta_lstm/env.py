"""Wiring of ``delta_lstm`` into the shared bench: two input streams (weight loads on
``s_axis_w``, x steps on ``s_axis_x``), one output (``m_axis_h``), the threshold ports, and the
stateful scoreboard model."""

from __future__ import annotations

from models.delta_lstm import (
    DeltaLstmParams,
    decode_h_step,
    decode_weight_load,
    decode_x_step,
    dense_cycles,
    encode_weight_load,
    encode_x_step,
    x_beats,
)
from scoreboards import delta_lstm as dl_sb
from tb.common.bench import BlockSpec, StreamSpec
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


def cfg(p: DeltaLstmParams) -> dict[str, int]:
    return {"cfg_theta_x": p.theta_x, "cfg_theta_h": p.theta_h}


DELTA_LSTM_SPEC = BlockSpec(
    name="delta_lstm",
    inputs=[
        # MACs the PEs execute: K per fired column on every PE (padding entries included, as
        # the RTL spends the cycle on them too), so 1.0 is a PE array busy every cycle
        StreamSpec(dl_sb.X_PREFIX, decode_x_step, encode_x_step,
                   beats_per_txn=x_beats,
                   sample=lambda p, x, knobs: coverage.sample(p, _preview(x), knobs),
                   useful_ops=lambda p, x: _preview(x).stats.n_fired * p.keep * p.num_pe),
        StreamSpec(dl_sb.W_PREFIX, decode_weight_load, encode_weight_load),
    ],
    outputs=[StreamSpec(dl_sb.H_PREFIX, decode_h_step)],
    predictor=model_factory,
    compare=dl_sb.compare,
    cycles=dl_sb.cycles,
    n_pe=lambda p: p.num_pe,
    latency=lambda p: dense_cycles(p, 1),  # a step where every column fires
    route=dl_sb.route,
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
            b.retune(theta_x=tx, theta_h=th)
            b.log.info("thresholds theta_x %d theta_h %d", b.p.theta_x, b.p.theta_h)
