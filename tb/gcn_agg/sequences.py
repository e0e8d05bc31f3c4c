"""Stimulus for ``gcn_agg``: each pass is an H load, then its PCOO stream. Graphs are drawn
from the bench's seeded generator and sized from the params (min has 2 nodes and degree 2).
Every sequence sends passes through the family's reset-aware load-then-rows sequence
(tb/common/attention.py HeadSequence: after a reset the pass is sent again from its H load)."""

from __future__ import annotations

import dataclasses

import numpy as np

from models.fixed import smax, smin
from models.gcn.adjacency import QAdj
from models.gcn.pcoo import PAD, Schedule, pcoo_schedule
from models.gcn_agg import APass, GcnAggParams, HLoad
from scoreboards.gcn_agg import A_PREFIX
from tb.common import attention
from tb.common.attention import HeadTxns
from tb.common.uvm import cycle_scale

RANDOM_NODES_MAX = 48  # nodes of a random graph (the stall matrix runs it 8 times)
N_RANDOM_PASSES = 3  # passes per random test: a reload between passes, under stalls
#: power-law degrees: Pareto shape (Cora's degree tail is about this heavy) and the mean
#: degree of the bulk
PARETO_SHAPE = 1.5
MEAN_DEGREE = 3
N_BACK_TO_BACK = 6  # small passes in a row: the next H load follows a drain at once
N_RESET_PASSES = 6  # small passes: the reset tests' moments land inside one
RESET_NODES = 6
CYCLE_NODES = 64  # per cycle_scale(): one pass for the exact cycle check
SHAPE_NODES = 16  # nodes of the directed graph shapes


@dataclasses.dataclass
class GraphPass:
    """One pass as the sequences build it: the operand and the Â stream."""

    h: HLoad
    a: APass


def split(p: GcnAggParams, g: GraphPass) -> HeadTxns:
    return HeadTxns([g.h], {A_PREFIX: [g.a]})


class PassSequence(attention.HeadSequence):
    """Sends the passes :meth:`heads` yields (the H load, then the Â stream)."""

    split = staticmethod(split)


# -- builders -----------------------------------------------------------------------------------
def qadj(n: int, rows, cols, q) -> QAdj:
    """A QAdj from coordinates in any order (duplicates kept: the block sums them)."""
    rows, cols, q = (np.asarray(x, dtype=np.int64) for x in (rows, cols, q))
    o = np.lexsort((cols, rows))
    return QAdj(n, rows[o], cols[o], q[o])


def random_codes(p: GcnAggParams, rng, k: int) -> np.ndarray:
    """Â codes over the format's whole range (UQ1.15 up to 2**adj_width - 1)."""
    return rng.integers(0, 1 << p.adj_width, size=k)


def power_law(p: GcnAggParams, rng, n: int) -> QAdj:
    """Row degrees from a Pareto tail (clipped to max_degree and n), a self-loop on every row,
    distinct random columns."""
    cap = min(p.max_degree, n)
    deg = np.minimum(np.floor(rng.pareto(PARETO_SHAPE, n) * MEAN_DEGREE).astype(np.int64) + 1,
                     cap)
    rows, cols = [], []
    for i, d in enumerate(deg):
        others = rng.permutation(np.delete(np.arange(n), i))[:d - 1]
        c = np.concatenate([[i], others])
        rows += [i] * c.size
        cols += list(c)
    return qadj(n, rows, cols, random_codes(p, rng, len(rows)))


def random_h(p: GcnAggParams, rng, n: int, extremes: bool = False) -> np.ndarray:
    lo, hi = smin(p.feat_width), smax(p.feat_width)
    if extremes:
        return rng.choice([lo, hi], size=(n, p.feat_lanes))
    return rng.integers(lo, hi + 1, size=(n, p.feat_lanes))


def useful_load(p: GcnAggParams, rng, h: np.ndarray, a: QAdj, *, relu=None,
                out_bits=None) -> HLoad:
    """An H load whose (scale, shift) maps the pass's typical sums into the output range: a
    product of a uniform code and a uniform feature has RMS about 2**(aw + fw - 1) / 3, a sum
    of d of them grows like sqrt(d); +-2 bits of jitter reach the saturation on both ends."""
    ob = int(rng.integers(2, p.out_width + 1)) if out_bits is None else out_bits
    scale = int(rng.integers(1, 1 << p.scale_width))
    d = max(int(np.bincount(a.row, minlength=a.n).mean()) if a.nnz else 1, 1)
    bits = p.adj_width + p.feat_width - 1 + d.bit_length() // 2
    shift = bits + scale.bit_length() - (ob - 1) + int(rng.integers(-2, 3))
    relu = bool(rng.integers(2)) if relu is None else relu
    return HLoad(h, scale, int(np.clip(shift, 0, p.max_shift)), relu, ob)


def graph_pass(p: GcnAggParams, rng, a: QAdj, mode: str | None = None, **kw) -> GraphPass:
    mode = mode or str(rng.choice(["plain", "balanced"]))
    s = pcoo_schedule(a, p.lanes, p.latency, mode)
    return GraphPass(useful_load(p, rng, random_h(p, rng, a.n), a, **kw), APass(s))


def nodes(p: GcnAggParams, want: int) -> int:
    return max(1, min(p.max_nodes, want))


# -- sequences ----------------------------------------------------------------------------------
class RandomGraphsSeq(PassSequence):
    """Random graphs with power-law degrees (up to RANDOM_NODES_MAX nodes), plain and balanced
    PCOO, random requantisation, ReLU and output width."""

    def heads(self, p, rng):
        for _ in range(N_RANDOM_PASSES):
            n = int(rng.integers(1, nodes(p, RANDOM_NODES_MAX) + 1))
            yield graph_pass(p, rng, power_law(p, rng, n))


class ShapesSeq(PassSequence):
    """Directed graph shapes: empty rows; a row with max_degree tuples (duplicated columns
    where max_degree > n); a star (node 0 linked to all, self-loops); a chain; self-loops
    only; duplicate edges (one (row, col) twice)."""

    def heads(self, p, rng):
        n = nodes(p, SHAPE_NODES)
        idx = np.arange(n)
        # empty rows: only even rows have entries
        ev = idx[::2]
        yield graph_pass(p, rng, qadj(n, ev, ev, random_codes(p, rng, ev.size)))
        # the maximum degree: row n - 1 gets max_degree tuples
        k = p.max_degree
        yield graph_pass(p, rng, qadj(n, np.full(k, n - 1), np.arange(k) % n,
                                      random_codes(p, rng, k)))
        # a star with self-loops
        if n > 1 and n <= p.max_degree:
            r = np.concatenate([np.zeros(n - 1, dtype=np.int64), idx[1:], idx])
            c = np.concatenate([idx[1:], np.zeros(n - 1, dtype=np.int64), idx])
            yield graph_pass(p, rng, qadj(n, r, c, random_codes(p, rng, r.size)))
        # a chain with self-loops
        if n > 1 and p.max_degree >= 3:
            r = np.concatenate([idx[:-1], idx[1:], idx])
            c = np.concatenate([idx[1:], idx[:-1], idx])
            yield graph_pass(p, rng, qadj(n, r, c, random_codes(p, rng, r.size)))
        # self-loops only
        yield graph_pass(p, rng, qadj(n, idx, idx, random_codes(p, rng, n)))
        # duplicate edges: (0, n-1) twice next to the self-loops
        if p.max_degree >= 3:
            r = np.concatenate([idx, [0, 0]])
            c = np.concatenate([idx, [n - 1, n - 1]])
            yield graph_pass(p, rng, qadj(n, r, c, random_codes(p, rng, r.size)))


def hazard_schedule(p: GcnAggParams, n: int, gap: int, rng) -> Schedule:
    """Every lane gets one row three times, ``gap`` beats apart (lane l: row l mod n), with
    pads between."""
    t_len = 2 * gap + 1
    row = np.full((p.lanes, t_len), PAD, dtype=np.int64)
    col = np.zeros_like(row)
    val = np.zeros_like(row)
    for lane in range(p.lanes):
        for t in range(0, t_len, gap):
            row[lane, t] = lane % n
            col[lane, t] = int(rng.integers(n))
            val[lane, t] = int(rng.integers(1, 1 << p.adj_width))
    return Schedule(n, p.lanes, p.latency, row, col, val)


class HazardSeq(PassSequence):
    """The hazard edge: every lane gets a row again exactly L beats later and L + 1 beats
    later (clean: no flag, no hold), and 1 .. L - 1 beats later (the schedule's promise
    broken, sent unchecked: the block holds the beat until the write landed, flags HAZARD on
    every output row and the sums stay exact); then tuples whose column lies outside the
    loaded graph (dropped, RANGE flag), alone and in the beat of a hazard. L - 1 = 0 cannot be
    sent (one tuple per lane per beat), so L = 1 configs send the clean cases only."""

    def heads(self, p, rng):
        if 3 > p.max_degree:
            return
        n = nodes(p, 4)
        for gap in (p.latency, p.latency + 1, *range(1, p.latency)):
            s = hazard_schedule(p, n, gap, rng)
            yield GraphPass(HLoad(random_h(p, rng, n), 1, 0, False, p.out_width),
                            APass(s, checked=gap >= p.latency))
        # out of range: a graph of n - 1 nodes sent a tuple of column n - 1, on a clean beat
        # and (L > 1) on the beat of a hazard
        if n >= 2:
            for gap in sorted({p.latency, max(p.latency - 1, 1)}):
                s = hazard_schedule(p, n, gap, rng)
                s.col[0, gap] = n - 1
                h = HLoad(random_h(p, rng, n - 1), 1, 0, False, p.out_width)
                yield GraphPass(h, APass(s, checked=False))


class ExtremesSeq(PassSequence):
    """Saturation at both ends: extreme features and the largest codes with no shift; the
    largest scale and shift; every output width."""

    def heads(self, p, rng):
        n = nodes(p, 8)
        a = power_law(p, rng, n)
        a = QAdj(a.n, a.row, a.col, np.full(a.nnz, (1 << p.adj_width) - 1))
        s = pcoo_schedule(a, p.lanes, p.latency)
        for fill in (smin(p.feat_width), smax(p.feat_width)):
            yield GraphPass(HLoad(np.full((n, p.feat_lanes), fill), 1, 0, False, p.out_width),
                            APass(s))
        yield GraphPass(HLoad(random_h(p, rng, n, True), (1 << p.scale_width) - 1, p.max_shift,
                              True, p.out_width), APass(s))
        for ob in sorted({2, p.out_width // 2 + 1, p.out_width}):
            yield graph_pass(p, rng, power_law(p, rng, n), out_bits=ob)


class BackToBackSeq(PassSequence):
    """Back-to-back layers: small passes on one graph one after the other, the next H load
    following the previous drain at once (layer 2's operand is layer 1's output, clamped to the
    feature width)."""

    def heads(self, p, rng):
        n = nodes(p, 8)
        a = power_law(p, rng, n)
        from models.gcn_agg import pass_out

        g = graph_pass(p, rng, a, relu=True)
        for _ in range(N_BACK_TO_BACK):
            yield g
            y = np.clip(pass_out(p, g.h, g.a)["y"], smin(p.feat_width), smax(p.feat_width))
            g = GraphPass(useful_load(p, rng, y, a), APass(pcoo_schedule(
                a, p.lanes, p.latency, str(rng.choice(["plain", "balanced"])))))


class CycleSeq(PassSequence):
    """One pass of a power-law graph (balanced PCOO) with an empty row, a row of max_degree
    tuples and one of half that, and, when L > 1, one planted hazard at L - 1 (the
    interlock's hold cycles are in the exact cycle model)."""

    def heads(self, p, rng):
        n = nodes(p, CYCLE_NODES * cycle_scale())
        a = power_law(p, rng, n)
        if n >= 3:  # row 0 empty, rows n - 1 and n - 2 with max_degree and half of it tuples
            keep = (a.row != 0) & (a.row < n - 2)
            k, k2 = p.max_degree, max(p.max_degree // 2, 1)
            a = qadj(n, np.concatenate([a.row[keep], np.full(k, n - 1), np.full(k2, n - 2)]),
                     np.concatenate([a.col[keep], np.arange(k) % n, np.arange(k2) % n]),
                     np.concatenate([a.q[keep], random_codes(p, rng, k + k2)]))
        s = pcoo_schedule(a, p.lanes, p.latency, "balanced")
        checked = True
        lanes = [ln for ln in range(p.lanes) if s.row[ln, 0] not in (PAD, n - 1)]
        if p.latency > 1 and s.cycles > p.latency and lanes:
            # a lane gets its beat-0 row again L - 1 beats later, in an extra beat there
            t, ln = p.latency - 1, lanes[0]
            ins = np.full((p.lanes, 1), PAD, dtype=np.int64)
            ins[ln, 0] = s.row[ln, 0]
            zc = np.zeros((p.lanes, 1), dtype=np.int64)
            zv = zc.copy()
            zv[ln, 0] = 1
            s = Schedule(s.n, s.lanes, s.latency,
                         np.concatenate([s.row[:, :t], ins, s.row[:, t:]], axis=1),
                         np.concatenate([s.col[:, :t], zc, s.col[:, t:]], axis=1),
                         np.concatenate([s.val[:, :t], zv, s.val[:, t:]], axis=1))
            checked = False
        yield GraphPass(useful_load(p, rng, random_h(p, rng, n), a), APass(s, checked))


class ResetSeq(PassSequence):
    """Small passes (RESET_NODES nodes): a reset lands inside one, and the pass is sent again
    from its H load after the block's clear sweep."""

    def heads(self, p, rng):
        for _ in range(N_RESET_PASSES):
            yield graph_pass(p, rng, power_law(p, rng, nodes(p, RESET_NODES)))


class CoraSeq(PassSequence):
    """Cora's real Â and the trained, quantised GCN's H of both layers (tb/gcn_agg/cora.py:
    the whole graph with ZS_GCN_CORA, else a 24-node induced subgraph). A config too narrow
    for the network's numbers (INT8 H, 16 hidden features, 16-bit logits: min, non_pow2) sends
    nothing and logs the rule it breaks."""

    def heads(self, p, rng):
        import logging

        from tb.gcn_agg.cora import cora_fits, cora_passes

        why = cora_fits(p)
        if why:
            logging.getLogger("cocotb.gcn_agg.seq").info("CoraTest sends nothing: %s", why)
            return
        for h, a in cora_passes(p):
            yield GraphPass(h, a)
