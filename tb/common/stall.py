"""Stall patterns, one generator per port: idle cycles of a driver, backpressure of a sink.

A pattern is asked once per cycle whether to stall: a driver asks before it presents a new beat
(an idle cycle when True), a sink every cycle (``tready`` low when True). Besides the random
probability of the first spine, the deterministic patterns of verilog-axis's testbenches:

==================  =======================================================================
spec                meaning
==================  =======================================================================
``none``            never stall
``random:P``        stall with probability P each time (a float alone means the same)
``every_other``     stall, go, stall, go ...
``burst:N``         N cycles go, N cycles stall (bursts)
``long:N``          a long stall of N cycles, then as many cycles going (N >= 100 by default)
==================  =======================================================================

:func:`parse` reads a spec (``ZS_IDLE=burst:4`` on the command line); every pattern has a
``spec`` that :func:`parse` reads back, so a report names the pattern exactly.
"""

from __future__ import annotations

import dataclasses

import numpy as np

DEFAULT_BURST = 4  # beats on / off: shorter than every block's pipeline, longer than one beat
#: a "long" stall outlasts every pipeline of today's blocks (gemm max fills in 16 cycles,
#: delta_lstm max computes a dense step in about 150): the block must sit still that long
DEFAULT_LONG = 120


class Stall:
    spec = "?"

    def stall(self) -> bool:
        raise NotImplementedError

    @property
    def rate(self) -> float:
        """Long-run share of cycles stalled (the timeout budget scales by it)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.spec


class Never(Stall):
    spec = "none"
    rate = 0.0

    def stall(self) -> bool:
        return False


@dataclasses.dataclass(repr=False)
class Random(Stall):
    p: float
    rng: np.random.Generator

    def __post_init__(self):
        if not 0.0 <= self.p < 1.0:
            raise ValueError(f"a random stall probability must be in [0, 1) (got {self.p})")

    @property
    def spec(self) -> str:
        return f"random:{self.p:g}"

    @property
    def rate(self) -> float:
        return self.p

    def stall(self) -> bool:
        return bool(self.p) and self.rng.random() < self.p


@dataclasses.dataclass(repr=False)
class Periodic(Stall):
    """``go`` cycles going, then ``stop`` cycles stalled, repeating."""

    go: int
    stop: int
    name: str
    _n: int = 0

    def __post_init__(self):
        if self.go < 1 or self.stop < 1:
            raise ValueError(f"a stall pattern needs at least one cycle on and off "
                             f"(got {self.go} on, {self.stop} off)")

    @property
    def spec(self) -> str:
        return self.name

    @property
    def rate(self) -> float:
        return self.stop / (self.go + self.stop)

    def stall(self) -> bool:
        s = (self._n % (self.go + self.stop)) >= self.go
        self._n += 1
        return s


def parse(spec: str | float | Stall | None, rng: np.random.Generator) -> Stall:
    """A pattern from its spec (see the module doc); ``rng`` feeds a random one."""
    if isinstance(spec, Stall):
        return spec
    if spec is None:
        return Never()
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return Random(float(spec), rng) if spec else Never()
    s = str(spec).strip()
    name, _, arg = s.partition(":")
    try:
        if name == "none":
            return Never()
        if name == "random":
            return Random(float(arg), rng)
        if name == "every_other":
            return Periodic(1, 1, "every_other")
        if name == "burst":
            n = int(arg or DEFAULT_BURST)
            return Periodic(n, n, f"burst:{n}")
        if name == "long":
            n = int(arg or DEFAULT_LONG)
            return Periodic(n, n, f"long:{n}")
        return Random(float(s), rng)  # a bare probability
    except ValueError as e:
        if "stall probability" in str(e) or "at least one cycle" in str(e):
            raise
        raise ValueError(f"unknown stall pattern {s!r}: use none, random:P, every_other, "
                         f"burst:N or long:N") from None
