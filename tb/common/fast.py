"""Fast mode: the same tests, sequences, models and scoreboards, with the per-cycle work in HDL.

The runner builds the block inside a generated harness (tests/sim/harness.py around
tb/hdl/zs_stream.v): a source per input stream replays beats from a memory, a sink per output
captures what it accepts, a checker per stream latches the first protocol violation, and a
cycle counter stamps every handshake. :class:`FastBench` has the interface of
:class:`~tb.common.bench.StreamBench`, but:

* ``send_on`` only queues the transaction (with its gate: a serial send waits in HDL for the
  previous serial send's stream to complete it, as the Python driver would);
* ``drain`` writes every source's beats into a file, loads them with one strobe, sets the stall
  generators (LFSR patterns of tb/common/stall.py) and awaits the harness's ``zs_done`` once:
  the sources are empty and no output beat came for the quiet window (the sinks are always
  ready from the moment the sources are empty); then one strobe dumps every capture;
* the captured transactions are replayed in handshake-cycle order into the same predictor and
  scoreboards (input -> ``expect``, output -> ``observe``, a mid-stream reset -> flush), so a
  mismatch report reads as in cycle mode; a beat that came when every prediction was matched
  and no input was left is a stray, a transaction without its end is left half done, and the
  HDL checkers' violations are reported with the rule, port and cycle.

Python is woken a handful of times per test, not every cycle. A test that must react to the
DUT cycle by cycle sets ``fast_ok = False`` and runs with the Python agents on the same build.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge, with_timeout

from scoreboards.base import ScoreboardError
from tb.common import stall as stalls
from tb.common.bench import (
    CLK_PERIOD_NS,
    RESET_CYCLES,
    StreamBench,
    StreamSpec,
    budget,
    test_rng,
)
from tb.common.stream import RULES, ProtocolError

MODE_ENV = "ZS_MODE"  # "fast" (set by the runner for a fast build) or "cycle"
DEPTH_ENV = "ZS_FAST_DEPTH"  # beats each harness memory holds (the runner sets it)
DEPTH_HINT = "run with a larger fast depth: ZS_FAST_DEPTH, or the runner's fast_depth="
RULE_CODES = {1: "tvalid-known", 2: "payload-known", 3: "payload-stable", 4: "valid-held"}
STALL_NONE, STALL_RANDOM, STALL_PERIODIC = 0, 1, 2  # zs_lfsr_stall modes
THR_SCALE = 1 << 16  # a random pattern's probability p becomes threshold p * 2**16
MAX_PERIOD = (1 << 16) - 1  # go and stop are 16-bit counts in the HDL
LOAD_CYCLES = 1  # the load and dump strobes last one clock edge
CLOCK_CHECK_CYCLES = 4  # the harness clock must have an edge this soon after the bench starts


def fast_mode() -> bool:
    return os.environ.get(MODE_ENV) == "fast"


@dataclasses.dataclass
class Capture:
    """What a cycle-mode monitor would have counted, rebuilt from the harness's captures."""

    name: str
    n_beats: int = 0
    n_txns: int = 0
    first_cycle: int | None = None
    last_cycle: int | None = None
    beats: list = dataclasses.field(default_factory=list)  # a transaction left half done
    strays: list = dataclasses.field(default_factory=list)  # (beat index, cycle, beat)


@dataclasses.dataclass
class Queued:
    txn: Any
    beats: list  # encoded (tdata, tlast, tuser)
    gate: tuple[str, int] | None  # (stream, transactions it must have completed)


def _read_hex(path: Path) -> list[int]:
    if not path.exists():
        return []
    return [int(t, 16) for ln in path.read_text().splitlines()
            for t in [ln.split("//")[0].strip()] if t and not t.startswith("@")]


class FastBench(StreamBench):
    FAST = True

    def _start_clock(self) -> None:
        """No testbench clock: the harness clocks itself (``zs_hdl_clock``, set by the bench
        constructor), so no simulator callback or Python runs per edge."""
        self.clk = self.dut.zs_clk

    def _make_agents(self) -> None:
        dut, spec = self.dut, self.spec
        self.depth = int(os.environ.get(DEPTH_ENV, "0"))
        if not hasattr(dut, "zs_run") or not self.depth:
            raise RuntimeError(f"{spec.name}: fast mode needs the harness build (run it with "
                               f"MODE=fast through make sim or tests/sim/runner.py)")
        self.mons = {s.prefix: Capture(f"{spec.name}.{s.prefix}")
                     for s in spec.inputs + spec.outputs}
        self.queues: dict[str, list[Queued]] = {s.prefix: [] for s in spec.inputs}
        self._last_serial: tuple[str, int] | None = None
        self._beats: dict[str, int] = {}  # beats queued per stream
        self.reset_at = 0  # a mid-stream reset at this harness cycle (0: none)
        #: a mid-stream reset the cycle after this many accepted input beats (0: none); the
        #: harness reports the cycle, which becomes ``reset_at`` for the replay
        self.reset_after_beats = 0
        self.patterns = {s.prefix: self._stall(s.prefix, True) for s in spec.inputs}
        self.patterns.update({s.prefix: self._stall(s.prefix, False) for s in spec.outputs})
        for name in ("zs_load", "zs_dump", "zs_run", "zs_reset_at", "zs_reset_hs"):
            getattr(dut, name).value = 0
        self.drivers, self.sinks, self.tasks = {}, {}, []

    # -- views the tests use ----------------------------------------------------------------
    def inputs_partial(self) -> bool:
        return False

    async def reset(self, cycles: int = RESET_CYCLES) -> None:
        """The initial reset (a mid-stream one is ``reset_at``, applied by the harness)."""
        self.dut.rst.value = 1
        try:  # the same edge as a plain await; a harness whose clock does not run says so
            await with_timeout(RisingEdge(self.clk), CLOCK_CHECK_CYCLES * CLK_PERIOD_NS, "ns")
        except cocotb.triggers.SimTimeoutError:
            raise RuntimeError(f"{self.spec.name}: the harness clock zs_clk does not run in fast "
                               f"mode (a Verilator harness build toggles it from its main, "
                               f"tests/sim/vlt_main.py: build it through tests/sim/runner.py)"
                               ) from None
        for _ in range(cycles - 1):
            await RisingEdge(self.clk)
        self.dut.rst.value = 0
        # one more edge, so that the release has landed before the sequences (which send
        # without time passing here) look at rst
        await RisingEdge(self.clk)
        for sb in self.sbs.values():
            sb.flush()
        if hasattr(self.model, "reset"):
            self.model.reset()

    async def send_on(self, prefix: str, txn: Any, serial: bool = True) -> bool:
        """Queue ``txn`` for ``prefix``'s source; a serial send is gated on the previous serial
        send when that went to another stream."""
        self.sent.append(txn)
        q = self.queues[prefix]
        beats = self.spec.stream(prefix).encode(self.p, txn)
        self._beats[prefix] = self._beats.get(prefix, 0) + len(beats)
        if self._beats[prefix] > self.depth:  # also stops a sequence that loops on DUT state
            raise ValueError(f"{self.spec.name}: more than {self.depth} beats queued for "
                             f"{prefix}: the harness memory is full ({DEPTH_HINT})")
        last = self._last_serial
        gate = last if last is not None and last[0] != prefix else None
        q.append(Queued(txn, beats, gate))
        if serial:
            self._last_serial = (prefix, len(q))
        return True

    # -- the run ------------------------------------------------------------------------------
    def budget_cycles(self) -> int:
        base = self.spec.cycles(self.p, self.sent)
        ins = [self.patterns[s.prefix] for s in self.spec.inputs]
        outs = [self.patterns[s.prefix] for s in self.spec.outputs]
        return budget(base, max(s.rate for s in ins), max(s.rate for s in outs),
                      ins + outs) + self.quiet_cycles()

    def _set_stall(self, prefix: str) -> None:
        pat, d = self.patterns[prefix], self.dut
        mode, thr, go, stop = STALL_NONE, 0, 1, 1
        if isinstance(pat, stalls.Random) and pat.p > 0:
            mode, thr = STALL_RANDOM, round(pat.p * THR_SCALE)
        elif isinstance(pat, stalls.Periodic):
            if max(pat.go, pat.stop) > MAX_PERIOD:
                raise ValueError(f"{prefix}: stall pattern {pat.spec} is longer than the HDL "
                                 f"generator's {MAX_PERIOD} cycles")
            mode, go, stop = STALL_PERIODIC, pat.go, pat.stop
        getattr(d, f"{prefix}_zs_stall_mode").value = mode
        getattr(d, f"{prefix}_zs_stall_thr").value = thr
        getattr(d, f"{prefix}_zs_stall_go").value = go
        getattr(d, f"{prefix}_zs_stall_stop").value = stop
        seed = int(test_rng(self.test_seed, f"lfsr.{prefix}").integers(1, 1 << 32))
        getattr(d, f"{prefix}_zs_stall_seed").value = seed

    def _write_source(self, idx_of: dict[str, int], s: StreamSpec, sw: int, w: int,
                      uw: int) -> int:
        """Pack the queued beats of input ``s`` into its $readmemh file; returns the beats."""
        words, q = [], self.queues[s.prefix]  # send_on kept them within self.depth
        pos = 0
        for t in q:
            nxt = pos + len(t.beats)
            for i, (data, last, user) in enumerate(t.beats):
                gate_en, gs, gc = 0, 0, 0
                if i == 0 and t.gate is not None:
                    gate_en, gs, gc = 1, idx_of[t.gate[0]], t.gate[1]
                eot = int(i == len(t.beats) - 1)
                word = data | (user << w) | (int(last) << (w + uw)) | (eot << (w + uw + 1))
                word |= gc << (w + uw + 2)
                word |= gs << (w + uw + 34)
                word |= gate_en << (w + uw + 34 + sw)
                word |= nxt << (w + uw + 35 + sw)
                words.append(word)
            pos = nxt
        Path(f"zs_{s.prefix}.hex").write_text("".join(f"{x:x}\n" for x in words))
        return len(words)

    async def _strobe(self, name: str) -> None:
        """One edge with ``name`` high, then one more: the $readmemh/$writememh of the first
        edge has run (a RisingEdge wakes Python before the edge's always blocks) when the
        Python side goes on. Raised on a falling edge, so that the write has landed before
        the rising edge whatever woke us (a timeout may fire in a rising edge's time step)."""
        await FallingEdge(self.clk)
        getattr(self.dut, name).value = 1
        for _ in range(LOAD_CYCLES):
            await RisingEdge(self.clk)
        getattr(self.dut, name).value = 0
        await RisingEdge(self.clk)

    async def drain(self) -> None:
        self._t_start = time.monotonic()
        d, spec = self.dut, self.spec
        ins = [s.prefix for s in spec.inputs]
        idx_of = {p: i for i, p in enumerate(sorted(ins))}  # the harness's gate numbering
        sw = max(1, (len(ins) - 1).bit_length())
        for s in spec.inputs:
            w = len(getattr(d, f"{s.prefix}_tdata"))
            uw = len(getattr(d, f"{s.prefix}_tuser")) if hasattr(d, f"{s.prefix}_tuser") else 1
            n = self._write_source(idx_of, s, sw, w, uw)
            getattr(d, f"{s.prefix}_zs_n_beats").value = n
        for prefix in self.patterns:
            self._set_stall(prefix)
        d.zs_quiet.value = self.quiet_cycles()
        d.zs_reset_at.value = self.reset_at
        d.zs_reset_hs.value = self.reset_after_beats
        t_write = time.monotonic()
        await self._strobe("zs_load")
        d.zs_run.value = 1
        n = self.budget_cycles()
        timed_out = False
        t_sim = time.monotonic()
        c0 = int(d.zs_cycle.value)
        try:
            await with_timeout(RisingEdge(d.zs_done), n * CLK_PERIOD_NS, "ns")
        except cocotb.triggers.SimTimeoutError:
            timed_out = True
        t_end = time.monotonic()
        self.sim_cycles = int(d.zs_cycle.value) - c0
        self.sim_seconds = t_end - t_sim
        await self._strobe("zs_dump")
        d.zs_run.value = 0
        if self.reset_after_beats:
            self.reset_at = int(d.zs_reset_cycle.value)
            if not self.reset_at:
                raise ScoreboardError(self.ctx.fail(
                    f"fast mode: the run accepted fewer than {self.reset_after_beats} input "
                    f"beats, so the reset after that many never happened"))
        self._check_protocol()
        self._replay()
        self.log.info("fast mode: %.3f s packing, %d cycles simulated in %.3f s (%.0f cycles/s), "
                      "%.3f s replay", t_write - self._t_start, self.sim_cycles,
                      self.sim_seconds, self.sim_cycles / max(self.sim_seconds, 1e-9),
                      time.monotonic() - t_end)
        short = {p: f"{self.mons[p].n_txns}/{len(q)}" for p, q in self.queues.items()
                 if self.mons[p].n_txns < len(q)}
        if short and not self.reset_at and not timed_out:
            raise ScoreboardError(self.ctx.fail(
                f"fast mode: the sources finished but not every queued input transaction was "
                f"accepted (completed/queued {short})"))
        if timed_out:
            missing = {p: sb.pending for p, sb in self.sbs.items() if sb.pending}
            done = {p: f"{int(getattr(d, f'{p}_zs_n_txns').value)}/{len(self.queues[p])}"
                    for p in ins}
            raise ScoreboardError(self.ctx.fail(
                f"timeout after {n} cycles (budget from params, fast mode): output "
                f"transaction(s) never came out per stream {missing}, input transactions "
                f"completed/queued {done}"))

    async def end_check(self) -> None:
        """Done in :meth:`drain` (the harness keeps the quiet window)."""

    def summary(self) -> dict:
        """The cycle-mode summary plus the simulation phase alone: cycles from the run strobe
        to ``zs_done`` and the wall time they took (no Python ran in between)."""
        s = super().summary()
        s.update(sim_cycles=getattr(self, "sim_cycles", 0),
                 sim_seconds=round(getattr(self, "sim_seconds", 0.0), 6))
        return s

    # -- reading the captures ---------------------------------------------------------------
    def _check_protocol(self) -> None:
        found = []
        for s in self.spec.inputs + self.spec.outputs:
            code = int(getattr(self.dut, f"{s.prefix}_zs_rule").value)
            if code:
                cyc = int(getattr(self.dut, f"{s.prefix}_zs_rule_cycle").value)
                found.append((cyc, s.prefix, RULE_CODES[code]))
            if s in self.spec.outputs and int(getattr(self.dut, f"{s.prefix}_zs_overflow").value):
                raise ScoreboardError(self.ctx.fail(
                    f"{s.prefix}: more beats than the harness memory holds ({self.depth}): "
                    f"{DEPTH_HINT}"))
        if found:
            cyc, prefix, rule = min(found)
            raise ProtocolError(self.ctx.fail(
                f"{self.spec.name}.{prefix}: protocol rule '{rule}' ({RULES[rule]}) broken at "
                f"cycle {cyc} (seen by the HDL checker in fast mode)"))

    def _events(self) -> list[tuple]:
        """(cycle, order, kind, prefix, payload) for every captured transaction end."""
        ev = []
        for s in self.spec.inputs:
            q, cap = self.queues[s.prefix], self.mons[s.prefix]
            starts, pos = {}, 0
            for i, t in enumerate(q):
                pos += len(t.beats)
                starts[pos - 1] = i  # eot beat index -> transaction index
            recs = _read_hex(Path(f"zs_{s.prefix}_cyc.hex"))
            n_done = int(getattr(self.dut, f"{s.prefix}_zs_n_txns").value)
            first = int(getattr(self.dut, f"{s.prefix}_zs_first_cycle").value)
            cap.first_cycle = None if first == 0xFFFFFFFF else first
            for rec in recs[:n_done]:
                beat, cyc = rec >> 32, rec & 0xFFFFFFFF
                t = q[starts[beat]]
                ev.append((cyc, 0, "in", s.prefix, s.decode(self.p, t.beats)))
                cap.n_txns += 1
                cap.n_beats += len(t.beats)
                cap.last_cycle = cyc
        for s in self.spec.outputs:
            words = _read_hex(Path(f"zs_{s.prefix}.hex"))
            cycs = _read_hex(Path(f"zs_{s.prefix}_cyc.hex"))
            n = int(getattr(self.dut, f"{s.prefix}_zs_n_beats").value)
            w = len(getattr(self.dut, f"{s.prefix}_tdata"))
            has_user = hasattr(self.dut, f"{s.prefix}_tuser")
            has_last = hasattr(self.dut, f"{s.prefix}_tlast")
            uw = len(getattr(self.dut, f"{s.prefix}_tuser")) if has_user else 1
            per = s.beats_per_txn(self.p) if s.beats_per_txn else 1
            cap, cur = self.mons[s.prefix], []
            for i, (word, cyc) in enumerate(zip(words[:n], cycs[:n])):
                beat = (word & ((1 << w) - 1), bool((word >> (w + uw)) & 1),
                        (word >> w) & ((1 << uw) - 1) if has_user else 0)
                if self.reset_at and cur and cur[-1][1] < self.reset_at <= cyc:
                    cur = []  # a transaction cut by the mid-stream reset: the monitor drops it
                cur.append((i, cyc, beat))
                if cap.first_cycle is None:
                    cap.first_cycle = cyc
                cap.last_cycle = cyc
                cap.n_beats += 1
                if (beat[1] if has_last else len(cur) == per):
                    ev.append((cyc, 1, "out", s.prefix, cur))
                    cur = []
            cap.beats = [b for _, _, b in cur]
        if self.reset_at:
            ev.append((self.reset_at, -1, "reset", "", None))
        return sorted(ev, key=lambda e: (e[0], e[1]))

    def _replay(self) -> None:
        ev = self._events()
        self.log.info("fast mode: %d events replayed (%s)", len(ev),
                      ", ".join(f"{p} {m.n_beats} beats" for p, m in self.mons.items()))
        last_in = max((i for i, e in enumerate(ev) if e[2] == "in"), default=-1)
        for i, (cyc, _, kind, prefix, payload) in enumerate(ev):
            if kind == "reset":
                self.log.info("fast mode: reset at cycle %d, %d predicted output(s) in flight "
                              "dropped", cyc, self.pending)
                for sb in self.sbs.values():
                    sb.flush()
                if hasattr(self.model, "reset"):
                    self.model.reset()
                continue
            if kind == "in":
                self.expect(prefix, payload, cyc)
                continue
            cap = self.mons[prefix]
            if i > last_in and self.pending == 0:
                cap.strays.extend((idx, c, b) for idx, c, b in payload)
                continue
            cap.n_txns += 1
            self.observe(prefix, self.spec.stream(prefix).decode(self.p,
                                                                 [b for _, _, b in payload]))
        self.check_outputs_ended(self.quiet_cycles())
