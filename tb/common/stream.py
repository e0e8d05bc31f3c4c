"""Valid/ready stream agents written once for every block (AXI4-Stream style ports).

Signals are bound by prefix with cocotb-bus's ``Bus`` (``<prefix>_tdata``, ``_tvalid``,
``_tready``, optional ``_tlast``, ``_tuser``). We wrote the driver, sink and monitor ourselves
instead of using cocotbext-axi's, because cocotbext-axi frames are byte lists while our beats
are packed words of signed multi-bit elements, and because our monitor doubles as a protocol
checker. All three sample handshakes on the rising edge (values read right after
``RisingEdge`` are the ones the DUT saw at that edge) and write inputs in the same step.

* :class:`StreamDriver` -- drives beats; before each new beat it asks its own stall pattern
  (tb/common/stall.py) whether to idle a cycle; abandons the rest of a transaction when reset
  is asserted.
* :class:`StreamSink` -- drives ``tready`` low when its own stall pattern says so.
* :class:`StreamMonitor` -- passive: collects accepted beats into transactions (split on
  ``tlast``, or every N beats on a stream without one), counts beats, handshake cycles, and
  checks the protocol (the rules are in :data:`RULES`). During the end-of-test quiet window it
  records every beat as a stray.
"""

from __future__ import annotations

from collections.abc import Callable

from cocotb.triggers import RisingEdge
from cocotb_bus.bus import Bus

from tb.common.stall import Never, Stall

Beat = tuple[int, bool, int]  # (tdata, tlast, tuser)

#: the valid/ready rules the monitor checks, by name (a report names the one broken)
RULES = {
    "tvalid-known": "tvalid is 0 or 1 (no X/Z) after reset",
    "payload-known": "tdata, tlast and tuser have no X/Z while tvalid is high",
    "payload-stable": "tdata, tlast and tuser do not change while tvalid && !tready",
    "valid-held": "tvalid stays high until the beat is accepted (tvalid && tready)",
}


class ProtocolError(AssertionError):
    """The stream broke the valid/ready rules."""


def stream_bus(dut, prefix: str) -> Bus:
    return Bus(dut, prefix, ["tdata", "tvalid", "tready"], optional_signals=["tlast", "tuser"],
               bus_separator="_")


def in_reset(rst) -> bool:
    """Reset asserted, or not yet driven (X/Z before the bench's first write lands)."""
    v = rst.value
    return (not v.is_resolvable) or bool(v)


class StreamDriver:
    """Drives whole transactions (lists of beats) onto a slave stream port of the DUT."""

    def __init__(self, bus: Bus, clk, rst, stall: Stall | None = None):
        self.bus, self.clk, self.rst = bus, clk, rst
        self.stall = stall or Never()
        self.has_last = hasattr(bus, "tlast")
        self.has_user = hasattr(bus, "tuser")
        self.bus.tvalid.value = 0
        self.beats_sent = 0
        self.txns_sent = 0  # transactions completed (every beat accepted, no reset)

    async def send(self, beats: list[Beat]) -> bool:
        """Send all beats; returns False if a reset aborted the transaction."""
        b = self.bus
        for data, last, user in beats:
            while self.stall.stall():
                b.tvalid.value = 0
                await RisingEdge(self.clk)
                if in_reset(self.rst):
                    return False
            b.tdata.value = data
            if self.has_last:
                b.tlast.value = int(last)
            if self.has_user:
                b.tuser.value = user
            b.tvalid.value = 1
            while True:
                await RisingEdge(self.clk)
                if in_reset(self.rst):
                    b.tvalid.value = 0
                    return False
                if b.tready.value:
                    break
            self.beats_sent += 1
        b.tvalid.value = 0
        self.txns_sent += 1
        return True


class StreamSink:
    """Accepts beats from a master stream port of the DUT, with its own backpressure."""

    def __init__(self, bus: Bus, clk, stall: Stall | None = None):
        self.bus, self.clk = bus, clk
        self.stall = stall or Never()
        self.bus.tready.value = 0

    async def run(self) -> None:
        b = self.bus
        while True:
            b.tready.value = 0 if self.stall.stall() else 1
            await RisingEdge(self.clk)


def _known(v) -> bool:
    return v.is_resolvable


class StreamMonitor:
    """Passive monitor + protocol checker; calls ``on_txn(beats, cycle)`` at each transaction
    end. ``report`` turns a message into the full failure text (block, seed, repro)."""

    def __init__(self, bus: Bus, clk, rst, name: str,
                 on_txn: Callable[[list[Beat], int], None] | None = None,
                 beats_per_txn: int | None = None,
                 report: Callable[[str], str] = lambda s: s):
        self.bus, self.clk, self.rst, self.name, self.on_txn = bus, clk, rst, name, on_txn
        self.report = report
        self.has_last = hasattr(bus, "tlast")
        self.has_user = hasattr(bus, "tuser")
        #: a stream without tlast closes a transaction every ``beats_per_txn`` beats (1 if None)
        self.beats_per_txn = beats_per_txn or 1
        self.beats: list[Beat] = []  # beats of the transaction in progress
        self.n_beats = 0
        self.n_txns = 0
        self.n_refused = 0  # cycles with tvalid high and tready low (the DUT held a beat)
        self.cycle = 0  # rising edges since the monitor started (all monitors start together)
        self.first_cycle: int | None = None  # cycle of the first handshake
        self.last_cycle: int | None = None  # cycle of the latest handshake
        self.quiet = False  # end-of-test quiet window: every beat is a stray
        self.strays: list[tuple[int, int, Beat]] = []  # (beat index, cycle, beat)

    def drop_partial(self) -> None:
        self.beats = []

    def _violation(self, rule: str, detail: str) -> ProtocolError:
        return ProtocolError(self.report(
            f"{self.name}: protocol rule '{rule}' ({RULES[rule]}) broken at cycle "
            f"{self.cycle}: {detail}"))

    def _sample(self) -> Beat:
        b = self.bus
        data = b.tdata.value
        last = b.tlast.value if self.has_last else None
        user = b.tuser.value if self.has_user else None
        for what, v in (("tdata", data), ("tlast", last), ("tuser", user)):
            if v is not None and not _known(v):
                raise self._violation("payload-known", f"{what} is {v} while tvalid is high")
        return int(data), bool(int(last)) if last is not None else False, \
            int(user) if user is not None else 0

    @staticmethod
    def _fmt(beat: Beat) -> str:
        return f"tdata {beat[0]:#x} tlast {int(beat[1])} tuser {beat[2]:#x}"

    async def run(self) -> None:
        b = self.bus
        held: Beat | None = None  # beat that was valid but not accepted at the previous edge
        while True:
            await RisingEdge(self.clk)
            self.cycle += 1
            if in_reset(self.rst):
                held = None
                self.beats = []
                continue
            v = b.tvalid.value
            if not _known(v):
                raise self._violation("tvalid-known", f"tvalid is {v}")
            if not v:
                if held is not None:
                    raise self._violation("valid-held", f"tvalid fell while the beat "
                                          f"({self._fmt(held)}) was not yet accepted")
                continue
            beat = self._sample()
            if held is not None and beat != held:
                changed = [n for n, a, c in zip(("tdata", "tlast", "tuser"), held, beat)
                           if a != c]
                raise self._violation("payload-stable", f"{'/'.join(changed)} changed while "
                                      f"tvalid && !tready: {self._fmt(held)} -> "
                                      f"{self._fmt(beat)}")
            if not b.tready.value:
                held = beat
                self.n_refused += 1
                continue
            held = None
            if self.first_cycle is None:
                self.first_cycle = self.cycle
            self.last_cycle = self.cycle
            if self.quiet:
                self.strays.append((self.n_beats, self.cycle, beat))
            self.n_beats += 1
            self.beats.append(beat)
            if beat[1] if self.has_last else len(self.beats) == self.beats_per_txn:
                txn, self.beats = self.beats, []
                self.n_txns += 1
                if self.on_txn is not None:
                    self.on_txn(txn, self.cycle)
