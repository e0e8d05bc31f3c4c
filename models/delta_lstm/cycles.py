"""Cycle model of the DeltaLSTM layer (:func:`expected_cycles`) and the pipeline depths the RTL
is built to match."""

from __future__ import annotations

from collections.abc import Sequence

from models.delta_lstm.params import DeltaLstmParams, load_beats
from models.validate import int_list

# -- cycle model constants (the RTL is built to match them) -----------------------------------
#: Delta unit: cycles after its last issue until the fired bit and delta of the last x element
#: are written (one registered compare stage feeding the delta memory / fired bitmap).
DELTA_PIPE = 1
#: MAC phase: cycles after the last issue until its product is in M (weight-memory read,
#: product register, M read-modify-write).
MAC_PIPE = 3
#: Activation phase: cycles after the last issue until the last h is out (M read + round and
#: saturate, gate LUT, cell update, tanh(c) LUT, h multiply + hidden delta compare).
ACT_PIPE = 5
#: Between two segments of steps, besides the load's beats: the last h handshake, IDLE seeing
#: the load's tvalid, LOAD, and IDLE again before the next x beat. Only timeout budgets use it
#: (no cycle test reloads), so it is a generous bound rather than an exact count.
RELOAD_GAP = 8


def _schedule(p: DeltaLstmParams, fired_per_step: Sequence[int], keep: int) -> int:
    n_steps = len(fired_per_step)
    if n_steps == 0:
        return 0
    x_scan = -(-p.input_size // p.act_lanes) + DELTA_PIPE
    act = -(-p.hidden_size // p.act_lanes) + ACT_PIPE
    total = x_scan                                         # prologue: delta-encode x_1
    for t, n in enumerate(fired_per_step):
        if not 0 <= n <= p.cols:
            raise ValueError(f"delta_lstm: fired columns must be in [0, {p.cols}] (got {n})")
        total += n * keep + MAC_PIPE
        # activation of step t; the delta unit scans x_{t+1} at the same time
        total += max(act, x_scan) if t < n_steps - 1 else act
    return total


def expected_cycles(p: DeltaLstmParams, fired_per_step: Sequence[int]) -> int:
    """Cycles from the first x beat accepted to the last h beat sent, no stalls.

    ``fired_per_step[t]`` is the number of fired columns of step t (``StepStats.n_fired``).
    Schedule (three units, one phase after the other except where noted):

    * **Prologue:** the delta unit compares ``act_lanes`` x elements per cycle with x̂ and writes
      delta + fired bit per column: ``ceil(I / act_lanes) + DELTA_PIPE``.
    * **MAC phase** of step t: the sequencer walks the fired bitmap (find-first-set, one column
      per K cycles, pipelined); for each fired column all PEs do one MAC per cycle on their K
      kept weights: ``n_fired * K + MAC_PIPE``.
    * **Activation phase** of step t: ``act_lanes`` hidden units per cycle (4 gate LUTs, cell,
      tanh(c), h); h leaves on the output stream and its delta against ĥ is compared right at
      the pipeline output, so hidden deltas cost no extra phase: ``ceil(H / act_lanes) +
      ACT_PIPE``. The delta unit scans x_{t+1} during this phase (it touches x̂ only), so the
      phase lasts ``max(act, scan)``; the last step has no x_{t+1}.
    """
    fired = int_list(fired_per_step, "delta_lstm: fired columns per step")
    return _schedule(p, fired, p.keep)


def dense_cycles(p: DeltaLstmParams, n_steps: int = 1) -> int:
    """Same PEs and schedule, dense: every column every step, all ``rows_per_pe`` weights."""
    return _schedule(p, [p.cols] * n_steps, p.rows_per_pe)


def stream_cycles(p: DeltaLstmParams, fired_segments: Sequence[Sequence[int]]) -> int:
    """No-stall cycles from the first x beat accepted to the last h beat sent when the steps
    come in segments, each after its own weight load (``fired_segments[s][t]`` fired columns of
    step t of segment s).

    Exact for one segment (:func:`expected_cycles`). Each later segment adds its load
    (``load_beats`` beats) plus ``RELOAD_GAP`` cycles of hand-over; that part is an upper
    bound, used for timeout budgets only (no cycle test reloads).
    """
    segs = [list(s) for s in fired_segments if len(s)]
    total = sum(expected_cycles(p, s) for s in segs)
    return total + (len(segs) - 1) * (load_beats(p) + RELOAD_GAP) if segs else 0


def ideal_speedup(p: DeltaLstmParams, temporal_sparsity_: float) -> float:
    """``1 / (density * (1 - sparsity))`` with the effective density keep / rows_per_pe."""
    return 1.0 / (p.weight_density * (1.0 - temporal_sparsity_))
