"""sparse_attn scoreboard binding: the head as the scoreboard sees it.

A K load and a V load set the head's keys, values and both requantisations; each query row's
output is predicted when both its Q beat and its mask packet have been seen (the streams run
concurrently, in row order on each) and compared exactly, element by element (the RTL and
``models.sparse_attn.row_out`` do the same integer arithmetic; the budget against float64 is
tested in tests/unit/test_model_sparse_attn.py).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from models.sddmm import KLoad, MaskRow, QRow, head_shapes
from models.sparse_attn import (
    K_PREFIX,
    M_PREFIX,
    O_PREFIX,
    Q_PREFIX,
    V_PREFIX,
    SparseAttnParams,
    expected_cycles,
    row_out,
)
from models.spmm import VLoad
from scoreboards.base import Expected
from scoreboards.compare import compare_exact

compare = compare_exact


class SparseAttnModel:
    """Rows belong to heads in order: head h is the h-th K load and the h-th V load since
    reset, and a head ends with its query row flagged LAST. The engines run heads in a
    pipeline (the SDDMM may start head h + 1 while the SpMM still finishes head h and before
    V of head h + 1 is in), so a row is predicted once its Q, its mask and both of its head's
    loads have been seen, whatever their order in time."""

    def __init__(self, p: SparseAttnParams):
        self.p = p
        self.resets = -1  # DUT resets seen (the reset tests' head sequence reloads K and V)
        self.reset()

    def write(self, stream: str, txn: Any, cycle: int) -> list[Expected]:
        if stream == K_PREFIX:
            self.ks.append(txn)
        elif stream == V_PREFIX:
            self.vs.append(txn)
        elif stream == Q_PREFIX:
            self.qs.append(txn)
        elif stream == M_PREFIX:
            self.ms.append(txn)
        else:
            raise ValueError(f"sparse_attn model: no input stream {stream!r}")
        out = []
        while self.qs and self.ms and self.ks and self.vs:
            q, m = self.qs.popleft(), self.ms.popleft()
            out.append(Expected(O_PREFIX, row_out(self.p, self.ks[0], self.vs[0], q, m),
                                f"head {self.head} row {self.row}, {len(m.cols)} kept"))
            self.row += 1
            if q.last:  # the head is done: the next rows use the next loads
                self.ks.popleft()
                self.vs.popleft()
                self.head, self.row = self.head + 1, 0
        return out

    def reset(self) -> None:
        """The DUT forgets both loads and every row in flight."""
        self.resets += 1
        self.ks: deque[KLoad] = deque()
        self.vs: deque[VLoad] = deque()
        self.qs: deque[QRow] = deque()
        self.ms: deque[MaskRow] = deque()
        self.head = self.row = 0  # since the last reset


def route(txn: Any) -> str:
    return {KLoad: K_PREFIX, VLoad: V_PREFIX, QRow: Q_PREFIX, MaskRow: M_PREFIX}[type(txn)]


def cycles(p: SparseAttnParams, txns) -> int:
    """No-stall cycles of the heads sent (models.sparse_attn.expected_cycles): head h has the
    h-th K load's key count and the rows up to the h-th Q row flagged LAST, paired in order
    with the mask rows."""
    heads = head_shapes(txns, cut_short=False)
    return expected_cycles(p, heads)
