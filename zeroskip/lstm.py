"""The DeltaLSTM layer on the ``delta_lstm`` block: PyTorch ``nn.LSTM`` float weights in.

``delta_lstm(w_ih, w_hh, b_ih, b_hh, xs)`` sizes the block from the weights (I, H), chooses
the weight format from the weights' range unless ``w_frac`` is given (the most fraction bits
whose ``w_width``-bit range still holds max |w|: Q1.7 clips a trained cell whose weights
exceed 1), widens ``acc_width`` to what the format needs, optionally CBTD-prunes (``keep`` <
rows_per_pe), quantises x, weights and bias to the block's fixed-point formats (counting
what clips: a :class:`~zeroskip.quant.ClipWarning` names the count and a format that would not
clip), runs the bit-exact model (or the RTL), and reports the error against the float layer,
temporal sparsity, cycles (model and measured) and PE utilisation.
"""

from __future__ import annotations

import math

import numpy as np

from models.delta_lstm import (
    DeltaLstmParams,
    acc_bits_needed,
    delta_lstm_seq,
    dense_cycles,
    expected_cycles,
    float_lstm_step,
    quantise_act,
    quantise_lstm,
    temporal_sparsity,
    to_float,
)
from models.delta_lstm.cbtd import cbtd_prune_keep
from models.delta_lstm.weights import weight_frac
from models.fixed import n_saturated
from models.validate import fail, float_array, int_scalar
from zeroskip.quant import warn_clipped
from zeroskip.report import LayerReport, LayerResult, error_stats
from zeroskip.rtl import RtlMismatch, check_backend, run_block

#: the block's default thresholds are Spartus' 0.1 (in the act format); the layer API's
#: default is 0: a plain quantised LSTM, every change fires (pass theta=0.1 for Spartus)
DEFAULT_THETA = 0.0
#: defaults of the layer's shape knobs: the typical config's 4 PEs and 4 lanes (4 PEs divide
#: every 4H), the weights' width its 8 bits
DEFAULT_PE = 4
DEFAULT_LANES = 4
DEFAULT_W_WIDTH = 8


n_clipped = n_saturated  # what quantise saturates (models.fixed.n_saturated)


def _float_lstm(w_ih, w_hh, b_ih, b_hh, xs) -> np.ndarray:
    h = np.zeros(w_hh.shape[1])
    c = np.zeros(w_hh.shape[1])
    out = np.zeros((len(xs), len(h)))
    for t, x in enumerate(xs):
        h, c = float_lstm_step(w_ih, w_hh, b_ih, b_hh, x, h, c)
        out[t] = h
    return out


def lstm_params(input_size: int, hidden_size: int, *, num_pe: int = DEFAULT_PE,
                keep: int | None = None, act_lanes: int | None = None,
                w_width: int = DEFAULT_W_WIDTH, w_frac: int = DEFAULT_W_WIDTH - 1,
                theta: float = DEFAULT_THETA, base: DeltaLstmParams | None = None
                ) -> DeltaLstmParams:
    """Params for an I -> H layer: ``keep`` defaults to rows_per_pe (dense), ``act_lanes`` to
    min(DEFAULT_LANES, H), ``acc_width`` to what the weight format needs (at least the base's)."""
    b = base or DeltaLstmParams()
    rows = 4 * hidden_size
    if rows % num_pe:
        fail("delta_lstm", f"num_pe must divide 4H = {rows}", num_pe,
             "pick a divisor of 4 * hidden_size")
    rpp = rows // num_pe
    need = acc_bits_needed(input_size, hidden_size, b.act_width, w_width, w_frac)
    thr = int(math.floor(float(theta) * (1 << b.act_frac) + 0.5))
    lanes = min(DEFAULT_LANES, hidden_size) if act_lanes is None else int(act_lanes)
    return b.replace(input_size=input_size, hidden_size=hidden_size, num_pe=num_pe,
                     keep=rpp if keep is None else int(keep), act_lanes=lanes,
                     w_width=w_width, w_frac=w_frac, acc_width=max(b.acc_width, need),
                     theta_x=thr, theta_h=thr)


def delta_lstm(w_ih, w_hh, b_ih, b_hh, xs, *, num_pe: int = DEFAULT_PE,
               keep: int | None = None, act_lanes: int | None = None,
               w_width: int = DEFAULT_W_WIDTH, w_frac: int | None = None,
               theta: float = DEFAULT_THETA, params: DeltaLstmParams | None = None,
               backend: str = "model", seed: int | None = None,
               rtl_options: dict | None = None) -> LayerResult:
    """One ``nn.LSTM`` layer (gate order i, f, g, o; ``w_ih`` (4H, I), ``w_hh`` (4H, H),
    ``b_ih``/``b_hh`` (4H,)) on a sequence ``xs`` (T, I) from the zero state. ``theta`` is the
    delta threshold in the activations' units (both x and h); ``keep`` < rows_per_pe prunes
    CBTD; ``params`` overrides everything the layer would choose; ``rtl_options`` as in
    :func:`zeroskip.layers.linear`. Returns ``y`` (T, H)."""
    backend = check_backend(backend)
    w_ih = float_array(w_ih, "delta_lstm: w_ih", ndim=2, names="(4H, I)")
    w_hh = float_array(w_hh, "delta_lstm: w_hh", ndim=2, names="(4H, H)")
    h_n, i_n = w_hh.shape[1], w_ih.shape[1]
    xs = float_array(xs, "delta_lstm: xs", shape=(None, i_n), names="(T, I)")
    b_ih = float_array(b_ih, "delta_lstm: b_ih", shape=(4 * h_n,), names="(4H,)")
    b_hh = float_array(b_hh, "delta_lstm: b_hh", shape=(4 * h_n,), names="(4H,)")
    chosen = "given"
    if params is None:
        int_scalar(w_width, "delta_lstm: w_width", 2, 16)
        p0 = lstm_params(i_n, h_n, num_pe=num_pe, keep=keep, act_lanes=act_lanes,
                         w_width=w_width, theta=theta)
        w_all = np.hstack([w_ih, w_hh])
        w_kept = cbtd_prune_keep(w_all, p0.num_pe, p0.keep) if p0.keep < p0.rows_per_pe \
            else w_all
        if w_frac is None:
            w_frac, chosen = weight_frac(w_kept, w_width), "from the weights' range"
        p = lstm_params(i_n, h_n, num_pe=num_pe, keep=keep, act_lanes=act_lanes,
                        w_width=w_width, w_frac=w_frac, theta=theta)
    else:
        p = params
        if (p.input_size, p.hidden_size) != (i_n, h_n):
            fail("delta_lstm", f"params are for {p.input_size} -> {p.hidden_size}, the weights "
                 f"are {i_n} -> {h_n}", p.tag, "leave params=None to size them from the weights")
    prune = p.keep < p.rows_per_pe
    wt = quantise_lstm(p, w_ih, w_hh, b_ih, b_hh, prune=prune, warn=False)  # reported below
    w_used = np.hstack([w_ih, w_hh])
    if prune:
        w_used = cbtd_prune_keep(w_used, p.num_pe, p.keep)
    clip_w = n_clipped(w_used, p.w_frac, p.w_width)
    clip_x = n_clipped(xs, p.act_frac, p.act_width)
    clip_b = n_clipped(b_ih + b_hh, p.act_frac, p.act_width)
    xq = quantise_act(p, xs)
    hs, _, stats = delta_lstm_seq(p, wt, xq)
    rtl = None
    same = None
    if backend != "model":
        rtl = run_block(p, [wt, *xq], backend, seed=seed, **(rtl_options or {}))
        got = np.array([o["h"] for o in rtl.outputs["m_axis_h"]], dtype=np.int64)
        same = bool(got.shape == hs.shape and np.array_equal(got, hs))
        if not same:
            raise RtlMismatch(f"delta_lstm: the RTL's h differ from the model's (shapes "
                              f"{got.shape} and {hs.shape})")
        hs = got
    y = to_float(hs, p.act_frac)
    ref = _float_lstm(w_ih, w_hh, b_ih, b_hh, xs)
    err = {"float layer": error_stats(y, ref)}
    if prune:
        wp = w_used
        err["float layer pruned CBTD"] = error_stats(
            y, _float_lstm(wp[:, :i_n], wp[:, i_n:], b_ih, b_hh, xs))
    fired = [s.n_fired for s in stats]
    cyc = expected_cycles(p, fired)
    macs = sum(f * p.keep * p.num_pe for f in fired)
    ws = []
    fit = weight_frac(w_used, p.w_width)
    for what, n, total, remedy in (
            ("delta_lstm weights", clip_w, w_used.size,
             f"w_frac={fit} (Q{p.w_width - fit}.{fit}, or w_frac=None to choose it) would "
             "not clip"),
            ("delta_lstm inputs x", clip_x, xs.size,
             f"an act format with more integer bits than Q{p.act_width - p.act_frac}."
             f"{p.act_frac} (act_frac < {p.act_frac}) would not clip"),
            ("delta_lstm bias b_ih + b_hh", clip_b, b_ih.size,
             f"an act format with more integer bits than Q{p.act_width - p.act_frac}."
             f"{p.act_frac} would not clip")):
        m = warn_clipped(what, n, total, remedy)
        if m:
            ws.append(m)
    s = temporal_sparsity(p, stats)
    rep = LayerReport(
        layer="delta_lstm", block=p.BLOCK, config=p.tag, backend=backend,
        shapes={"w_ih": w_ih.shape, "w_hh": w_hh.shape, "xs": xs.shape, "y": y.shape},
        scales={"weights": f"Q{p.w_width - p.w_frac}.{p.w_frac} ({chosen})",
                "activations": f"Q{p.act_width - p.act_frac}.{p.act_frac}",
                "gates": f"Q2.{p.gate_frac}"},
        requant={}, error=err,
        clipped={"weights": clip_w, "inputs": clip_x, "bias": clip_b,
                 "pre-activations (model)": sum(st.pre_saturated for st in stats),
                 "cell (model)": sum(st.c_saturated for st in stats)},
        cycles_model=cyc, cycles_measured=rtl.cycles if rtl else None,
        utilisation=macs / (p.num_pe * cyc) if cyc else 0.0, transactions=1 + len(xs),
        rtl_equals_model=same,
        extra={"theta (x and h)": f"{p.theta_x} LSB", "CBTD keep": f"{p.keep} of "
               f"{p.rows_per_pe} rows per (PE, column)", "temporal sparsity": round(s, 4),
               "dense schedule cycles": dense_cycles(p, len(xs))},
        warnings=ws)
    return LayerResult(y, hs, 1.0 / (1 << p.act_frac), rep, extra={"params": p})


__all__ = ["DEFAULT_THETA", "delta_lstm", "lstm_params", "n_clipped", "weight_frac"]
