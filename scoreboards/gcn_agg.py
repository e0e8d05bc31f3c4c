"""gcn_agg scoreboard binding: an H load sets the pass's dense operand and requantisation (a
reset forgets it; ``resets`` counts the resets, for the sequences' reload); every Â pass
predicts one output transaction (its n rows in row order and their flags), compared exactly
element by element with ``models.gcn_agg.pass_out``. In order: outputs pair with passes by
position, so fast mode's replay pairs them the same way."""

from __future__ import annotations

from typing import Any

from models.gcn_agg import APass, GcnAggParams, HLoad, budget_cycles, pass_out
from scoreboards.base import Expected
from scoreboards.compare import compare_exact

H_PREFIX, A_PREFIX, Y_PREFIX = "s_axis_h", "s_axis_a", "m_axis_y"
compare = compare_exact


class NoLoadError(AssertionError):
    """An Â pass arrived with no H load since the last reset."""


class GcnAggModel:
    def __init__(self, p: GcnAggParams):
        self.p = p
        self.h: HLoad | None = None
        self.resets = 0  # DUT resets seen (the sequences reload H when this changes)

    def write(self, stream: str, txn: Any, cycle: int) -> list[Expected]:
        if stream == H_PREFIX:
            self.h = txn
            return []
        if stream != A_PREFIX:
            raise ValueError(f"gcn_agg model: no input stream {stream!r}")
        if self.h is None:
            raise NoLoadError(f"gcn_agg[{self.p.tag}]: an Â pass arrived before any H load "
                              f"(after reset the block waits for one on {H_PREFIX})")
        s = txn.schedule
        return [Expected(Y_PREFIX, pass_out(self.p, self.h, txn),
                         f"n={self.h.n} T={s.cycles} nnz={s.nnz}")]

    def reset(self) -> None:
        """The DUT was reset: it forgot H; it clears its accumulators and waits for a load."""
        self.h = None
        self.resets += 1


def route(txn: Any) -> str:
    return {HLoad: H_PREFIX, APass: A_PREFIX}[type(txn)]


def cycles(p: GcnAggParams, txns) -> int:
    """The timeout budget's base (models.gcn_agg.budget_cycles); the CycleTest holds one pass
    to the exact models.gcn_agg.pass_cycles."""
    return budget_cycles(p, txns)
