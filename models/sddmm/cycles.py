"""``sddmm``'s no-stall timing: the exact cycle model the CycleTest asserts, and the output
latency."""

from __future__ import annotations

from models.sddmm.params import SddmmParams

#: no-stall cycles of a head besides its mask beats: the first row's Q beat (later rows' Q
#: beats are taken into the skid during the previous row's mask beats, rtl/sddmm.py), and the
#: edge on which the last output leaves after its load
FIRST_Q_CYCLES = 1
LAST_OUTPUT_CYCLES = 1


def expected_cycles(p: SddmmParams, lens: list[int]) -> int:
    """Cycles from a head's first query handshake to its last output handshake, inclusive,
    with no stalls, for rows of ``lens`` kept entries: one edge for the first row's query
    beat, then one per mask beat (an all-masked row has one; every later query beat overlaps
    the previous row's mask beats), then the last output leaves the edge after its load."""
    return FIRST_Q_CYCLES + sum(max(n, 1) for n in lens) + LAST_OUTPUT_CYCLES


def output_latency(p: SddmmParams) -> int:
    """Longest no-stall time from a row's last input beat to its last output beat: the output
    register loads on the mask beat's edge and leaves on the next."""
    return 2


def expected_head_cycles(p, heads: list[tuple[int, list[int]]]) -> int:
    """No-stall cycles of ``heads`` = [(n_k, [kept per row])] sent back to back on every
    stream at once: the engine's clock-by-clock twin (models/sparse_attn_cycles.py
    ``simulate_sddmm``) with its load memory's ``kv_banks`` banks (models/load_banks.py). With
    one bank a head's load waits for the head before it; with two it fills the idle bank
    meanwhile. One head is :func:`expected_cycles` (tests/unit/test_attn_banks.py)."""
    from models.sparse_attn_cycles import simulate_sddmm

    return simulate_sddmm(heads, p.kv_banks)
