"""The SDDMM model against an independent float64 reference, with the derived 0.5 LSB budget,
saturation reporting, the output stream and the refusal rules."""

import numpy as np
import pytest

from models.attn_mask import load_deit_masks, mask_to_rows, random_mask
from models.fixed import smax, smin
from models.gemm import acc_bits_needed
from models.params import ParamError
from models.sddmm import (
    CONFIGS,
    FLOAT64_EXACT_BITS,
    SDDMM_BUDGET_LSB,
    SddmmHead,
    SddmmParams,
    decode_scores,
    encode_scores,
    macs,
    random_head,
    rows_to_dense,
    saturated_positions,
    sddmm_acc,
    sddmm_float,
    sddmm_ref,
)

N_CASES = 40  # random heads per property


def check_budget(p: SddmmParams, h: SddmmHead) -> int:
    """Assert the module-doc budget on every kept entry; return the number saturated."""
    x = sddmm_float(h)
    got = rows_to_dense(sddmm_ref(p, h), h.mask)
    lo, hi = smin(p.score_width), smax(p.score_width)
    inside = h.mask & (x >= lo - 0.5) & (x < hi + 0.5)
    assert np.all(np.abs(got[inside] - x[inside]) <= SDDMM_BUDGET_LSB)
    high, low = h.mask & (x >= hi + 0.5), h.mask & (x < lo - 0.5)
    assert np.all(got[high] == hi) and np.all(got[low] == lo)
    sat = saturated_positions(p, h)
    want = np.argwhere(high | low)
    assert np.array_equal(sat, want), "saturated_positions must list exactly the clamped entries"
    return int(want.shape[0])


def test_configs_are_the_four_corners_and_float_reference_is_exact():
    assert tuple(CONFIGS) == ("min", "typical", "non_pow2", "max")
    for p in CONFIGS.values():
        assert acc_bits_needed(p.data_width, p.head_dim) + p.scale_width <= FLOAT64_EXACT_BITS


def test_pass_through_equals_float_matmul_on_kept_entries(seed):
    """scale 1, shift 0 and a score as wide as the accumulator: nothing rounds or saturates."""
    rng = np.random.default_rng(seed)
    for _ in range(N_CASES):
        p = SddmmParams(head_dim=int(rng.integers(1, 70)), score_width=32)
        h = random_head(p, rng, int(rng.integers(1, 20)), int(rng.integers(1, 40)),
                        density=float(rng.random()), requant=False)
        want = (h.q.astype(float) @ h.k.astype(float).T)
        got = sddmm_ref(p, h)
        for i, cols in enumerate(mask_to_rows(h.mask)):
            assert np.array_equal(got[i], want[i, cols].astype(np.int64))


def test_requant_error_is_at_most_half_an_lsb(seed):
    rng = np.random.default_rng(seed)
    n_sat = n_kept = 0
    for _ in range(N_CASES):
        p = SddmmParams(head_dim=int(rng.integers(1, 70)), score_width=int(rng.integers(4, 17)))
        h = random_head(p, rng, int(rng.integers(1, 20)), int(rng.integers(1, 60)),
                        density=float(rng.random()), extremes=bool(rng.integers(2)))
        n_sat += check_budget(p, h)
        n_kept += int(h.mask.sum())
    print(f"sddmm random: {n_sat} of {n_kept} kept scores saturated")
    assert n_sat < n_kept / 2, "useful_requant should leave most scores unsaturated"


def test_budget_on_real_deit_masks(seed):
    """Random INT8 Q, K on the 36 real DeiT-Tiny heads (d = 64, 197 tokens)."""
    rng = np.random.default_rng(seed)
    p = SddmmParams(head_dim=64, max_keys=197)
    masks = load_deit_masks().reshape(-1, 197, 197)
    n_sat = sum(check_budget(p, random_head(p, rng, 197, 197, mask=m)) for m in masks)
    print(f"sddmm DeiT: {n_sat} of {int(masks.sum())} kept scores saturated over 36 heads")
    assert n_sat < masks.sum() / 2


def test_saturation_is_reported_not_silent():
    """All-extreme operands: q·k = d * 2**14 overflows a 16-bit score at every kept entry."""
    p = SddmmParams(head_dim=64)
    mask = np.array([[True, False, True], [False, False, False]])
    h = SddmmHead(np.full((2, 64), -128), np.full((3, 64), -128), mask)
    assert [r.tolist() for r in sddmm_ref(p, h)] == [[smax(16), smax(16)], []]
    assert saturated_positions(p, h).tolist() == [[0, 0], [0, 2]]
    assert sddmm_acc(p, h)[0].tolist() == [64 * 2**14] * 2


def test_empty_and_full_rows(seed):
    rng = np.random.default_rng(seed)
    p = CONFIGS["non_pow2"]
    mask = random_mask(rng, 12, 197, 0.05, empty_rows=3, full_rows=2)
    h = random_head(p, rng, 12, 197, mask=mask)
    rows = sddmm_ref(p, h)
    assert [len(r) for r in rows] == mask.sum(axis=1).tolist()
    assert macs(p, mask) == int(mask.sum()) * p.head_dim
    check_budget(p, h)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_corner_meets_the_budget(name, seed):
    rng = np.random.default_rng(seed)
    p = CONFIGS[name]
    for _ in range(4):
        h = random_head(p, rng, int(rng.integers(1, 9)), int(rng.integers(1, p.max_keys + 1)),
                        density=float(rng.random()))
        check_budget(p, h)


def test_output_stream_round_trip(seed):
    rng = np.random.default_rng(seed)
    p = CONFIGS["non_pow2"]
    h = random_head(p, rng, 9, 150, mask=random_mask(rng, 9, 150, 0.1, empty_rows=2))
    rows = sddmm_ref(p, h)
    packets = encode_scores(p, h, rows)
    back = decode_scores(p, packets)
    for i, (cols, r) in enumerate(zip(mask_to_rows(h.mask), rows)):
        assert np.array_equal(back[i][0], cols) and np.array_equal(back[i][1], r)


# -- refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, rule", [
    (dict(head_dim=0), "head_dim must be in"),
    (dict(max_keys=0), "max_keys must be in"),
    (dict(acc_width=21), "acc_width must be >= 22 to hold head_dim=64 products"),
    (dict(score_width=40), r"score_width must be in \[2, 32\]"),
    (dict(data_width=1), "data_width must be in"),
    (dict(acc_width=48, scale_width=24), "acc_width \\+ scale_width must be <= 62"),
    (dict(head_dim=2.5), "head_dim must be an integer"),
])
def test_params_name_the_broken_rule(bad, rule):
    with pytest.raises(ParamError, match=rule):
        SddmmParams(**bad)


def test_params_json_round_trip_and_tag():
    p = SddmmParams(head_dim=24, max_keys=197)
    assert type(p).from_json(p.to_json()) == p
    assert p.module_name == "sddmm_d24k197w8a32s16"


def test_head_errors_name_the_rule():
    p = SddmmParams(head_dim=4, max_keys=8)
    q, k, m = np.zeros((2, 4), int), np.zeros((3, 4), int), np.ones((2, 3), bool)
    cases = [
        (SddmmHead(np.zeros((2, 5), int), k, m), r"Q must have shape \(n_q >= 1, head_dim=4\)"),
        (SddmmHead(q, np.zeros((9, 4), int), np.ones((2, 9), bool)),
         r"K must have shape \(n_k in \[1, max_keys=8\]"),
        (SddmmHead(q, k, np.ones((3, 2), bool)), r"must have shape \(2, 3\)"),
        (SddmmHead(q, k, np.ones((2, 3), int)), "must be a bool numpy array"),
        (SddmmHead(np.full((2, 4), 128), k, m), "Q: value 128 does not fit a 8-bit"),
        (SddmmHead(q, k, m, scale=1 << 16), r"scale must be in \[0, 2\*\*16\)"),
        (SddmmHead(q, k, m, shift=49), r"shift must be in \[0, 48\]"),
    ]
    for h, rule in cases:
        with pytest.raises(ValueError, match=rule):
            sddmm_ref(p, h)


# -- the RTL's streams ----------------------------------------------------------------------
def test_stream_round_trip_and_row_out_equal_the_head_model(seed):
    """A head split into the block's transactions, encoded and decoded, predicts per row what
    sddmm_ref computes for the whole head (row_out is the scoreboard's model)."""
    from models.attn_mask import encode_value_row
    from models.sddmm import (
        decode_k,
        decode_m,
        decode_out,
        decode_q,
        encode_k,
        encode_m,
        encode_q,
        head_txns,
        row_out,
    )

    rng = np.random.default_rng(seed)
    for name, p in CONFIGS.items():
        h = random_head(p, rng, 5, int(rng.integers(1, p.max_keys + 1)), density=0.3)
        h.mask[0, :] = False
        kload, qs, ms = head_txns(p, h)
        k2 = decode_k(p, encode_k(p, kload))
        assert np.array_equal(k2.k, h.k) and (k2.scale, k2.shift) == (h.scale, h.shift), name
        ref = sddmm_ref(p, h)
        for i, (q, m) in enumerate(zip(qs, ms)):
            q2, m2 = decode_q(p, encode_q(p, q)), decode_m(p, encode_m(p, m))
            assert np.array_equal(q2.q, h.q[i]) and q2.last == (i == h.n_q - 1)
            got = row_out(p, k2, q2, m2)
            assert np.array_equal(got["s"], ref[i]) and int(got["empty"]) == (ref[i].size == 0)
            beats = encode_value_row(m.cols, ref[i], p.max_keys, p.score_width, True, i)
            back = decode_out(p, beats)
            assert np.array_equal(back["s"], got["s"]) and np.array_equal(back["col"], got["col"])


def test_stream_encoders_refuse_bad_input_with_the_rule():
    from models.sddmm import KLoad, MaskRow, QRow, encode_k, encode_m, encode_q

    p = CONFIGS["typical"]
    with pytest.raises(ValueError, match="values must be integers"):
        encode_q(p, QRow(np.full(p.head_dim, 0.5)))
    with pytest.raises(ValueError, match="K must have shape"):
        encode_k(p, KLoad(np.zeros((p.max_keys + 1, p.head_dim), dtype=np.int64)))
    with pytest.raises(ValueError, match="out of range"):
        encode_m(p, MaskRow(np.array([3]), 3))
    with pytest.raises(ValueError, match="at most max_keys"):
        encode_m(p, MaskRow(np.array([3]), p.max_keys + 1))
