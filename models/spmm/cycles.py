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


def expected_head_cycles(p, heads: list[tuple[int, list[int]]]) -> int:
    """No-stall cycles of ``heads`` = [(n_k, [kept per row])] sent back to back on every
    stream at once: the engine's clock-by-clock twin (models/sparse_attn_cycles.py
    ``simulate_spmm``) with its load memory's ``kv_banks`` banks (models/load_banks.py). With
    one bank a head's load waits for the head before it; with two it fills the idle bank
    meanwhile. One head is :func:`expected_cycles` (tests/unit/test_attn_banks.py)."""
    from models.sparse_attn_cycles import simulate_spmm

    return simulate_spmm(heads, p.kv_banks)
