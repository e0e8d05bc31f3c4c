"""spmm scoreboard binding: P rows pair with V loads by order, not by time: head h is the
h-th V load since reset and ends with its P row flagged LAST (with two value banks the next
head's V load is taken while the current head's rows still run, and fast mode replays every
stream on its own). A reset forgets them (``resets`` counts the resets, for the sequences'
reload); every P row predicts one output row, compared exactly element by element (the RTL and
``models.spmm.row_out`` do the same integer arithmetic; the budgets against float64 are tested
in tests/unit/test_model_spmm.py)."""

from __future__ import annotations

from collections import deque
from typing import Any

from models.spmm import PRow, SpmmParams, VLoad, expected_head_cycles, row_out
from scoreboards.base import Expected
from scoreboards.compare import compare_exact

V_PREFIX, P_PREFIX, O_PREFIX = "s_axis_v", "s_axis_p", "m_axis_o"
compare = compare_exact


class NoValuesError(AssertionError):
    """A P row arrived with no V load since the last reset."""


class SpmmModel:
    def __init__(self, p: SpmmParams):
        self.p = p
        self.values: deque[VLoad] = deque()  # loaded heads not yet ended, in order
        self.resets = 0  # DUT resets seen (the head sequences reload V when this changes)

    def write(self, stream: str, txn: Any, cycle: int) -> list[Expected]:
        if stream == V_PREFIX:
            self.values.append(txn)
            return []
        if stream != P_PREFIX:
            raise ValueError(f"spmm model: no input stream {stream!r}")
        if not self.values:
            raise NoValuesError(f"spmm[{self.p.tag}]: a P row arrived before any V load (after "
                                f"reset the block waits for one on {V_PREFIX})")
        out = [Expected(O_PREFIX, row_out(self.p, self.values[0], txn),
                        f"{len(txn.cols)} kept{', last row' if txn.last else ''}")]
        if txn.last:  # the head is done: the next rows use the next V load
            self.values.popleft()
        return out

    def reset(self) -> None:
        """The DUT was reset: it forgot the values; it waits for a V load."""
        self.values.clear()
        self.resets += 1


def route(txn: Any) -> str:
    return {VLoad: V_PREFIX, PRow: P_PREFIX}[type(txn)]


def cycles(p: SpmmParams, txns) -> int:
    """No-stall cycles of the heads sent (models.spmm.expected_head_cycles: head h has the
    h-th V load's key count and the P rows up to the h-th flagged LAST)."""
    vs = [len(t.v) for t in txns if isinstance(t, VLoad)]
    heads, rows = [], []
    for t in txns:
        if isinstance(t, PRow):
            rows.append(len(t.cols))
            if t.last:
                heads.append((vs[len(heads)], rows))
                rows = []
    if rows:  # a head cut short (its LAST row not sent): its rows still ran
        heads.append((vs[len(heads)], rows))
    return expected_head_cycles(p, heads)
