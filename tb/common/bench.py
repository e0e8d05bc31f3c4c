"""Pin-level testbench shared by every stream block (the ``TB`` class of verilog-axis).

It loads the Params, starts the clock, binds the stream agents by prefix, and wires
input monitor -> model -> scoreboard <- output monitor. Tests and sequences only choose
stimulus; the pyuvm layer (tb/common/uvm.py) sees transactions, never pins.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import zlib
from collections.abc import Callable
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import Event, RisingEdge, with_timeout
from cocotb.utils import get_sim_time

from models.params import BlockParams
from scoreboards.base import InOrderScoreboard, RunContext
from scoreboards.compare import compare_exact
from tb.common.params import load_params
from tb.common.stream import Beat, StreamDriver, StreamMonitor, StreamSink, stream_bus

CLK_PERIOD_NS = 10  # any period works: nothing in the DUT is timed in ns
RESET_CYCLES = 4  # synchronous reset held this long: >1 so a reset spans a full cycle of every FSM
DEFAULT_IDLE = 0.2  # probability of an idle cycle before each input beat (every test has gaps)
DEFAULT_BACKPRESSURE = 0.2  # probability that the sink holds tready low in a cycle
TIMEOUT_SLACK = 4  # budget = SLACK x no-stall cycles scaled by the idle and backpressure rates
TIMEOUT_MARGIN_CYCLES = 200  # plus a fixed margin for pipeline fill and reset recovery


@dataclasses.dataclass
class BlockSpec:
    """What the shared bench needs to know about a block: its stream format and its model."""

    name: str
    encode: Callable[[BlockParams, Any], list[Beat]]  # input transaction -> beats
    decode_in: Callable[[BlockParams, list[Beat]], Any]  # beats the input monitor saw -> txn
    decode_out: Callable[[BlockParams, list[Beat]], Any]  # output beats -> comparable result
    cycles: Callable[[BlockParams, list[Any]], int]  # no-stall cycles for a list of txns
    useful_ops: Callable[[BlockParams, Any], int]  # useful MACs of a txn (utilisation)
    n_pe: Callable[[BlockParams], int]  # MAC units (utilisation denominator)
    model: Callable[[BlockParams, Any], Any] | None = None  # txn -> expected result (stateless)
    #: stateful blocks instead give ``model_factory(p)``: an object with ``expect(txn)`` and,
    #: when needed, ``aux(prefix, txn)`` (a transaction on an aux input) and ``reset()``
    model_factory: Callable[[BlockParams], Any] | None = None
    compare: Callable[[Any, Any], Any] = compare_exact  # expected vs got -> Mismatch | None
    describe: Callable[[Any], str] = lambda t: ""  # short text for mismatch reports
    #: functional coverage: called with (params, input txn, knobs) for every input transaction
    #: the monitor saw; a block decorates it with cocotb-coverage coverpoints
    sample: Callable[[BlockParams, Any, Any], None] | None = None
    in_prefix: str = "s_axis"
    out_prefix: str = "m_axis"
    #: further input streams (a weight load ...): prefix -> decode(p, beats) for their monitor
    aux_inputs: dict[str, Callable[[BlockParams, list[Beat]], Any]] = dataclasses.field(
        default_factory=dict)
    #: the input stream a transaction is driven on (default: ``in_prefix``)
    route: Callable[[Any], str] | None = None
    #: beats per transaction on a stream without tlast: (p, prefix) -> n
    beats_per_txn: Callable[[BlockParams, str], int] | None = None
    #: constant sideband inputs (``cfg_*``) driven before reset: p -> {port: value}
    cfg: Callable[[BlockParams], dict[str, int]] | None = None


class StatelessModel:
    """Adapter: a pure ``model(p, txn)`` seen through the stateful-model interface."""

    def __init__(self, fn: Callable[[BlockParams, Any], Any], p: BlockParams):
        self.fn, self.p = fn, p

    def expect(self, txn: Any) -> Any:
        return self.fn(self.p, txn)


@dataclasses.dataclass
class Knobs:
    """Stimulus knobs, from the test or the environment (``ZS_IDLE``, ``ZS_BACKPRESSURE``)."""

    idle: float = float(os.environ.get("ZS_IDLE", DEFAULT_IDLE))
    backpressure: float = float(os.environ.get("ZS_BACKPRESSURE", DEFAULT_BACKPRESSURE))


def test_rng(test_seed: int, stream: str) -> np.random.Generator:
    """Independent generator per purpose (stimulus, idle, backpressure) from cocotb's per-test
    seed, which cocotb derives from the regression seed and the test name: a test rerun alone
    (``make sim TEST=... SEED=...``) gets the stimulus it had inside the full module."""
    return np.random.default_rng([test_seed % 2**63, zlib.crc32(stream.encode())])


class StreamBench:
    def __init__(self, dut, spec: BlockSpec, test_name: str, knobs: Knobs | None = None):
        self.dut, self.spec, self.test_name = dut, spec, test_name
        self.knobs = knobs or Knobs()
        self.p = load_params(dut)
        # the regression seed (what `make sim SEED=` takes); cocotb derives a per-test seed
        # from it and the test's name, which seeds our generators
        self.seed = int(os.environ.get("COCOTB_RANDOM_SEED", cocotb.RANDOM_SEED))
        self.test_seed = int(cocotb.RANDOM_SEED)
        self.log = logging.getLogger(f"cocotb.{spec.name}.bench")
        self.log.info("block %s config %s test %s seed %d idle %.2f backpressure %.2f",
                      spec.name, self.p.tag, test_name, self.seed, self.knobs.idle,
                      self.knobs.backpressure)
        self.rng = test_rng(self.test_seed, "stimulus")
        repro = os.environ.get("ZS_REPRO", "")
        self.ctx = RunContext(spec.name, self.p.tag, self.seed, test_name,
                              f"{repro} TEST={test_name} WAVES=1" if repro else "")
        self.sb = InOrderScoreboard(self.ctx, compare=spec.compare)
        self.progress = Event()
        self.sb.on_compare.append(self.progress.set)
        Clock(dut.clk, CLK_PERIOD_NS, unit="ns").start()
        dut.rst.value = 1
        if spec.cfg is not None:
            for port, value in spec.cfg(self.p).items():
                getattr(dut, port).value = value
        self.model = (spec.model_factory(self.p) if spec.model_factory is not None
                      else StatelessModel(spec.model, self.p))
        self.drivers: dict[str, StreamDriver] = {}
        self.aux_mons: dict[str, StreamMonitor] = {}
        for prefix in (spec.in_prefix, *spec.aux_inputs):
            self.drivers[prefix] = StreamDriver(stream_bus(dut, prefix), dut.clk, dut.rst,
                                                test_rng(self.test_seed, f"idle.{prefix}"),
                                                self.knobs.idle)
        self.driver = self.drivers[spec.in_prefix]
        out_bus = stream_bus(dut, spec.out_prefix)
        self.sink = StreamSink(out_bus, dut.clk, test_rng(self.test_seed, "backpressure"),
                               self.knobs.backpressure)
        # monitors publish through callbacks that the pyuvm monitor components install
        self.in_mon = self._monitor(spec.in_prefix, "in")
        self.out_mon = self._monitor(spec.out_prefix, "out")
        for prefix in spec.aux_inputs:
            self.aux_mons[prefix] = self._monitor(prefix, prefix)
        self.txns_sent = 0  # main-input transactions the driver completed
        self.sent: list[Any] = []  # every transaction handed to a driver (timeout budget)
        self.useful_ops = 0
        mons = [self.in_mon, self.out_mon, *self.aux_mons.values()]
        self.tasks = [cocotb.start_soon(c) for c in [self.sink.run()] + [m.run() for m in mons]]

    def _monitor(self, prefix: str, role: str) -> StreamMonitor:
        n = self.spec.beats_per_txn(self.p, prefix) if self.spec.beats_per_txn else None
        return StreamMonitor(stream_bus(self.dut, prefix), self.dut.clk, self.dut.rst,
                             f"{self.spec.name}.{role}", None, self.log, beats_per_txn=n)

    # -- transaction-level hooks (called by the pyuvm scoreboard component) -----------------
    def expect(self, txn: Any) -> None:
        """An input transaction the monitor saw: the model predicts its output."""
        self.useful_ops += self.spec.useful_ops(self.p, txn)
        if self.spec.sample is not None:
            self.spec.sample(self.p, txn, self.knobs)
        self.sb.add_expected(self.model.expect(txn), self.spec.describe(txn))
        self.progress.set()

    def aux(self, prefix: str, txn: Any) -> None:
        """A transaction on an aux input (e.g. a weight load) that the model must know of."""
        self.model.aux(prefix, txn)

    def observe(self, result: Any) -> None:
        """A decoded output transaction from the output monitor."""
        self.sb.add_actual(result)

    # -- actions ------------------------------------------------------------------------
    async def reset(self, cycles: int = RESET_CYCLES) -> None:
        """Synchronous reset; transactions in flight are dropped by the DUT and the scoreboard."""
        self.dut.rst.value = 1
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        self.sb.flush()
        if hasattr(self.model, "reset"):
            self.model.reset()
        for mon in (self.in_mon, self.out_mon, *self.aux_mons.values()):
            mon.drop_partial()

    async def send(self, txn: Any) -> bool:
        """Drive one transaction on its input stream; False if a reset aborted it."""
        self.sent.append(txn)
        prefix = self.spec.route(txn) if self.spec.route is not None else self.spec.in_prefix
        ok = await self.drivers[prefix].send(self.spec.encode(self.p, txn))
        if ok and prefix == self.spec.in_prefix:
            self.txns_sent += 1
        return ok

    def budget_cycles(self) -> int:
        base = self.spec.cycles(self.p, self.sent)
        rate = (1 - self.knobs.idle) * (1 - self.knobs.backpressure)
        return int(base / max(rate, 0.05) * TIMEOUT_SLACK) + TIMEOUT_MARGIN_CYCLES

    async def drain(self) -> None:
        """Wait (on handshakes, with a params-derived budget) until every output is compared."""

        async def settled():
            while self.in_mon.n_txns < self.txns_sent or self.sb.pending:
                self.progress.clear()
                await self.progress.wait()

        budget = self.budget_cycles()
        try:
            await with_timeout(settled(), budget * CLK_PERIOD_NS, "ns")
        except cocotb.triggers.SimTimeoutError:
            self.sb._error(f"timeout after {budget} cycles (budget from params): "
                           f"{self.sb.pending} output transaction(s) never came out, "
                           f"{self.in_mon.n_txns}/{self.txns_sent} inputs seen")

    # -- measurements -------------------------------------------------------------------
    def busy_cycles(self) -> int:
        """Cycles from the first input handshake to the last output handshake, inclusive."""
        if self.in_mon.first_time is None or self.out_mon.last_time is None:
            return 0
        return int(round((self.out_mon.last_time - self.in_mon.first_time) / CLK_PERIOD_NS)) + 1

    def summary(self) -> dict:
        cyc = self.busy_cycles()
        util = self.useful_ops / (self.spec.n_pe(self.p) * cyc) if cyc else 0.0
        return dict(block=self.spec.name, config=self.p.tag, test=self.test_name,
                    seed=self.seed, txns=self.sb.n_checked, elements=self.sb.n_elements,
                    beats_in=self.in_mon.n_beats, beats_out=self.out_mon.n_beats, cycles=cyc,
                    utilisation=round(util, 4), sim_time_ns=get_sim_time("ns"),
                    idle=self.knobs.idle, backpressure=self.knobs.backpressure)
