"""Pin-level testbench shared by every stream block (the ``TB`` class of verilog-axis).

It loads the Params, starts the clock, binds one driver per input stream and one sink per
output stream by prefix (each with its own stall pattern), one monitor per stream, and wires
every input monitor -> the block's predictor -> one scoreboard per output stream <- that
stream's monitor. Tests and sequences only choose stimulus; the pyuvm layer
(tb/common/uvm.py) sees transactions, never pins.

A block declares its streams as data (tb/common/spec.py: :class:`StreamSpec` in
:class:`BlockSpec`): any number of inputs and outputs, each with its beat format, and for an
output whether its scoreboard is in order or keyed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zlib
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import Event, RisingEdge, with_timeout

from scoreboards.base import (
    InOrderScoreboard,
    KeyedScoreboard,
    RunContext,
    ScoreboardError,
)
from tb.common import stall as stalls
from tb.common.params import load_params
from tb.common.spec import (  # noqa: F401 -- re-exported: blocks import them from here
    DEFAULT_BACKPRESSURE,
    DEFAULT_IDLE,
    BlockSpec,
    Knobs,
    StreamSpec,
)
from tb.common.stream import StreamDriver, StreamMonitor, StreamSink, stream_bus

CLK_PERIOD_NS = 10  # any period works: nothing in the DUT is timed in ns
RESET_CYCLES = 4  # synchronous reset held this long: >1 so a reset spans a full cycle of every FSM
TIMEOUT_SLACK = 4  # budget = SLACK x no-stall cycles scaled by the idle and backpressure rates
TIMEOUT_MARGIN_CYCLES = 200  # plus a fixed margin for pipeline fill and reset recovery
MIN_RATE = 0.05  # the budget's go-rate floor: a pattern that stalls 95 % of cycles or more
#: the end-of-test quiet window is QUIET_LATENCIES x the block's longest input-to-output
#: latency (BlockSpec.latency) plus QUIET_MARGIN_CYCLES: a stray beat that the last input
#: caused comes out within one latency; twice that, plus the output register's turnaround,
#: leaves no doubt
QUIET_LATENCIES = 2
QUIET_MARGIN_CYCLES = 16


class EndOfTestError(ScoreboardError):
    """An output beat came after the last expected one, or a transaction was left half done."""


def budget(base: int, idle: float, bp: float, patterns: list[stalls.Stall]) -> int:
    """Timeout budget in cycles for ``base`` no-stall cycles under these stall rates."""
    rate = (1 - idle) * (1 - bp)
    longest = max((s.stop for s in patterns if isinstance(s, stalls.Periodic)), default=0)
    return (int(base / max(rate, MIN_RATE) * TIMEOUT_SLACK) + TIMEOUT_MARGIN_CYCLES
            + 2 * longest)


def canonical(x: Any) -> bytes:
    """Bytes that identify a decoded transaction's value (arrays, dicts, numbers)."""
    if isinstance(x, dict):
        return b"{" + b",".join(k.encode() + b":" + canonical(x[k]) for k in sorted(x)) + b"}"
    if isinstance(x, np.ndarray):
        return repr(x.shape).encode() + np.ascontiguousarray(x, dtype=np.int64).tobytes()
    return repr(x).encode()


def test_rng(test_seed: int, stream: str) -> np.random.Generator:
    """Independent generator per purpose (stimulus, each port's stalls) from cocotb's per-test
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
        self.log.info("block %s config %s test %s seed %d %s", spec.name, self.p.tag,
                      test_name, self.seed, self.knobs.describe())
        self.rng = test_rng(self.test_seed, "stimulus")
        repro = os.environ.get("ZS_REPRO", "")
        self.ctx = RunContext(spec.name, self.p.tag, self.seed, test_name,
                              f"{repro} TEST={test_name} WAVES=1" if repro else "")
        self.progress = Event()
        self.sbs: dict[str, InOrderScoreboard | KeyedScoreboard] = {}
        for s in spec.outputs:
            if s.key is None:
                sb = InOrderScoreboard(self.ctx, s.prefix, compare=spec.compare)
            else:
                sb = KeyedScoreboard(self.ctx, s.prefix, compare=spec.compare, key=s.key)
            sb.on_compare.append(self.progress.set)
            self.sbs[s.prefix] = sb
        self.timing = spec.timing_input or spec.inputs[0].prefix
        self.sent: list[Any] = []  # every transaction handed to a driver (timeout budget)
        self.useful_ops = 0
        self.digests: dict[tuple[str, str], Any] = {}  # (stream, key) -> sha1 of outputs
        #: every decoded output transaction per stream, in the order observed (what
        #: tb/common/user_tests.py hands back to the caller)
        self.captured: dict[str, list[Any]] = {s.prefix: [] for s in spec.outputs}
        self._start_clock()
        dut.rst.value = 1
        if hasattr(dut, "zs_cycle_mode"):  # a fast-mode harness: this bench drives its ports
            dut.zs_cycle_mode.value = int(not self.FAST)
            dut.zs_hdl_clock.value = int(self.FAST)
        self._drive_cfg()
        self.model = spec.predictor(self.p)
        self._make_agents()

    FAST = False  # the Python agents drive every cycle (tb/common/fast.py: the HDL ones)

    def _start_clock(self) -> None:
        self.clock = Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns")
        self.clock.start()

    def _make_agents(self) -> None:
        dut, spec = self.dut, self.spec
        self.drivers = {s.prefix: StreamDriver(stream_bus(dut, s.prefix), dut.clk, dut.rst,
                                               self._stall(s.prefix, True))
                        for s in spec.inputs}
        self.sinks = {s.prefix: StreamSink(stream_bus(dut, s.prefix), dut.clk,
                                           self._stall(s.prefix, False))
                      for s in spec.outputs}
        # monitors publish through callbacks that the pyuvm monitor components install
        self.mons = {s.prefix: self._monitor(s) for s in spec.inputs + spec.outputs}
        self.tasks = [cocotb.start_soon(c) for c in
                      [k.run() for k in self.sinks.values()] +
                      [m.run() for m in self.mons.values()]]

    def _drive_cfg(self) -> None:
        if self.spec.cfg is not None:
            for port, value in self.spec.cfg(self.p).items():
                getattr(self.dut, port).value = value

    def retune(self, **runtime: Any) -> None:
        """Other run-time values (cfg ports such as thresholds) than the params carry: before
        reset, the params, the predictor and the cfg ports all change together."""
        self.p = self.p.replace(**runtime)
        self.model = self.spec.predictor(self.p)
        self._drive_cfg()

    def _stall(self, prefix: str, is_input: bool) -> stalls.Stall:
        kind = "idle" if is_input else "backpressure"
        return stalls.parse(self.knobs.pattern(prefix, is_input),
                            test_rng(self.test_seed, f"{kind}.{prefix}"))

    def _monitor(self, s: StreamSpec) -> StreamMonitor:
        n = s.beats_per_txn(self.p) if s.beats_per_txn else None
        return StreamMonitor(stream_bus(self.dut, s.prefix), self.dut.clk, self.dut.rst,
                             f"{self.spec.name}.{s.prefix}", None, beats_per_txn=n,
                             report=self.ctx.fail)

    # -- views ----------------------------------------------------------------------------
    @property
    def n_checked(self) -> int:
        return sum(sb.n_checked for sb in self.sbs.values())

    @property
    def pending(self) -> int:
        """Predicted output transactions not yet compared, over every output."""
        return sum(sb.pending for sb in self.sbs.values())

    def inputs_partial(self) -> bool:
        """Some input transaction is partly loaded."""
        return any(self.mons[s.prefix].beats for s in self.spec.inputs)

    # -- transaction-level hooks (called by the pyuvm scoreboard component) -----------------
    def expect(self, prefix: str, txn: Any, cycle: int) -> None:
        """An input transaction a monitor saw: the predictor says what must come out."""
        s = self.spec.stream(prefix)
        if s.useful_ops is not None:
            self.useful_ops += s.useful_ops(self.p, txn)
        if s.sample is not None:
            s.sample(self.p, txn, self.knobs)
        for e in self.model.write(prefix, txn, cycle):
            if e.stream not in self.sbs:
                raise ScoreboardError(self.ctx.fail(
                    f"the model predicted an output on {e.stream!r}, which is not an output "
                    f"stream of {self.spec.name} ({', '.join(self.sbs)})"))
            self.sbs[e.stream].add_expected(e.item, e.info)
        self.progress.set()

    def observe(self, prefix: str, result: Any) -> None:
        """A decoded output transaction from an output monitor."""
        key = self.spec.stream(prefix).key
        k = key(result) if key is not None else None
        h = self.digests.setdefault((prefix, repr(k)), hashlib.sha1())
        h.update(canonical(result))
        self.captured[prefix].append(result)
        self.sbs[prefix].add_actual(result)

    def outputs_digest(self) -> str:
        """One hash of every output transaction, in order per stream (per key on a keyed
        stream, whose order across keys is the timing's): equal in cycle and fast mode."""
        h = hashlib.sha1()
        for k in sorted(self.digests):
            h.update(repr(k).encode() + self.digests[k].digest())
        return h.hexdigest()[:16]

    # -- actions ------------------------------------------------------------------------
    async def reset(self, cycles: int = RESET_CYCLES) -> None:
        """Synchronous reset; transactions in flight are dropped by the DUT and the scoreboard."""
        self.dut.rst.value = 1
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        for sb in self.sbs.values():
            sb.flush()
        if hasattr(self.model, "reset"):
            self.model.reset()
        for mon in self.mons.values():
            mon.drop_partial()

    async def send(self, txn: Any) -> bool:
        """Drive one transaction on the input stream ``route(txn)`` names."""
        return await self.send_on(self.spec.route_of(txn), txn)

    async def send_on(self, prefix: str, txn: Any, serial: bool = True) -> bool:
        """Drive one transaction on ``prefix``; False if a reset aborted it. ``serial``: the
        sequence waits for it before its next send (fast mode keeps that order)."""
        self.sent.append(txn)
        return await self.drivers[prefix].send(self.spec.stream(prefix).encode(self.p, txn))

    def _all_stalls(self) -> list[stalls.Stall]:
        return [d.stall for d in self.drivers.values()] + [k.stall for k in self.sinks.values()]

    def budget_cycles(self, extra: list[Any] = ()) -> int:
        """Timeout budget of every transaction sent so far (and of ``extra``, about to be)."""
        base = self.spec.cycles(self.p, self.sent + list(extra))
        ss = self._all_stalls()
        idle = max((d.stall.rate for d in self.drivers.values()), default=0.0)
        bp = max((k.stall.rate for k in self.sinks.values()), default=0.0)
        return budget(base, idle, bp, ss)

    def quiet_cycles(self) -> int:
        return QUIET_LATENCIES * self.spec.latency(self.p) + QUIET_MARGIN_CYCLES


    def settled(self) -> bool:
        """Every transaction the drivers completed was seen, every prediction compared."""
        return (all(self.mons[p].n_txns >= d.txns_sent for p, d in self.drivers.items())
                and not self.pending)

    async def drain(self) -> None:
        """Wait (on handshakes, with a params-derived budget) until every output is compared."""

        async def wait_settled():
            while not self.settled():
                self.progress.clear()
                await self.progress.wait()

        budget = self.budget_cycles()
        try:
            await with_timeout(wait_settled(), budget * CLK_PERIOD_NS, "ns")
        except cocotb.triggers.SimTimeoutError:
            missing = {p: sb.pending for p, sb in self.sbs.items() if sb.pending}
            seen = {p: f"{self.mons[p].n_txns}/{d.txns_sent}" for p, d in self.drivers.items()}
            raise ScoreboardError(self.ctx.fail(
                f"timeout after {budget} cycles (budget from params): output transaction(s) "
                f"never came out per stream {missing}, inputs seen/sent {seen}")) from None

    async def end_check(self) -> None:
        """After the last expected output: sinks always ready for the quiet window; any beat on
        an output in it, or a transaction left half done in an output monitor, fails."""
        n = self.quiet_cycles()
        outs = [self.mons[s.prefix] for s in self.spec.outputs]
        for k in self.sinks.values():
            k.stall = stalls.Never()
        for m in outs:
            m.quiet = True
        for _ in range(n):
            await RisingEdge(self.dut.clk)
        for m in outs:
            m.quiet = False
        self.check_outputs_ended(n)

    def check_outputs_ended(self, window: int) -> None:
        """Fail on the first output monitor with a stray beat or a transaction left half done
        (both modes: the monitors or fast mode's captures fill ``strays`` and ``beats``)."""
        for s in self.spec.outputs:
            m = self.mons[s.prefix]
            if m.strays:
                idx, cyc, (d, last, user) = m.strays[0]
                raise EndOfTestError(self.ctx.fail(
                    f"{m.name}: {len(m.strays)} stray beat(s) after the last expected output; "
                    f"the first is beat {idx} of the stream (tdata {d:#x} tlast {int(last)} "
                    f"tuser {user:#x}) at cycle {cyc}, inside the {window}-cycle quiet window"))
            if m.beats:
                raise EndOfTestError(self.ctx.fail(
                    f"{m.name}: a transaction was left half done: {len(m.beats)} beat(s) "
                    f"without its end (tlast), the last at cycle {m.last_cycle}"))

    def check_drained(self) -> None:
        for sb in self.sbs.values():
            sb.check_drained()

    # -- measurements -------------------------------------------------------------------
    def busy_cycles(self) -> int:
        """Cycles from the timing input's first handshake to the last output handshake,
        inclusive."""
        first = self.mons[self.timing].first_cycle
        lasts = [self.mons[s.prefix].last_cycle for s in self.spec.outputs]
        lasts = [c for c in lasts if c is not None]
        if first is None or not lasts:
            return 0
        return max(lasts) - first + 1

    def summary(self) -> dict:
        cyc = self.busy_cycles()
        util = self.useful_ops / (self.spec.n_pe(self.p) * cyc) if cyc else 0.0
        outs = [s.prefix for s in self.spec.outputs]
        return dict(block=self.spec.name, config=self.p.tag, test=self.test_name,
                    seed=self.seed, txns=self.n_checked,
                    elements=sum(sb.n_elements for sb in self.sbs.values()),
                    beats_in=self.mons[self.timing].n_beats,
                    beats_out=sum(self.mons[p].n_beats for p in outs),
                    beats={p: m.n_beats for p, m in self.mons.items()}, cycles=cyc,
                    utilisation=round(util, 4), sim_time_ns=cocotb.utils.get_sim_time("ns"),
                    mode="fast" if self.FAST else "cycle", outputs=self.outputs_digest(),
                    idle=str(self.knobs.idle), backpressure=str(self.knobs.backpressure),
                    ports={k: str(v) for k, v in self.knobs.ports.items()})
