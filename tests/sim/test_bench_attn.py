"""The sparse attention benchmark on all 36 real DeiT-Tiny masks (12 layers x 3 heads,
197 x 197): measured RTL cycles of ``sparse_attn`` (fast mode, Verilator, bit-exact and
cycle-model checked by DeitLayerTest) for every head with its real mask and with every key
kept (dense attention on the same engines: the same PE count), and for every whole layer (its
three heads back to back, K/V reloads included) both ways.

Ideal (a formula, labelled as such): the engines do one kept entry per cycle each (the SDDMM's
d multipliers, the SpMM's d MACs), so a head's ideal is ``nnz`` cycles sparse and ``n_q * n_k``
dense, and the ideal speed-up is ``n_q n_k / nnz``. ViTCoD's own ideal (``n**2`` over its
dense part ``g n_q`` plus its sparse part, the PEs split in proportion: models/vitcod.py) is
printed next to it; it is never above ``n_q n_k / nnz`` (its dense part also computes the
pruned entries of the global columns), so the share is taken against the stricter one.

Issue 14 asks for a share >= ISSUE_FLOOR on every head. It is not reached on every head today,
and this benchmark says so on every run instead of asserting it: every stage of the head runs
at one kept entry per cycle and in row order, and the softmax cannot emit a row before the row
is loaded and summed, so the longest row of a head costs its length twice on top of the
head's ``nnz`` (every DeiT-Tiny head keeps all 197 keys of its class-token row 0): measured
cycles = nnz + 2 * 197 + PIPE_FILL on all 36 heads. A head with few other kept entries (589 of
197**2) reaches 0.60 of its ideal. What is asserted instead is that structural bound
(``sparse cycles <= nnz + 2 * longest row + PIPE_FILL``, so a regression fails) besides the
exact cycle model that DeitLayerTest checks on every run.

Run: ``make bench-attn`` (a slow test). Writes ``build/bench/attn_heads.{csv,json}``,
``build/bench/attn_layers.{csv,json}`` and ``build/plots/attn_speedup.png``.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.attn_mask import load_deit_masks
from models.configs import get_config
from models.softmax import EMIT_PIPE, RING_SLACK
from models.vitcod import split_head
from tb.sparse_attn.sequences import DENSE_ENV, HEADS_ENV
from tests.sim.runner import ROOT, report, run, setup_tools

SIM = "verilator"
TEST = "DeitLayerTest"
ISSUE_FLOOR = 0.8  # measured speed-up / ideal that issue 14 asks for on every head
#: pipeline fill of a head with no stalls, in cycles: the SDDMM's output register (1), the sum
#: pass waiting for the loaded row (1), the softmax's sum + reciprocal pipeline and the edge
#: on which the emit pass reads it (models.softmax.RING_SLACK), its emit pipeline
#: (models.softmax.EMIT_PIPE) and the SpMM's output register (1)
PIPE_FILL = 1 + 1 + RING_SLACK + EMIT_PIPE + 1
OUT = ROOT / "build" / "bench"
#: harness memory per stream: a dense layer is 3 x 197 x 197 = 116 k mask beats
DEPTH = 1 << 17


def _cycles(p, seed, heads, dense) -> dict:
    env = {HEADS_ENV: ",".join(f"{layer}:{head}" for layer, head in heads),
           DENSE_ENV: "1" if dense else "0"}
    res = run(p, SIM, seed=seed, test=TEST, mode="fast", fast_depth=DEPTH, env=env)
    assert res.ok, report(res)
    return next(r for r in res.rows if r["test"] == TEST)


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_bench_attn(seed):
    setup_tools(SIM)
    p = get_config("sparse_attn", "typical")
    masks = load_deit_masks()
    n_layers, n_heads, n_q, n_k = masks.shape
    heads, layers = [], []
    for layer in range(n_layers):
        for head in range(n_heads):
            mask = masks[layer, head]
            nnz = int(mask.sum())
            s = _cycles(p, seed, [(layer, head)], False)
            d = _cycles(p, seed, [(layer, head)], True)
            ideal = n_q * n_k / nnz
            split = split_head(mask)
            longest = int(mask.sum(axis=1).max())
            heads.append(dict(layer=layer, head=head, nnz=nnz, density=round(nnz / n_q / n_k, 4),
                              longest_row=longest, vitcod_g=split.g,
                              sparse_cycles=s["cycles"], sparse_ideal=nnz,
                              sparse_bound=nnz + 2 * longest + PIPE_FILL,
                              dense_cycles=d["cycles"], dense_ideal=n_q * n_k,
                              speedup=round(d["cycles"] / s["cycles"], 3),
                              ideal_speedup=round(ideal, 3),
                              vitcod_ideal_speedup=round(
                                  n_q * n_k / (split.dense_work + split.sparse_work), 3),
                              share=round(d["cycles"] / s["cycles"] / ideal, 4),
                              elements=s["elements"] + d["elements"]))
        trio = [(layer, h) for h in range(n_heads)]
        s = _cycles(p, seed, trio, False)
        d = _cycles(p, seed, trio, True)
        nnz = int(masks[layer].sum())
        layers.append(dict(layer=layer, nnz=nnz, sparse_cycles=s["cycles"], sparse_ideal=nnz,
                           dense_cycles=d["cycles"], dense_ideal=n_heads * n_q * n_k,
                           speedup=round(d["cycles"] / s["cycles"], 3),
                           ideal_speedup=round(n_heads * n_q * n_k / nnz, 3),
                           elements=s["elements"] + d["elements"]))
    from tools.plots import attn_speedup, write_rows

    write_rows(heads, OUT / "attn_heads")
    write_rows(layers, OUT / "attn_layers")
    plot = attn_speedup(heads, layers, p.tag)
    print()
    print(f"sparse_attn {p.tag}, Verilator fast mode, seed {seed}: cycles per head "
          "(sparse / dense, measured; ideal = nnz / n_q n_k, a formula)")
    print(f"{'layer':>5} {'head':>4} {'nnz':>6} {'sparse':>7} {'dense':>7} {'speed-up':>8} "
          f"{'ideal':>7} {'vitcod':>7} {'share':>6}")
    for r in heads:
        print(f"{r['layer']:>5} {r['head']:>4} {r['nnz']:>6} {r['sparse_cycles']:>7} "
              f"{r['dense_cycles']:>7} {r['speedup']:>8.2f} {r['ideal_speedup']:>7.2f} "
              f"{r['vitcod_ideal_speedup']:>7.2f} {r['share']:>6.3f}")
    print("whole layers (3 heads back to back, K/V reloads included):")
    for r in layers:
        print(f"  layer {r['layer']:>2}: nnz {r['nnz']:>6}, sparse {r['sparse_cycles']:>6} "
              f"cycles (ideal {r['sparse_ideal']}), dense {r['dense_cycles']:>6} (ideal "
              f"{r['dense_ideal']}), speed-up {r['speedup']:.2f} (ideal {r['ideal_speedup']:.2f})")
    shares = np.array([r["share"] for r in heads])
    print(f"speed-up / ideal: min {shares.min():.3f}, median {np.median(shares):.3f}; "
          f"plot {plot}")
    below = [r for r in heads if r["share"] < ISSUE_FLOOR]
    if below:
        print(f"BELOW TARGET: {len(below)} of {len(heads)} heads under issue 14's "
              f"{ISSUE_FLOOR} of ideal (" + ", ".join(f"{r['layer']}:{r['head']} {r['share']:.2f}"
                                                    for r in below) + "); module doc: why")
    for r in heads:  # the structural bound (module doc): a regression fails here
        assert r["sparse_cycles"] <= r["sparse_bound"], (r["layer"], r["head"],
                                                         r["sparse_cycles"], r["sparse_bound"])
