"""What a block declares to the shared bench: its streams (:class:`StreamSpec`), its model and
timing (:class:`BlockSpec`), and a test's stall patterns (:class:`Knobs`). Pure data: no pins,
no simulator; tb/common/bench.py and fast.py read it."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from models.params import BlockParams
from scoreboards.base import Predictor
from scoreboards.compare import compare_exact
from tb.common import stall as stalls
from tb.common.stream import Beat

DEFAULT_IDLE = 0.2  # probability of an idle cycle before each input beat (every test has gaps)
DEFAULT_BACKPRESSURE = 0.2  # probability that the sink holds tready low in a cycle


@dataclasses.dataclass(frozen=True)
class StreamSpec:
    """One stream port of a block, by prefix (``s_axis_x``, ``m_axis_h`` ...)."""

    prefix: str
    decode: Callable[[BlockParams, list[Beat]], Any]  # beats the monitor saw -> transaction
    encode: Callable[[BlockParams, Any], list[Beat]] | None = None  # inputs: txn -> beats
    #: a stream without tlast: beats per transaction, p -> n (1 if None)
    beats_per_txn: Callable[[BlockParams], int] | None = None
    #: inputs: functional coverage, called with (params, txn, knobs) for every transaction
    #: the monitor saw (a block decorates it with cocotb-coverage coverpoints)
    sample: Callable[[BlockParams, Any, Any], None] | None = None
    #: inputs: useful MACs of a transaction (utilisation numerator)
    useful_ops: Callable[[BlockParams, Any], int] | None = None
    #: outputs: None for an in-order scoreboard, else the key of a keyed one (out of order
    #: across keys, in order within a key)
    key: Callable[[Any], Hashable] | None = None


@dataclasses.dataclass
class BlockSpec:
    """What the shared bench needs to know about a block: its streams and its model."""

    name: str
    inputs: list[StreamSpec]
    outputs: list[StreamSpec]
    predictor: Callable[[BlockParams], Predictor]  # p -> write(stream, txn, cycle) -> Expected*
    cycles: Callable[[BlockParams, list[Any]], int]  # no-stall cycles for the txns sent
    n_pe: Callable[[BlockParams], int]  # MAC units (utilisation denominator)
    #: longest no-stall latency from a transaction's last input beat to its last output beat,
    #: p -> cycles: sizes the end-of-test quiet window
    latency: Callable[[BlockParams], int]
    compare: Callable[[Any, Any], Any] = compare_exact  # expected vs got -> Mismatch | None
    #: the input stream a transaction is driven on (default: the only input)
    route: Callable[[Any], str] | None = None
    #: constant sideband inputs (``cfg_*``) driven before reset: p -> {port: value}
    cfg: Callable[[BlockParams], dict[str, int]] | None = None
    #: busy cycles count from this input's first handshake (default: the first input)
    timing_input: str | None = None

    def __post_init__(self):
        names = [s.prefix for s in self.inputs + self.outputs]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: stream prefixes must be unique (got {names})")
        if len(self.inputs) > 1 and self.route is None:
            raise ValueError(f"{self.name}: a block with several inputs needs route(txn)")
        for s in self.inputs:
            if s.encode is None:
                raise ValueError(f"{self.name}: input {s.prefix} needs encode(p, txn)")

    def stream(self, prefix: str) -> StreamSpec:
        for s in self.inputs + self.outputs:
            if s.prefix == prefix:
                return s
        raise KeyError(f"{self.name} has no stream {prefix!r}")

    def route_of(self, txn: Any) -> str:
        return self.route(txn) if self.route is not None else self.inputs[0].prefix


def _env_pattern(var: str, default: float) -> str | float:
    v = os.environ.get(var)
    if v is None:
        return default
    try:
        return float(v)
    except ValueError:
        return v


@dataclasses.dataclass
class Knobs:
    """Stall patterns (tb/common/stall.py specs or probabilities): ``idle`` for every driver,
    ``backpressure`` for every sink, ``ports`` per prefix over either. From the test or the
    environment (``ZS_IDLE``, ``ZS_BACKPRESSURE``: e.g. ``0.3``, ``burst:4``, ``long:120``)."""

    idle: str | float = dataclasses.field(
        default_factory=lambda: _env_pattern("ZS_IDLE", DEFAULT_IDLE))
    backpressure: str | float = dataclasses.field(
        default_factory=lambda: _env_pattern("ZS_BACKPRESSURE", DEFAULT_BACKPRESSURE))
    ports: dict[str, str | float] = dataclasses.field(default_factory=dict)

    def pattern(self, prefix: str, is_input: bool) -> str | float:
        return self.ports.get(prefix, self.idle if is_input else self.backpressure)

    def stall_class(self, prefix: str, is_input: bool) -> str:
        """``"some"`` when the port's pattern ever stalls, else ``"none"`` (coverage bins)."""
        rate = stalls.parse(self.pattern(prefix, is_input), np.random.default_rng(0)).rate
        return "some" if rate > 0 else "none"

    def describe(self) -> str:
        s = f"idle {self.idle} backpressure {self.backpressure}"
        return s + "".join(f" {k}={v}" for k, v in self.ports.items())
