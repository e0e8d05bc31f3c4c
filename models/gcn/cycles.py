"""Cycle **formulas** of the aggregation (the RTL will measure; these are what it is held to).

PCOO (one engine, P lanes, latency L, F features, ``feat_lanes`` per pass)::

    passes = ceil(F / feat_lanes)
    cycles = passes * T + L          T = schedule length (pcoo.py); + L: the last tuple's
                                     read-modify-write lands L cycles after its issue
    ideal  = passes * nnz / P        (no padding, no imbalance)

GCoD split: ``passes * max(T_block, T_sparse) + L`` (gcod.py). The drain of the output rows
(and the merge of split rows' partial sums) overlaps the next pass and is not counted here.
"""

from __future__ import annotations

from models.gcn.gcod import SplitCycles
from models.gcn.params import GcnAggParams
from models.gcn.pcoo import Schedule


def passes(p: GcnAggParams, features: int) -> int:
    return -(-features // p.feat_lanes)


def pcoo_cycles(p: GcnAggParams, s: Schedule, features: int) -> int:
    return passes(p, features) * s.cycles + p.latency


def split_total_cycles(p: GcnAggParams, c: SplitCycles, features: int) -> int:
    return passes(p, features) * c.cycles + p.latency
