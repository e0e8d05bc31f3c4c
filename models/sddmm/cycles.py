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
