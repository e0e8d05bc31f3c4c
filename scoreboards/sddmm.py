"""sddmm scoreboard binding: the head as the scoreboard sees it.

Rows pair with K loads by order, not by time: head h is the h-th K load since reset and ends
with its query row flagged LAST (with two key banks the next head's K load is taken while the
current head's rows still run, and fast mode replays every stream on its own). Each query
row's output is predicted when its Q beat, its mask packet and its head's K load have been
seen (the streams run concurrently, in row order on each). A reset forgets the keys and the
rows not yet paired (the DUT waits for a K load); ``resets`` counts the resets, so that the
head sequences reload K after one. Every
(column, score) pair of every row and the EMPTY flag are compared exactly (the RTL and
``models.sddmm.row_out`` do the same integer arithmetic; the model's budget against float64 is
tested in tests/unit/test_model_sddmm.py).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from models.sddmm import (
    KLoad,
    MaskRow,
    QRow,
    SddmmParams,
    expected_head_cycles,
    head_shapes,
    row_out,
)
from scoreboards.base import Expected
from scoreboards.compare import compare_exact

K_PREFIX, Q_PREFIX, M_PREFIX, S_PREFIX = "s_axis_k", "s_axis_q", "s_axis_m", "m_axis_s"
compare = compare_exact


class NoKeysError(AssertionError):
    """A query row arrived with no K load since the last reset."""


class SddmmModel:
    def __init__(self, p: SddmmParams):
        self.p = p
        self.keys: deque[KLoad] = deque()  # loaded heads not yet ended, in order
        self.qs: deque[QRow] = deque()
        self.q_cycles: deque[int] = deque()  # handshake cycle of every Q row in self.qs
        self.ms: deque[MaskRow] = deque()
        self.last_m_cycle: int | None = None  # the head's last paired mask row ended then
        self.rows = 0  # rows predicted since the last K load
        self.resets = 0  # DUT resets seen (the head sequences reload K when this changes)

    def write(self, stream: str, txn: Any, cycle: int) -> list[Expected]:
        if stream == K_PREFIX:
            self.keys.append(txn)
        elif stream == Q_PREFIX:
            self.qs.append(txn)
            self.q_cycles.append(cycle)
        elif stream == M_PREFIX:
            self.ms.append(txn)
        else:
            raise ValueError(f"sddmm model: no input stream {stream!r}")
        out = []
        while self.qs and self.ms:
            if not self.keys:
                raise NoKeysError(f"sddmm[{self.p.tag}]: a query row arrived before any K load "
                                  f"(after reset the block waits for one on {K_PREFIX})")
            q, m = self.qs.popleft(), self.ms.popleft()
            self.q_cycles.popleft()
            self.last_m_cycle = cycle
            out.append(Expected(S_PREFIX, row_out(self.p, self.keys[0], q, m),
                                f"row {self.rows} of the head, {len(m.cols)} kept"))
            self.rows += 1
            if q.last:  # the head is done: the next rows use the next K load
                self.keys.popleft()
                self.rows, self.last_m_cycle = 0, None
        return out

    def reset(self) -> None:
        """The DUT was reset: it forgot the keys and the rows it held; it waits for a K
        load."""
        self.keys.clear()
        self.qs.clear()
        self.q_cycles.clear()
        self.ms.clear()
        self.last_m_cycle = None
        self.resets += 1

    def next_q_timing(self) -> str:
        """How the query of the next row to pair arrived: ``"first"`` (the head's first row,
        or no query yet), ``"prefetched"`` (its handshake came no later than the previous
        row's last mask beat: the RTL's Q skid took it while that row streamed) or
        ``"waited"`` (after it). Read by the coverage before the row's mask row is written."""
        if not self.q_cycles or self.last_m_cycle is None:
            return "first"
        return "prefetched" if self.q_cycles[0] <= self.last_m_cycle else "waited"


def route(txn: Any) -> str:
    return {KLoad: K_PREFIX, QRow: Q_PREFIX, MaskRow: M_PREFIX}[type(txn)]


def cycles(p: SddmmParams, txns) -> int:
    """No-stall cycles of the heads sent (models.sddmm.expected_head_cycles: head h has the
    h-th K load's key count and the rows up to the h-th Q row flagged LAST, paired in order
    with the mask rows; a head cut short still ran its rows)."""
    heads = head_shapes(txns, cut_short=True)
    return expected_head_cycles(p, heads)
