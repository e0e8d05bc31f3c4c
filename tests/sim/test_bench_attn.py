"""The sparse attention benchmark on all 36 real DeiT-Tiny masks (12 layers x 3 heads,
197 x 197): measured RTL cycles of ``sparse_attn`` (fast mode, Verilator, bit-exact and
cycle-model checked by DeitLayerTest) for every head with its real mask and with every key
kept (dense attention on the same engines: the same PE count), and for every whole layer (its
three heads back to back, K/V reloads included) both ways.

Ideal (a formula, labelled as such): the engines do one kept entry per cycle each (the SDDMM's
d multipliers, the SpMM's d MACs), so a head's ideal is ``nnz`` cycles sparse and ``n_q * n_k``
dense, and the ideal speed-up is ``n_q n_k / nnz`` (ViTCoD's ``n**2 work / max(dense share,
sparse share)`` with the PEs split in proportion to the work). The measured speed-up must be
at least MIN_SHARE of it on every head (issue 14; target 0.9).

Run: ``make bench-attn`` (a slow test). Writes ``build/bench/attn_heads.{csv,json}``,
``build/bench/attn_layers.{csv,json}`` and ``build/plots/attn_speedup.png``.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.attn_mask import load_deit_masks
from models.configs import get_config
from tests.sim.runner import ROOT, report, run, setup_tools
from tb.sparse_attn.sequences import DENSE_ENV, HEADS_ENV

SIM = "verilator"
TEST = "DeitLayerTest"
MIN_SHARE = 0.8  # measured speed-up / ideal, on every head (issue 14's floor)
OUT = ROOT / "build" / "bench"


def _cycles(p, seed, heads, dense) -> dict:
    env = {HEADS_ENV: ",".join(f"{layer}:{head}" for layer, head in heads),
           DENSE_ENV: "1" if dense else "0"}
    res = run(p, SIM, seed=seed, test=TEST, mode="fast", env=env)
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
            nnz = int(masks[layer, head].sum())
            s = _cycles(p, seed, [(layer, head)], False)
            d = _cycles(p, seed, [(layer, head)], True)
            ideal = n_q * n_k / nnz
            heads.append(dict(layer=layer, head=head, nnz=nnz, density=round(nnz / n_q / n_k, 4),
                              sparse_cycles=s["cycles"], sparse_ideal=nnz,
                              dense_cycles=d["cycles"], dense_ideal=n_q * n_k,
                              speedup=round(d["cycles"] / s["cycles"], 3),
                              ideal_speedup=round(ideal, 3),
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
          f"{'ideal':>7} {'share':>6}")
    for r in heads:
        print(f"{r['layer']:>5} {r['head']:>4} {r['nnz']:>6} {r['sparse_cycles']:>7} "
              f"{r['dense_cycles']:>7} {r['speedup']:>8.2f} {r['ideal_speedup']:>7.2f} "
              f"{r['share']:>6.3f}")
    print("whole layers (3 heads back to back, K/V reloads included):")
    for r in layers:
        print(f"  layer {r['layer']:>2}: nnz {r['nnz']:>6}, sparse {r['sparse_cycles']:>6} "
              f"cycles (ideal {r['sparse_ideal']}), dense {r['dense_cycles']:>6} (ideal "
              f"{r['dense_ideal']}), speed-up {r['speedup']:.2f} (ideal {r['ideal_speedup']:.2f})")
    shares = np.array([r["share"] for r in heads])
    print(f"speed-up / ideal: min {shares.min():.3f}, median {np.median(shares):.3f}; "
          f"plot {plot}")
    worst = heads[int(shares.argmin())]
    assert shares.min() >= MIN_SHARE, (
        f"head {worst['layer']}:{worst['head']} reaches {worst['share']:.3f} of its ideal "
        f"speed-up (< {MIN_SHARE})")
