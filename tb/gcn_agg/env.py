"""Wiring of ``gcn_agg`` into the shared bench: an H load and a PCOO pass in, one output
transaction (the pass's rows) out; and the block's own cycle test (one pass, exact)."""

from __future__ import annotations

from models.gcn_agg import (
    APass,
    HLoad,
    decode_a,
    decode_h,
    decode_y,
    encode_a,
    encode_h,
    pass_cycles,
)
from scoreboards import gcn_agg as g_sb
from tb.common.bench import StreamSpec
from tb.common.spec import BlockSpec
from tb.common.uvm import CYCLE_TOLERANCE, NO_STALLS, BlockTest
from tb.gcn_agg.coverage import sample_a, sample_h


def useful_macs(p, a) -> int:
    """feat_lanes MACs per non-pad tuple of the pass."""
    return p.feat_lanes * a.schedule.nnz


def output_latency(p) -> int:
    """The pass's last Â beat to its first output row: the write lands L - 1 edges after the
    issue, then the drain's register (models.gcn_agg.pass_cycles)."""
    return p.latency + 1


GCN_AGG_SPEC = BlockSpec(
    name="gcn_agg",
    inputs=[StreamSpec(g_sb.H_PREFIX, decode_h, encode_h, sample=sample_h),
            StreamSpec(g_sb.A_PREFIX, decode_a, encode_a, sample=sample_a,
                       useful_ops=useful_macs)],
    outputs=[StreamSpec(g_sb.Y_PREFIX, decode_y)],
    predictor=g_sb.GcnAggModel,
    cycles=g_sb.cycles,
    n_pe=lambda p: p.lanes * p.feat_lanes,
    latency=output_latency,
    compare=g_sb.compare,
    route=g_sb.route,
    timing_input=g_sb.A_PREFIX,
)


class GcnAggTest(BlockTest):
    SPEC = GCN_AGG_SPEC


class PassCycleTest(GcnAggTest):
    """With no stalls, the measured cycles of one pass (first Â handshake to last output row)
    equal models.gcn_agg.pass_cycles exactly, hazard hold cycles included."""

    knobs = NO_STALLS

    def check_phase(self):
        super().check_phase()
        b = self.bench
        h = [t for t in b.sent if isinstance(t, HLoad)]
        a = [t for t in b.sent if isinstance(t, APass)]
        assert len(h) == len(a) == 1, f"{b.ctx.prefix()}: the cycle test sends one pass"
        want, got = pass_cycles(b.p, h[0], a[0]), b.busy_cycles()
        repro = f"\n  reproduce with waves: {b.ctx.repro}" if b.ctx.repro else ""
        assert abs(got - want) <= CYCLE_TOLERANCE, (
            f"{b.ctx.prefix()}: cycles measured {got}, model expects {want} "
            f"(tolerance {CYCLE_TOLERANCE}){repro}")


class CoraTest(GcnAggTest):
    """Cora's real graph and trained weights (tb/gcn_agg/cora.py), no stalls; the RTL's
    output transactions go to ZS_GCN_OUT when it is set (make gcn-rtl reads them)."""

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

        from tb.gcn_agg.cora import OUT_ENV

        path = os.environ.get(OUT_ENV)
        if path:
            np.savez(path, **{f"y{i}": o["y"] for i, o in enumerate(self.outputs)},
                     **{f"flags{i}": o["flags"] for i, o in enumerate(self.outputs)},
                     cycles=self.bench.busy_cycles())
