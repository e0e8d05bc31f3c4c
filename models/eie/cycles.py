"""``eie``'s timing: the exact cycle twin of rtl/eie (no stalls) and the ideal.

Timing is data dependent (which activations are non-zero, how many entries each PE holds in
their columns, how full the activation FIFOs get), so the cycle model is a *twin*: the RTL's
timing registers stepped cycle by cycle (:func:`simulate`), with the work per column taken from
the functional walk (models.eie.format.walk_column). Per cycle, as in the RTL:

* LNZD: of the current activation beat's lanes that are non-zero, inside ``cols`` and not yet
  broadcast, the lowest is pushed into every PE's FIFO when no FIFO is full; the beat is
  accepted (its handshake) in the cycle its last such lane is pushed, or at once when it has
  none. After the vector's last beat it accepts nothing until its outputs are written back.
* PE: when its FIFO is not empty and it is idle or on its column's last entry, it pops
  ``(j, a_j)`` and fetches ``p[j]``, ``p[j+1]`` (both banks in one cycle); the column then
  takes one cycle per entry it reads (none when the pointers are equal or faulty). A column
  of n >= 1 entries costs n cycles, an empty one 1 (its pointer fetch).
* When the last beat was accepted, every FIFO is empty and every PE idle, the next cycle
  starts the write-back: one output beat per cycle (registered, so each leaves the cycle after
  it is formed), and the cycle the last one is formed the next vector may start.

Measured like every block (tb/common/bench.py busy_cycles): from the first activation
handshake to the last output handshake, inclusive.
"""

from __future__ import annotations

import dataclasses
from collections import deque

import numpy as np

from models.eie.format import local_rows, walk_column
from models.eie.model import EieLoad, load_faults
from models.eie.params import EieParams
from models.eie.streams import a_beats, out_beats


@dataclasses.dataclass(frozen=True)
class Timing:
    cycles: int  # first activation handshake .. last output handshake, inclusive
    first_a: int
    last_b: int
    fifo_full_cycles: int  # cycles the LNZD had a lane to push and some FIFO was full
    max_occupancy: int


def _vector_work(p: EieParams, t: EieLoad, a: np.ndarray) -> tuple[list, list[int]]:
    """Per beat the lanes to broadcast (index, cycles per PE), and the status-free shape."""
    bad = bool(load_faults(p, t))
    beats = []
    n_rows = [local_rows(t.rows, p.num_pe, k) for k in range(p.num_pe)]
    for b in range(a_beats(p, len(a))):
        lanes = []
        for g in range(p.lanes):
            j = b * p.lanes + g
            if j < len(a) and not bad and j < t.cols and a[j] != 0:
                lanes.append(tuple(walk_column(s, j, t.n_codes, n_rows[k]).cycles
                                   for k, s in enumerate(t.slices)))
        beats.append(lanes)
    return beats, n_rows


def simulate(p: EieParams, t: EieLoad, vectors: list[np.ndarray]) -> Timing:
    """The RTL's timeline for ``vectors`` sent back to back after ``t`` was loaded, with the
    activation source always valid and the sink always ready (module doc)."""
    n, depth = p.num_pe, p.fifo_depth
    work = [_vector_work(p, t, np.asarray(v, dtype=np.int64))[0] for v in vectors]
    n_out = out_beats(p, t.rows, load_faults(p, t))
    fifo = [deque() for _ in range(n)]
    rem = [0] * n
    wb, last_seen, wb_row, out_valid = False, False, 0, False
    vi, bi, done = 0, 0, 0  # vector, beat, lanes of the beat already broadcast
    cyc, first_a, last_b, full_cycles, occ = 0, None, None, 0, 0
    outs_left = len(vectors) * n_out
    while outs_left:
        # -- combinational view of this cycle ------------------------------------------
        push_item = None
        a_hs = False
        if not wb and not last_seen and vi < len(work):
            lanes = work[vi][bi][done:]
            if lanes:
                if all(len(f) < depth for f in fifo):
                    push_item = lanes[0]
                    a_hs = len(lanes) == 1
                else:
                    full_cycles += 1
            else:
                a_hs = True
        takes = [bool(fifo[k]) and rem[k] <= 1 for k in range(n)]
        go_wb = (not wb and last_seen and all(not f for f in fifo) and all(r == 0 for r in rem))
        b_hs = out_valid
        # -- edge ------------------------------------------------------------------------
        if b_hs:
            last_b = cyc
            outs_left -= 1
            out_valid = False
        if wb:
            out_valid = True
            if wb_row == n_out - 1:
                wb, last_seen, wb_row = False, False, 0
            else:
                wb_row += 1
        if go_wb:
            wb = True
        for k in range(n):
            if takes[k]:
                rem[k] = fifo[k].popleft()
            else:
                rem[k] = max(rem[k] - 1, 0)
        if push_item is not None:
            for k in range(n):
                fifo[k].append(push_item[k])
            done += 1
        occ = max(occ, max(len(f) for f in fifo))
        if a_hs:
            if first_a is None:
                first_a = cyc
            done = 0
            bi += 1
            if bi == len(work[vi]):
                bi, vi, last_seen = 0, vi + 1, True
        cyc += 1
    return Timing(last_b - first_a + 1, first_a, last_b, full_cycles, occ)


def expected_cycles(p: EieParams, t: EieLoad, vectors: list[np.ndarray]) -> int:
    return simulate(p, t, vectors).cycles


def ideal_cycles(p: EieParams, t: EieLoad, a: np.ndarray) -> float:
    """EIE's ideal: the non-zero weights at non-zero activations, spread evenly over the N
    PEs (padding entries not counted: they are the format's overhead)."""
    a = np.asarray(a)[:t.cols]
    work = 0
    for s in t.slices:
        for j in np.flatnonzero(a):
            lo, hi = int(s.ptr[j]), int(s.ptr[j + 1])
            work += int(np.count_nonzero(s.v[lo:hi]))
    return work / p.num_pe


def pe_bound(p: EieParams, t: EieLoad, a: np.ndarray) -> int:
    """The load-imbalance bound: the busiest PE's cycles, max_k sum_j max(n_kj, 1) over the
    non-zero activations (a lower bound of the twin's run phase)."""
    beats, _ = _vector_work(p, t, np.asarray(a, dtype=np.int64))
    cols = [c for b in beats for c in b]
    return max((sum(max(c[k], 1) for c in cols) for k in range(p.num_pe)), default=0)
