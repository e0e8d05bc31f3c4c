"""Quantised DeltaLSTM weights: :class:`LstmWeights`, their checks, and PyTorch-layout float
weights quantised (and CBTD-pruned), drawn at random or cropped to a config."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from models.delta_lstm.arith import quantise_act, quantise_weights
from models.delta_lstm.cbtd import cbtd_prune_keep
from models.delta_lstm.params import DeltaLstmParams
from models.fixed import check_signed, n_saturated
from models.validate import ClipWarning, fail, float_array, int_array


# -- weights ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LstmWeights:
    """Quantised layer: ``w`` (4H, I+H) Q1.7 = [W_ih | W_hh]; ``bias`` (4H,) Q8.8 = b_ih + b_hh."""

    w: np.ndarray
    bias: np.ndarray


def check_weights(p: DeltaLstmParams, wt: LstmWeights) -> None:
    """Raise ``ValueError`` naming the rule the weights break (shape or range)."""
    int_array(wt.w, "delta_lstm: w")
    int_array(wt.bias, "delta_lstm: bias")
    if wt.w.shape != (p.rows, p.cols):
        raise ValueError(f"delta_lstm: w must have shape (4H, I+H) = {(p.rows, p.cols)} "
                         f"(got {wt.w.shape})")
    if wt.bias.shape != (p.rows,):
        raise ValueError(f"delta_lstm: bias must have shape ({p.rows},) (got {wt.bias.shape})")
    check_signed(wt.w, p.w_width, "delta_lstm: w")
    check_signed(wt.bias, p.act_width, "delta_lstm: bias")


def check_capacity(p: DeltaLstmParams, w) -> None:
    """Raise ``ParamError`` when a (PE, column) of the integer matrix ``w`` holds more non-zero
    weights than the ``keep`` entries the CBTD memory stores for it."""
    w = np.asarray(w)
    nnz = np.count_nonzero(w.reshape(p.rows_per_pe, p.num_pe, p.cols), axis=0)  # (pe, col)
    if nnz.max(initial=0) > p.keep:
        pe, col = np.unravel_index(int(np.argmax(nnz)), nnz.shape)
        n_bad = int(np.count_nonzero(nnz > p.keep))
        fail("delta_lstm weights", f"PE {pe} column {col} has {int(nnz[pe, col])} non-zero "
             f"weights but keep={p.keep} stores at most {p.keep} per (PE, column)",
             f"{n_bad} of {nnz.size} (PE, column) pairs over", f"prune them (prune=True) or "
             f"use keep={int(nnz.max())} (rows_per_pe={p.rows_per_pe} stores a dense layer)")


def weight_frac(w, w_width: int) -> int:
    """Most fraction bits f in [0, w_width - 1] whose Q(w_width-f).f holds max |w| after
    rounding half up (``round(max|w| * 2**f) <= 2**(w_width-1) - 1``): the weight format that
    does not clip ``w``."""
    top = (1 << (w_width - 1)) - 1
    mx = float(np.abs(np.asarray(w, np.float64)).max(initial=0.0))
    for f in range(w_width - 1, -1, -1):
        if math.floor(mx * (1 << f) + 0.5) <= top:
            return f
    fail("delta_lstm weights", f"max |w| = {mx:.4g} does not fit {w_width} bits even as an "
         "integer", mx, "use a wider w_width")
    return 0


def quantise_lstm(p: DeltaLstmParams, w_ih, w_hh, b_ih, b_hh, *, prune: bool = True,
                  warn: bool = True) -> LstmWeights:
    """PyTorch-layout float weights -> :class:`LstmWeights`.

    ``w_ih`` (4H, I), ``w_hh`` (4H, H), ``b_ih``/``b_hh`` (4H,), gate order i, f, g, o. With
    ``prune`` the float matrix is CBTD-pruned to ``p.keep`` first (pruning before quantising
    cannot create non-zeros, so the result still has at most ``keep`` per (PE, column)).
    Clipped weights or biases are never silent: a ``ClipWarning`` names the count and the
    ``w_frac`` that would not clip (``warn=False``: the caller reports them itself).
    """
    rows, i_n, h_n = p.rows, p.input_size, p.hidden_size
    w_ih = float_array(w_ih, "quantise_lstm: w_ih", shape=(rows, i_n), names="(4H, I)")
    w_hh = float_array(w_hh, "quantise_lstm: w_hh", shape=(rows, h_n), names="(4H, H)")
    b_ih = float_array(b_ih, "quantise_lstm: b_ih", shape=(rows,), names="(4H,)")
    b_hh = float_array(b_hh, "quantise_lstm: b_hh", shape=(rows,), names="(4H,)")
    w = np.hstack([w_ih, w_hh])
    if prune:
        w = cbtd_prune_keep(w, p.num_pe, p.keep)
    wq = quantise_weights(p, w)
    n_w = n_saturated(w, p.w_frac, p.w_width)
    if warn and n_w:
        f = weight_frac(w, p.w_width)
        warnings.warn(f"delta_lstm weights: {n_w} of {w.size} values clipped by Q"
                      f"{p.w_width - p.w_frac}.{p.w_frac}; w_frac={f} (Q{p.w_width - f}.{f}) "
                      "would not clip", ClipWarning, stacklevel=2)
    if not prune:
        check_capacity(p, wq)
    b = b_ih + b_hh
    n_b = n_saturated(b, p.act_frac, p.act_width)
    if warn and n_b:
        warnings.warn(f"delta_lstm bias: {n_b} of {b.size} values (b_ih + b_hh) clipped by Q"
                      f"{p.act_width - p.act_frac}.{p.act_frac}; a format with more integer "
                      "bits (a smaller act_frac) would not clip", ClipWarning, stacklevel=2)
    wt = LstmWeights(wq, quantise_act(p, b))
    check_weights(p, wt)
    return wt


def random_float_lstm(p: DeltaLstmParams, rng: np.random.Generator, scale: float = 0.5,
                      bias_scale: float = 0.5):
    """Uniform float weights ``(w_ih, w_hh, b_ih, b_hh)`` in PyTorch layout."""
    w_ih = rng.uniform(-scale, scale, (p.rows, p.input_size))
    w_hh = rng.uniform(-scale, scale, (p.rows, p.hidden_size))
    b_ih = rng.uniform(-bias_scale, bias_scale, p.rows) / 2
    b_hh = rng.uniform(-bias_scale, bias_scale, p.rows) / 2
    return w_ih, w_hh, b_ih, b_hh


def crop_lstm(p: DeltaLstmParams, w_ih, w_hh, b_ih, b_hh):
    """A PyTorch-layout float layer cut down to ``p``'s first I inputs and H units (every
    gate block keeps its first H rows): real trained weights for configs smaller than the
    trained layer. Raises ``ValueError`` when the layer is smaller than ``p``."""
    w_ih, w_hh = np.asarray(w_ih, np.float64), np.asarray(w_hh, np.float64)
    h_full = w_hh.shape[1]
    if p.hidden_size > h_full or p.input_size > w_ih.shape[1]:
        raise ValueError(f"{p.BLOCK}: cannot crop a {w_ih.shape[1]} -> {h_full} layer to "
                         f"{p.input_size} -> {p.hidden_size}")
    rows = np.concatenate([g * h_full + np.arange(p.hidden_size) for g in range(4)])
    return (w_ih[rows, :p.input_size], w_hh[rows][:, rows[:p.hidden_size]],
            np.asarray(b_ih, np.float64)[rows], np.asarray(b_hh, np.float64)[rows])
