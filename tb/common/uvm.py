"""The pyuvm layer shared by every block: items, sequences, drivers, monitors, scoreboard, env
and the base tests. Components see transactions only; pins live in :class:`StreamBench`.

Every input stream of a block gets its own sequencer and driver, every stream its own monitor.
A test's stimulus is a *virtual sequence* (the OpenTitan ``vseq`` / pyuvm virtual-sequence
pattern): :class:`TxnSequence` sends what :meth:`TxnSequence.txns` yields, each transaction
on the sequencer of the stream it is routed to, one after the other; :meth:`VirtualSeq.fork`
runs one list per stream concurrently and joins them. No block writes fork/join code.

A block's testbench provides a :class:`BlockSpec` and sequences; a test is a subclass of
:class:`BlockTest` that picks a sequence, never a copy of the env. Knobs (stall patterns) are
class attributes so that variants can be derived without touching ConfigDB, which pyuvm clears
at every ``run_test``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import RisingEdge
from pyuvm import (
    ConfigDB,
    uvm_analysis_port,
    uvm_component,
    uvm_driver,
    uvm_env,
    uvm_sequence,
    uvm_sequence_item,
    uvm_sequencer,
    uvm_subscriber,
    uvm_test,
)

from tb.common.bench import BlockSpec, Knobs, StreamBench
from tb.common.fast import FastBench, fast_mode

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


def bench() -> StreamBench:
    return ConfigDB().get(None, "", "BENCH")


class TxnItem(uvm_sequence_item):
    """One block transaction (a GEMM tile, a time step, a packet ...) as a sequence item.
    ``serial``: the sequence waits for it before its next send on any stream."""

    def __init__(self, name: str, txn=None, serial: bool = True):
        super().__init__(name)
        self.txn = txn
        self.serial = serial


@dataclasses.dataclass
class StreamTxn:
    """What a monitor publishes: the stream, the decoded transaction, its last handshake."""

    stream: str
    txn: Any
    cycle: int


class StreamSeq(uvm_sequence):
    """Leaf sequence: sends ``txns`` in order on the sequencer it is started on."""

    def __init__(self, name: str, txns=(), serial: bool = True):
        super().__init__(name)
        self.txns = list(txns)
        self.serial = serial

    async def body(self):
        for txn in self.txns:
            item = TxnItem("txn", txn, self.serial)
            await self.start_item(item)
            await self.finish_item(item)


class VirtualSeq(uvm_sequence):
    """Base of every stimulus: started without a sequencer, it drives the env's per-stream
    sequencers (``self.seqrs``: prefix -> sequencer)."""

    @property
    def bench(self) -> StreamBench:
        return bench()

    @property
    def seqrs(self) -> dict[str, uvm_sequencer]:
        return ConfigDB().get(None, "", "SEQRS")

    async def send(self, txn) -> None:
        """One transaction on the stream it is routed to; returns when it was accepted."""
        await self.send_on(self.bench.spec.route_of(txn), txn)

    async def send_on(self, prefix: str, txn) -> None:
        await StreamSeq("leaf", [txn]).start(self.seqrs[prefix])

    async def fork(self, per_stream: dict[str, list]) -> None:
        """Drive each stream's list concurrently (each in order); return when all are done."""
        tasks = [cocotb.start_soon(StreamSeq(f"{p}_seq", txns, False).start(self.seqrs[p]))
                 for p, txns in per_stream.items()]
        for t in tasks:
            await t


class TxnSequence(VirtualSeq):
    """Sends what :meth:`txns` yields, in order, each on its routed stream. Blocks override
    :meth:`txns`; a sequence that drives streams concurrently overrides :meth:`body`."""

    def txns(self, p, rng):
        raise NotImplementedError(f"{type(self).__name__} must define txns(p, rng)")

    async def body(self):
        b = self.bench
        for txn in self.txns(b.p, b.rng):
            await self.send(txn)


class StreamDriverComp(uvm_driver):
    """Drives the items of one input stream's sequencer onto its pins."""

    def __init__(self, name, parent, prefix: str):
        super().__init__(name, parent)
        self.prefix = prefix

    async def run_phase(self):
        b = bench()
        while True:
            item = await self.seq_item_port.get_next_item()
            await b.send_on(self.prefix, item.txn, item.serial)
            self.seq_item_port.item_done()


class StreamMonitorComp(uvm_component):
    """Publishes every transaction one stream's pin-level monitor saw, decoded, on ``ap``."""

    def __init__(self, name, parent, prefix: str):
        super().__init__(name, parent)
        self.prefix = prefix

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    def connect_phase(self):
        b = bench()
        decode = b.spec.stream(self.prefix).decode
        b.mons[self.prefix].on_txn = lambda beats, cycle: self.ap.write(
            StreamTxn(self.prefix, decode(b.p, beats), cycle))


class _Export(uvm_subscriber):
    def __init__(self, name, parent, fn):
        super().__init__(name, parent)
        self.fn = fn

    def write(self, tt):
        self.fn(tt)


class ScoreboardComp(uvm_component):
    """Input transactions go through the predictor into the per-output scoreboards; output
    transactions are compared there."""

    def build_phase(self):
        b = bench()
        self.inputs = _Export("inputs", self, lambda t: b.expect(t.stream, t.txn, t.cycle))
        self.outputs = _Export("outputs", self, lambda t: b.observe(t.stream, t.txn))

    def check_phase(self):
        bench().check_drained()


class BlockEnv(uvm_env):
    def build_phase(self):
        b = bench()
        self.seqrs = {s.prefix: uvm_sequencer(f"{s.prefix}_seqr", self) for s in b.spec.inputs}
        self.drivers = {p: StreamDriverComp(f"{p}_drv", self, p) for p in self.seqrs}
        self.mons = {s.prefix: StreamMonitorComp(f"{s.prefix}_mon", self, s.prefix)
                     for s in b.spec.inputs + b.spec.outputs}
        self.sb = ScoreboardComp("sb", self)
        ConfigDB().set(None, "*", "SEQRS", self.seqrs)

    def connect_phase(self):
        b = bench()
        for p, drv in self.drivers.items():
            drv.seq_item_port.connect(self.seqrs[p].seq_item_export)
        for s in b.spec.inputs:
            self.mons[s.prefix].ap.connect(self.sb.inputs.analysis_export)
        for s in b.spec.outputs:
            self.mons[s.prefix].ap.connect(self.sb.outputs.analysis_export)


class BlockTest(uvm_test):
    """Reset, run the sequence, drain on handshakes, the quiet window, check, summary line."""

    SPEC: BlockSpec | None = None  # set by the block's base test
    sequence: type[VirtualSeq] | None = None  # set by each test
    knobs: Knobs | None = None  # None: defaults (random gaps and backpressure)
    test_id: str | None = None  # name in logs and summaries (defaults to the class name)

    #: False: the test reacts to the DUT cycle by cycle, so fast mode runs it with the Python
    #: agents (on the fast build, through the harness's cycle-mode ports)
    fast_ok = True
    #: True: what comes out depends on the timing (a reset at a fixed cycle drops whatever is
    #: in flight then), so the two modes need not agree (tests/sim/test_fast_equal.py)
    timing_dependent = False

    def build_phase(self):
        name = self.test_id or type(self).__name__
        cls = FastBench if fast_mode() and self.fast_ok else StreamBench
        self.bench = cls(cocotb.top, self.SPEC, name, self.knobs or Knobs())
        ConfigDB().set(None, "*", "BENCH", self.bench)
        self.env = BlockEnv("env", self)

    async def run_phase(self):
        self.raise_objection()
        await self.bench.reset()
        await self.stimulus()
        await self.bench.drain()
        await self.bench.end_check()
        self.drop_objection()

    async def stimulus(self):
        """Default stimulus: run ``self.sequence`` (a virtual sequence)."""
        await self.sequence("seq").start()

    def check_phase(self):
        b = self.bench
        assert not b.sent or b.n_checked or b.pending, (
            f"{b.ctx.prefix()}: {len(b.sent)} transaction(s) sent and not one output "
            f"predicted or checked: the test checked nothing")

    def report_phase(self):
        s = self.bench.summary()
        s["timing_dependent"] = self.timing_dependent
        logging.getLogger(f"cocotb.{s['block']}.summary").info(
            "%s: %d txns / %d elements checked, %d cycles, utilisation %.3f",
            s["test"], s["txns"], s["elements"], s["cycles"], s["utilisation"])
        with Path(RESULTS_FILE).open("a") as f:
            f.write(json.dumps(s) + "\n")
        if any(st.sample is not None for st in self.bench.spec.inputs):
            export_functional_coverage(s["test"])


CYCLE_TOLERANCE = 0  # cycles: each block's model mirrors its RTL timeline exactly without stalls
#: Dense reduction length and tile count of every block's cycle measurement (equal work across
#: blocks, so the benchmarks can divide their cycles): long enough that a 1:8 sparse tile
#: (128 beats) is still long against an 8 x 8 array's R + C = 16 cycles of fill and hand-off.
CYCLE_K = 1024
N_CYCLE_TILES = 3
SCALE_ENV = "ZS_CYCLE_SCALE"  # multiplies the cycle tests' length (benchmarks, real-size runs)


CONV_TILES_ENV = "ZS_CONV_TILES"  # conv-layer tiles the ConvLayerTests send; 0: all
#: by default a slice, so that the test stays short in make test (the real-size run sends the
#: whole layer in fast mode: tests/sim/test_real_size.py)
DEFAULT_CONV_TILES = 6


def conv_tile_limit() -> int:
    return int(os.environ.get(CONV_TILES_ENV, DEFAULT_CONV_TILES))


def cycle_scale() -> int:
    """How many times longer the cycle tests run (``ZS_CYCLE_SCALE``, default 1)."""
    return max(1, int(os.environ.get(SCALE_ENV, "1")))

NO_STALLS = Knobs(idle="none", backpressure="none")


class CycleCheckTest(BlockTest):
    """Measured busy cycles of back-to-back transactions equal the block's cycle model.

    No idle cycles and no backpressure (and only in this kind of test): a stall would measure
    the testbench, not the block. ``min_utilisation`` optionally asserts a floor."""

    knobs = NO_STALLS
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
    ``sequence`` must be checked correct (the second one entirely after the reset).

    Cycle mode only: it watches the DUT for the moment to reset (fast mode runs it with the
    Python agents)."""

    fast_ok = False

    def mid_stream(self) -> bool:
        """The moment to reset: an output already checked and an input partly loaded -- or,
        when every input transaction so far was one beat long (nothing can be caught half
        loaded, e.g. softmax with max_len = 1), a transaction inside the block: accepted, its
        output not out yet."""
        b = self.bench
        if b.n_checked < 1:
            return False
        if b.inputs_partial():
            return True
        one_beat = all(b.mons[s.prefix].n_beats == b.mons[s.prefix].n_txns
                       for s in b.spec.inputs)
        return one_beat and b.pending > 0

    async def stimulus(self):
        b = self.bench
        first = self.sequence("first")
        task = cocotb.start_soon(first.start())
        while not self.mid_stream():
            await RisingEdge(b.dut.clk)
            if task.done():
                break
        assert not task.done(), "the sequence ended before a mid-stream moment came"
        checked_before = b.n_checked
        await b.reset()
        await task
        second = self.sequence("second")
        await second.start()
        await b.drain()
        assert b.n_checked > checked_before, "no transaction was checked after the reset"


#: cycles after the initial reset at which ResetAtCycleTest resets the DUT: the shortest
#: random test of today's blocks (nm_gemm min, 12 tiles of a few beats) lasts over 100 cycles,
#: so this lands with transactions in flight on every named config
RESET_AT_CYCLE = 30


class ResetAtCycleTest(BlockTest):
    """Reset the DUT at a fixed cycle while ``sequence`` runs, in either mode (fast mode: the
    harness resets at that cycle; cycle mode: the bench does), and check every output around
    it: before the reset against the predictions made so far, after it against a flushed
    model. For blocks whose sequences need no reaction to a reset (one input stream, or
    independent ones)."""

    reset_cycle = RESET_AT_CYCLE
    timing_dependent = True

    async def stimulus(self):
        b = self.bench
        if b.FAST:
            b.reset_at = self.reset_cycle
            await self.sequence("seq").start()
            return
        task = cocotb.start_soon(self.sequence("seq").start())
        for _ in range(self.reset_cycle):
            await RisingEdge(b.dut.clk)
        assert not task.done() or b.pending, (
            f"{b.ctx.prefix()}: nothing was in flight at the reset cycle {self.reset_cycle}")
        await b.reset()
        await task

    def check_phase(self):
        super().check_phase()
        b = self.bench
        assert b.n_checked > 0, f"{b.ctx.prefix()}: nothing was checked around the reset"


#: input beats (over every input stream) after which ResetAtHandshakeTest resets the DUT: the
#: shortest random test of today's blocks sends a few dozen beats, and a count that is no
#: multiple of a typical transaction length lands inside one on most configs
RESET_AFTER_BEATS = 7


class ResetAtHandshakeTest(ResetAtCycleTest):
    """Reset the DUT the cycle after the ``RESET_AFTER_BEATS``-th accepted input beat (over
    every input stream) while ``sequence`` runs, in either mode (fast mode: the harness counts
    the handshakes, resets, and reports the cycle for the replay; cycle mode: the bench counts
    them on its monitors), and check every output around it as ResetAtCycleTest does."""

    reset_beats = RESET_AFTER_BEATS

    async def stimulus(self):
        b = self.bench
        if b.FAST:
            b.reset_after_beats = self.reset_beats
            await self.sequence("seq").start()
            return
        task = cocotb.start_soon(self.sequence("seq").start())
        while sum(b.mons[s.prefix].n_beats for s in b.spec.inputs) < self.reset_beats:
            assert not task.done(), (
                f"{b.ctx.prefix()}: the sequence sent fewer than {self.reset_beats} input beats")
            await RisingEdge(b.dut.clk)
        await b.reset()
        await task


def variant(test_cls: type[BlockTest], name: str, **attrs) -> type[BlockTest]:
    """A subclass of ``test_cls`` named ``name`` in reports, with other class attributes."""
    cls_name = name.replace("/", "_").replace("=", "_").replace(".", "p").replace(":", "_")
    return type(cls_name, (test_cls,), {"test_id": name, **attrs})
