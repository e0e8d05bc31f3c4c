"""Pure scoreboards and the predictor interface: no cocotb anywhere in this file.

The testbench feeds a *predictor* every input transaction that an input monitor saw (with the
stream's name and the handshake cycle); the predictor yields any number of
:class:`Expected` transactions (zero, one or many) on any output stream. Each output stream has
its own scoreboard:

* :class:`InOrderScoreboard` -- outputs arrive in the order they were predicted;
* :class:`KeyedScoreboard` -- outputs may arrive out of order across keys (a key the block's
  scoreboard extracts from a transaction, e.g. a destination row or a source), in order within
  one key.

Both compare exactly (or with the block's comparator) and report a mismatch with the block,
config tag, test, seed, stream, transaction index, first wrong element, expected and got, and the
command that reproduces the run; :meth:`check_drained` fails on missing or extra outputs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from scoreboards.compare import Mismatch, compare_exact


class ScoreboardError(AssertionError):
    """A DUT output differed from the model, or outputs were missing or extra."""


@dataclass
class RunContext:
    """What a failure report must say to make the failure reproducible."""

    block: str
    tag: str
    seed: int | None = None
    test: str = ""
    repro: str = ""  # a command line that reruns this test

    def prefix(self) -> str:
        t = f" test {self.test}" if self.test else ""
        return f"{self.block}[{self.tag}]{t} seed={self.seed}"

    def fail(self, what: str) -> str:
        msg = f"{self.prefix()}: {what}"
        if self.repro:
            msg += f"\n  reproduce with waves: {self.repro}"
        return msg


@dataclass(frozen=True)
class Expected:
    """One predicted output transaction: its stream, the value and a short context text."""

    stream: str
    item: Any
    info: str = ""


class Predictor(Protocol):
    """What the bench asks of a block's model (``reset`` is optional)."""

    def write(self, stream: str, txn: Any, cycle: int) -> Iterable[Expected]: ...


class PerTxnPredictor:
    """A pure ``model(p, txn)``: every transaction on ``in_stream`` predicts exactly one output
    transaction on ``out_stream``; other input streams must not exist."""

    def __init__(self, fn: Callable[[Any, Any], Any], p: Any, in_stream: str, out_stream: str,
                 describe: Callable[[Any], str] = lambda t: ""):
        self.fn, self.p, self.describe = fn, p, describe
        self.in_stream, self.out_stream = in_stream, out_stream

    def write(self, stream: str, txn: Any, cycle: int) -> Iterable[Expected]:
        if stream != self.in_stream:
            raise ValueError(f"{type(self).__name__}: no input stream {stream!r} "
                             f"(only {self.in_stream!r})")
        return [Expected(self.out_stream, self.fn(self.p, txn), self.describe(txn))]


@dataclass
class _Base:
    ctx: RunContext
    stream: str = ""
    compare: Callable[[Any, Any], Mismatch | None] = compare_exact
    fail_on_error: bool = True
    n_checked: int = 0  # transactions compared and equal
    n_elements: int = 0  # output elements compared
    errors: list[str] = field(default_factory=list)
    on_compare: list[Callable[[], None]] = field(default_factory=list)
    _index: int = 0  # output transactions compared so far on this stream

    def _where(self) -> str:
        return f"stream {self.stream} " if self.stream else ""

    def _check(self, exp: Any, info: str, got: Any, where: str) -> None:
        m = self.compare(exp, got)
        if m is not None:
            extra = f" [{info}]" if info else ""
            self._error(f"{self._where()}transaction {self._index}{where}{extra}: "
                        f"{m.describe()}")
        else:
            self.n_checked += 1
            self.n_elements += _size(exp)
        self._index += 1
        for cb in self.on_compare:
            cb()

    def _error(self, what: str) -> None:
        msg = self.ctx.fail(what)
        self.errors.append(msg)
        if self.fail_on_error:
            raise ScoreboardError(msg)

    def _final(self) -> None:
        if self.errors and not self.fail_on_error:
            raise ScoreboardError("\n".join(self.errors))


@dataclass
class InOrderScoreboard(_Base):
    expected: deque = field(default_factory=deque)
    actual: deque = field(default_factory=deque)

    def add_expected(self, item: Any, info: str = "") -> None:
        self.expected.append((item, info))
        self._drain()

    def add_actual(self, item: Any) -> None:
        self.actual.append(item)
        self._drain()

    @property
    def pending(self) -> int:
        """Expected transactions whose output has not arrived yet."""
        return len(self.expected)

    def flush(self) -> None:
        """Forget transactions in flight (the DUT was reset and dropped them)."""
        self.expected.clear()
        self.actual.clear()

    def _drain(self) -> None:
        while self.expected and self.actual:
            (exp, info), got = self.expected.popleft(), self.actual.popleft()
            self._check(exp, info, got, "")

    def check_drained(self) -> None:
        """Fail when outputs are missing (expected left over) or extra (actual left over)."""
        if self.expected:
            self._error(f"{self._where()}{len(self.expected)} output transaction(s) missing: "
                        f"transaction {self._index} onwards never came out")
        if self.actual:
            self._error(f"{self._where()}{len(self.actual)} extra output transaction(s) with "
                        f"no input to explain them, from transaction {self._index}")
        self._final()


@dataclass
class KeyedScoreboard(_Base):
    """Out of order across keys, in order within a key. ``key(item)`` is applied to expected
    and actual transactions alike."""

    key: Callable[[Any], Hashable] = lambda item: None
    expected: dict = field(default_factory=dict)  # key -> deque of (item, info)
    actual: dict = field(default_factory=dict)  # key -> deque of items
    key_switches: int = 0  # consecutive outputs with different keys (out-of-order evidence)
    _last_key: Any = None

    def add_expected(self, item: Any, info: str = "") -> None:
        self.expected.setdefault(self.key(item), deque()).append((item, info))
        self._drain(self.key(item))

    def add_actual(self, item: Any) -> None:
        try:
            k = self.key(item)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            self._error(f"{self._where()}transaction {self._index}: the scoreboard cannot "
                        f"read its key from the output ({type(e).__name__}: {e}): {item!r}")
            return
        if self._last_key is not None and k != self._last_key:
            self.key_switches += 1
        self._last_key = k
        self.actual.setdefault(k, deque()).append(item)
        self._drain(k)

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self.expected.values())

    def flush(self) -> None:
        self.expected.clear()
        self.actual.clear()

    def _drain(self, k: Hashable) -> None:
        exp, act = self.expected.get(k), self.actual.get(k)
        while exp and act:
            (e, info), got = exp.popleft(), act.popleft()
            self._check(e, info, got, f" (key {k!r})")

    def check_drained(self) -> None:
        missing = {k: len(q) for k, q in self.expected.items() if q}
        extra = {k: len(q) for k, q in self.actual.items() if q}
        if missing:
            self._error(f"{self._where()}{sum(missing.values())} output transaction(s) "
                        f"missing, per key {missing}")
        if extra:
            first_k = next(iter(extra))
            self._error(f"{self._where()}{sum(extra.values())} extra output transaction(s) "
                        f"with no input to explain them, per key {extra}; first: "
                        f"{self.actual[first_k][0]!r}")
        self._final()


Scoreboard = InOrderScoreboard | KeyedScoreboard


def _size(x: Any) -> int:
    if isinstance(x, dict):
        return sum(_size(v) for v in x.values())
    try:
        return int(x.size)
    except AttributeError:
        return 1
