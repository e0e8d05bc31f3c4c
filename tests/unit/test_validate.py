"""Bad input into the model functions (issue 11, item 4): one sentence naming the rule and the
fix (models.params.ParamError), raised before anything runs, through models.validate."""

import numpy as np
import pytest

from models.conv import conv2d_int
from models.delta_lstm import (
    DeltaLstmParams,
    LstmWeights,
    delta_lstm_seq,
    quantise_lstm,
    random_float_lstm,
)
from models.delta_lstm import (
    expected_cycles as dl_cycles,
)
from models.fixed import quantise
from models.gemm import GemmParams, GemmTile, expected_cycles, gemm_ref
from models.nm_gemm import compress, prune_nm
from models.params import ParamError

P = GemmParams()
DL = DeltaLstmParams()


def _lstm(p=DL):
    return random_float_lstm(p, np.random.default_rng(0))


def _ints(shape, hi=5):
    return np.random.default_rng(1).integers(-hi, hi + 1, shape)


CASES = {
    # float arrays where integers are required (they used to be truncated silently)
    "conv2d float input": (lambda: conv2d_int(np.full((1, 4, 4), 0.5), _ints((2, 1, 3, 3))),
                           r"conv2d: input x: values must be integers \(got a float64 array "
                           r"of shape \(1, 4, 4\)\); quantise float data first"),
    "conv2d float weights": (lambda: conv2d_int(_ints((1, 4, 4)), np.ones((2, 1, 3, 3))),
                             r"conv2d: weights w: values must be integers"),
    "gemm_ref float A": (lambda: gemm_ref(P, GemmTile(np.ones((4, 3)) * 0.5, _ints((3, 4)))),
                         r"gemm: A: values must be integers"),
    "delta_lstm_seq float xs": (lambda: delta_lstm_seq(DL, quantise_lstm(DL, *_lstm()),
                                                       np.full((3, 8), 0.25)),
                                r"delta_lstm: xs: values must be integers.*quantise"),
    "compress float": (lambda: compress(np.ones((2, 8)) * 0.5, 2, 4),
                       r"compress: matrix: values must be integers"),
    # NaN / inf
    "NaN into an integer slot": (lambda: gemm_ref(P, GemmTile(np.full((4, 2), np.nan),
                                                              _ints((2, 4)))),
                                 r"gemm: A: values must be finite integers .*NaN or inf"),
    "NaN weights into quantise_lstm": (
        lambda: quantise_lstm(DL, np.full((32, 8), np.nan), *_lstm()[1:]),
        r"quantise_lstm: w_ih: values must be finite \(got 256 NaN or inf of 256\); clean"),
    "inf into prune_nm": (lambda: prune_nm(np.array([[1.0, np.inf, 0.0, 2.0]]), 2, 4),
                          r"prune_nm: matrix: values must be finite \(got 1 NaN or inf"),
    "NaN into quantise": (lambda: quantise(np.array([np.nan]), 7, 8),
                          r"quantise: x: values must be finite"),
    # wrong shapes
    "conv2d 2-D input": (lambda: conv2d_int(_ints((4, 4)), _ints((2, 1, 3, 3))),
                         r"conv2d: input x: must be 3-D \(C_in, H, W\)"),
    "conv2d 3-D weights": (lambda: conv2d_int(_ints((1, 4, 4)), _ints((2, 3, 3))),
                           r"conv2d: weights w: must be 4-D \(C_out, C_in, kh, kw\)"),
    "quantise_lstm w_hh shape": (
        lambda: quantise_lstm(DL, _lstm()[0], np.zeros((32, 7)), *_lstm()[2:]),
        r"quantise_lstm: w_hh: must have shape \(32, 8\) \(4H, H\): dimension 1 is 7, not 8"),
    "delta_lstm_seq xs width": (lambda: delta_lstm_seq(DL, quantise_lstm(DL, *_lstm()),
                                                       _ints((3, 7))),
                                r"delta_lstm: xs: must have shape \(\*, 8\)"),
    "prune_nm K not whole groups": (lambda: prune_nm(np.ones((2, 6)), 2, 4),
                                    r"multiple of m=4 columns .*pad K with zero columns"),
    # values out of the format's range
    "gemm operand out of range": (lambda: gemm_ref(P, GemmTile(np.full((4, 2), 200),
                                                               _ints((2, 4)))),
                                  r"gemm: A: value 200 does not fit a 8-bit signed field "
                                  r"\[-128, 127\] \(got 8 of 8 values outside\); requantise"),
    "conv2d operand out of in_bits": (lambda: conv2d_int(np.full((1, 4, 4), 300),
                                                         _ints((2, 1, 3, 3)), in_bits=8),
                                      r"conv2d: input x: value 300 does not fit a 8-bit"),
    "delta_lstm x out of Q8.8": (lambda: delta_lstm_seq(DL, quantise_lstm(DL, *_lstm()),
                                                        np.full((2, 8), 1 << 15)),
                                 r"delta_lstm: xs: value 32768 does not fit a 16-bit"),
    # weights the config cannot store
    "quantise_lstm prune=False over keep": (
        lambda: quantise_lstm(DL, *_lstm(), prune=False),
        r"delta_lstm weights: PE 0 column 0 has 8 non-zero weights but keep=2 stores at most 2 "
        r"per \(PE, column\) .*prune them \(prune=True\) or use keep=8"),
    # the cycle models' inputs
    "gemm cycles K float": (lambda: expected_cycles(P, [3.0]),
                            r"gemm: ks \(K of every tile\)\[0\]: must be an integer"),
    "gemm cycles K out of range": (lambda: expected_cycles(P, [0]),
                                   r"gemm: ks \(K of every tile\)\[0\]: must be in \[1, 4096\]"),
    "delta_lstm cycles float": (lambda: dl_cycles(DL, [1.5]),
                                r"delta_lstm: fired columns per step\[0\]: must be an integer"),
    "conv2d stride 0": (lambda: conv2d_int(_ints((1, 4, 4)), _ints((2, 1, 3, 3)), stride=0),
                        r"conv2d: stride: must be >= 1 \(got 0\)"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gets_one_sentence(case):
    call, rule = CASES[case]
    with pytest.raises(ParamError, match=rule) as e:
        call()
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 400, msg


def test_prune_nm_ranks_float_weights_without_truncating():
    """The bug of the issue: float weights in (-1, 1) were cast to int (all 0) first."""
    w = np.random.default_rng(3).uniform(-0.9, 0.9, (6, 48))
    pruned = prune_nm(w, 2, 4)
    assert pruned.dtype == np.float64
    assert np.count_nonzero(pruned) == 6 * 48 // 2  # 2 of every 4 kept
    g = np.abs(w).reshape(6, 12, 4)
    kept = np.abs(pruned).reshape(6, 12, 4)
    # the kept ones are the two largest of each group
    assert np.allclose(np.sort(g, axis=-1)[..., 2:], np.sort(kept, axis=-1)[..., 2:])


def test_good_input_still_runs():
    wt = quantise_lstm(DL, *_lstm())
    assert isinstance(wt, LstmWeights)
    y = conv2d_int(_ints((1, 5, 5)), _ints((2, 1, 3, 3)), in_bits=8)
    assert y.shape == (2, 3, 3)


def test_quantise_lstm_clipping_is_never_silent():
    """Weights past Q1.7 (the default format) warn with the count and the w_frac that fits."""
    from models.validate import ClipWarning

    w_ih, w_hh, b_ih, b_hh = _lstm()
    w_ih = w_ih.copy()
    w_ih[0, :3] = 1.6  # 3 weights beyond Q1.7's 127/128
    with pytest.warns(ClipWarning, match=r"delta_lstm weights: 3 of 512 values clipped by Q1.7; "
                                         r"w_frac=6 \(Q2.6\) would not clip"):
        quantise_lstm(DL, w_ih, w_hh, b_ih, b_hh)
