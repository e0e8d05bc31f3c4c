"""LW-GCN's PCOO schedule of ``Â_q``: one (row, col, val) tuple per lane per cycle, no lane
seeing the same destination row again within the accumulator latency ``L``.

Schedule
    ``row``, ``col``, ``val`` are (P, T) int64 arrays: slot ``[p, t]`` is what lane ``p`` gets in
    cycle ``t``; ``row = -1`` marks a pad (col = val = 0). Lane ``p`` accumulates
    ``val * H[col]`` into its accumulator word of ``row``. **Hazard rule:** if lane ``p`` gets
    row ``r`` at cycles ``t < t'`` then ``t' - t >= L`` (the read-modify-write of cycle ``t`` has
    landed). Every non-zero of Â appears exactly once.

Row to lane assignment (``mode``)
    ``plain``: row ``r`` -> lane ``r mod P``, rows never split (LW-GCN's row grouping).
    ``balanced``: rows longer than ``cap`` are split into near-equal segments on *different*
    lanes (each lane then holds a partial sum of the row; the drain adds them before the
    requantisation, ``merge_adds`` of them), where
    ``cap = max(ceil(d_max / P), floor((ceil(nnz/P) - 1) / L) + 1)`` is the longest segment a
    lane can space ``L`` apart within the ideal length; then longest-first onto the lane whose
    resulting length (formula below) is least.

Order inside a lane and its length (exact)
    Each cycle the lane issues, among its rows not issued in the last ``L - 1`` cycles, the one
    with the most tuples left (ties: lowest row), else a pad. This is optimal for the cooldown
    problem and gives exactly::

        len_p = max(N_p, (m_p - 1) * L + k_p)

    with ``N_p`` tuples, ``m_p`` the longest row (segment) and ``k_p`` the number of rows of that
    length on the lane. ``T = max_p len_p``; every lane is padded to T (lanes run in lockstep).
    Padding = ``P*T - nnz``; imbalance = max busy / mean busy (busy = ``N_p``).
"""

from __future__ import annotations

import dataclasses
import heapq

import numpy as np

from models.gcn.adjacency import QAdj

MODES = ("plain", "balanced")
PAD = -1


def lane_length(counts, latency: int) -> int:
    """``max(N, (m - 1) L + k)`` of one lane holding rows of ``counts`` tuples (module doc)."""
    c = [int(x) for x in counts if x > 0]
    if not c:
        return 0
    m = max(c)
    return max(sum(c), (m - 1) * latency + c.count(m))


@dataclasses.dataclass(frozen=True, eq=False)
class Schedule:
    """A PCOO schedule (module doc) of an ``n``-node Â for ``lanes`` lanes, latency ``latency``."""

    n: int
    lanes: int
    latency: int
    row: np.ndarray
    col: np.ndarray
    val: np.ndarray
    mode: str = "plain"

    @property
    def cycles(self) -> int:
        """T, issue cycles of one pass."""
        return int(self.row.shape[1])

    @property
    def busy(self) -> np.ndarray:
        return (self.row != PAD).sum(axis=1)

    @property
    def nnz(self) -> int:
        return int(self.busy.sum())

    @property
    def padding(self) -> int:
        return self.lanes * self.cycles - self.nnz

    @property
    def imbalance(self) -> float:
        b = self.busy
        return float(b.max() / b.mean()) if self.nnz else 1.0

    @property
    def ideal(self) -> float:
        return self.nnz / self.lanes

    @property
    def efficiency(self) -> float:
        """``(nnz / P) / T``: 1.0 is no padding and no imbalance."""
        return self.ideal / self.cycles if self.cycles else 1.0

    @property
    def merge_adds(self) -> int:
        """Partial sums the drain adds: for each row, (lanes holding it) - 1."""
        pairs = {(int(r), p) for p in range(self.lanes) for r in np.unique(self.row[p])
                 if r != PAD}
        rows = np.bincount([r for r, _ in pairs], minlength=self.n)
        return int(np.maximum(rows - 1, 0).sum())

    @property
    def acc_words(self) -> int:
        """Most distinct rows one lane holds (accumulator depth the lane needs)."""
        return max((np.unique(self.row[p][self.row[p] != PAD]).size
                    for p in range(self.lanes)), default=0)


def _segments(a: QAdj, lanes: int, latency: int, mode: str):
    """(row, lane-or-None, start, stop) segments of the row-major COO."""
    deg = a.degrees
    ptr = np.concatenate([[0], np.cumsum(deg)])
    if mode == "plain":
        return [(r, r % lanes, ptr[r], ptr[r + 1]) for r in range(a.n) if deg[r]]
    lb = -(-a.nnz // lanes)
    dmax = int(deg.max(initial=0))
    cap = max(-(-dmax // lanes), (lb - 1) // latency + 1, 1)
    segs = []
    for r in range(a.n):
        d = int(deg[r])
        if not d:
            continue
        s = -(-d // cap)
        cuts = ptr[r] + (np.arange(s + 1) * d) // s
        segs += [(r, None, int(cuts[i]), int(cuts[i + 1])) for i in range(s)]
    return segs


def _assign(segs, lanes: int, latency: int):
    """Longest segment first onto the lane with the least resulting length (distinct lanes
    for the segments of one row)."""
    order = sorted(range(len(segs)), key=lambda i: (-(segs[i][3] - segs[i][2]), segs[i][0]))
    n_tot = [0] * lanes
    m = [0] * lanes
    k = [0] * lanes
    rows_on = [set() for _ in range(lanes)]
    out = [None] * len(segs)
    for i in order:
        r, _, a, b = segs[i]
        c = b - a
        best = None
        for p in range(lanes):
            if r in rows_on[p]:
                continue
            mm, kk = (c, 1) if c > m[p] else (m[p], k[p] + (c == m[p]))
            length = max(n_tot[p] + c, (mm - 1) * latency + kk)
            key = (length, n_tot[p], p)
            if best is None or key < best[0]:
                best = (key, p, mm, kk)
        _, p, m[p], k[p] = best
        n_tot[p] += c
        rows_on[p].add(r)
        out[i] = (r, p, a, b)
    return out


def _order_lane(segs, latency: int) -> list[tuple[int, int]]:
    """Greedy most-remaining-first with an L-cycle cooldown: list of (row, coo index) or
    (PAD, -1) per cycle."""
    ready = [(-(b - a), r, a, b) for r, a, b in segs]
    heapq.heapify(ready)
    waiting: list[tuple[int, tuple]] = []  # (cycle it becomes ready, entry)
    out = []
    t = 0
    while ready or waiting:
        while waiting and waiting[0][0] <= t:
            heapq.heappush(ready, heapq.heappop(waiting)[1])
        if ready:
            neg, r, a, b = heapq.heappop(ready)
            out.append((r, a))
            if a + 1 < b:
                heapq.heappush(waiting, (t + latency, (neg + 1, r, a + 1, b)))
        else:
            out.append((PAD, -1))
        t += 1
    return out


def pcoo_schedule(a: QAdj, lanes: int, latency: int, mode: str = "plain") -> Schedule:
    """The PCOO schedule of ``a`` (module doc)."""
    if mode not in MODES:
        raise ValueError(f"gcn: mode must be one of {MODES} (got {mode!r})")
    if lanes < 1 or latency < 1:
        raise ValueError(f"gcn: lanes and latency must be >= 1 (got {lanes}, {latency})")
    segs = _segments(a, lanes, latency, mode)
    if mode == "balanced":
        segs = _assign(segs, lanes, latency)
    per_lane = [[] for _ in range(lanes)]
    for r, p, s, e in segs:
        per_lane[p].append((r, s, e))
    orders = [_order_lane(x, latency) for x in per_lane]
    t = max((len(o) for o in orders), default=0)
    row = np.full((lanes, t), PAD, dtype=np.int64)
    col = np.zeros((lanes, t), dtype=np.int64)
    val = np.zeros((lanes, t), dtype=np.int64)
    for p, o in enumerate(orders):
        if not o:
            continue
        r = np.array([x for x, _ in o])
        i = np.array([y for _, y in o])
        m = r != PAD
        row[p, :len(o)] = r
        col[p, :len(o)][m] = a.col[i[m]]
        val[p, :len(o)][m] = a.q[i[m]]
    return Schedule(a.n, lanes, latency, row, col, val, mode)


def schedule_length(a: QAdj, lanes: int, latency: int, mode: str = "plain") -> int:
    """T by the formula alone (no slots built): max over lanes of :func:`lane_length`."""
    segs = _segments(a, lanes, latency, mode)
    if mode == "balanced":
        segs = _assign(segs, lanes, latency)
    per = [[] for _ in range(lanes)]
    for _, p, s, e in segs:
        per[p].append(e - s)
    return max(lane_length(c, latency) for c in per)


def check_schedule(s: Schedule, a: QAdj | None = None, latency: int | None = None) -> None:
    """Refuse a malformed schedule, naming the lane, cycle and entry: a row or column out of
    range, a pad with a payload, a row again within ``latency`` (default ``s.latency``) cycles
    on one lane, and (given ``a``) a non-zero missing, repeated or with the wrong value."""
    lat = s.latency if latency is None else latency
    for p in range(s.lanes):
        last: dict[int, int] = {}
        for t in range(s.cycles):
            r, c, v = int(s.row[p, t]), int(s.col[p, t]), int(s.val[p, t])
            where = f"gcn: schedule lane {p} cycle {t}"
            if r == PAD:
                if c or v:
                    raise ValueError(f"{where}: a pad slot carries col {c}, val {v}")
                continue
            if not 0 <= r < s.n:
                raise ValueError(f"{where}: entry ({r}, {c}): row out of range [0, {s.n})")
            if not 0 <= c < s.n:
                raise ValueError(f"{where}: entry ({r}, {c}): column out of range [0, {s.n})")
            if r in last and t - last[r] < lat:
                raise ValueError(f"{where}: entry ({r}, {c}): hazard, row {r} was issued on "
                                 f"this lane at cycle {last[r]}, {t - last[r]} < L={lat} cycles "
                                 "before")
            last[r] = t
    if a is None:
        return
    m = s.row != PAD
    got = s.row[m] * s.n + s.col[m]
    want = a.row * a.n + a.col
    u, cnt = np.unique(got, return_counts=True)
    if (cnt > 1).any():
        k = int(u[np.argmax(cnt > 1)])
        raise ValueError(f"gcn: schedule: entry ({k // s.n}, {k % s.n}) is issued "
                         f"{int(cnt.max())} times")
    missing = np.setdiff1d(want, got)
    if missing.size:
        raise ValueError(f"gcn: schedule: entry ({int(missing[0]) // a.n}, "
                         f"{int(missing[0]) % a.n}) of Â is never issued")
    extra = np.setdiff1d(got, want)
    if extra.size:
        raise ValueError(f"gcn: schedule: entry ({int(extra[0]) // a.n}, {int(extra[0]) % a.n})"
                         " is not a non-zero of Â")
    order = np.argsort(got)
    wv = a.q[np.argsort(want)]
    bad = s.val[m][order] != wv
    if bad.any():
        k = int(got[order][np.argmax(bad)])
        raise ValueError(f"gcn: schedule: entry ({k // s.n}, {k % s.n}) carries the wrong value")


def run_schedule(s: Schedule, h: np.ndarray) -> np.ndarray:
    """The lanes' arithmetic: per-lane partial sums of every row, then the drain's merge.
    Exact int64 (n, F); equals :func:`models.gcn.model.aggregate_acc` for a valid schedule."""
    acc = np.zeros((s.lanes, s.n, h.shape[1]), dtype=np.int64)
    hh = h.astype(np.int64)
    for p in range(s.lanes):
        m = s.row[p] != PAD
        np.add.at(acc[p], s.row[p][m], s.val[p][m][:, None] * hh[s.col[p][m]])
    return acc.sum(axis=0)
