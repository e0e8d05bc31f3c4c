"""The sparse attention mask format: dense <-> rows <-> stream packets, every refusal rule, and
the loaders of the real ViTCoD data."""

import numpy as np
import pytest

import models.attn_mask as am
from models.attn_mask import (
    EMPTY,
    check_dense_mask,
    check_mask_rows,
    col_width,
    decode_mask,
    decode_mask_row,
    decode_value_row,
    encode_mask,
    encode_mask_row,
    encode_value_row,
    load_deit_global_counts,
    load_deit_masks,
    load_levit_probs,
    mask_beats,
    mask_to_rows,
    random_mask,
    rows_to_mask,
)

N_CASES = 40  # random masks per property


@pytest.mark.parametrize("n_k, bits", [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (197, 8),
                                       (256, 8), (257, 9)])
def test_col_width_is_bits_of_n_k_minus_one_at_least_one(n_k, bits):
    assert col_width(n_k) == bits


def test_documented_beat_layout():
    """The module-doc example, beat for beat."""
    assert encode_mask_row([0, 2, 3], 4) == [(0, False, 0), (2, False, 0), (3, True, 0)]
    assert encode_mask_row([], 4) == [(0, True, EMPTY)]
    assert encode_value_row([1, 3], [-1, 5], 4, 8, True) == [(1 | 0xFF << 2, False, 0),
                                                            (3 | 5 << 2, True, 0)]


def test_round_trips_on_random_masks(seed):
    rng = np.random.default_rng(seed)
    for _ in range(N_CASES):
        n_q, n_k = int(rng.integers(1, 30)), int(rng.integers(1, 300))
        e = int(rng.integers(0, n_q + 1))
        mask = random_mask(rng, n_q, n_k, float(rng.random()), empty_rows=e,
                           full_rows=int(rng.integers(0, n_q - e + 1)))
        rows = mask_to_rows(mask)
        assert np.array_equal(rows_to_mask(rows, n_k), mask)
        packets = encode_mask(mask)
        assert np.array_equal(decode_mask(packets, n_k), mask)
        assert sum(len(b) for b in packets) == mask_beats(mask)
        for r, (cols, beats) in enumerate(zip(rows, packets)):
            assert np.all(np.diff(cols) > 0)
            assert [b[1] for b in beats] == [False] * (len(beats) - 1) + [True]
            if cols.size == 0:
                assert beats == [(0, True, EMPTY)]
            assert np.array_equal(decode_mask_row(beats, n_k, r), cols)


def test_valued_rows_round_trip(seed):
    rng = np.random.default_rng(seed)
    for signed, bits in ((True, 16), (False, 8), (True, 2), (False, 1)):
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        for _ in range(N_CASES):
            n_k = int(rng.integers(1, 300))
            cols = np.flatnonzero(rng.random(n_k) < rng.random())
            vals = rng.integers(lo, hi + 1, size=cols.size)
            beats = encode_value_row(cols, vals, n_k, bits, signed)
            c, v = decode_value_row(beats, n_k, bits, signed)
            assert np.array_equal(c, cols) and np.array_equal(v, vals)


def test_real_deit_masks_round_trip_through_the_stream():
    masks = load_deit_masks()
    assert masks.shape == (12, 3, 197, 197) and masks.dtype == np.bool_
    assert 0.05 < masks.mean() < 0.06  # 94.7 % pruned -> 5.3 % kept
    for head in masks.reshape(-1, 197, 197):
        packets = encode_mask(head)
        assert np.array_equal(decode_mask(packets, 197), head)
        assert sum(len(b) for b in packets) == mask_beats(head)


# -- refusals: each names the row and the rule -------------------------------------------------
@pytest.mark.parametrize("rows, rule", [
    ([[0, 1], [2, 5]], r"mask row 1: column index 5 out of range \[0, 5\)"),
    ([[0], [-1]], r"mask row 1: column index -1 out of range"),
    ([[1], [3, 2]], r"mask row 1: column indices must be strictly ascending \(2 follows 3\)"),
    ([[1, 1]], r"mask row 0: column index 1 repeated"),
    ([[0.0, 1.0]], r"mask row 0: column indices must be a 1-D integer array"),
    ([[[0, 1]]], r"mask row 0: column indices must be a 1-D integer array"),
])
def test_bad_rows_are_refused(rows, rule):
    with pytest.raises(ValueError, match=rule):
        check_mask_rows([np.asarray(r) for r in rows], 5)
    with pytest.raises(ValueError, match=rule):
        rows_to_mask([np.asarray(r) for r in rows], 5)


@pytest.mark.parametrize("beats, rule", [
    ([(5, True, 0)], r"mask row 7: column index 5 out of range \[0, 5\)"),
    ([(8, True, 0)], r"mask row 7: beat 0: tdata 8 does not fit the 3-bit column field"),
    ([(3, False, 0), (1, True, 0)], r"mask row 7: column indices must be strictly ascending"),
    ([(2, False, 0), (2, True, 0)], r"mask row 7: column index 2 repeated"),
    ([(0, False, EMPTY), (1, True, 0)], r"mask row 7: EMPTY flag \(tuser bit 0\) on beat 0 of "
                                        r"a row that has other beats"),
    ([(1, False, 0), (0, True, EMPTY)], r"mask row 7: EMPTY flag .* on beat 1 of a row"),
    ([(3, True, EMPTY)], r"mask row 7: an EMPTY beat must have tdata 0"),
    ([(1, False, 0), (2, False, 0)], r"mask row 7: missing tlast"),
    ([(1, True, 0), (2, True, 0)], r"mask row 7: tlast on beat 0 of 2: extra beats after tlast"),
    ([], r"mask row 7: a row packet must have at least one beat"),
    ([(1, True, 2)], r"mask row 7: beat 0 sets reserved tuser bits"),
    ([(1, True)], r"mask row 7: beat 0 must be a \(tdata, tlast, tuser\) tuple"),
])
def test_bad_packets_are_refused(beats, rule):
    with pytest.raises(ValueError, match=rule):
        decode_mask_row(beats, 5, row=7)


def test_refusal_without_a_row_number_still_names_the_rule():
    with pytest.raises(ValueError, match=r"^attn_mask: mask row: missing tlast"):
        decode_mask_row([(1, False, 0)], 5)


def test_bad_valued_rows_are_refused():
    with pytest.raises(ValueError, match=r"mask row 2: value 128 does not fit a 8-bit signed"):
        encode_value_row([0], [128], 4, 8, True, row=2)
    with pytest.raises(ValueError, match=r"mask row 2: value -1 does not fit a 8-bit unsigned"):
        encode_value_row([0], [-1], 4, 8, False, row=2)
    with pytest.raises(ValueError, match=r"mask row 2: values must be a 1-D integer array of 2"):
        encode_value_row([0, 1], [3], 4, 8, True, row=2)
    with pytest.raises(ValueError, match=r"mask row 2: beat 0: tdata 1024 does not fit 2 column"):
        decode_value_row([(1024, True, 0)], 4, 8, True, row=2)
    with pytest.raises(ValueError, match=r"mask row 2: column index 2 repeated"):
        decode_value_row([(2, False, 0), (2 | 4, True, 0)], 4, 8, True, row=2)


@pytest.mark.parametrize("mask, shape, rule", [
    (np.ones((3, 4), dtype=np.int64), None, r"must be a bool numpy array, True = kept \(got int"),
    ([[True, False]], None, r"must be a bool numpy array.*\(got list\)"),
    (np.ones(4, dtype=bool), None, r"must be 2-D \(n_q, n_k\)"),
    (np.ones((0, 4), dtype=bool), None, r"must be 2-D \(n_q, n_k\) with n_q, n_k >= 1"),
    (np.ones((3, 4), dtype=bool), (4, 3), r"must have shape \(4, 3\) \(got \(3, 4\)\)"),
])
def test_bad_dense_masks_are_refused(mask, shape, rule):
    with pytest.raises(ValueError, match=rule):
        check_dense_mask(mask, shape)
    if shape is None:
        with pytest.raises(ValueError, match=rule):
            mask_to_rows(mask)


def test_random_mask_corners(seed):
    rng = np.random.default_rng(seed)
    m = random_mask(rng, 10, 7, 0.5, empty_rows=3, full_rows=2)
    kept = m.sum(axis=1)
    assert (kept == 0).sum() >= 3 and (kept == 7).sum() >= 2
    assert not random_mask(rng, 4, 4, 0.0).any() and random_mask(rng, 4, 4, 1.0).all()
    with pytest.raises(ValueError, match="density must be in"):
        random_mask(rng, 4, 4, 1.5)


# -- loaders --------------------------------------------------------------------------------
def test_loaders_return_the_documented_shapes():
    g = load_deit_global_counts()
    assert g.shape == (12, 3) and g.dtype == np.int64 and g.min() >= 1
    for depth, shape in ((1, (4, 8, 49, 49)), (2, (4, 12, 16, 16))):
        p = load_levit_probs(depth)
        assert p.shape == shape
        assert np.allclose(p.sum(axis=-1), 1.0, atol=1e-5)


def test_loader_inverts_vitcod_pruned_convention():
    raw = np.load(am.DEIT_DIR / "info_0.95.npy")
    assert np.array_equal(load_deit_masks(), ~raw)


def test_missing_file_gets_one_sentence(monkeypatch, tmp_path):
    monkeypatch.setattr(am, "DEIT_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"info_0.95.npy is missing; copy it from "
                                                 r"GATECH-EIC/ViTCoD"):
        load_deit_masks()
    with pytest.raises(ValueError, match="LeViT depth must be one of"):
        load_levit_probs(0)
