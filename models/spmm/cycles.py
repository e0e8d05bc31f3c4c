"""``spmm``'s no-stall timing: the exact cycle model the CycleTest asserts, and the output
latency."""

from __future__ import annotations

from models.spmm.params import SpmmParams


def expected_cycles(p: SpmmParams, lens: list[int]) -> int:
    """Cycles from a head's first P handshake to its last output handshake, inclusive, with no
    stalls: one edge per P beat (an all-masked row has one), then the last row leaves the edge
    after its load."""
    return sum(max(n, 1) for n in lens) + 1


def output_latency(p: SpmmParams) -> int:
    """A row's output register loads on its last P beat and leaves on the next edge."""
    return 2
