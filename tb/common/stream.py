"""Valid/ready stream agents written once for every block (AXI4-Stream style ports).

Signals are bound by prefix with cocotb-bus's ``Bus`` (``<prefix>_tdata``, ``_tvalid``,
``_tready``, optional ``_tlast``, ``_tuser``). We wrote the driver, sink and monitor ourselves
instead of using cocotbext-axi's, because cocotbext-axi frames are byte lists while our beats
are packed words of signed multi-bit elements, and because our monitor doubles as a protocol
checker. All three sample handshakes on the rising edge (values read right after
``RisingEdge`` are the ones the DUT saw at that edge) and write inputs in the same step.

* :class:`StreamDriver` -- drives beats, inserting random idle cycles (``idle`` probability per
  beat); abandons the rest of a transaction when reset is asserted.
* :class:`StreamSink` -- drives ``tready`` low with probability ``backpressure`` per cycle.
* :class:`StreamMonitor` -- passive: collects accepted beats into transactions (split on
  ``tlast``, or every N beats on a stream without one), counts beats and handshake times, and
  checks the protocol: no X/Z on ``tvalid`` after reset, and ``tdata``/``tlast``/``tuser`` held
  while ``tvalid && !tready``; ``tvalid`` may not drop before the handshake.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from cocotb.triggers import RisingEdge
from cocotb.utils import get_sim_time
from cocotb_bus.bus import Bus

Beat = tuple[int, bool, int]  # (tdata, tlast, tuser)


class ProtocolError(AssertionError):
    """The stream broke the valid/ready rules."""


def stream_bus(dut, prefix: str) -> Bus:
    return Bus(dut, prefix, ["tdata", "tvalid", "tready"], optional_signals=["tlast", "tuser"],
               bus_separator="_")


def _int(v) -> int:
    return int(v)


def in_reset(rst) -> bool:
    """Reset asserted, or not yet driven (X/Z before the bench's first write lands)."""
    v = rst.value
    return (not v.is_resolvable) or bool(v)


class StreamDriver:
    """Drives whole transactions (lists of beats) onto a slave stream port of the DUT."""

    def __init__(self, bus: Bus, clk, rst, rng: np.random.Generator, idle: float = 0.0):
        self.bus, self.clk, self.rst, self.rng, self.idle = bus, clk, rst, rng, idle
        self.has_last = hasattr(bus, "tlast")
        self.has_user = hasattr(bus, "tuser")
        self.bus.tvalid.value = 0
        self.beats_sent = 0

    async def send(self, beats: list[Beat]) -> bool:
        """Send all beats; returns False if a reset aborted the transaction."""
        b = self.bus
        for data, last, user in beats:
            while self.idle and self.rng.random() < self.idle:
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
        return True


class StreamSink:
    """Accepts beats from a master stream port of the DUT, with random backpressure."""

    def __init__(self, bus: Bus, clk, rng: np.random.Generator, backpressure: float = 0.0):
        self.bus, self.clk, self.rng, self.backpressure = bus, clk, rng, backpressure
        self.bus.tready.value = 0

    async def run(self) -> None:
        b, bp = self.bus, self.backpressure
        while True:
            b.tready.value = 0 if (bp and self.rng.random() < bp) else 1
            await RisingEdge(self.clk)


class StreamMonitor:
    """Passive monitor + protocol checker; calls ``on_txn(beats)`` at each ``tlast``."""

    def __init__(self, bus: Bus, clk, rst, name: str, on_txn: Callable[[list[Beat]], None],
                 log: logging.Logger, beats_per_txn: int | None = None):
        self.bus, self.clk, self.rst, self.name, self.on_txn = bus, clk, rst, name, on_txn
        self.log = log
        self.has_last = hasattr(bus, "tlast")
        self.has_user = hasattr(bus, "tuser")
        #: a stream without tlast closes a transaction every ``beats_per_txn`` beats (1 if None)
        self.beats_per_txn = beats_per_txn or 1
        self.beats: list[Beat] = []  # beats of the transaction in progress
        self.n_beats = 0
        self.n_txns = 0
        self.first_time = None  # sim time (ns) of the first handshake
        self.last_time = None  # sim time (ns) of the latest handshake

    def drop_partial(self) -> None:
        self.beats = []

    def _sample(self) -> Beat:
        b = self.bus
        data = b.tdata.value
        if not data.is_resolvable:
            raise ProtocolError(f"{self.name}: tdata has X/Z while tvalid is high: {data}")
        last = bool(_int(b.tlast.value)) if self.has_last else False
        user = _int(b.tuser.value) if self.has_user else 0
        return _int(data), last, user

    async def run(self) -> None:
        b = self.bus
        held: Beat | None = None  # beat that was valid but not accepted at the previous edge
        while True:
            await RisingEdge(self.clk)
            if in_reset(self.rst):
                held = None
                self.beats = []
                continue
            v = b.tvalid.value
            if not v.is_resolvable:
                raise ProtocolError(f"{self.name}: tvalid is {v} (X/Z) after reset")
            if not v:
                if held is not None:
                    raise ProtocolError(f"{self.name}: tvalid dropped before the beat was accepted")
                continue
            beat = self._sample()
            if held is not None and beat != held:
                raise ProtocolError(f"{self.name}: beat changed while tvalid && !tready: "
                                    f"{held} -> {beat}")
            if not b.tready.value:
                held = beat
                continue
            held = None
            now = get_sim_time("ns")
            if self.first_time is None:
                self.first_time = now
            self.last_time = now
            self.n_beats += 1
            self.beats.append(beat)
            if beat[1] if self.has_last else len(self.beats) == self.beats_per_txn:
                txn, self.beats = self.beats, []
                self.n_txns += 1
                self.on_txn(txn)
