"""In-order scoreboard: queue expected and actual transactions, compare exactly, count.

The scoreboard knows nothing of cocotb: the testbench calls :meth:`add_expected` with the
model's output for each input transaction its monitor saw and :meth:`add_actual` with each
output transaction, and :meth:`check_drained` at the end. A mismatch raises
:class:`ScoreboardError` (or is counted with ``fail_on_error=False``) with the block, config
tag, seed, transaction index, first wrong element, expected and got, and the command that
reproduces the run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class InOrderScoreboard:
    ctx: RunContext
    compare: Callable[[Any, Any], Mismatch | None] = compare_exact
    fail_on_error: bool = True
    expected: deque = field(default_factory=deque)
    actual: deque = field(default_factory=deque)
    n_checked: int = 0  # transactions compared
    n_elements: int = 0  # output elements compared
    errors: list[str] = field(default_factory=list)
    _index: int = 0  # index of the next transaction to compare
    on_compare: list[Callable[[], None]] = field(default_factory=list)

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
            m = self.compare(exp, got)
            if m is not None:
                extra = f" [{info}]" if info else ""
                self._error(f"transaction {self._index}{extra}: {m.describe()}")
            else:
                self.n_checked += 1
                self.n_elements += _size(exp)
            self._index += 1
            for cb in self.on_compare:
                cb()

    def _error(self, what: str) -> None:
        msg = f"{self.ctx.prefix()}: {what}"
        if self.ctx.repro:
            msg += f"\n  reproduce with waves: {self.ctx.repro}"
        self.errors.append(msg)
        if self.fail_on_error:
            raise ScoreboardError(msg)

    def check_drained(self) -> None:
        """Fail when outputs are missing (expected left over) or extra (actual left over)."""
        if self.expected:
            self._error(f"{len(self.expected)} output transaction(s) missing: transaction "
                        f"{self._index} onwards never came out")
        if self.actual:
            self._error(f"{len(self.actual)} extra output transaction(s) with no input to "
                        f"explain them, from transaction {self._index}")
        if self.errors and not self.fail_on_error:
            raise ScoreboardError("\n".join(self.errors))


def _size(x: Any) -> int:
    if isinstance(x, dict):
        return sum(_size(v) for v in x.values())
    try:
        return int(x.size)
    except AttributeError:
        return 1
