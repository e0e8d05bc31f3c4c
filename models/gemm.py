"""Dense INT8 x INT8 -> INT32 GEMM: parameters, transaction and bit-exact golden model.

One transaction is one *tile*: ``A`` (rows x K) times ``B`` (K x cols) -> ``Y`` (rows x cols).
``K`` is free per tile (1 <= K <= ``max_k``). With ``requant`` the 32-bit result is mapped to
``data_width`` bits per tensor::

    y = saturate(round_shift(acc * scale, shift), data_width)      (round half up, see fixed.py)

and an optional ReLU (``relu``) is applied last (``max(y, 0)``). Without ``requant`` the ReLU
acts on the accumulator value. The accumulator never overflows: :class:`GemmParams` refuses an
``acc_width`` too narrow for ``max_k`` products of two extreme operands.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.fixed import (
    INT64_SAFE_BITS,
    check_signed,
    pack_rows,
    round_shift,
    saturate,
    smin,
    unpack_rows,
)
from models.params import BlockParams, ParamError
from models.validate import int_array, int_list, int_scalar

#: output FIFO rows of the array blocks (rtl/common/array.py). Rows are pushed at most one per
#: advance and the sink pops one per cycle; the FIFO is first-word fall-through, so a row pushed
#: on edge e leaves on edge e + 1 with a ready sink and the occupancy stays <= 1. ``full`` (not
#: ``full and not pop``) gates the array, which keeps m_tready out of s_tready's logic; the
#: second entry takes the push of the edge on which the first leaves, so a ready sink never
#: sees the array stall.
OBUF_DEPTH = 2

#: Largest array edge we convert: 16 x 16 = 256 PEs already takes minutes to verilate.
MAX_DIM = 16


def acc_bits_needed(data_width: int, max_k: int) -> int:
    """Smallest signed width that holds the sum of ``max_k`` worst-case products.

    The largest product magnitude is ``(-2**(w-1))**2 = 2**(2w-2)`` (both operands at the
    negative extreme), so the sum is bounded by ``max_k * 2**(2w-2)``.
    """
    bound = max_k * (1 << (2 * data_width - 2))
    return bound.bit_length() + 1  # +1: sign bit


@dataclasses.dataclass(frozen=True)
class GemmParams(BlockParams):
    """Output-stationary systolic GEMM configuration.

    rows, cols   -- PE array shape (R x C); A tiles have R rows, B tiles C columns
    data_width   -- operand width in bits (signed)
    acc_width    -- accumulator width in bits (signed); must hold ``max_k`` products
    max_k        -- longest reduction (K) a tile may have
    requant      -- build the requantiser (output ``data_width`` bits instead of ``acc_width``)
    scale_width  -- width of the unsigned per-tile requantisation multiplier
    """

    BLOCK = "gemm"
    TAG_FIELDS = (("r", "rows"), ("c", "cols"), ("w", "data_width"), ("a", "acc_width"),
                  ("q", "requant"))

    rows: int = 4
    cols: int = 4
    data_width: int = 8
    acc_width: int = 32
    max_k: int = 4096
    requant: bool = True
    scale_width: int = 16

    def validate(self) -> None:
        self.require_range("rows", 1, MAX_DIM)
        self.require_range("cols", 1, MAX_DIM)
        self.require_range("data_width", 2, 16)
        self.require_range("max_k", 1, 1 << 20)
        self.require_range("scale_width", 1, 24)
        need = acc_bits_needed(self.data_width, self.max_k)
        self.require(self.acc_width >= need,
                     f"acc_width must be >= {need} to hold max_k={self.max_k} products of "
                     f"{self.data_width}-bit operands without overflow", self.acc_width)
        self.require(self.acc_width <= 48, "acc_width must be <= 48", self.acc_width)
        self.require(self.acc_width + self.scale_width <= INT64_SAFE_BITS,
                     f"acc_width + scale_width must be <= {INT64_SAFE_BITS} so that acc * scale "
                     "fits the model's int64 arithmetic", self.acc_width + self.scale_width)

    # -- derived widths -------------------------------------------------------------------
    @property
    def out_width(self) -> int:
        return self.data_width if self.requant else self.acc_width

    @property
    def shift_width(self) -> int:
        """Bits of the shift field: any shift up to the width of ``acc * scale``."""
        return (self.acc_width + self.scale_width).bit_length()

    @property
    def in_width(self) -> int:
        """s_axis_tdata: R elements of A's column k, then C elements of B's row k."""
        return (self.rows + self.cols) * self.data_width

    @property
    def out_data_width(self) -> int:
        """m_axis_tdata: one row of Y, C elements."""
        return self.cols * self.out_width

    @property
    def user_width(self) -> int:
        """s_axis_tuser: relu at bit 0, then (with requant) scale, then shift."""
        return 1 + (self.scale_width + self.shift_width if self.requant else 0)

    def port_widths(self) -> dict[str, int]:
        """Widths the testbench checks on the DUT it is given."""
        return {"s_axis_tdata": self.in_width, "s_axis_tuser": self.user_width,
                "m_axis_tdata": self.out_data_width}

    @property
    def fill_cycles(self) -> int:
        """Array advances after the last input beat until the far PE has its last product."""
        return self.rows + self.cols - 1


@dataclasses.dataclass
class GemmTile:
    """One transaction: ``a`` (R x K), ``b`` (K x C), requantisation and ReLU settings."""

    a: np.ndarray
    b: np.ndarray
    scale: int = 1
    shift: int = 0
    relu: bool = False

    @property
    def k(self) -> int:
        return int(self.a.shape[1])


def check_tile(p: GemmParams, t: GemmTile) -> None:
    """Raise ``ValueError`` naming the rule a tile breaks (dtype, shape, K range, operand
    range)."""
    t.a, t.b = int_array(t.a, "gemm: A"), int_array(t.b, "gemm: B")
    int_scalar(t.scale, "gemm: scale")
    int_scalar(t.shift, "gemm: shift")
    if t.a.ndim != 2 or t.a.shape[0] != p.rows:
        raise ValueError(f"gemm: A must have shape ({p.rows}, K) (got {t.a.shape})")
    if t.b.ndim != 2 or t.b.shape != (t.a.shape[1], p.cols):
        raise ValueError(f"gemm: B must have shape (K={t.a.shape[1]}, {p.cols}) (got {t.b.shape})")
    if not 1 <= t.k <= p.max_k:
        raise ValueError(f"gemm: K must be in [1, max_k={p.max_k}] (got {t.k})")
    check_signed(t.a, p.data_width, "gemm: A")
    check_signed(t.b, p.data_width, "gemm: B")
    if p.requant:
        if not 0 <= t.scale < (1 << p.scale_width):
            raise ValueError(f"gemm: scale must be in [0, 2**{p.scale_width}) (got {t.scale})")
        if not 0 <= t.shift < (1 << p.shift_width) or t.shift > p.acc_width + p.scale_width:
            raise ValueError(f"gemm: shift must be in [0, {p.acc_width + p.scale_width}] "
                             f"(got {t.shift})")


def requantise(acc: np.ndarray, scale: int, shift: int, out_bits: int) -> np.ndarray:
    """``saturate(round_shift(acc * scale, shift), out_bits)`` (int64 throughout)."""
    return saturate(round_shift(acc.astype(np.int64) * int(scale), shift), out_bits)


def gemm_ref(p: GemmParams, t: GemmTile) -> np.ndarray:
    """Bit-exact expected output of one tile, ``(rows, cols)`` int64."""
    check_tile(p, t)
    acc = t.a.astype(np.int64) @ t.b.astype(np.int64)
    if p.requant:
        y = requantise(acc, t.scale, t.shift, p.data_width)
    else:
        y = acc
    if t.relu:
        y = np.maximum(y, 0)
    return y


def tile_period(p: GemmParams, beats: int) -> int:
    """No-stall cycles between two tiles' tlast handshakes: the tile's input ``beats``, or its
    ``rows`` output rows when those are more (the RTL holds a tlast until ``rows`` advances
    after the previous one, see rtl/common/array.py): the port-bound ideal per tile."""
    return max(beats, p.rows)


def expected_cycles(p: GemmParams, ks: list[int]) -> int:
    """Cycles from the first input handshake to the last output handshake, inclusive, no stalls
    (source always valid, sink always ready).

    Timeline of the RTL with overlapped tiles (edges counted from the first input handshake at
    edge 0): the first tile's tlast is accepted at edge ``t = K - 1``; every later tile's beats
    follow with no gap, its tlast at ``t + tile_period`` (held when it would come less than
    ``rows`` edges after the previous one). The boundary then travels the array's ``R + C - 1``
    anti-diagonals, one per advance (bubbles advance too); row i of the tile lines up and is
    pushed into the output FIFO at edge ``t + C + i`` and leaves one edge later, so the last
    row leaves at ``t + C + R`` (:func:`output_latency`). A ready sink keeps at most one row in
    the FIFO, so nothing else ever waits.
    """
    ks = int_list(ks, "gemm: ks (K of every tile)", 1, p.max_k)  # validation (issue 11)
    if not ks:
        return 0
    t = ks[0] - 1
    for k in ks[1:]:
        t += tile_period(p, k)
    return t + output_latency(p) + 1


def output_latency(p: GemmParams) -> int:
    """No-stall edges from a tile's tlast handshake to its last output row's handshake: the
    boundary reaches row R-1's line-up at the last column after ``C + R - 1`` advances, then
    the FIFO's one edge (see :func:`expected_cycles`)."""
    return p.rows + p.cols


def old_expected_cycles(p: GemmParams, ks: list[int]) -> int:
    """FORMULA, not a measurement: the no-stall cycles of the array before overlapped tiles
    (issue 13; main at d006d22): K load beats, ``R + C - 1`` flush advances and a hand-off edge
    per tile, the output double buffer free ``rows`` edges after a hand-off. Kept as the
    "before" of the tile benchmark (tools/tile_bench.py) and checked there against its
    measured before-run."""
    if not ks:
        return 0
    t = free_at = h = 0
    fill = p.rows + p.cols - 1
    for k in ks:
        h = max(t + k + fill, free_at)
        free_at = h + p.rows
        t = h + 1
    return h + p.rows + 1


def random_tile(p: GemmParams, rng: np.random.Generator, k: int, *, density: float = 1.0,
                extremes: bool = False) -> GemmTile:
    """A tile with uniform operands (or only the two extremes), zeroed with 1 - density."""
    lo, hi = smin(p.data_width), -smin(p.data_width) - 1
    if extremes:
        a = rng.choice([lo, hi], size=(p.rows, k))
        b = rng.choice([lo, hi], size=(k, p.cols))
    else:
        a = rng.integers(lo, hi + 1, size=(p.rows, k))
        b = rng.integers(lo, hi + 1, size=(k, p.cols))
    if density < 1.0:
        a = a * (rng.random(a.shape) < density)
        b = b * (rng.random(b.shape) < density)
    scale, shift = 1, 0
    if p.requant:
        scale, shift = useful_requant(p, rng, k)
    return GemmTile(a.astype(np.int64), b.astype(np.int64), scale, shift, bool(rng.integers(2)))


# -- stream format (see rtl/gemm.py for the port table) -------------------------------------
#: one stream beat: (tdata, tlast, tuser)
Beat = tuple[int, bool, int]


def encode_user(p: GemmParams, t: GemmTile) -> int:
    user = int(bool(t.relu))
    if p.requant:
        user |= (t.scale << 1) | (t.shift << (1 + p.scale_width))
    return user


def encode_tile(p: GemmParams, t: GemmTile) -> list[Beat]:
    """Input beats of one tile: beat k = A[:, k] then B[k, :], tuser on every beat."""
    check_tile(p, t)
    user = encode_user(p, t)
    words = pack_rows(np.concatenate([np.asarray(t.a).T, np.asarray(t.b)], axis=1),
                      p.data_width)
    return [(w, k == t.k - 1, user) for k, w in enumerate(words)]


def decode_tile(p: GemmParams, beats: list[Beat]) -> GemmTile:
    """Inverse of :func:`encode_tile` (what the input monitor saw; tuser from the tlast beat)."""
    cols = unpack_rows([d for d, _, _ in beats], p.rows + p.cols, p.data_width)
    a = np.ascontiguousarray(cols[:, : p.rows].T)
    b = np.ascontiguousarray(cols[:, p.rows:])
    user = beats[-1][2]
    scale = (user >> 1) & ((1 << p.scale_width) - 1) if p.requant else 1
    shift = (user >> (1 + p.scale_width)) & ((1 << p.shift_width) - 1) if p.requant else 0
    return GemmTile(a, b, int(scale), int(shift), bool(user & 1))


def decode_rows(p: GemmParams, beats: list[Beat]) -> np.ndarray:
    """Output beats of one tile -> ``(n_beats, cols)`` int64 (``rows`` beats when correct)."""
    return unpack_rows([d for d, _, _ in beats], p.cols, p.out_width)


def useful_requant(p: GemmParams, rng: np.random.Generator, k: int) -> tuple[int, int]:
    """A random (scale, shift) that maps typical accumulators of a K-long tile into the output
    range, so most outputs are neither saturated nor zero (a uniform shift would be either).

    A uniform-operand product has RMS ``2**(2w-2)/3``; a K-sum of them grows like sqrt(K).
    We aim the RMS of ``acc * scale`` at the top bit of the output, +-2 bits of jitter.
    """
    scale = int(rng.integers(1, 1 << p.scale_width))
    acc_rms_bits = (2 * p.data_width - 2) + max(k, 1).bit_length() // 2
    target = acc_rms_bits + scale.bit_length() - (p.data_width - 1) + int(rng.integers(-2, 3))
    shift = int(np.clip(target, 0, p.acc_width + p.scale_width))
    return scale, shift


__all__ = ["OBUF_DEPTH", "Beat", "GemmParams", "GemmTile", "ParamError", "acc_bits_needed",
           "check_tile",
           "decode_rows", "decode_tile", "encode_tile", "encode_user", "expected_cycles",
           "old_expected_cycles", "output_latency", "tile_period",
           "gemm_ref", "random_tile", "requantise", "useful_requant"]


#: named corners (models/configs.py collects them): one PE, typical with the requantiser,
#: non power of two, the largest we regress
CONFIGS = {
    "min": GemmParams(rows=1, cols=1, requant=False),
    "typical": GemmParams(rows=4, cols=4, requant=True),
    "non_pow2": GemmParams(rows=3, cols=5, requant=True),
    "max": GemmParams(rows=8, cols=8, requant=False),
}
