"""The sparse attention benchmark on all 36 real DeiT-Tiny masks (12 layers x 3 heads,
197 x 197): measured RTL cycles of ``sparse_attn`` (fast mode, Verilator, bit-exact, and
every run's cycles equal to the clock-by-clock twin with tolerance 0: DeitLayerTest is a
CycleCheckTest) for every head with its real mask and with every key kept (dense attention on
the same engines: the same PE count), and for every whole layer (its three heads back to back)
both ways.

Steady state (the figure issue 14's gate is asserted on): the engines run heads in a
pipeline, and with two K/V banks (``kv_banks = 2``, the typical config) the next head's K and
V load into the idle banks while the current head computes, so in a stream of heads a head
costs what it adds to the stream: ``steady = (cycles(3 heads back to back) - cycles(1
head)) / 2``, the same head three times (measured, not a formula). Isolated: one head alone,
its K/V loads and the pipeline's fill and drain included (every DeiT-Tiny head keeps all 197
keys of its class-token row 0, and the softmax cannot emit a row before it is loaded and
summed, so an isolated head costs about ``nnz + 2 x 197 + PIPE_FILL``); reported beside it,
labelled, and bounded by that structural bound (a regression fails).

Ideal (a formula, labelled as such): the engines do one kept entry per cycle each (the SDDMM's
d multipliers, the SpMM's d MACs), so a head's ideal is ``nnz`` cycles sparse and ``n_q * n_k``
dense, and the ideal speed-up is ``n_q n_k / nnz``. ViTCoD's own ideal (``n**2`` over its
dense part ``g n_q`` plus its sparse part, the PEs split in proportion: models/vitcod.py) is
printed next to it; it is never above ``n_q n_k / nnz`` (its dense part also computes the
pruned entries of the global columns), so the share is taken against the stricter one.

Issue 14's gate: steady-state speed-up / ideal >= ISSUE_FLOOR on every head (asserted).

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
#: heads in the back-to-back run of the steady-state figure (the same head each time): the
#: difference to one head is STEADY_HEADS - 1 heads in steady state
STEADY_HEADS = 3
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


def _steady(p, seed, head, dense) -> tuple[dict, dict, float]:
    """One head alone, STEADY_HEADS of it back to back, and the steady-state cycles per head."""
    one = _cycles(p, seed, [head], dense)
    many = _cycles(p, seed, [head] * STEADY_HEADS, dense)
    return one, many, (many["cycles"] - one["cycles"]) / (STEADY_HEADS - 1)


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
            s, s3, s_steady = _steady(p, seed, (layer, head), False)
            d, d3, d_steady = _steady(p, seed, (layer, head), True)
            ideal = n_q * n_k / nnz
            split = split_head(mask)
            longest = int(mask.sum(axis=1).max())
            heads.append(dict(layer=layer, head=head, nnz=nnz, density=round(nnz / n_q / n_k, 4),
                              longest_row=longest, vitcod_g=split.g,
                              steady_sparse_cycles=s_steady, steady_dense_cycles=d_steady,
                              steady_speedup=round(d_steady / s_steady, 3),
                              steady_share=round(d_steady / s_steady / ideal, 4),
                              sparse_cycles=s["cycles"], sparse_ideal=nnz,
                              sparse_bound=nnz + 2 * longest + PIPE_FILL,
                              dense_cycles=d["cycles"], dense_ideal=n_q * n_k,
                              speedup=round(d["cycles"] / s["cycles"], 3),
                              ideal_speedup=round(ideal, 3),
                              vitcod_ideal_speedup=round(
                                  n_q * n_k / (split.dense_work + split.sparse_work), 3),
                              share=round(d["cycles"] / s["cycles"] / ideal, 4),
                              sparse_cycles_3=s3["cycles"], dense_cycles_3=d3["cycles"],
                              elements=sum(r["elements"] for r in (s, s3, d, d3))))
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
    print(f"sparse_attn {p.tag} (kv_banks {p.kv_banks}), Verilator fast mode, seed {seed}: "
          f"cycles per head, measured; steady state = (cycles of {STEADY_HEADS} heads back to "
          f"back - cycles of 1) / {STEADY_HEADS - 1}; isolated = one head alone; ideal = "
          "n_q n_k / nnz (a formula)")
    print(f"{'':>11} {'steady state':>37}   {'isolated':>28}")
    print(f"{'layer':>5} {'head':>4} {'nnz':>6} {'sparse':>8} {'dense':>8} {'speed-up':>8} "
          f"{'share':>6}   {'sparse':>7} {'dense':>7} {'speed-up':>8} {'share':>6}   "
          f"{'ideal':>7} {'vitcod':>7}")
    for r in heads:
        print(f"{r['layer']:>5} {r['head']:>4} {r['nnz']:>6} {r['steady_sparse_cycles']:>8.1f} "
              f"{r['steady_dense_cycles']:>8.1f} {r['steady_speedup']:>8.2f} "
              f"{r['steady_share']:>6.3f}   {r['sparse_cycles']:>7} {r['dense_cycles']:>7} "
              f"{r['speedup']:>8.2f} {r['share']:>6.3f}   {r['ideal_speedup']:>7.2f} "
              f"{r['vitcod_ideal_speedup']:>7.2f}")
    print("whole layers (3 heads back to back, K/V loads included):")
    for r in layers:
        print(f"  layer {r['layer']:>2}: nnz {r['nnz']:>6}, sparse {r['sparse_cycles']:>6} "
              f"cycles (ideal {r['sparse_ideal']}), dense {r['dense_cycles']:>6} (ideal "
              f"{r['dense_ideal']}), speed-up {r['speedup']:.2f} (ideal {r['ideal_speedup']:.2f})")
    for key, what in (("steady_share", "steady state"), ("share", "isolated")):
        shares = np.array([r[key] for r in heads])
        print(f"speed-up / ideal, {what}: min {shares.min():.3f}, median "
              f"{np.median(shares):.3f}, max {shares.max():.3f}")
    extra = np.array([r["steady_sparse_cycles"] - r["nnz"] for r in heads])
    print(f"steady-state sparse cycles - nnz: {extra.min():.1f} .. {extra.max():.1f}; plot {plot}")
    below = [r for r in heads if r["share"] < ISSUE_FLOOR]
    if below:
        print(f"isolated heads under {ISSUE_FLOOR} of ideal (not the gate): {len(below)} of "
              f"{len(heads)}")
    for r in heads:  # the structural bound of an isolated head (module doc)
        assert r["sparse_cycles"] <= r["sparse_bound"], (r["layer"], r["head"],
                                                         r["sparse_cycles"], r["sparse_bound"])
    failing = [r for r in heads if r["steady_share"] < ISSUE_FLOOR]
    assert not failing, ("issue 14's gate: steady-state speed-up under "
                         f"{ISSUE_FLOOR} of ideal on " + ", ".join(
                             f"{r['layer']}:{r['head']} {r['steady_share']:.3f}" for r in failing))
