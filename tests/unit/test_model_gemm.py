"""The gemm and conv2d models against independent float64 references, plus format and cycles."""

import numpy as np
import pytest

from models.conv import conv2d_int, im2col
from models.fixed import smax, smin
from models.gemm import (
    GemmParams,
    GemmTile,
    acc_bits_needed,
    decode_rows,
    decode_tile,
    encode_tile,
    expected_cycles,
    gemm_ref,
    old_expected_cycles,
    random_tile,
)
from models.params import ParamError, params_from_json

N_CASES = 60  # random shapes per property


def float_gemm(a, b):
    """Independent reference: float64 matmul (exact for |values| < 2**53)."""
    return np.asarray(a, dtype=np.float64) @ np.asarray(b, dtype=np.float64)


def test_gemm_equals_float_reference_without_requant(seed):
    rng = np.random.default_rng(seed)
    for _ in range(N_CASES):
        p = GemmParams(rows=int(rng.integers(1, 9)), cols=int(rng.integers(1, 9)),
                       requant=False)
        t = random_tile(p, rng, int(rng.integers(1, 300)))
        t.relu = False
        assert np.array_equal(gemm_ref(p, t), float_gemm(t.a, t.b).astype(np.int64))


def test_requant_error_is_at_most_half_an_lsb(seed):
    """Error budget: round half up of the exact rational acc*scale/2**shift is within 1/2 LSB
    of it, unless the result saturates (then it is the clamp of the rounded value)."""
    rng = np.random.default_rng(seed)
    p = GemmParams()
    for _ in range(N_CASES):
        t = random_tile(p, rng, int(rng.integers(1, 200)))
        t.relu = False
        exact = float_gemm(t.a, t.b) * t.scale / 2.0**t.shift
        got = gemm_ref(p, t)
        inside = (exact > smin(8)) & (exact < smax(8))
        assert np.all(np.abs(got[inside] - exact[inside]) <= 0.5)
        assert np.all(got[exact >= smax(8)] == smax(8))
        assert np.all(got[exact <= smin(8) - 0.5] == smin(8))


def test_relu_clamps_negatives_only(seed):
    rng = np.random.default_rng(seed)
    p = GemmParams(requant=False)
    t = random_tile(p, rng, 16)
    t.relu = True
    assert np.array_equal(gemm_ref(p, t), np.maximum(float_gemm(t.a, t.b), 0).astype(np.int64))


def test_worst_case_accumulator_fits():
    """max_k products of (-128)*(-128) fit the accumulator the params insist on."""
    p = GemmParams(rows=1, cols=1, max_k=4096, acc_width=acc_bits_needed(8, 4096),
                   requant=False)
    a = np.full((1, p.max_k), smin(8))
    b = np.full((p.max_k, 1), smin(8))
    y = gemm_ref(p, GemmTile(a, b))
    assert y[0, 0] == p.max_k * 2**14 <= smax(p.acc_width)


@pytest.mark.parametrize("bad, rule", [
    (dict(rows=0), "rows must be in"),
    (dict(cols=17), "cols must be in"),
    (dict(acc_width=20), "acc_width must be >= 28"),
    (dict(data_width=1), "data_width must be in"),
    (dict(rows=2.5), "rows must be an integer"),
    (dict(requant=1), "requant must be true or false"),
])
def test_params_name_the_broken_rule(bad, rule):
    with pytest.raises(ParamError, match=rule):
        GemmParams(**bad)


def test_tile_errors_name_the_rule():
    p = GemmParams(max_k=8)
    with pytest.raises(ValueError, match=r"K must be in \[1, max_k=8\]"):
        gemm_ref(p, GemmTile(np.zeros((4, 9), int), np.zeros((9, 4), int)))
    with pytest.raises(ValueError, match="does not fit a 8-bit"):
        gemm_ref(p, GemmTile(np.full((4, 2), 200), np.zeros((2, 4), int)))
    with pytest.raises(ValueError, match="B must have shape"):
        gemm_ref(p, GemmTile(np.zeros((4, 2), int), np.zeros((3, 4), int)))


def test_params_json_round_trip_and_tag():
    p = GemmParams(rows=3, cols=5)
    assert params_from_json(p.to_json()) == p
    assert p.module_name == "gemm_r3c5w8a32q1"


def test_stream_format_round_trip(seed):
    rng = np.random.default_rng(seed)
    for requant in (False, True):
        p = GemmParams(rows=3, cols=5, requant=requant)
        t = random_tile(p, rng, 7)
        back = decode_tile(p, encode_tile(p, t))
        assert np.array_equal(back.a, t.a) and np.array_equal(back.b, t.b)
        assert (back.scale, back.shift, back.relu) == ((t.scale, t.shift) if requant else
                                                       (1, 0)) + (t.relu,)
        y = gemm_ref(p, t)
        from models.fixed import pack
        beats = [(pack(row, p.out_width), i == p.rows - 1, 0) for i, row in enumerate(y)]
        assert np.array_equal(decode_rows(p, beats), y)


def test_expected_cycles_timeline():
    p = GemmParams(rows=4, cols=4)
    # one tile: K beats (tlast at edge K - 1), then C + R edges to the last output row
    assert expected_cycles(p, [10]) == 10 + 4 + 4
    # long tiles back to back overlap: each adds exactly its K beats
    assert expected_cycles(p, [256] * 3) - expected_cycles(p, [256] * 2) == 256
    # short tiles are output-bound: each adds its R rows, however short K is
    assert expected_cycles(p, [1] * 5) - expected_cycles(p, [1] * 4) == p.rows
    assert expected_cycles(p, [10, 1, 10]) == 10 + 4 + 10 + 8
    # a one-row array has no spacing: K = 1 tiles take a cycle each
    flat = GemmParams(rows=1, cols=8, requant=False)
    assert expected_cycles(flat, [1] * 6) - expected_cycles(flat, [1] * 5) == 1
    # the "before" formula: K + R + C per long tile, the flush and hand-off of the old array
    assert old_expected_cycles(p, [256] * 3) - old_expected_cycles(p, [256] * 2) == 256 + 8


def float_conv2d(x, w, stride, pad):
    """Independent reference: direct nested loops in float64."""
    cout, cin, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad)))
    ho = (x.shape[1] + 2 * pad - kh) // stride + 1
    wo = (x.shape[2] + 2 * pad - kw) // stride + 1
    y = np.zeros((cout, ho, wo))
    for o in range(cout):
        for i in range(ho):
            for j in range(wo):
                y[o, i, j] = np.sum(xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw]
                                    * w[o])
    return y


def test_conv2d_int_equals_float_conv(seed):
    rng = np.random.default_rng(seed)
    for _ in range(12):
        cin, cout = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        k, stride, pad = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(0, 2))
        h, w_ = int(rng.integers(k, 9)), int(rng.integers(k, 9))
        x = rng.integers(-128, 128, size=(cin, h, w_))
        w = rng.integers(-128, 128, size=(cout, cin, k, k))
        assert np.array_equal(conv2d_int(x, w, stride, pad), float_conv2d(x, w, stride, pad))


def test_quantised_conv_error_budget(seed):
    """Float conv of real-valued data vs the INT8 path: quantising x and w (step sx, sw) to
    the nearest level errs by <= sx/2, sw/2 per element, so the output error is bounded by
    sum(|w|)*sx/2 + sum(|x|)*sw/2 + K*sx*sw/4 over each receptive field (K taps)."""
    rng = np.random.default_rng(seed)
    xf = rng.normal(size=(3, 8, 8))
    wf = rng.normal(scale=0.3, size=(4, 3, 3, 3))
    sx, sw = np.abs(xf).max() / 127, np.abs(wf).max() / 127
    xq = np.clip(np.round(xf / sx), -128, 127).astype(np.int64)
    wq = np.clip(np.round(wf / sw), -128, 127).astype(np.int64)
    got = conv2d_int(xq, wq, 1, 1) * sx * sw
    want = float_conv2d(xf, wf, 1, 1)
    taps = 3 * 3 * 3
    bound = (float_conv2d(np.ones_like(xf), np.abs(wf), 1, 1) * sx / 2
             + float_conv2d(np.abs(xf), np.ones_like(wf), 1, 1) * sw / 2 + taps * sx * sw / 4)
    assert np.all(np.abs(got - want) <= bound + 1e-12)


def test_im2col_rejects_bad_shapes():
    with pytest.raises(ValueError, match="does not fit an input"):
        im2col(np.zeros((1, 2, 2)), 5, 5)
