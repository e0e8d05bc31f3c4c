"""The pyuvm layer shared by every block: items, sequences, driver, monitors, scoreboard, env
and the base test. Components see transactions only; pins live in :class:`StreamBench`.

A block's testbench provides a :class:`BlockSpec` and sequences; a test is a subclass of
:class:`BlockTest` that picks a sequence (or overrides one through the factory), never a copy of
the env. Knobs (idle, backpressure) are class attributes so that ``run_uvm`` can derive a
parametrised variant without touching ConfigDB, which pyuvm clears at every ``run_test``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cocotb
from cocotb.triggers import RisingEdge
from pyuvm import (
    ConfigDB,
    uvm_analysis_port,
    uvm_component,
    uvm_driver,
    uvm_env,
    uvm_root,
    uvm_sequence,
    uvm_sequence_item,
    uvm_sequencer,
    uvm_subscriber,
    uvm_test,
)

from tb.common.bench import BlockSpec, Knobs, StreamBench

RESULTS_FILE = "zs_results.jsonl"  # one JSON line per test, read by tests/sim/runner.py
FUNCCOV_DIR = "funccov"  # cocotb-coverage exports, one XML per test (cumulative in a module)


def export_functional_coverage(test: str) -> Path:
    """Write the coverage database as it stands after ``test`` (cocotb-coverage XML)."""
    from cocotb_coverage.coverage import coverage_db

    d = Path(FUNCCOV_DIR)
    d.mkdir(exist_ok=True)
    f = d / (test.replace("/", "_").replace("=", "-") + ".xml")
    coverage_db.export_to_xml(filename=str(f))
    return f


class TxnItem(uvm_sequence_item):
    """One block transaction (a GEMM tile, a time step ...) as a sequence item."""

    def __init__(self, name: str, txn=None):
        super().__init__(name)
        self.txn = txn


class TxnSequence(uvm_sequence):
    """Base sequence: sends what :meth:`txns` yields. Blocks override :meth:`txns`."""

    def txns(self, p, rng):
        raise NotImplementedError(f"{type(self).__name__} must define txns(p, rng)")

    async def body(self):
        bench: StreamBench = ConfigDB().get(None, "", "BENCH")
        for txn in self.txns(bench.p, bench.rng):
            item = TxnItem("txn", txn)
            await self.start_item(item)
            await self.finish_item(item)


class StreamDriverComp(uvm_driver):
    async def run_phase(self):
        bench: StreamBench = ConfigDB().get(self, "", "BENCH")
        while True:
            item = await self.seq_item_port.get_next_item()
            await bench.send(item.txn)
            self.seq_item_port.item_done()


class StreamMonitorComp(uvm_component):
    """Publishes every transaction a pin-level monitor saw, decoded, on ``ap``."""

    def __init__(self, name, parent, side: str):
        super().__init__(name, parent)
        self.side = side  # "in", "out" or the prefix of an aux input

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    def connect_phase(self):
        bench: StreamBench = ConfigDB().get(self, "", "BENCH")
        if self.side == "in":
            mon, decode = bench.in_mon, bench.spec.decode_in
        elif self.side == "out":
            mon, decode = bench.out_mon, bench.spec.decode_out
        else:
            mon, decode = bench.aux_mons[self.side], bench.spec.aux_inputs[self.side]
        mon.on_txn = lambda beats: self.ap.write(decode(bench.p, beats))


class _Export(uvm_subscriber):
    def __init__(self, name, parent, fn):
        super().__init__(name, parent)
        self.fn = fn

    def write(self, tt):
        self.fn(tt)


class ScoreboardComp(uvm_component):
    """Input transactions go through the model into the pure scoreboard; outputs are compared."""

    def build_phase(self):
        self.bench: StreamBench = ConfigDB().get(self, "", "BENCH")
        self.expected_export = _Export("expected_export", self, self.bench.expect)
        self.actual_export = _Export("actual_export", self, self.bench.observe)
        self.aux_exports = {
            prefix: _Export(f"{prefix}_export", self,
                            lambda txn, prefix=prefix: self.bench.aux(prefix, txn))
            for prefix in self.bench.spec.aux_inputs}

    def check_phase(self):
        self.bench.sb.check_drained()


class BlockEnv(uvm_env):
    def build_phase(self):
        self.bench: StreamBench = ConfigDB().get(self, "", "BENCH")
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = StreamDriverComp("driver", self)
        self.in_mon = StreamMonitorComp("in_mon", self, "in")
        self.out_mon = StreamMonitorComp("out_mon", self, "out")
        self.sb = ScoreboardComp("sb", self)
        self.aux_mons = {prefix: StreamMonitorComp(f"{prefix}_mon", self, prefix)
                         for prefix in self.bench.spec.aux_inputs}

    def connect_phase(self):
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.in_mon.ap.connect(self.sb.expected_export.analysis_export)
        self.out_mon.ap.connect(self.sb.actual_export.analysis_export)
        for prefix, mon in self.aux_mons.items():
            mon.ap.connect(self.sb.aux_exports[prefix].analysis_export)


class BlockTest(uvm_test):
    """Reset, run the sequence, drain on handshakes, check, write the summary line."""

    SPEC: BlockSpec | None = None  # set by the block's base test
    sequence: type[TxnSequence] | None = None  # set by each test
    knobs: Knobs | None = None  # None: defaults (random gaps and backpressure)
    test_id: str | None = None  # name in logs and summaries (defaults to the class name)

    def build_phase(self):
        name = self.test_id or type(self).__name__
        self.bench = StreamBench(cocotb.top, self.SPEC, name, self.knobs or Knobs())
        ConfigDB().set(None, "*", "BENCH", self.bench)
        self.env = BlockEnv("env", self)

    async def run_phase(self):
        self.raise_objection()
        await self.bench.reset()
        await self.stimulus()
        await self.bench.drain()
        self.drop_objection()

    async def stimulus(self):
        """Default stimulus: run ``self.sequence`` on the env's sequencer."""
        seq = self.sequence("seq")
        await seq.start(self.env.seqr)

    def report_phase(self):
        s = self.bench.summary()
        logging.getLogger(f"cocotb.{s['block']}.summary").info(
            "%s: %d txns / %d elements checked, %d cycles, utilisation %.3f",
            s["test"], s["txns"], s["elements"], s["cycles"], s["utilisation"])
        with Path(RESULTS_FILE).open("a") as f:
            f.write(json.dumps(s) + "\n")
        if self.bench.spec.sample is not None:
            export_functional_coverage(s["test"])


CYCLE_TOLERANCE = 0  # cycles: each block's model mirrors its RTL timeline exactly without stalls
#: Dense reduction length and tile count of every block's cycle measurement (equal work across
#: blocks, so the benchmarks can divide their cycles): long enough that a 1:8 sparse tile
#: (128 beats) is still long against an 8 x 8 array's R + C = 16 cycles of fill and hand-off.
CYCLE_K = 1024
N_CYCLE_TILES = 3


class CycleCheckTest(BlockTest):
    """Measured busy cycles of back-to-back transactions equal the block's cycle model.

    No idle cycles and no backpressure (and only in this kind of test): a stall would measure
    the testbench, not the block. ``min_utilisation`` optionally asserts a floor."""

    knobs = Knobs(idle=0.0, backpressure=0.0)
    min_utilisation: float | None = None

    def check_phase(self):
        super().check_phase()
        b = self.bench
        want = b.spec.cycles(b.p, b.sent)
        got = b.busy_cycles()
        repro = f"\n  reproduce with waves: {b.ctx.repro}" if b.ctx.repro else ""
        assert abs(got - want) <= CYCLE_TOLERANCE, (
            f"{b.ctx.prefix()}: cycles measured {got}, model expects {want} "
            f"(tolerance {CYCLE_TOLERANCE}){repro}")
        util = b.summary()["utilisation"]
        if self.min_utilisation is not None:
            assert util >= self.min_utilisation, (
                f"{b.ctx.prefix()}: utilisation {util:.3f} < {self.min_utilisation}{repro}")


class ResetMidStreamTest(BlockTest):
    """Reset while a transaction is half loaded and an output is in flight; then two runs of
    ``sequence`` must be checked correct (the second one entirely after the reset)."""

    def mid_stream(self) -> bool:
        """The moment to reset: an output already checked and an input partly loaded."""
        b = self.bench
        return b.sb.n_checked >= 1 and bool(b.in_mon.beats)

    async def stimulus(self):
        b = self.bench
        first = self.sequence("first")
        task = cocotb.start_soon(first.start(self.env.seqr))
        while not self.mid_stream():
            await RisingEdge(b.dut.clk)
            if task.done():
                break
        assert not task.done(), "the sequence ended before a mid-stream moment came"
        checked_before = b.sb.n_checked
        await b.reset()
        await task
        second = self.sequence("second")
        await second.start(self.env.seqr)
        await b.drain()
        assert b.sb.n_checked > checked_before, "no transaction was checked after the reset"


async def run_uvm(test_cls: type[BlockTest], name: str, **knobs) -> None:
    """Run ``test_cls`` as a variant named ``name`` with the given knobs (for parametrised
    cocotb tests such as the idle x backpressure matrix)."""
    variant = type(name.replace("/", "_").replace("=", "_").replace(".", "p"), (test_cls,),
                   {"knobs": Knobs(**knobs), "test_id": name})
    await uvm_root().run_test(variant)
