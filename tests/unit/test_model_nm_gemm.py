"""Properties of the N:M sparse GEMM model (models/nm_gemm.py), checked against dense references.

Each random case draws its configuration and its data from one fixed seed (``case_seed``; it does
not follow the session's regression ``seed`` fixture, so this file is deterministic). The seed is
in the test id and printed first, so a failure reproduces with ``-k <case_seed>``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.fixed import smax, smin
from models.gemm import (
    MAX_DIM,
    GemmParams,
    GemmTile,
    acc_bits_needed,
    expected_cycles,
    gemm_ref,
    requantise,
)
from models.nm_gemm import (
    MAX_M,
    MIN_M,
    NmCompressed,
    NmGemmParams,
    NmGemmTile,
    check_nm_tile,
    compress,
    decode_beats,
    decompress,
    encode_beats,
    expected_cycles_nm,
    malformed_groups,
    nm_gemm_flag,
    nm_gemm_ref,
    pack_group,
    prune_nm,
    random_nm_tile,
    unpack_group,
)

#: Random cases per property: every legal (n, m) pair comes up several times.
N_CASES = 200
#: Any fixed value; case i uses BASE_SEED + i.
BASE_SEED = 0x5EED
SEEDS = [BASE_SEED + i for i in range(N_CASES)]

#: Every legal N:M pattern: m a power of two in [MIN_M, MAX_M], 1 <= n < m.
M_VALUES = [1 << e for e in range(MIN_M.bit_length() - 1, MAX_M.bit_length())]
NM_PAIRS = [(n, m) for m in M_VALUES for n in range(1, m)]
#: Operand widths: gemm's narrowest, a non-power-of-two, the typical 8 and gemm's widest.
DATA_WIDTHS = (2, 5, 8, 16)
#: Longest random tile, in groups: several groups, yet 200 cases stay well under a second.
MAX_GROUPS = 32
#: Narrow value range for pruning cases: it makes equal magnitudes (ties) and zeros common.
TIE_RANGE = 2
#: Probabilities of an all-zero group: none, typical, mostly zero, all zero.
ZERO_GROUP_PROBS = (0.0, 0.1, 0.5, 1.0)
#: Share of random tiles whose operands are only the two extremes.
EXTREME_SHARE = 0.25


def random_params(rng: np.random.Generator, *, min_n: int = 1) -> NmGemmParams:
    """A legal configuration with the narrowest accumulator it allows (the overflow corner)."""
    pairs = [(n, m) for n, m in NM_PAIRS if n >= min_n]
    n, m = pairs[int(rng.integers(len(pairs)))]
    dw = int(rng.choice(DATA_WIDTHS))
    max_k = m * MAX_GROUPS
    return NmGemmParams(rows=int(rng.integers(1, MAX_DIM + 1)),
                        cols=int(rng.integers(1, MAX_DIM + 1)), n=n, m=m, data_width=dw,
                        acc_width=acc_bits_needed(dw, max_k * n // m), max_k=max_k,
                        requant=bool(rng.integers(2)))


def random_k(p: NmGemmParams, rng: np.random.Generator) -> int:
    return p.m * int(rng.integers(1, p.max_k // p.m + 1))


def random_dense(rng: np.random.Generator, rows: int, k: int, data_width: int) -> np.ndarray:
    """Uniform over the operand range, or over a narrow range full of ties and zeros."""
    if rng.integers(2):
        return rng.integers(smin(data_width), smax(data_width) + 1, size=(rows, k))
    return rng.integers(-TIE_RANGE, TIE_RANGE + 1, size=(rows, k))


def case_rng(case_seed: int) -> np.random.Generator:
    print(f"case_seed={case_seed}")
    return np.random.default_rng(case_seed)


def field(word: int, lsb: int, width: int, signed: bool) -> int:
    """Bits [lsb, lsb+width) of ``word``, independent of models.fixed.unpack."""
    v = (word >> lsb) & ((1 << width) - 1)
    return v - (1 << width) if signed and v >> (width - 1) else v


# -- pruning and the compressed format ---------------------------------------------------------
@pytest.mark.parametrize("case_seed", SEEDS)
def test_prune_compress_round_trip(case_seed):
    rng = case_rng(case_seed)
    n, m = NM_PAIRS[int(rng.integers(len(NM_PAIRS)))]
    rows, k = int(rng.integers(1, MAX_DIM + 1)), m * int(rng.integers(1, MAX_GROUPS + 1))
    w = prune_nm(random_dense(rng, rows, k, int(rng.choice(DATA_WIDTHS))), n, m)
    assert ((w.reshape(rows, k // m, m) != 0).sum(axis=-1) <= n).all(), "pruned W breaks N:M"
    c = compress(w, n, m)
    assert (c.rows, c.n_groups, c.n, c.k) == (rows, k // m, n, k)
    np.testing.assert_array_equal(decompress(c), w)
    # canonical form: strictly ascending indices = the non-zeros plus the smallest unused ones
    for r in range(rows):
        for g in range(k // m):
            grp = w[r, g * m:(g + 1) * m]
            used = [j for j in range(m) if grp[j]]
            pads = [j for j in range(m) if not grp[j]][:n - len(used)]
            assert c.indices[r, g].tolist() == sorted(used + pads), (r, g)
            assert c.values[r, g].tolist() == [grp[j] for j in sorted(used + pads)], (r, g)
    assert not malformed_groups(c)


def brute_force_prune(w: np.ndarray, n: int, m: int) -> np.ndarray:
    """Keep w[j] when fewer than n group members outrank it (larger |w|, or equal and earlier)."""
    out = np.zeros_like(w)
    for r in range(w.shape[0]):
        for g0 in range(0, w.shape[1], m):
            grp = [abs(int(x)) for x in w[r, g0:g0 + m]]
            for j in range(m):
                ahead = sum(1 for i in range(m)
                            if grp[i] > grp[j] or (grp[i] == grp[j] and i < j))
                if ahead < n:
                    out[r, g0 + j] = w[r, g0 + j]
    return out


@pytest.mark.parametrize("case_seed", SEEDS)
def test_prune_keeps_largest_ties_to_lower_index(case_seed):
    rng = case_rng(case_seed)
    n, m = NM_PAIRS[int(rng.integers(len(NM_PAIRS)))]
    w = random_dense(rng, int(rng.integers(1, MAX_DIM + 1)), m * int(rng.integers(1, 9)),
                     int(rng.choice(DATA_WIDTHS)))
    np.testing.assert_array_equal(prune_nm(w, n, m), brute_force_prune(w, n, m))


def test_seed_spec_worked_example():
    """Seed spec B1: 2:4 row [0,3,0,-2 | 5,0,0,1] -> values [3,-2,5,1], indices [1,3,0,3]."""
    row = np.array([[0, 3, 0, -2, 5, 0, 0, 1]])
    c = compress(row, 2, 4)
    assert c.values.ravel().tolist() == [3, -2, 5, 1]
    assert c.indices.ravel().tolist() == [1, 3, 0, 3]
    np.testing.assert_array_equal(decompress(c), row)
    np.testing.assert_array_equal(prune_nm(row, 2, 4), row)


def test_compress_refuses_nm_violation():
    n, m = 2, 4
    w = np.zeros((3, 2 * m), dtype=np.int64)
    w[1, m:m + n + 1] = np.arange(1, n + 2)  # row 1, group 1: one non-zero too many
    with pytest.raises(ValueError, match=rf"row 1, group 1 .*has {n + 1} non-zeros.*at most {n}"):
        compress(w, n, m)
    with pytest.raises(ValueError, match=rf"multiple of m={m}"):
        compress(np.zeros((1, m + 1)), n, m)


@pytest.mark.parametrize("case_seed", SEEDS)
def test_pack_group_round_trip_and_layout(case_seed):
    rng = case_rng(case_seed)
    n, dw, iw = int(rng.integers(1, MAX_M + 1)), int(rng.choice(DATA_WIDTHS)), int(
        rng.integers(1, MAX_M.bit_length()))
    values = rng.integers(smin(dw), smax(dw) + 1, size=n)
    indices = rng.integers(0, 1 << iw, size=n)
    word = pack_group(values, indices, dw, iw)
    assert 0 <= word < 1 << (n * (dw + iw))
    got_v, got_i = unpack_group(word, n, dw, iw)
    np.testing.assert_array_equal(got_v, values)
    np.testing.assert_array_equal(got_i, indices)
    for s in range(n):  # value s at [s*dw, (s+1)*dw), index s at n*dw + s*iw
        assert field(word, s * dw, dw, signed=True) == values[s]
        assert field(word, n * dw + s * iw, iw, signed=False) == indices[s]


def test_pack_group_refuses_out_of_range():
    dw, iw = 8, 2
    with pytest.raises(ValueError, match="does not fit"):
        pack_group([smax(dw) + 1], [0], dw, iw)
    with pytest.raises(ValueError, match="indices must be in"):
        pack_group([0], [1 << iw], dw, iw)


# -- parameters -----------------------------------------------------------------------------------
DEFAULT = NmGemmParams()
#: The narrowest accumulator the default N:M config accepts (the dense gemm needs more).
DEFAULT_ACC_NEED = acc_bits_needed(DEFAULT.data_width, DEFAULT.max_nz_products)

BAD_PARAMS = [
    # (id, overrides of the defaults, the rule the message must state)
    ("n_above_m", dict(n=DEFAULT.m + 1), r"n must be <= m"),
    ("n_equals_m", dict(n=DEFAULT.m), r"n == m is dense, use the gemm block"),
    ("n_zero", dict(n=0), r"n must be >= 1"),
    ("m_not_pow2", dict(n=1, m=3 * MIN_M), r"m must be a power of two"),
    ("m_too_big", dict(n=1, m=2 * MAX_M), rf"m must be a power of two in \[{MIN_M}, {MAX_M}\]"),
    ("max_k_partial_group", dict(max_k=DEFAULT.max_k + DEFAULT.m // 2),
     r"max_k must be a multiple of m"),
    ("acc_too_narrow", dict(acc_width=DEFAULT_ACC_NEED - 1),
     rf"acc_width must be >= {DEFAULT_ACC_NEED}.*max_k\*n/m = {DEFAULT.max_nz_products}"),
    ("rows_too_many", dict(rows=MAX_DIM + 1), r"rows must be in"),
]


@pytest.mark.parametrize("overrides, rule", [b[1:] for b in BAD_PARAMS],
                         ids=[b[0] for b in BAD_PARAMS])
def test_params_reject(overrides, rule):
    with pytest.raises(ValueError, match=rf"^nm_gemm: .*{rule}"):
        NmGemmParams(**overrides)


def test_params_accumulator_sized_by_nonzero_products():
    p = NmGemmParams(acc_width=DEFAULT_ACC_NEED)
    assert p.dense.max_k == p.max_k * p.n // p.m
    with pytest.raises(ValueError, match="acc_width must be >="):  # dense needs more bits
        GemmParams(rows=p.rows, cols=p.cols, acc_width=DEFAULT_ACC_NEED, max_k=p.max_k)


@pytest.mark.parametrize("n, m", NM_PAIRS)
def test_params_identity_and_widths(n, m):
    p = NmGemmParams(n=n, m=m)
    assert NmGemmParams.from_json(p.to_json()) == p
    assert f"n{n}m{m}" in p.tag and p.module_name == f"nm_gemm_{p.tag}"
    assert 1 << p.index_width == m
    assert p.group_width == n * (p.data_width + p.index_width)
    assert p.in_width == p.rows * (p.data_width + p.index_width) + m * p.cols * p.data_width
    assert p.beats(m) == n and p.groups(p.max_k) == p.max_k // m
    for bad_k in (0, m + 1, p.max_k + m):
        with pytest.raises(ValueError, match="K must be a multiple of m"):
            p.beats(bad_k)


# -- golden model -----------------------------------------------------------------------------
@pytest.mark.parametrize("case_seed", SEEDS)
def test_ref_matches_dense_gemm(case_seed):
    rng = case_rng(case_seed)
    p = random_params(rng)
    k = random_k(p, rng)
    t = random_nm_tile(p, rng, k, zero_group_prob=float(rng.choice(ZERO_GROUP_PROBS)),
                       extremes=bool(rng.random() < EXTREME_SHARE))
    print(f"{p.tag} k={k} scale={t.scale} shift={t.shift} relu={t.relu}")
    dense_p = GemmParams(rows=p.rows, cols=p.cols, data_width=p.data_width,
                         acc_width=max(p.acc_width, acc_bits_needed(p.data_width, k)), max_k=k,
                         requant=p.requant, scale_width=p.scale_width)
    want = gemm_ref(dense_p, GemmTile(decompress(t.a), t.b, t.scale, t.shift, t.relu))
    np.testing.assert_array_equal(nm_gemm_ref(p, t), want)
    assert not nm_gemm_flag(p, t)


def slot_loop_acc(a: NmCompressed, b: np.ndarray) -> np.ndarray:
    """Every slot is one MAC, whatever its index: the documented rule, as a plain loop."""
    acc = np.zeros((a.rows, b.shape[1]), dtype=np.int64)
    for r in range(a.rows):
        for g in range(a.n_groups):
            for s in range(a.n):
                acc[r] += a.values[r, g, s] * b[g * a.m + a.indices[r, g, s]]
    return acc


@pytest.mark.parametrize("case_seed", SEEDS)
def test_repeated_index_is_flagged_and_summed(case_seed):
    rng = case_rng(case_seed)
    p = random_params(rng, min_n=2)  # a repeat needs two slots in a group
    t = random_nm_tile(p, rng, random_k(p, rng))
    r, g = int(rng.integers(p.rows)), int(rng.integers(t.a.n_groups))
    s0, s1 = sorted(rng.choice(p.n, size=2, replace=False).tolist())
    t.a.indices[r, g, s1] = t.a.indices[r, g, s0]
    assert malformed_groups(t) == [(r, g)]
    assert nm_gemm_flag(p, t)
    acc = slot_loop_acc(t.a, t.b)
    np.testing.assert_array_equal(decompress(t.a) @ t.b, acc)  # decompress adds the repeat
    want = requantise(acc, t.scale, t.shift, p.data_width) if p.requant else acc
    np.testing.assert_array_equal(nm_gemm_ref(p, t), np.maximum(want, 0) if t.relu else want)


def with_a(t: NmGemmTile, values=None, indices=None, n=None) -> NmGemmTile:
    v = t.a.values.copy() if values is None else values
    i = t.a.indices.copy() if indices is None else indices
    if n is not None:
        v, i = v[..., :n], i[..., :n]
    return NmGemmTile(NmCompressed(v, i, t.a.m), t.b, t.scale, t.shift, t.relu)


def test_check_tile_rejects():
    p = DEFAULT
    t = random_nm_tile(p, np.random.default_rng(BASE_SEED), 2 * p.m)
    check_nm_tile(p, t)
    bad_index = t.a.indices.copy()
    bad_index[0, 0, -1] = p.m
    bad_value = t.a.values.copy()
    bad_value[0, 0, 0] = smax(p.data_width) + 1
    cases = [
        (with_a(t, indices=bad_index), rf"slot indices must be in \[0, m={p.m}\)"),
        (with_a(t, values=bad_value), r"A value: value .* does not fit"),
        (with_a(t, n=p.n - 1), rf"A must have {p.rows} rows in {p.n}:{p.m} slot form"),
        (NmGemmTile(t.a, t.b[:-1], t.scale, t.shift, t.relu), r"B must have shape"),
        (NmGemmTile(t.a, t.b, 1 << p.scale_width, t.shift, t.relu), r"scale must be in"),
    ]
    for tile, rule in cases:
        with pytest.raises(ValueError, match=rf"^nm_gemm: .*{rule}"):
            nm_gemm_ref(p, tile)


# -- beats, cycles and stimulus -------------------------------------------------------------------
@pytest.mark.parametrize("case_seed", SEEDS)
def test_beats_round_trip_and_layout(case_seed):
    rng = case_rng(case_seed)
    p = random_params(rng)
    k = random_k(p, rng)
    t = random_nm_tile(p, rng, k)
    words = encode_beats(p, t)
    assert len(words) == p.beats(k)
    assert all(0 <= w < 1 << p.in_width for w in words)
    a, b = decode_beats(p, words)
    np.testing.assert_array_equal(a.values, t.a.values)
    np.testing.assert_array_equal(a.indices, t.a.indices)
    np.testing.assert_array_equal(b, t.b)
    dw, iw, rows, cols = p.data_width, p.index_width, p.rows, p.cols
    i = int(rng.integers(len(words)))  # spot-check one beat against the documented layout
    g, s = divmod(i, p.n)
    r, c, j = int(rng.integers(rows)), int(rng.integers(cols)), int(rng.integers(p.m))
    assert field(words[i], r * dw, dw, signed=True) == t.a.values[r, g, s]
    assert field(words[i], rows * dw + r * iw, iw, signed=False) == t.a.indices[r, g, s]
    assert field(words[i], rows * (dw + iw) + (j * cols + c) * dw, dw, signed=True) == \
        t.b[g * p.m + j, c]


#: A reduction long enough that the fixed per-tile overhead (fill + drain, about 2R + C cycles)
#: is negligible even for the sparsest pattern: 1:16 still takes 4096 beats.
LONG_K = 1 << 16
#: Allowed relative distance of the dense/sparse cycle ratio from m/n at LONG_K.
RATIO_TOL = 0.01
#: Tiles per stream in the cycle tests: several back-to-back tiles exercise the double buffer.
STREAM_TILES = 4


@pytest.mark.parametrize("n, m", NM_PAIRS)
def test_cycles_ratio_tends_to_m_over_n(n, m):
    p = NmGemmParams(n=n, m=m, max_k=LONG_K)
    dense = GemmParams(rows=p.rows, cols=p.cols, data_width=p.data_width,
                       acc_width=acc_bits_needed(p.data_width, LONG_K), max_k=LONG_K)
    ks = [m << e for e in range((LONG_K // m).bit_length())]  # m, 2m, 4m, .. LONG_K
    ratios = [expected_cycles(dense, [k] * STREAM_TILES) / expected_cycles_nm(p, [k] * STREAM_TILES)
              for k in ks]
    assert all(a <= b for a, b in itertools.pairwise(ratios)), ratios
    assert ratios[-1] == pytest.approx(m / n, rel=RATIO_TOL)
    # once a tile is load-bound, every extra group costs exactly n beats
    assert expected_cycles_nm(p, [LONG_K]) - expected_cycles_nm(p, [LONG_K - m]) == n
    with pytest.raises(ValueError, match="K must be a multiple of m"):
        expected_cycles_nm(p, [m + 1])


def test_random_tiles_cover_group_fill_levels():
    """All-zero, partial and full groups all occur; zero_group_prob bounds behave."""
    p = DEFAULT
    rng = np.random.default_rng(BASE_SEED)
    seen = set()
    for _ in range(MAX_GROUPS):
        t = random_nm_tile(p, rng, p.m * MAX_GROUPS)
        seen |= set((t.a.values != 0).sum(axis=-1).ravel().tolist())
    assert seen == set(range(p.n + 1))
    none_zero = random_nm_tile(p, rng, p.max_k, zero_group_prob=0.0)
    assert ((none_zero.a.values != 0).sum(axis=-1) > 0).all()
    all_zero = random_nm_tile(p, rng, p.max_k, zero_group_prob=1.0)
    assert not all_zero.a.values.any()
