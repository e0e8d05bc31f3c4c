"""spmm scoreboard binding: a V load sets the head's values and requantisation (a reset
forgets them; ``resets`` counts the resets, for the sequences' reload); every P row
predicts one output row, compared exactly element by element (the RTL and
``models.spmm.row_out`` do the same integer arithmetic; the budgets against float64 are tested
in tests/unit/test_model_spmm.py)."""

from __future__ import annotations

from typing import Any

from models.spmm import PRow, SpmmParams, VLoad, expected_cycles, row_out
from scoreboards.base import Expected
from scoreboards.compare import compare_exact

V_PREFIX, P_PREFIX, O_PREFIX = "s_axis_v", "s_axis_p", "m_axis_o"
compare = compare_exact


class NoValuesError(AssertionError):
    """A P row arrived with no V load since the last reset."""


class SpmmModel:
    def __init__(self, p: SpmmParams):
        self.p = p
        self.values: VLoad | None = None
        self.resets = 0  # DUT resets seen (the head sequences reload V when this changes)

    def write(self, stream: str, txn: Any, cycle: int) -> list[Expected]:
        if stream == V_PREFIX:
            self.values = txn
            return []
        if stream != P_PREFIX:
            raise ValueError(f"spmm model: no input stream {stream!r}")
        if self.values is None:
            raise NoValuesError(f"spmm[{self.p.tag}]: a P row arrived before any V load (after "
                                f"reset the block waits for one on {V_PREFIX})")
        return [Expected(O_PREFIX, row_out(self.p, self.values, txn),
                         f"{len(txn.cols)} kept{', last row' if txn.last else ''}")]

    def reset(self) -> None:
        """The DUT was reset: it forgot the values; it waits for a V load."""
        self.values = None
        self.resets += 1


def route(txn: Any) -> str:
    return {VLoad: V_PREFIX, PRow: P_PREFIX}[type(txn)]


def cycles(p: SpmmParams, txns) -> int:
    """No-stall cycles of the P rows sent (one head: see models.spmm.expected_cycles)."""
    return expected_cycles(p, [len(t.cols) for t in txns if isinstance(t, PRow)])
