"""Stimulus for ``gemm``: every sequence draws from the bench's seeded generator."""

from __future__ import annotations

from models.conv import conv_layer_tiles
from models.fixed import smax, smin
from models.gemm import GemmParams, GemmTile, random_tile
from tb.common.overlap import N_IN_FLIGHT_TILES, bench_shape
from tb.common.uvm import CYCLE_K, N_CYCLE_TILES, TxnSequence, conv_tile_limit, cycle_scale

N_RANDOM_TILES = 12  # enough tiles to cross every flush/hand-off/backpressure overlap
RANDOM_K_MAX = 24  # short tiles keep Icarus runs quick; LONG_K covers the long ones
LONG_K = 256  # "long K": fill overhead (R + C cycles) is < 10 % of the tile even for 8 x 8
N_LONG_TILES = 3
N_BACK_TO_BACK = 24  # short tiles in a row: output double buffer and hand-off stalls
BACK_TO_BACK_K_MAX = 3


class RandomTilesSeq(TxnSequence):
    """Uniform operands, random requant and ReLU; K is 1 and RANDOM_K_MAX for the first two
    tiles (the tile-length edges, under whatever knobs the test runs with), random after."""

    def txns(self, p: GemmParams, rng):
        k_max = min(RANDOM_K_MAX, p.max_k)
        for i in range(N_RANDOM_TILES):
            k = (1, k_max)[i] if i < 2 else int(rng.integers(1, k_max + 1))
            yield random_tile(p, rng, k, density=float(rng.choice([1.0, 0.5])))


class ZerosSeq(TxnSequence):
    """All-zero A, all-zero B and both zero: the output must be exactly zero (or its requant)."""

    def txns(self, p: GemmParams, rng):
        for zero_a, zero_b in ((True, False), (False, True), (True, True)):
            t = random_tile(p, rng, int(rng.integers(1, RANDOM_K_MAX + 1)))
            if zero_a:
                t.a[:] = 0
            if zero_b:
                t.b[:] = 0
            yield t


class ExtremesSeq(TxnSequence):
    """Operands at -2**(w-1) and 2**(w-1)-1 only: the largest products, the worst-case
    accumulator growth (all -128 x -128 for max_k-independent K), saturation in requant."""

    def txns(self, p: GemmParams, rng):
        lo, hi = smin(p.data_width), smax(p.data_width)
        k = min(LONG_K, p.max_k)
        for fill_a, fill_b in ((lo, lo), (hi, hi), (lo, hi)):
            t = random_tile(p, rng, k)
            t.a[:] = fill_a
            t.b[:] = fill_b
            if p.requant:  # no shift: saturates at both ends
                t.scale, t.shift = 1, 0
            yield t
        for _ in range(3):
            yield random_tile(p, rng, int(rng.integers(1, RANDOM_K_MAX + 1)), extremes=True)


class K1Seq(TxnSequence):
    """K = 1: a tile is a single outer product; the shortest load phase."""

    def txns(self, p: GemmParams, rng):
        for _ in range(6):
            yield random_tile(p, rng, 1)


class LongKSeq(TxnSequence):
    """A few long tiles back to back (also the utilisation measurement)."""

    def txns(self, p: GemmParams, rng):
        for _ in range(N_LONG_TILES):
            yield random_tile(p, rng, min(LONG_K, p.max_k))


class CycleSeq(TxnSequence):
    """N_CYCLE_TILES tiles of CYCLE_K back to back: the cycle and utilisation measurement."""

    def txns(self, p: GemmParams, rng):
        for _ in range(N_CYCLE_TILES * cycle_scale()):
            yield random_tile(p, rng, min(CYCLE_K, p.max_k))


class BackToBackSeq(TxnSequence):
    """Many short tiles with no gap: the output buffer is busy when the next tile finishes."""

    def txns(self, p: GemmParams, rng):
        for _ in range(N_BACK_TO_BACK):
            yield random_tile(p, rng, int(rng.integers(1, BACK_TO_BACK_K_MAX + 1)))


class RequantCornersSeq(TxnSequence):
    """Requantiser corners: shift 0, shift at its maximum, scale 0 and at its maximum, exact
    .5 ties (round half up on negative and positive values)."""

    def txns(self, p: GemmParams, rng):
        top_shift = p.acc_width + p.scale_width
        corners = [(1, 0), (0, 5), ((1 << p.scale_width) - 1, top_shift), (1, 1), (3, 2),
                   ((1 << p.scale_width) - 1, 0)]
        for scale, shift in corners:
            t = random_tile(p, rng, int(rng.integers(1, RANDOM_K_MAX + 1)))
            t.scale, t.shift = (scale, shift) if p.requant else (1, 0)
            yield t
        # small operands so that acc >> 1 or acc >> 2 hits exact .5 ties of both signs
        for _ in range(4):
            k = int(rng.integers(1, 4))
            a = rng.integers(-3, 4, size=(p.rows, k))
            b = rng.integers(-3, 4, size=(k, p.cols))
            shift = int(rng.integers(1, 3)) if p.requant else 0
            yield GemmTile(a, b, 1, shift, bool(rng.integers(2)))



class ConvLayerSeq(TxnSequence):
    """A real conv layer's im2col GEMM, tile by tile (K = 144 every tile), ReLU on."""

    def txns(self, p: GemmParams, rng):
        for a, b, scale, shift in conv_layer_tiles(p, rng, conv_tile_limit()):
            yield GemmTile(a, b, scale, shift, True)


# -- overlapped tiles (tb/common/overlap.py) ---------------------------------------------------
N_SHORT_TILES = 16  # K = 1 tiles in a row: several times the R + C - 1 tiles an array can hold
N_ALTERNATING = 8  # tiles alternating K = 1 and ALT_LONG_K
ALT_LONG_K = 40  # long against every named array's R + C (16 at 8 x 8), short for Icarus
#: the in-flight tests' K: long against R + C (16 at 8 x 8), so the tile
#: behind a finished one is still loading when BackpressureInFlightTest's stopped sink makes
#: the array refuse input
IN_FLIGHT_K = 48


class ShortTilesSeq(TxnSequence):
    """K = 1 tiles back to back: the densest hand-off (a boundary every R advances)."""

    def txns(self, p: GemmParams, rng):
        for _ in range(N_SHORT_TILES):
            yield random_tile(p, rng, 1)


class AlternatingKSeq(TxnSequence):
    """K = 1 and a long K alternating: a short tile's boundary right behind a long one's."""

    def txns(self, p: GemmParams, rng):
        for i in range(N_ALTERNATING):
            yield random_tile(p, rng, (1, min(ALT_LONG_K, p.max_k))[i % 2])


class InFlightSeq(TxnSequence):
    """Tiles of IN_FLIGHT_K: one finished tile travels the array while the next one loads."""

    def txns(self, p: GemmParams, rng):
        for _ in range(N_IN_FLIGHT_TILES):
            yield random_tile(p, rng, min(IN_FLIGHT_K, p.max_k))


class TileBenchSeq(TxnSequence):
    """ZS_TILE_COUNT tiles of ZS_TILE_K back to back (tb/common/overlap.py: the benchmark)."""

    def txns(self, p: GemmParams, rng):
        k, count = bench_shape()
        for _ in range(count):
            yield random_tile(p, rng, min(k, p.max_k))
