"""N:M structured-sparse x dense GEMM (STA-style): parameters, format, transaction, golden model.

One transaction is one *tile*, ``Y = A . B`` with ``A`` (rows x K) N:M sparse and ``B``
(K x cols) dense: ``A`` is the weight matrix ``W`` of ``Y = W . X`` (one row per output row, the
reduction runs along K) and ``B`` is the activation matrix ``X``. Requantisation and ReLU are
exactly those of :mod:`models.gemm` (same fields, same rules, same :func:`models.gemm.requantise`).

N:M rule
    Every group of ``m`` consecutive reduction elements of a row of ``A`` (group ``g`` covers
    columns ``g*m .. g*m+m-1``) holds at most ``n`` non-zeros. ``m`` is a power of two so an
    index into the group is exactly ``log2(m)`` bits; ``n < m`` (``n == m`` is dense: use ``gemm``).
    K is always a whole number of groups.

Compressed format (:class:`NmCompressed`, the canonical form :func:`compress` produces)
    Per row ``r`` and group ``g`` exactly ``n`` *slots*, each a pair
    (value: ``data_width``-bit signed, index: ``log2(m)``-bit unsigned position inside the group),
    in strictly ascending index order. A group with fewer than ``n`` non-zeros is padded with
    slots of value 0 whose indices are the smallest indices the non-zeros do not use, so the
    ``n`` indices of a group are always distinct (and the encoding of a matrix is unique).
    Worked example (2:4, seed spec B1), row ``[0, 3, 0, -2 | 5, 0, 0, 1]``:
    values ``[3, -2 | 5, 1]``, indices ``[1, 3 | 0, 3]``. A group ``[0, 0, 0, 7]`` becomes
    values ``[0, 7]``, indices ``[0, 3]`` (pad slot at index 0, the smallest unused).

    Storage word of one group (:func:`pack_group`), element 0 in the LSBs as in
    :func:`models.fixed.pack`; ``dw = data_width``, ``iw = log2(m)``::

        bits [s*dw, (s+1)*dw)             value of slot s      (s = 0 .. n-1, two's complement)
        bits [n*dw + s*iw, n*dw+(s+1)*iw) index of slot s      (unsigned)
        total n*(dw + iw) bits            (2:4, 8-bit: 20 bits for 4 weights instead of 32)

Input beat (``s_axis_tdata``, :func:`encode_beats`), one slot position per beat
    The dense ``gemm`` does one MAC per PE per cycle over K beats. This engine does one MAC per
    PE per cycle over ``K*n/m`` beats, the m/n speed-up at equal PE count: beat ``(g, s)`` (groups
    in order, slots in order inside a group) carries slot ``s`` of group ``g`` for all R rows and
    the ``m`` activations of group ``g`` (B rows ``g*m .. g*m+m-1``) for all C columns. PE
    ``(r, c)`` multiplies row r's slot value by the activation of column c its index selects (an
    m:1 mux in front of the multiplier). The activations of a group repeat on its ``n`` beats, so
    every beat is self-contained. Layout, element 0 in the LSBs::

        [0, R*dw)                                  slot value of row r at r*dw
        [R*dw, R*(dw+iw))                          slot index of row r at R*dw + r*iw
        [R*(dw+iw), R*(dw+iw) + m*C*dw)            B[g*m + j, c] at R*(dw+iw) + (j*C + c)*dw

    i.e. the A half is ``pack_group`` over the R rows, the B half is the group's m rows of B in
    row-major order (each row as in ``gemm``). ``s_axis_tuser`` (relu, scale, shift) and
    ``tlast`` (last beat of the tile) are as in ``gemm``.

Malformed input and the error flag
    With ``log2(m)``-bit indices an index can never reach ``m``; the only malformed group is one
    whose slots repeat an index (a well-formed group never does, thanks to the padding rule).
    Slot *order* is not checked: ascending order is only the canonical form. Rule (RTL-friendly:
    an m-bit "seen" mask per row at the input, cleared at slot 0 of each group, no PE change):

    * a tile containing at least one group with a repeated index raises the tile's error flag
      (:func:`nm_gemm_flag`), which the RTL returns with every output row of that tile on
      ``m_axis_tuser`` bit 0 (:attr:`NmGemmParams.out_user_width`);
    * the outputs of a flagged tile are still computed normally: every slot is a MAC, so a
      repeated index contributes once per slot (:func:`nm_gemm_ref` needs no special case, and
      equals a dense GEMM on :func:`decompress`, which adds slots that share a position).

Cycles
    A tile of K takes ``K*n/m`` input beats on the same overlapped array as ``gemm`` (a tile
    costs ``max(K*n/m, R)`` cycles with a ready sink); :func:`expected_cycles_nm` is
    :func:`models.gemm.expected_cycles` fed the beat counts. The accumulator sums at most
    ``max_k*n/m`` products, which sizes ``acc_width``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.fixed import check_signed, pack, pack_rows, smax, smin, unpack, unpack_rows
from models.gemm import (
    GemmParams,
    GemmTile,
    check_tile,
    encode_user,
    expected_cycles,
    requantise,
    useful_requant,
)
from models.params import BlockParams, ParamError
from models.validate import float_array, int_array, int_scalar

#: Smallest group: with m = 1 there is nothing to skip.
MIN_M = 2
#: Largest group: the per-PE activation mux (and the beat's B half) grows linearly with m; 16
#: covers the patterns STA reports (2:4, 1:4, 1:8) with room for 2:16.
MAX_M = 16


def _is_pow2(x: int) -> bool:
    return x > 0 and x & (x - 1) == 0


def _retag(err: Exception, block: str) -> str:
    """A gemm rule message (``"gemm: <rule> (got x)"``) restated for ``block``."""
    return f"{block}: " + str(err).removeprefix(f"{GemmParams.BLOCK}: ")


@dataclasses.dataclass(frozen=True)
class NmGemmParams(BlockParams):
    """N:M sparse x dense output-stationary GEMM configuration.

    rows, cols   -- PE array shape (R x C); A tiles have R rows, B tiles C columns
    n, m         -- N:M pattern: at most n non-zeros in every m consecutive reduction elements
    data_width   -- operand width in bits (signed)
    acc_width    -- accumulator width (signed); must hold ``max_k*n/m`` products
    max_k        -- longest reduction (K, dense length, a multiple of m) a tile may have
    requant      -- build the requantiser (output ``data_width`` bits instead of ``acc_width``)
    scale_width  -- width of the unsigned per-tile requantisation multiplier
    """

    BLOCK = "nm_gemm"
    TAG_FIELDS = (("r", "rows"), ("c", "cols"), ("n", "n"), ("m", "m"), ("w", "data_width"),
                  ("a", "acc_width"), ("q", "requant"))

    rows: int = 4
    cols: int = 4
    n: int = 2
    m: int = 4
    data_width: int = 8
    acc_width: int = 32
    max_k: int = 4096
    requant: bool = True
    scale_width: int = 16

    def validate(self) -> None:
        self.require(_is_pow2(self.m) and MIN_M <= self.m <= MAX_M,
                     f"m must be a power of two in [{MIN_M}, {MAX_M}] because a slot index is "
                     "log2(m) bits", self.m)
        self.require_range("n", 1)
        self.require(self.n <= self.m,
                     f"n must be <= m={self.m}: a group of m elements holds at most m non-zeros",
                     self.n)
        self.require(self.n < self.m,
                     f"n must be < m={self.m}: n == m is dense, use the gemm block", self.n)
        self.require_range("max_k", self.m)
        self.require(self.max_k % self.m == 0,
                     f"max_k must be a multiple of m={self.m} so that a tile is whole groups",
                     self.max_k)
        try:  # every other rule, the accumulator bound included, is gemm's (see `dense`)
            _ = self.dense  # constructing it runs gemm's validation
        except ParamError as e:
            raise ParamError(f"{_retag(e, self.BLOCK)}; gemm's rule, applied with "
                             f"max_k*n/m = {self.max_nz_products} non-zero products per output"
                             ) from None

    # -- the equivalent dense engine ------------------------------------------------------
    @property
    def max_nz_products(self) -> int:
        """Most products one output accumulates: n of every m reduction elements."""
        return self.max_k * self.n // self.m

    @property
    def dense(self) -> GemmParams:
        """The dense ``gemm`` with the same array, widths and accumulation depth.

        Its ``max_k`` is :attr:`max_nz_products`, which is also the longest tile in beats. It
        supplies every rule and width this block shares with ``gemm`` (requantisation fields,
        fill, output buffer), so they are written once.
        """
        return GemmParams(rows=self.rows, cols=self.cols, data_width=self.data_width,
                          acc_width=self.acc_width, max_k=self.max_nz_products,
                          requant=self.requant, scale_width=self.scale_width)

    # -- derived widths and counts --------------------------------------------------------
    @property
    def index_width(self) -> int:
        """Bits of a slot index: log2(m)."""
        return self.m.bit_length() - 1

    @property
    def group_width(self) -> int:
        """Bits of one packed group (:func:`pack_group`): n values and n indices."""
        return self.n * (self.data_width + self.index_width)

    def groups(self, k: int) -> int:
        """Groups in a tile of (dense) length ``k``; raises ``ValueError`` for an illegal k."""
        if not (isinstance(k, int | np.integer) and self.m <= k <= self.max_k and k % self.m == 0):
            raise ValueError(f"{self.BLOCK}: K must be a multiple of m={self.m} in "
                             f"[{self.m}, max_k={self.max_k}] (got {k!r})")
        return int(k) // self.m

    def beats(self, k: int) -> int:
        """Input beats (= MAC cycles per PE) of a tile of length ``k``: ``k*n/m``."""
        return self.groups(k) * self.n

    @property
    def out_width(self) -> int:
        return self.dense.out_width

    @property
    def shift_width(self) -> int:
        return self.dense.shift_width

    @property
    def user_width(self) -> int:
        """s_axis_tuser: as gemm (relu at bit 0, then with requant scale, then shift)."""
        return self.dense.user_width

    @property
    def in_width(self) -> int:
        """s_axis_tdata: R (value, index) slots, then the m x C activations of the group."""
        slots = self.rows * (self.data_width + self.index_width)
        return slots + self.m * self.cols * self.data_width

    @property
    def out_data_width(self) -> int:
        """m_axis_tdata: one row of Y, C elements."""
        return self.cols * self.out_width

    @property
    def out_user_width(self) -> int:
        """m_axis_tuser: bit 0 is the malformed-tile flag, on every output row of the tile."""
        return 1

    @property
    def fill_cycles(self) -> int:
        """Same systolic array as gemm: values flow along rows, activation bundles down columns."""
        return self.dense.fill_cycles

    def port_widths(self) -> dict[str, int]:
        """Widths the testbench checks on the DUT it is given."""
        return {"s_axis_tdata": self.in_width, "s_axis_tuser": self.user_width,
                "m_axis_tdata": self.out_data_width, "m_axis_tuser": self.out_user_width}


# -- compressed format -------------------------------------------------------------------------
@dataclasses.dataclass
class NmCompressed:
    """An N:M matrix in slot form: ``values`` and ``indices`` of shape (rows, groups, n)."""

    values: np.ndarray
    indices: np.ndarray
    m: int

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.int64)
        self.indices = np.asarray(self.indices, dtype=np.int64)
        if self.values.ndim != 3 or self.values.shape != self.indices.shape:
            raise ValueError("NmCompressed: values and indices must both have shape "
                             f"(rows, groups, n) (got {self.values.shape} and "
                             f"{self.indices.shape})")

    @property
    def rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.values.shape[1])

    @property
    def n(self) -> int:
        return int(self.values.shape[2])

    @property
    def k(self) -> int:
        """Dense reduction length."""
        return self.n_groups * self.m


def _grouped(w: np.ndarray, n: int, m: int, what: str, real: bool = False) -> np.ndarray:
    """``w`` (rows, K) as (rows, K/m, m) int64 (``real``: float64, finite), after checking
    dtype, shape and the n, m pair."""
    n, m = int_scalar(n, f"{what}: n", 1), int_scalar(m, f"{what}: m", 1)
    w = np.asarray(w)
    if not 1 <= n <= m:
        raise ValueError(f"{what}: need 1 <= n <= m (got n={n}, m={m})")
    if w.ndim != 2 or w.shape[1] % m:
        raise ParamError(f"{what}: matrix must be 2-D with a multiple of m={m} columns "
                         f"(got shape {w.shape}); pad K with zero columns to a whole number "
                         f"of groups (zeroskip.layers does)")
    w = float_array(w, f"{what}: matrix") if real else int_array(w, f"{what}: matrix")
    return w.reshape(w.shape[0], w.shape[1] // m, m)


def prune_nm(w: np.ndarray, n: int, m: int) -> np.ndarray:
    """Keep the ``n`` largest magnitudes of every group of ``m`` (ties: the lower index wins).

    Works on integer or float (finite) matrices and keeps the kind: pruning float weights
    before quantising is the usual order (an integer cast first would rank truncated values)."""
    real = np.asarray(w).dtype.kind == "f"
    g = _grouped(w, n, m, "prune_nm", real=real)
    # a stable sort on -|w| ranks equal magnitudes by position, so the lower index comes first
    order = np.argsort(-np.abs(g), axis=-1, kind="stable")
    keep = np.zeros(g.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :n], True, axis=-1)
    return np.where(keep, g, 0).reshape(g.shape[0], -1)


def compress(w: np.ndarray, n: int, m: int) -> NmCompressed:
    """Canonical slot form of an N:M matrix (see module doc); refuses a matrix breaking N:M."""
    g = _grouped(w, n, m, "compress")
    nz = g != 0
    counts = nz.sum(axis=-1)
    bad = np.argwhere(counts > n)
    if bad.size:
        r, gi = (int(x) for x in bad[0])
        more = f" (and {len(bad) - 1} more groups)" if len(bad) > 1 else ""
        raise ValueError(f"compress: row {r}, group {gi} (columns {gi * m}..{gi * m + m - 1}) "
                         f"has {int(counts[r, gi])} non-zeros; {n}:{m} allows at most {n}{more}")
    # rank positions: non-zeros first, then zeros (the padding), each by position; take n, sort
    key = np.where(nz, 0, m) + np.arange(m)
    sel = np.sort(np.argsort(key, axis=-1)[..., :n], axis=-1)
    return NmCompressed(np.take_along_axis(g, sel, axis=-1), sel, m)


def _check_indices(c: NmCompressed, what: str) -> None:
    if c.indices.size and (c.indices.min() < 0 or c.indices.max() >= c.m):
        raise ValueError(f"{what}: slot indices must be in [0, m={c.m}) "
                         f"(got {int(c.indices.min())}..{int(c.indices.max())})")


def decompress(c: NmCompressed) -> np.ndarray:
    """Dense (rows, K) matrix; slots that share a position (malformed) add up, as in the RTL."""
    _check_indices(c, "decompress")
    dense = np.zeros((c.rows, c.n_groups, c.m), dtype=np.int64)
    r, g, _ = np.indices(c.values.shape)
    np.add.at(dense, (r, g, c.indices), c.values)
    return dense.reshape(c.rows, c.k)


def pack_group(values, indices, data_width: int, index_width: int) -> int:
    """One group's (or one beat's) slots as a word: values first, then indices, slot 0 lowest."""
    values = np.asarray(values, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64)
    if values.shape != indices.shape or values.ndim != 1:
        raise ValueError(f"pack_group: values and indices must be 1-D of equal length "
                         f"(got {values.shape} and {indices.shape})")
    check_signed(values, data_width, "pack_group: value")
    if indices.size and (indices.min() < 0 or indices.max() >= 1 << index_width):
        raise ValueError(f"pack_group: indices must be in [0, 2**{index_width}) "
                         f"(got {indices.tolist()})")
    return pack(values, data_width) | pack(indices, index_width) << (values.size * data_width)


def unpack_group(word: int, n: int, data_width: int,
                 index_width: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`pack_group`: (values signed, indices unsigned), each ``n`` int64."""
    values = unpack(word, n, data_width, signed=True)
    indices = unpack(int(word) >> (n * data_width), n, index_width, signed=False)
    return values, indices


# -- transaction and golden model --------------------------------------------------------------
@dataclasses.dataclass
class NmGemmTile:
    """One transaction: compressed ``a`` (R x K), dense ``b`` (K x C), requant and ReLU."""

    a: NmCompressed
    b: np.ndarray
    scale: int = 1
    shift: int = 0
    relu: bool = False

    @property
    def k(self) -> int:
        return self.a.k


def check_nm_tile(p: NmGemmParams, t: NmGemmTile) -> None:
    """Raise ``ValueError`` naming the rule a tile breaks. Repeated indices are legal (flagged)."""
    a = t.a
    if (a.rows, a.n, a.m) != (p.rows, p.n, p.m):
        raise ValueError(f"{p.BLOCK}: A must have {p.rows} rows in {p.n}:{p.m} slot form "
                         f"(got {a.rows} rows, {a.n}:{a.m})")
    p.groups(a.k)
    b = np.asarray(t.b)
    if b.shape != (a.k, p.cols):
        raise ValueError(f"{p.BLOCK}: B must have shape (K={a.k}, {p.cols}) (got {b.shape})")
    check_signed(a.values, p.data_width, f"{p.BLOCK}: A value")
    _check_indices(a, f"{p.BLOCK}: A")
    check_signed(b, p.data_width, f"{p.BLOCK}: B")
    # scale/shift follow gemm's rules: let gemm check them on a one-deep stand-in tile
    stand_in = GemmTile(np.zeros((p.rows, 1), np.int64), np.zeros((1, p.cols), np.int64),
                        t.scale, t.shift, t.relu)
    try:
        check_tile(p.dense, stand_in)
    except ValueError as e:
        raise ValueError(_retag(e, p.BLOCK)) from None


def nm_gemm_acc(p: NmGemmParams, t: NmGemmTile) -> np.ndarray:
    """Accumulators (R, C) int64, from the slots directly: each slot gathers its B row."""
    check_nm_tile(p, t)
    b = np.asarray(t.b, dtype=np.int64).reshape(t.a.n_groups, p.m, p.cols)
    group = np.arange(t.a.n_groups)[None, :, None]
    gathered = b[group, t.a.indices]  # (R, groups, n, C): B[g*m + index, :] for every slot
    return np.einsum("rgs,rgsc->rc", t.a.values, gathered)


def nm_gemm_ref(p: NmGemmParams, t: NmGemmTile) -> np.ndarray:
    """Bit-exact expected output of one tile, ``(rows, cols)`` int64 (flagged tiles included)."""
    acc = nm_gemm_acc(p, t)
    y = requantise(acc, t.scale, t.shift, p.data_width) if p.requant else acc
    return np.maximum(y, 0) if t.relu else y


def malformed_groups(tile: NmGemmTile | NmCompressed) -> list[tuple[int, int]]:
    """(row, group) pairs, row-major, whose slots repeat an index."""
    a = tile.a if isinstance(tile, NmGemmTile) else tile
    idx = np.sort(a.indices, axis=-1)
    dup = (idx[..., 1:] == idx[..., :-1]).any(axis=-1)
    return [(int(r), int(g)) for r, g in np.argwhere(dup)]


def nm_gemm_flag(p: NmGemmParams, t: NmGemmTile) -> bool:
    """The tile's error flag: True when any group repeats an index."""
    check_nm_tile(p, t)
    return bool(malformed_groups(t))


# -- beats -------------------------------------------------------------------------------------
def encode_beats(p: NmGemmParams, t: NmGemmTile) -> list[int]:
    """``s_axis_tdata`` words of a tile, group by group, slot by slot (layout in module doc)."""
    check_nm_tile(p, t)
    g_n = t.a.n_groups
    b = np.asarray(t.b, dtype=np.int64).reshape(g_n, p.m * p.cols)
    a_bits = p.rows * (p.data_width + p.index_width)
    vals = np.asarray(t.a.values, dtype=np.int64)
    idx = np.asarray(t.a.indices, dtype=np.int64)
    check_signed(vals, p.data_width, "pack_group: value")
    if idx.size and (idx.min() < 0 or idx.max() >= 1 << p.index_width):
        raise ValueError(f"pack_group: indices must be in [0, 2**{p.index_width}) "
                         f"(got {sorted(set(idx.ravel().tolist()))})")
    # beat g * n + s: slot s of group g of every row (pack_group's layout), then the group's
    # activations (vectorised: one packed word per beat and per group)
    v_words = pack_rows(vals.transpose(1, 2, 0).reshape(g_n * p.n, p.rows), p.data_width)
    i_words = pack_rows(idx.transpose(1, 2, 0).reshape(g_n * p.n, p.rows), p.index_width)
    acts = [w << a_bits for w in pack_rows(b, p.data_width)]
    i_shift = p.rows * p.data_width
    return [v | (i << i_shift) | acts[j // p.n] for j, (v, i) in enumerate(zip(v_words,
                                                                                  i_words))]


def decode_beats(p: NmGemmParams, words: list[int]) -> tuple[NmCompressed, np.ndarray]:
    """Inverse of :func:`encode_beats`: (A, B); refuses a group whose beats disagree on B."""
    if not words or len(words) % p.n:
        raise ValueError(f"{p.BLOCK}: a tile is a positive multiple of n={p.n} beats "
                         f"(got {len(words)})")
    n_groups = len(words) // p.n
    words = [int(w) for w in words]
    a_bits = p.rows * (p.data_width + p.index_width)
    i_shift = p.rows * p.data_width
    v = unpack_rows(words, p.rows, p.data_width)
    i = unpack_rows([w >> i_shift for w in words], p.rows, p.index_width, signed=False)
    acts = unpack_rows([w >> a_bits for w in words], p.m * p.cols, p.data_width)
    acts = acts.reshape(n_groups, p.n, p.m, p.cols)
    bad = np.nonzero((acts != acts[:, :1]).any(axis=(2, 3)))
    if bad[0].size:
        g, s = int(bad[0][0]), int(bad[1][0])
        raise ValueError(f"{p.BLOCK}: beat {g * p.n + s} carries different activations than "
                         f"the first beat of group {g}")
    values = np.ascontiguousarray(v.reshape(n_groups, p.n, p.rows).transpose(2, 0, 1))
    indices = np.ascontiguousarray(i.reshape(n_groups, p.n, p.rows).transpose(2, 0, 1))
    return (NmCompressed(values, indices, p.m),
            np.ascontiguousarray(acts[:, 0]).reshape(n_groups * p.m, p.cols))


# -- stream transactions (what the testbench's agents carry) ----------------------------------
#: one stream beat: (tdata, tlast, tuser), as in models.gemm
Beat = tuple[int, bool, int]


def encode_tile(p: NmGemmParams, t: NmGemmTile) -> list[Beat]:
    """Input beats of one tile: :func:`encode_beats` words, tlast on the last, tuser (relu,
    scale, shift; gemm's layout) on every beat."""
    user = encode_user(p.dense, t)
    words = encode_beats(p, t)
    return [(w, i == len(words) - 1, user) for i, w in enumerate(words)]


def decode_user(p: NmGemmParams, user: int) -> tuple[int, int, bool]:
    """(scale, shift, relu) from ``s_axis_tuser``; scale 1 and shift 0 without requant."""
    if not p.requant:
        return 1, 0, bool(user & 1)
    scale = (user >> 1) & ((1 << p.scale_width) - 1)
    shift = (user >> (1 + p.scale_width)) & ((1 << p.shift_width) - 1)
    return int(scale), int(shift), bool(user & 1)


def decode_tile(p: NmGemmParams, beats: list[Beat]) -> NmGemmTile:
    """Inverse of :func:`encode_tile` (what the input monitor saw; tuser from the tlast beat,
    which is the one the RTL samples)."""
    a, b = decode_beats(p, [d for d, _, _ in beats])
    scale, shift, relu = decode_user(p, beats[-1][2])
    return NmGemmTile(a, b, scale, shift, relu)


def decode_rows(p: NmGemmParams, beats: list[Beat]) -> dict[str, np.ndarray]:
    """Output beats of one tile -> ``{"y": (n_beats, cols), "flag": (n_beats,)}`` int64: the
    rows of Y and each row's ``m_axis_tuser`` flag bit (``rows`` beats when correct)."""
    return {"y": unpack_rows([d for d, _, _ in beats], p.cols, p.out_width),
            "flag": np.array([u & 1 for _, _, u in beats], dtype=np.int64)}


def nm_gemm_expected(p: NmGemmParams, t: NmGemmTile) -> dict[str, np.ndarray]:
    """What :func:`decode_rows` must return for tile ``t``: Y and the tile flag on every row."""
    return {"y": nm_gemm_ref(p, t),
            "flag": np.full(p.rows, int(nm_gemm_flag(p, t)), dtype=np.int64)}


# -- cycles and stimulus -----------------------------------------------------------------------
def expected_cycles_nm(p: NmGemmParams, ks: list[int]) -> int:
    """First input handshake to last output handshake, inclusive, no stalls.

    The timeline of :func:`models.gemm.expected_cycles` with ``K*n/m`` load beats per tile.
    """
    return expected_cycles(p.dense, [p.beats(k) for k in ks])


def random_nm_tile(p: NmGemmParams, rng: np.random.Generator, k: int, *,
                   zero_group_prob: float = 0.1, extremes: bool = False) -> NmGemmTile:
    """A well-formed tile: random N:M patterns, random dense B, a useful requantisation.

    A group is all-zero with probability ``zero_group_prob``; otherwise it has 1..n non-zeros
    (uniform), at uniformly random positions, with non-zero values (uniform, or only the two
    extremes).
    """
    shape = (p.rows, p.groups(k))
    lo, hi = smin(p.data_width), smax(p.data_width)
    counts = rng.integers(1, p.n + 1, size=shape)
    counts[rng.random(shape) < zero_group_prob] = 0
    # a random permutation of the positions per group; its first `count` entries are non-zero
    perm = np.argsort(rng.random((*shape, p.m)), axis=-1)
    mask = np.zeros((*shape, p.m), dtype=bool)
    np.put_along_axis(mask, perm, np.arange(p.m) < counts[..., None], axis=-1)
    if extremes:
        v = rng.choice([lo, hi], size=mask.shape)
        b = rng.choice([lo, hi], size=(k, p.cols))
    else:
        v = rng.integers(lo, hi, size=mask.shape)
        v += v >= 0  # [lo, hi-1] -> [lo, hi] without 0
        b = rng.integers(lo, hi + 1, size=(k, p.cols))
    a = compress(np.where(mask, v, 0).reshape(p.rows, k), p.n, p.m)
    scale, shift = 1, 0
    if p.requant:
        scale, shift = useful_requant(p.dense, rng, p.beats(k))
    return NmGemmTile(a, b.astype(np.int64), scale, shift, bool(rng.integers(2)))


__all__ = ["MAX_M", "MIN_M", "Beat", "NmCompressed", "NmGemmParams", "NmGemmTile", "ParamError",
           "check_nm_tile", "compress", "decode_beats", "decode_rows", "decode_tile",
           "decode_user", "decompress", "encode_beats", "encode_tile", "expected_cycles_nm",
           "malformed_groups", "nm_gemm_acc", "nm_gemm_expected", "nm_gemm_flag", "nm_gemm_ref",
           "pack_group", "prune_nm", "random_nm_tile", "unpack_group"]


#: named corners (models/configs.py collects them)
CONFIGS = {
    "min": NmGemmParams(rows=1, cols=1, n=1, m=2, requant=False),
    "typical": NmGemmParams(rows=4, cols=4, n=2, m=4, requant=True),
    "non_pow2": NmGemmParams(rows=3, cols=5, n=1, m=4, requant=True),
    "max": NmGemmParams(rows=8, cols=8, n=4, m=8, requant=False),
}
