"""gcn_agg / GCoD models: aggregation budget, PCOO schedule properties and refusals, the
split, and the cycle formulas against a cycle-by-cycle simulation of the lanes."""

import numpy as np
import pytest

from models.gcn.adjacency import gcn_normalise, quantise_adj, random_graph
from models.gcn.configs import CONFIGS
from models.gcn.cycles import pcoo_cycles
from models.gcn.gcod import equal_blocks, reassemble, split_adj, split_cycles
from models.gcn.model import (
    GEMM,
    aggregate,
    aggregate_acc,
    aggregate_budget,
    aggregate_float,
    combine,
    requant_pair,
    saturated,
)
from models.gcn.pcoo import (
    MODES,
    PAD,
    Schedule,
    check_schedule,
    lane_length,
    pcoo_schedule,
    run_schedule,
    schedule_length,
)
from models.gcn.streams import decode_pcoo, encode_pcoo
from models.gemm import requantise

N_GRAPHS = 12  # random graphs per property
P = CONFIGS["typical"]


def graphs(seed, n_max=60):
    rng = np.random.default_rng(seed)
    for i in range(N_GRAPHS):
        n = int(rng.integers(2, n_max))
        yield rng, random_graph(rng, n, float(rng.uniform(0.0, 0.3)), heavy_rows=i % 3,
                                isolated=i % 2, weighted=i % 4 == 3)


def feats(rng, n, f=5, bits=8):
    return rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=(n, f))


# -- arithmetic -------------------------------------------------------------------------------
def test_combination_on_gemm_equals_direct_requant():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, size=(37, 50))
    w = rng.integers(-128, 128, size=(50, 7))
    got = combine(x, w, 300, 12)
    assert np.array_equal(got, requantise(x @ w, 300, 12, GEMM.data_width))


@pytest.mark.parametrize("seed", [0, 1])
def test_aggregation_within_derived_budget(seed):
    for rng, g in graphs(seed):
        a = quantise_adj(g)
        h = feats(rng, g.n)
        scale, shift = requant_pair(float(rng.uniform(0.001, 0.05)), P.scale_width, P.max_shift)
        y = aggregate(P, a, h, scale, shift)
        x = aggregate_float(gcn_normalise(g), a, h, scale, shift)
        ok = ~saturated(P, a, h, scale, shift)
        assert (np.abs(y - x)[ok] <= aggregate_budget(a, h, scale, shift)[ok]).all()


def test_budget_is_tight_enough_to_catch_a_wrong_shift():
    rng = np.random.default_rng(5)
    g = random_graph(rng, 40, 0.2)
    a, h = quantise_adj(g), feats(rng, 40)
    y = aggregate(P, a, h, 1, 10 + 1)  # one shift off
    x = aggregate_float(gcn_normalise(g), a, h, 1, 10)
    assert (np.abs(y - x) > aggregate_budget(a, h, 1, 10)).any()


# -- PCOO schedule ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lanes,latency", [(1, 1), (3, 2), (4, 4), (8, 3), (16, 8)])
def test_schedule_properties(mode, lanes, latency):
    for rng, g in graphs(lanes * 10 + latency):
        a = quantise_adj(g)
        s = pcoo_schedule(a, lanes, latency, mode)
        check_schedule(s, a)  # no hazard within L, every non-zero exactly once, right values
        assert s.cycles == schedule_length(a, lanes, latency, mode)
        assert s.padding == lanes * s.cycles - a.nnz and s.padding >= 0
        assert s.cycles >= -(-a.nnz // lanes)
        h = feats(rng, g.n)
        assert np.array_equal(run_schedule(s, h), aggregate_acc(P, a, h))
        if mode == "plain":
            assert s.merge_adds == 0
            assert all(set(s.row[p][s.row[p] != PAD] % lanes) <= {p} for p in range(lanes))


def test_lane_order_meets_both_lower_bounds():
    """N and (m - 1) L + k are lower bounds of any hazard-free order; the greedy meets the
    larger one, so it is optimal."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        lat = int(rng.integers(1, 9))
        counts = rng.integers(1, 12, size=int(rng.integers(1, 6)))
        n = int(counts.sum())
        r = np.repeat(np.arange(counts.size), counts)
        from models.gcn.adjacency import QAdj
        a = QAdj(max(counts.size, 12), r, np.concatenate([np.arange(c) for c in counts]),
                 np.ones(n, dtype=np.int64))
        s = pcoo_schedule(a, 1, lat)
        assert s.cycles == lane_length(counts, lat) == max(
            n, (counts.max() - 1) * lat + (counts == counts.max()).sum())


def test_seed_spec_example():
    """seed_specs D1: P = 2, L = 2, r0: c1, c3; r1: c0; r2: c2."""
    from models.gcn.data import coo_graph
    g = coo_graph("ex", 4, [0, 0, 1, 2], [1, 3, 0, 2])
    a = quantise_adj(g)
    s = pcoo_schedule(a, 2, 2)
    assert s.row.tolist() == [[0, 2, 0], [1, PAD, PAD]]
    assert s.col.tolist() == [[1, 2, 3], [0, 0, 0]]
    assert (s.padding, s.cycles) == (2, 3)


def simulate_lanes(s: Schedule, h: np.ndarray, latency: int) -> tuple[np.ndarray, int]:
    """Brute force: each lane reads its accumulator word at issue and writes it ``latency``
    cycles later (a read before a pending write lands sees the stale value). Returns the
    result and the cycle the last write lands."""
    n, f = s.n, h.shape[1]
    acc = np.zeros((s.lanes, n, f), dtype=np.int64)
    pending = []  # (land cycle, lane, row, value)
    done = 0
    for t in range(s.cycles + latency):
        for w in [x for x in pending if x[0] == t]:
            acc[w[1], w[2]] = w[3]
            done = t
        pending = [x for x in pending if x[0] > t]
        if t >= s.cycles:
            continue
        for p in range(s.lanes):
            r = int(s.row[p, t])
            if r != PAD:
                new = acc[p, r] + int(s.val[p, t]) * h[int(s.col[p, t])].astype(np.int64)
                pending.append((t + latency, p, r, new))
    return acc.sum(axis=0), done + 1


@pytest.mark.parametrize("mode", MODES)
def test_cycle_formula_matches_simulation(mode):
    for rng, g in graphs(11, n_max=30):
        a = quantise_adj(g)
        for lanes, lat in ((2, 3), (4, 4)):
            s = pcoo_schedule(a, lanes, lat, mode)
            h = feats(rng, g.n, f=2)
            y, cyc = simulate_lanes(s, h, lat)
            assert np.array_equal(y, aggregate_acc(P, a, h))
            p = P.replace(lanes=lanes, latency=lat, feat_lanes=2)
            assert cyc == pcoo_cycles(p, s, 2)


def test_deliberate_break_hazard_distance_L_minus_1():
    """A schedule built for L - 1 on lanes of latency L: refused, naming the entry, and the
    simulated lanes then compute a wrong result (what the hazard check protects)."""
    rng = np.random.default_rng(7)
    g = random_graph(rng, 20, 0.4, heavy_rows=1)
    a, lat = quantise_adj(g), 4
    bad = pcoo_schedule(a, 2, lat - 1)
    with pytest.raises(ValueError, match=r"lane \d+ cycle \d+: entry \(\d+, \d+\): hazard"):
        check_schedule(bad, a, latency=lat)
    h = feats(rng, 20, f=3)
    y, _ = simulate_lanes(bad, h, lat)
    assert not np.array_equal(y, aggregate_acc(P, a, h))


# -- stream codec and refusals ------------------------------------------------------------------
def _stream(lanes=4, lat=3, n=30, seed=2):
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n, 0.3, heavy_rows=1)
    a = quantise_adj(g)
    p = P.replace(lanes=lanes, latency=lat, max_nodes=64, max_degree=64, acc_depth=64)
    s = pcoo_schedule(a, lanes, lat, "balanced")
    return p, a, s, encode_pcoo(p, s)


def test_stream_round_trip():
    p, a, s, beats = _stream()
    d = decode_pcoo(p, beats, a.n)
    assert np.array_equal(d.row, s.row) and np.array_equal(d.col, s.col)
    assert np.array_equal(d.val, s.val)
    check_schedule(d, a)
    assert len(beats) == s.cycles and beats[-1][1] and not any(b[1] for b in beats[:-1])


def _retuple(p, beats, t, lane, r, c, v=1, valid=1):
    iw, tw = p.index_width, p.tuple_width
    word = beats[t][0] & ~(((1 << tw) - 1) << (lane * tw))
    word |= (valid | r << 1 | c << (1 + iw) | v << (1 + 2 * iw)) << (lane * tw)
    out = list(beats)
    out[t] = (word, beats[t][1], 0)
    return out


def test_stream_refusals_name_the_entry():
    p, a, s, beats = _stream()
    with pytest.raises(ValueError, match=r"beat 0 lane 1: entry \(30, 2\): row out of range"):
        decode_pcoo(p, _retuple(p, beats, 0, 1, 30, 2), a.n)
    with pytest.raises(ValueError, match=r"beat 1 lane 0: entry \(3, 31\): column out of range"):
        decode_pcoo(p, _retuple(p, beats, 1, 0, 3, 31), a.n)
    # the same row twice on lane 0, one beat apart (< L = 3)
    two = _retuple(p, _retuple(p, beats, 0, 0, 5, 1), 1, 0, 5, 2)
    with pytest.raises(ValueError, match=r"beat 1 lane 0: entry \(5, 2\): hazard, row 5 .* "
                                         r"at beat 0, 1 < L=3"):
        decode_pcoo(p, two, a.n)
    with pytest.raises(ValueError, match="pad .* carries row 4"):
        decode_pcoo(p, _retuple(p, beats, 0, 2, 4, 0, valid=0), a.n)
    with pytest.raises(ValueError, match="missing tlast"):
        decode_pcoo(p, beats[:-1], a.n)
    with pytest.raises(ValueError, match="beats after tlast"):
        decode_pcoo(p, [beats[-1]] + beats, a.n)
    with pytest.raises(ValueError, match="schedule was built for L=2"):
        encode_pcoo(p, pcoo_schedule(a, 4, 2))


def test_schedule_check_refuses_missing_and_repeated_entries():
    p, a, s, _ = _stream()
    row = s.row.copy()
    t = int(np.argmax(row[0] != PAD))
    r = int(row[0, t])
    row[0, t] = PAD
    col, val = s.col.copy(), s.val.copy()
    col[0, t] = val[0, t] = 0
    with pytest.raises(ValueError, match=rf"entry \({r}, \d+\) of Â is never issued"):
        check_schedule(Schedule(s.n, s.lanes, s.latency, row, col, val), a)


# -- GCoD split -----------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 5])
def test_split_reassembles_exactly_and_sums_to_aggregation(k):
    for rng, g in graphs(20 + k):
        a = quantise_adj(g)
        if a.n < k:
            continue
        sp = split_adj(a, equal_blocks(a.n, k))
        back = reassemble(sp)
        assert all(np.array_equal(getattr(back, f), getattr(a, f)) for f in ("row", "col", "q"))
        b = sp.bounds
        kr = np.searchsorted(b, sp.sparse.row, side="right")
        assert (kr != np.searchsorted(b, sp.sparse.col, side="right")).all()
        h = feats(rng, a.n)
        assert np.array_equal(aggregate_acc(P, sp.block, h) + aggregate_acc(P, sp.sparse, h),
                              aggregate_acc(P, a, h))
        if k == 1:
            assert sp.sparse.nnz == 0


def test_split_cycles_are_max_of_engines():
    rng = np.random.default_rng(4)
    g = random_graph(rng, 80, 0.08, heavy_rows=2)
    a = quantise_adj(g)
    sp = split_adj(a, equal_blocks(a.n, 4))
    c = split_cycles(sp, 8, 4, "plain")
    assert c.block_pes + c.sparse_pes == 8
    assert c.cycles == max(schedule_length(sp.block, c.block_pes, 4),
                           schedule_length(sp.sparse, c.sparse_pes, 4))
    assert c.cycles >= c.ideal
    best = split_cycles(sp, 8, 4, "plain", pes="best")
    assert best.cycles <= c.cycles
