"""Stimulus for ``nm_gemm``: every sequence draws from the bench's seeded generator.

Tiles are built in slot form (:class:`models.nm_gemm.NmCompressed`) at the config's own N:M
ratio. K is always a whole number of groups (a multiple of m).
"""

from __future__ import annotations

import itertools

import numpy as np

from models.conv import conv_layer_tiles
from models.fixed import smax, smin
from models.gemm import useful_requant
from models.nm_gemm import (
    NmCompressed,
    NmGemmParams,
    NmGemmTile,
    compress,
    prune_nm,
    random_nm_tile,
)
from tb.common.overlap import N_IN_FLIGHT_TILES, bench_shape
from tb.common.uvm import CYCLE_K, N_CYCLE_TILES, TxnSequence, conv_tile_limit, cycle_scale

N_RANDOM_TILES = 12  # enough tiles to cross every flush/hand-off/backpressure overlap
RANDOM_GROUPS_MAX = 6  # short tiles (K <= 6m) keep Icarus runs quick; LONG_K covers long ones
ZERO_GROUP_PROB = 0.1  # random tiles: share of all-zero groups (the model's default)
ZERO_GROUP_PROB_SPARSE = 0.5  # ... and a sparser variant, drawn for every other random tile
LONG_K = 256  # "long K" for correctness tests (the extremes' worst accumulator growth)
N_BACK_TO_BACK = 24  # short tiles in a row: output double buffer and hand-off stalls
BACK_TO_BACK_GROUPS_MAX = 2  # one or two groups: n or 2n beats per tile
N_PATTERN_PASSES = 3  # pattern tiles: rotated, then two shuffles (errors cannot cancel in all)
#: activations of a pattern tile: 16 distinct small values (m <= 16), so that a wrong mux
#: choice always changes a product and the sums stay small enough to need no requant shift
DISTINCT_ACTS = np.arange(-8, 8)
N_MALFORMED_RANDOM = 3  # malformed tiles with the repeat at a random (row, group, slot pair)


def random_k(p: NmGemmParams, rng, groups_max: int) -> int:
    return p.m * int(rng.integers(1, min(groups_max, p.max_k // p.m) + 1))


def long_k(p: NmGemmParams) -> int:
    return min(LONG_K, p.max_k)


def nonzero_values(p: NmGemmParams, rng, shape) -> np.ndarray:
    """Uniform non-zero operands (zero would hide which activation the mux picked)."""
    v = rng.integers(smin(p.data_width), smax(p.data_width), size=shape)
    return v + (v >= 0)  # [lo, hi-1] -> [lo, hi] without 0


def slot_tile(p: NmGemmParams, rng, values, indices) -> NmGemmTile:
    """A tile from slot arrays (rows, groups, n), random dense B, useful requant, random ReLU."""
    a = NmCompressed(values, indices, p.m)
    b = rng.integers(smin(p.data_width), smax(p.data_width) + 1, size=(a.k, p.cols))
    scale, shift = useful_requant(p.dense, rng, p.beats(a.k)) if p.requant else (1, 0)
    return NmGemmTile(a, b, scale, shift, bool(rng.integers(2)))


def all_patterns(p: NmGemmParams) -> list[tuple[int, ...]]:
    """Every way to place n slots in a group of m: the C(m, n) index patterns, ascending."""
    return list(itertools.combinations(range(p.m), p.n))


def with_repeat(t: NmGemmTile, r: int, g: int, s0: int, s1: int) -> NmGemmTile:
    """``t`` with slot s1 of (row r, group g) given slot s0's index: a malformed group."""
    t.a.indices[r, g, s1] = t.a.indices[r, g, s0]
    return t


class RandomTilesSeq(TxnSequence):
    """Random N:M weights at the config's ratio (1..n non-zeros per group at random positions,
    some all-zero groups), uniform B, random K in [m, RANDOM_GROUPS_MAX*m], random requant and
    ReLU."""

    def txns(self, p: NmGemmParams, rng):
        for i in range(N_RANDOM_TILES):
            zp = ZERO_GROUP_PROB_SPARSE if i % 2 else ZERO_GROUP_PROB
            yield random_nm_tile(p, rng, random_k(p, rng, RANDOM_GROUPS_MAX), zero_group_prob=zp)


class ZerosSeq(TxnSequence):
    """All-zero A (every group empty), all-zero B and both: the output must be exactly zero (or
    its requantisation)."""

    def txns(self, p: NmGemmParams, rng):
        for zero_a, zero_b in ((True, False), (False, True), (True, True)):
            k = random_k(p, rng, RANDOM_GROUPS_MAX)
            t = random_nm_tile(p, rng, k, zero_group_prob=1.0 if zero_a else 0.0)
            if zero_b:
                t.b[:] = 0
            yield t


class ExtremesSeq(TxnSequence):
    """Operands at -2**(w-1) and 2**(w-1)-1 only: every slot of every group full at one extreme
    over a long K (the largest products, the worst-case accumulator growth, saturation in
    requant), then random tiles of extremes."""

    def txns(self, p: NmGemmParams, rng):
        lo, hi = smin(p.data_width), smax(p.data_width)
        k = long_k(p)
        for fill_a, fill_b in ((lo, lo), (hi, hi), (lo, hi)):
            t = random_nm_tile(p, rng, k, zero_group_prob=0.0)
            t.a.values[:] = fill_a
            t.b[:] = fill_b
            if p.requant:  # no shift: saturates at both ends
                t.scale, t.shift = 1, 0
            yield t
        for _ in range(3):
            yield random_nm_tile(p, rng, random_k(p, rng, RANDOM_GROUPS_MAX), extremes=True)


class PatternsSeq(TxnSequence):
    """Every C(m, n) index pattern in every row, so that every PE's mux sees every index, made
    observable at the output: the tile has one group per pattern, and row r's group g takes
    pattern (g + r) mod C(m, n) (rows of a group differ), then each further tile gives every
    row the patterns in its own random order. Weights are +-1 and the m activations of a group
    are distinct (a wrong selection always changes a product), ReLU is off and the
    requantiser is set to scale 1 and the smallest shift that cannot saturate."""

    def txns(self, p: NmGemmParams, rng):
        pats = np.array(all_patterns(p), dtype=np.int64)
        n_pat = len(pats)
        for i in range(N_PATTERN_PASSES):
            if i == 0:
                order = (np.arange(n_pat)[None, :] + np.arange(p.rows)[:, None]) % n_pat
            else:
                order = np.stack([rng.permutation(n_pat) for _ in range(p.rows)])
            indices = pats[order]  # (rows, groups = n_pat, n)
            values = rng.choice([-1, 1], size=indices.shape)
            a = NmCompressed(values, indices.copy(), p.m)
            b = np.concatenate([
                np.stack([rng.permutation(DISTINCT_ACTS)[:p.m] for _ in range(p.cols)], axis=1)
                for _ in range(n_pat)])  # (K, cols): distinct within each group and column
            bound = p.beats(a.k) * int(np.abs(DISTINCT_ACTS).max())  # |acc| <= this
            shift = max(0, bound.bit_length() + 1 - p.data_width) if p.requant else 0
            yield NmGemmTile(a, b, 1, shift, False)


class CycleSeq(TxnSequence):
    """N_CYCLE_TILES tiles of CYCLE_K back to back: the same dense work as gemm's CycleTest."""

    def txns(self, p: NmGemmParams, rng):
        for _ in range(N_CYCLE_TILES * cycle_scale()):
            yield random_nm_tile(p, rng, min(CYCLE_K, p.max_k))


class BackToBackSeq(TxnSequence):
    """Many one- or two-group tiles (K = m is the shortest tile) with no gap: the output buffer
    is busy when the next tile finishes."""

    def txns(self, p: NmGemmParams, rng):
        for _ in range(N_BACK_TO_BACK):
            yield random_nm_tile(p, rng, random_k(p, rng, BACK_TO_BACK_GROUPS_MAX))


class MalformedSeq(TxnSequence):
    """Tiles whose groups repeat an index (the per-tile flag must be set on every output row,
    and the outputs still computed slot by slot), each followed by a well-formed tile (the flag
    must clear). The repeat sits on the first beats of a tile, on its tlast beat, at random
    places, and in every group of every row. Well-formed tiles with slots in descending index
    order and with the same pattern in consecutive groups must not be flagged (order is not
    checked; the mask restarts every group).

    With n == 1 a group has one slot and cannot repeat an index: only the well-formed cases
    run, and the flag must stay clear.
    """

    def txns(self, p: NmGemmParams, rng):
        k = random_k(p, rng, RANDOM_GROUPS_MAX)
        reversed_slots = random_nm_tile(p, rng, k, zero_group_prob=0.0)
        reversed_slots.a.values[:] = reversed_slots.a.values[..., ::-1].copy()
        reversed_slots.a.indices[:] = reversed_slots.a.indices[..., ::-1].copy()
        yield reversed_slots
        same = random_nm_tile(p, rng, k)
        same.a.indices[:] = same.a.indices[:, :1, :]  # group 0's pattern in every group
        yield same
        if p.n < 2:
            return
        last_g = k // p.m - 1
        placed = [(0, 0, 0, 1), (p.rows - 1, last_g, p.n - 2, p.n - 1)]  # first and tlast beat
        for _ in range(N_MALFORMED_RANDOM):
            s0, s1 = sorted(rng.choice(p.n, size=2, replace=False).tolist())
            placed.append((int(rng.integers(p.rows)), int(rng.integers(last_g + 1)), s0, s1))
        for r, g, s0, s1 in placed:
            yield with_repeat(random_nm_tile(p, rng, k), r, g, s0, s1)
            yield random_nm_tile(p, rng, random_k(p, rng, RANDOM_GROUPS_MAX))
        everywhere = random_nm_tile(p, rng, k)
        everywhere.a.indices[..., 1] = everywhere.a.indices[..., 0]
        yield everywhere


class RequantCornersSeq(TxnSequence):
    """Requantiser corners through this block's tuser path (the stage itself is gemm's): shift
    0 and at its maximum (every tuser bit toggles), scale 0 and at its maximum, shift 1 (exact
    .5 ties round half up), each with ReLU off and on. Without requant: ReLU off and on."""

    def txns(self, p: NmGemmParams, rng):
        top_scale, top_shift = (1 << p.scale_width) - 1, p.acc_width + p.scale_width
        corners = ([(1, 0), (0, 5), (top_scale, top_shift), (top_scale, 0), (1, 1)]
                   if p.requant else [(1, 0)])
        for scale, shift in corners:
            for relu in (False, True):
                t = random_nm_tile(p, rng, random_k(p, rng, RANDOM_GROUPS_MAX))
                t.scale, t.shift, t.relu = scale, shift, relu
                yield t



class ConvLayerSeq(TxnSequence):
    """gemm's conv layer (models.conv.conv_layer_tiles) with every weight row pruned to n:m
    along K (magnitude, models.nm_gemm.prune_nm) and compressed: the same layer at n:m."""

    def txns(self, p: NmGemmParams, rng):
        for a, b, scale, shift in conv_layer_tiles(p.dense, rng, conv_tile_limit()):
            yield NmGemmTile(compress(prune_nm(a, p.n, p.m), p.n, p.m), b, scale, shift, True)


# -- overlapped tiles (tb/common/overlap.py) ---------------------------------------------------
N_SHORT_TILES = 16  # one-group tiles in a row: several times the R + C - 1 an array can hold
N_ALTERNATING = 8  # tiles alternating one group and ALT_LONG_BEATS beats
ALT_LONG_BEATS = 40  # long against every named array's R + C (16 at 8 x 8), short for Icarus
#: the in-flight tests' beats per tile: long against R + C (16 at 8 x 8), so the tile
#: behind a finished one is still loading when BackpressureInFlightTest's stopped sink makes
#: the array refuse input
IN_FLIGHT_BEATS = 48


def k_for_beats(p: NmGemmParams, beats: int) -> int:
    """The shortest whole-group K whose tile has at least ``beats`` beats."""
    return min(p.m * -(-beats // p.n), p.max_k)


class ShortTilesSeq(TxnSequence):
    """K = m (one group, n beats) back to back: the densest hand-off this block allows."""

    def txns(self, p: NmGemmParams, rng):
        for _ in range(N_SHORT_TILES):
            yield random_nm_tile(p, rng, p.m)


class AlternatingKSeq(TxnSequence):
    """One group and a long K alternating: a short tile's boundary right behind a long one's."""

    def txns(self, p: NmGemmParams, rng):
        for i in range(N_ALTERNATING):
            yield random_nm_tile(p, rng, (p.m, k_for_beats(p, ALT_LONG_BEATS))[i % 2])


class InFlightSeq(TxnSequence):
    """Tiles of IN_FLIGHT_BEATS beats: one finished tile travels the array while the next one
    loads."""

    def txns(self, p: NmGemmParams, rng):
        for _ in range(N_IN_FLIGHT_TILES):
            yield random_nm_tile(p, rng, k_for_beats(p, IN_FLIGHT_BEATS))


class TileBenchSeq(TxnSequence):
    """ZS_TILE_COUNT tiles of the dense ZS_TILE_K (rounded up to whole groups) back to back
    (tb/common/overlap.py: the benchmark)."""

    def txns(self, p: NmGemmParams, rng):
        k, count = bench_shape()
        for _ in range(count):
            yield random_nm_tile(p, rng, min(p.m * -(-k // p.m), p.max_k))
