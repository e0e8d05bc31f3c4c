"""The SpMM model against independent float64 references: budget 1 (same integer P, 0.5 LSB)
and budget 2 (P a quantised softmax, end to end) on random rows and real LeViT rows."""

import numpy as np
import pytest

from models.attn_mask import load_deit_masks, load_levit_probs, random_mask
from models.fixed import smax, smin
from models.params import ParamError
from models.spmm import (
    CONFIGS,
    SpmmHead,
    SpmmParams,
    decode_probs,
    e2e_budget,
    e2e_closed_form,
    e2e_float,
    encode_probs,
    head_from_dense,
    macs,
    masked_softmax,
    quantise_probs,
    random_head,
    saturated_positions,
    spmm_acc,
    spmm_acc_bits_needed,
    spmm_float,
    spmm_ref,
    unit_requant,
)

N_CASES = 40  # random heads per property
#: float64 slack for budget 2: y = sum p_f v is itself rounded (|y| <= 128, ~200 terms, each
#: within 2**-52 relative), far below this
FLOAT_SLACK = 1e-9


def check_budget1(p: SpmmParams, h: SpmmHead) -> int:
    """|o - x| <= 0.5 unless saturated; saturated_positions lists exactly the clamped outputs."""
    x = spmm_float(h)
    got = spmm_ref(p, h)
    lo, hi = smin(p.data_width), smax(p.data_width)
    inside = (x >= lo - 0.5) & (x < hi + 0.5)
    assert np.all(np.abs(got[inside] - x[inside]) <= 0.5)
    assert np.all(got[x >= hi + 0.5] == hi) and np.all(got[x < lo - 0.5] == lo)
    assert np.array_equal(saturated_positions(p, h), np.argwhere(~inside))
    return int((~inside).sum())


def check_budget2(p: SpmmParams, pf: np.ndarray, mask: np.ndarray, v: np.ndarray) -> float:
    """End to end: quantise pf on mask, run the model, compare with float64 pf @ v; return
    the largest error as a share of its budget."""
    h = head_from_dense(quantise_probs(np.where(mask, pf, 0.0), p.prob_width), mask, v,
                        *unit_requant(p))
    err = np.abs(spmm_ref(p, h) - e2e_float(pf, mask, v))
    bound = e2e_budget(p, pf, mask, v)
    assert np.all(err <= bound + FLOAT_SLACK)
    return float((err / bound).max())


def test_configs_are_the_four_corners():
    assert tuple(CONFIGS) == ("min", "typical", "non_pow2", "max")
    for p in CONFIGS.values():
        need = spmm_acc_bits_needed(p.data_width, p.prob_width, p.max_keys)
        assert need + p.scale_width <= 53  # budget 1's float64 reference is exact


def test_accumulators_equal_dense_float_matmul(seed):
    rng = np.random.default_rng(seed)
    for _ in range(N_CASES):
        p = SpmmParams(head_dim=int(rng.integers(1, 70)))
        h = random_head(p, rng, int(rng.integers(1, 20)), int(rng.integers(1, 100)),
                        density=float(rng.random()), softmax=False)
        want = h.dense_p().astype(float) @ h.v.astype(float)
        assert np.array_equal(spmm_acc(p, h), want.astype(np.int64))


def test_budget1_same_integer_p(seed):
    rng = np.random.default_rng(seed)
    n_sat = n_out = 0
    for _ in range(N_CASES):
        p = SpmmParams(head_dim=int(rng.integers(1, 40)), prob_width=int(rng.integers(1, 13)))
        h = random_head(p, rng, int(rng.integers(1, 20)), int(rng.integers(1, 200)),
                        density=float(rng.random()), softmax=bool(rng.integers(2)),
                        extremes=bool(rng.integers(2)))
        n_sat += check_budget1(p, h)
        n_out += h.n_q * p.head_dim
    print(f"spmm budget 1: {n_sat} of {n_out} outputs saturated")
    assert n_sat < n_out / 2


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_corner_meets_budget1(name, seed):
    rng = np.random.default_rng(seed)
    p = CONFIGS[name]
    for softmax in (False, True):
        h = random_head(p, rng, 6, int(rng.integers(1, p.max_keys + 1)),
                        density=float(rng.random()), softmax=softmax)
        check_budget1(p, h)


@pytest.mark.parametrize("logit_scale", [0.5, 2.0, 8.0, 40.0])  # flat .. one-hot rows
def test_budget2_quantised_softmax_random_rows(logit_scale, seed):
    """40 peaks rows so hard that P saturates at 2**pw - 1 (the 1.0 that UQ0.8 lacks)."""
    rng = np.random.default_rng(seed)
    p = SpmmParams(head_dim=16, max_keys=197)
    for _ in range(10):
        n_q, n_k = int(rng.integers(1, 30)), int(rng.integers(1, 198))
        mask = random_mask(rng, n_q, n_k, float(rng.random()), empty_rows=int(n_q > 2))
        pf = masked_softmax(rng.normal(scale=logit_scale, size=mask.shape), mask)
        v = rng.integers(-128, 128, size=(n_k, p.head_dim))
        check_budget2(p, pf, mask, v)
        nnz = mask.sum(axis=1)
        sat = (np.where(mask, pf, 0) > 1 - 2.0 ** -(p.prob_width + 1)).any(axis=1)
        closed = np.array([e2e_closed_form(p, int(c)) for c in nnz])
        b = e2e_budget(p, pf, mask, v)
        assert np.all(b[~sat] <= closed[~sat, None] + FLOAT_SLACK)


def test_budget2_on_real_levit_rows(seed):
    """Real LeViT-128 softmax rows (float32, renormalised in float64): full rows, and rows cut
    to the keys with p >= 0.002 and renormalised (a thresholded-attention mask)."""
    rng = np.random.default_rng(seed)
    p = SpmmParams(head_dim=32, max_keys=64)
    worst = 0.0
    for depth in (1, 2):
        maps = load_levit_probs(depth).astype(np.float64)
        for pm in maps.reshape(-1, *maps.shape[-2:]):
            v = rng.integers(-128, 128, size=(pm.shape[1], p.head_dim))
            full = np.ones(pm.shape, dtype=bool)
            worst = max(worst, check_budget2(p, pm / pm.sum(1, keepdims=True), full, v))
            cut = pm >= 0.002
            pc = np.where(cut, pm, 0.0)
            worst = max(worst, check_budget2(p, pc / pc.sum(1, keepdims=True), cut, v))
    print(f"spmm budget 2 on LeViT: worst |o - y| is {worst:.2f} of its budget")


def test_deit_masks_with_softmax_probs(seed):
    rng = np.random.default_rng(seed)
    p = SpmmParams(head_dim=64, max_keys=197)
    for mask in load_deit_masks().reshape(-1, 197, 197)[::6]:
        pf = masked_softmax(rng.normal(scale=2.0, size=mask.shape), mask)
        check_budget2(p, pf, mask, rng.integers(-128, 128, size=(197, 64)))


def test_empty_row_outputs_zero():
    p = SpmmParams(head_dim=3, max_keys=4)
    h = SpmmHead([np.array([], int), np.array([1, 3])], [np.array([], int), np.array([128, 64])],
                 np.arange(12).reshape(4, 3) - 6, *unit_requant(p))
    out = spmm_ref(p, h)
    # row 1: (128 * v[1] + 64 * v[3]) / 256 with v[1] = [-3, -2, -1], v[3] = [3, 4, 5]
    # = [-0.75, 0, 0.75], rounded half up -> [-1, 0, 1]
    assert out.tolist() == [[0, 0, 0], [-1, 0, 1]]
    assert macs(p, h) == 2 * 3


def test_quantise_probs_rounds_half_up_and_saturates_one():
    q = quantise_probs([0.0, 0.5 / 256, 0.49 / 256, 1.0, 1 - 0.4 / 256, 0.5], 8)
    assert q.tolist() == [0, 1, 0, 255, 255, 128]
    with pytest.raises(ValueError, match=r"probabilities must be in \[0, 1\]"):
        quantise_probs([1.01], 8)


def test_p_stream_round_trip(seed):
    rng = np.random.default_rng(seed)
    p = CONFIGS["non_pow2"]
    h = random_head(p, rng, 7, 197, mask=random_mask(rng, 7, 197, 0.1, empty_rows=2))
    cols, probs = decode_probs(p, encode_probs(p, h))
    assert all(np.array_equal(a, b) for a, b in zip(cols, h.cols))
    assert all(np.array_equal(a, b) for a, b in zip(probs, h.probs))


# -- refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, rule", [
    (dict(acc_width=23), "acc_width must be >= 24 to hold max_keys=256 products of 8-bit P"),
    (dict(prob_width=0), "prob_width must be in"),
    (dict(head_dim=300), "head_dim must be in"),
    (dict(max_keys=1 << 14), "max_keys must be in"),
    (dict(scale_width=25), "scale_width must be in"),
])
def test_params_name_the_broken_rule(bad, rule):
    with pytest.raises(ParamError, match=rule):
        SpmmParams(**bad)


def test_params_json_round_trip_and_tag():
    p = SpmmParams(head_dim=24, max_keys=197)
    assert type(p).from_json(p.to_json()) == p
    assert p.module_name == "spmm_d24k197w8p8a32"


def test_head_errors_name_the_rule():
    p = SpmmParams(head_dim=2, max_keys=4)
    v = np.zeros((4, 2), int)
    cases = [
        (SpmmHead([np.array([0, 1])], [np.array([256, 1])], v),
         r"row 0: probability 256 does not fit 8 unsigned bits \[0, 255\]"),
        (SpmmHead([np.array([0]), np.array([1])], [np.array([1]), np.array([-1])], v),
         "row 1: probability -1 does not fit"),
        (SpmmHead([np.array([0, 1])], [np.array([1])], v),
         "row 0: one integer probability per kept column"),
        (SpmmHead([np.array([2, 1])], [np.array([1, 1])], v),
         "mask row 0: column indices must be strictly ascending"),
        (SpmmHead([np.array([4])], [np.array([1])], v), r"mask row 0: column index 4 out of"),
        (SpmmHead([np.array([0])], [np.array([1])], np.zeros((5, 2), int)),
         r"V must have shape \(n_k in \[1, max_keys=4\]"),
        (SpmmHead([np.array([0])], [np.array([1])], np.full((4, 2), 128)),
         "V: value 128 does not fit a 8-bit"),
        (SpmmHead([np.array([0])], [np.array([1])], v, shift=49), r"shift must be in \[0, 48\]"),
        (SpmmHead([], [], v), "a head needs n_q >= 1 rows"),
    ]
    for h, rule in cases:
        with pytest.raises(ValueError, match=rule):
            spmm_ref(p, h)


# -- the RTL's streams ----------------------------------------------------------------------
def test_stream_round_trip_and_row_out_equal_the_head_model(seed):
    """A head split into the block's transactions, encoded and decoded, predicts per row what
    spmm_ref computes for the whole head (row_out is the scoreboard's model)."""
    from models.spmm import decode_p, decode_v, encode_p, encode_v, head_txns, row_out

    rng = np.random.default_rng(seed)
    for name, p in CONFIGS.items():
        h = random_head(p, rng, 5, int(rng.integers(1, p.max_keys + 1)), density=0.3)
        vload, rows = head_txns(p, h)
        v2 = decode_v(p, encode_v(p, vload))
        assert np.array_equal(v2.v, h.v) and (v2.scale, v2.shift) == (h.scale, h.shift), name
        ref = spmm_ref(p, h)
        for i, r in enumerate(rows):
            r2 = decode_p(p, encode_p(p, r))
            assert r2.last == (i == h.n_q - 1)
            assert np.array_equal(r2.cols, h.cols[i]) and np.array_equal(r2.probs, h.probs[i])
            assert np.array_equal(row_out(p, v2, r2)[0], ref[i]), (name, i)


def test_stream_encoders_refuse_bad_input_with_the_rule():
    from models.spmm import PRow, VLoad, encode_p, encode_v

    p = CONFIGS["typical"]
    with pytest.raises(ValueError, match="values must be integers"):
        encode_v(p, VLoad(np.full((2, p.head_dim), 0.5)))
    with pytest.raises(ValueError, match="at most max_keys"):
        encode_p(p, PRow(np.array([1]), np.array([3]), False, p.max_keys + 1))
    with pytest.raises(ValueError, match="out of range"):
        encode_p(p, PRow(np.array([5]), np.array([3]), False, 4))
