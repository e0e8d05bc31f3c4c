"""Benchmark (issue 13, item 3): the tiles of real conv layers on gemm and nm_gemm (2:4).

The layers are the two 3x3 conv layers of the digits CNN (models/cnn_digits.py, trained by
tools/cnn_digits.py, weights data/cnn_digits/cnn.npz), on ``N_RTL`` real test images of
``load_digits`` (the eie fixture's test split). Each layer goes through the layer API
(zeroskip.linear on its im2col patches, the conv as its GEMM: symmetric INT8 quantisation,
2:4 pruning for nm_gemm with models.nm_gemm.prune_nm, the tiles of models.conv.gemm_tiles)
with ``backend="verilator"`` in fast mode (tb/common/user_tests.py: no idle cycles, no
backpressure), which raises unless the RTL's outputs equal the bit-exact model's.

Per layer and block: K (2:4: padded to whole groups of 4, K*n/m beats per tile), tiles,
measured busy cycles (first input to last output of the one run, so one fill and drain
included), cycles per tile, utilisation K / (cycles per tile) for gemm, nm_gemm's speed-up
over gemm, the port-bound ideal per tile max(K, R) resp. max(K*n/m, R) (R output rows of one
beat each) and the input port's bits per cycle (s_axis_tdata width) of each. "Before" is a
FORMULA, not a measurement: ``models.gemm.old_expected_cycles`` (the array before overlapped
tiles) over the same tiles, one fill and drain included as in the measured figure. The test fails
unless the measured cycles equal the block's cycle model (tolerance 0) and the cycles per tile
are within 10 % of that ideal (issue 13's gate, as in bench-tiles).

Side figure: test accuracy of the float network, of the one with both conv layers as INT8
(model backend, the same integers as the RTL) and as 2:4-pruned INT8 (no fine-tuning) on all
test images; the classifier stays float on the host.

Run: ``make bench-conv`` (a slow test). Writes ``build/bench/conv.{csv,json}``; prints the table.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.cnn_digits import (
    CONVS,
    accuracy,
    conv_forward,
    im2col_batch,
    load_cnn,
    logits,
    split_images,
)
from models.configs import get_config
from models.gemm import old_expected_cycles
from tools.plots import ROOT, conv_bench_plot, write_rows
from zeroskip import linear

SIM = "verilator"
MODE = "fast"
CONFIG = "typical"  # 4 x 4 arrays, INT8 (the layer API's format)
NM = (2, 4)  # n, m
N_RTL = 16  # test images whose tiles run on the RTL (conv1: 2 x 256 tiles on 4 x 4)
KERNEL = 3
GATE_SHARE = 0.9  # issue 13's gate (as bench-tiles): cycles per tile within 10 % of the ideal


def conv_layer(w, x, stride, pad, *, nm=None, backend="model", seed=None):
    """One conv layer + ReLU as the layer API's linear on its im2col patches: returns the
    float output (n, C_out, H_out, W_out) and the report."""
    n = len(x)
    cols = im2col_batch(x, KERNEL, stride, pad)  # (n, K, P)
    p_out = cols.shape[2]
    patches = cols.transpose(0, 2, 1).reshape(n * p_out, -1)
    kw = dict(block="nm_gemm", nm=nm) if nm else dict(block="gemm")
    r = linear(w.reshape(w.shape[0], -1), patches, relu=True, config=CONFIG, backend=backend,
               seed=seed, **kw)
    side = int(round(np.sqrt(p_out)))
    y = r.y.reshape(n, p_out, -1).transpose(0, 2, 1).reshape(n, -1, side, side)
    return y, r.report


def int_accuracy(net, x, y, nm=None) -> float:
    def conv(i, h):
        _, stride, pad = CONVS[i]
        return conv_layer(net.conv[i], h, stride, pad, nm=nm)[0]
    return accuracy(logits(net, x, conv), y)


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_bench_conv(seed):
    net = load_cnn()
    x, y = split_images("test")
    acc = dict(float=accuracy(logits(net, x), y), int8=int_accuracy(net, x, y),
               int8_2of4=int_accuracy(net, x, y, NM))
    dense_p = get_config("gemm", CONFIG)
    nm_p = get_config("nm_gemm", CONFIG).replace(n=NM[0], m=NM[1])
    R, C = dense_p.rows, dense_p.cols
    assert (nm_p.rows, nm_p.cols) == (R, C), "unequal PE counts"
    rows, h = [], x[:N_RTL]
    for i, (name, stride, pad) in enumerate(CONVS):
        w = net.conv[i]
        k = w[0].size
        _, d = conv_layer(w, h, stride, pad, backend=SIM, seed=seed)
        _, s = conv_layer(w, h, stride, pad, nm=NM, backend=SIM, seed=seed)
        assert d.rtl_equals_model and s.rtl_equals_model
        for name_b, rep in (("gemm", d), ("nm_gemm", s)):
            assert rep.cycles_measured == rep.cycles_model, (
                f"{name}: {name_b} measured {rep.cycles_measured} cycles, its cycle model "
                f"{rep.cycles_model} (tolerance 0)")
        k_d = d.extra["reduction K (with bias columns)"]
        k_s = s.extra["reduction K (with bias columns)"]
        assert k_d == k, f"{name}: gemm K {k_d} != the layer's {k} (a bias column?)"
        s_beats = k_s * NM[0] // NM[1]
        d_ct, s_ct = d.cycles_measured / d.transactions, s.cycles_measured / s.transactions
        d_ideal, s_ideal = max(k, R), max(s_beats, R)
        d_old = old_expected_cycles(dense_p, [k] * d.transactions) / d.transactions
        s_old = old_expected_cycles(dense_p, [s_beats] * s.transactions) / s.transactions
        for name_b, ct, ideal in (("gemm", d_ct, d_ideal), ("nm_gemm", s_ct, s_ideal)):
            assert ideal / ct >= GATE_SHARE, (
                f"{name}: {name_b} {ct:.2f} cycles per tile, ideal {ideal}")
        rows.append(dict(
            layer=name, shape=f"{w.shape[1]}->{w.shape[0]} /{stride}", array=f"{R}x{C}",
            images=N_RTL, k=k, k_nm=k_s, nm_beats=s_beats,
            gemm_tiles=d.transactions, gemm_cycles=d.cycles_measured,
            gemm_cycles_model=d.cycles_model, gemm_cycles_per_tile=round(d_ct, 3),
            gemm_ideal=d_ideal, gemm_util=round(k / d_ct, 4),
            nm_tiles=s.transactions, nm_cycles=s.cycles_measured,
            nm_cycles_model=s.cycles_model, nm_cycles_per_tile=round(s_ct, 3),
            nm_ideal=s_ideal, speedup=round(d_ct / s_ct, 4),
            speedup_ideal=round(d_ideal / s_ideal, 4),
            gemm_cycles_per_tile_before_formula=round(d_old, 3),
            nm_cycles_per_tile_before_formula=round(s_old, 3),
            gemm_util_before_formula=round(k / d_old, 4),
            speedup_before_formula=round(d_old / s_old, 4),
            gemm_in_bits=dense_p.in_width, nm_in_bits=nm_p.in_width,
            speedup_per_bit=round(d_ct / s_ct * dense_p.in_width / nm_p.in_width, 4)))
        h = conv_forward(w, h, stride, pad)  # the next layer's input: the float network's
    head = ("layer  shape      K  tiles  gemm cyc  c/t  ideal  util   K_nm beats  nm cyc  "
            "c/t  ideal  speed-up  ideal  bits g/nm  per-bit  before: util  speed-up\n"
            + "-" * 136)
    lines = [f"{r['layer']:<6} {r['shape']:<8} {r['k']:>3} {r['gemm_tiles']:>6} "
             f"{r['gemm_cycles']:>9} {r['gemm_cycles_per_tile']:>5.2f} {r['gemm_ideal']:>5} "
             f"{r['gemm_util']:>6.3f} {r['k_nm']:>5} {r['nm_beats']:>5} {r['nm_cycles']:>7} "
             f"{r['nm_cycles_per_tile']:>5.2f} {r['nm_ideal']:>5} {r['speedup']:>9.3f} "
             f"{r['speedup_ideal']:>6.2f}  {r['gemm_in_bits']:>4}/{r['nm_in_bits']:<4} "
             f"{r['speedup_per_bit']:>8.3f}  {r['gemm_util_before_formula']:>12.3f} "
             f"{r['speedup_before_formula']:>9.3f}" for r in rows]
    print(f"\ndigits CNN conv layers, {N_RTL} test images, {CONFIG} ({R}x{C}), {SIM} {MODE} "
          f"mode, no idle/backpressure, seed {seed}; c/t = measured cycles / tiles (one fill "
          f"and drain included); before = FORMULA (models.gemm.old_expected_cycles), not "
          f"measured\n{head}\n" + "\n".join(lines))
    print(f"test accuracy ({len(y)} images): float {acc['float']:.4f}, INT8 conv layers "
          f"{acc['int8']:.4f}, INT8 2:4-pruned conv layers (no fine-tuning) "
          f"{acc['int8_2of4']:.4f}")
    for r in rows:
        r.update({f"acc_{k}": v for k, v in acc.items()})
    js, cs = write_rows(rows, ROOT / "build" / "bench" / "conv")
    png = conv_bench_plot(rows, f"make bench-conv: digits CNN, {CONFIG} {R}x{C}, {N_RTL} "
                                f"images; labels: 2:4 speed-up", "conv")
    print(f"rows: {js}, {cs}; plot: {png}")
