"""Cora through ``gcn_agg``: both layers' aggregation of the 2-layer GCN (models/gcn/train.py:
the committed trained weights, quantised; Cora's real Â in UQ1.15) as passes of the block.

Layer l's pass is ``HLoad(H_l)`` (H_l = the integer model's combination X_l W_l, on the gemm
model, zero-padded from 16 / 7 features to feat_lanes) and the PCOO schedule of Â (plain or
balanced). Layer 2's H is computed from the *model's* layer-1 output: the scoreboard proves the
RTL's layer-1 output equal to it on every element, so this is the RTL's chain too, and fast
mode can queue both layers before anything runs.

``ZS_GCN_CORA``: ``<layers>:<mode>`` (e.g. ``1,2:balanced``) sends the whole graph, and
``citeseer:<mode>`` one pass of CiteSeer's real Â (no trained weights ship for it: H is seeded
uniform INT8, for the cycle figures and the bit-exact check only); unset, the
CoraTest of ``make test`` sends both layers on the induced subgraph of the first
``SLICE_NODES`` nodes (the same real codes and features), so that it stays short.
``ZS_GCN_OUT``: a file the CoraTest writes the RTL's output transactions to (npz).
"""

from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np

from models.gcn.adjacency import QAdj, quantise_adj
from models.gcn.pcoo import pcoo_schedule
from models.gcn_agg import APass, GcnAggParams, HLoad

CORA_ENV = "ZS_GCN_CORA"
OUT_ENV = "ZS_GCN_OUT"
SLICE_NODES = 24  # the make-test slice: a few dozen real non-zeros per layer, a short pass


@dataclasses.dataclass(frozen=True)
class CoraLayers:
    qa: QAdj
    hs: list[np.ndarray]  # per layer the integer H (n, features)
    loads: list[tuple[int, int, bool, int]]  # per layer (scale, shift, relu, out_bits)
    logits_int: np.ndarray  # the integer model's layer-2 output
    logits_float: np.ndarray
    labels: np.ndarray
    test_idx: np.ndarray


@functools.lru_cache(maxsize=2)
def cora_layers(p: GcnAggParams) -> CoraLayers:
    from models.gcn.adjacency import gcn_normalise
    from models.gcn.data import load_cora_fixture, load_gcn_weights, load_gcod
    from models.gcn.model import gcn_float, gcn_int
    from models.gcn.train import quantise_gcn

    g, fx = load_gcod("Cora"), load_cora_fixture()
    w1, w2 = load_gcn_weights()
    qa = quantise_adj(g, p.adj_width)
    af = gcn_normalise(g)
    x = fx.features.astype(np.int64)
    layers = quantise_gcn(p, af, qa, x, [w1, w2])
    ints = gcn_int(p, qa, x, layers)
    _, _, test = fx.split()
    return CoraLayers(qa, [h for h, _ in ints],
                      [(q.a_scale, q.a_shift, q.relu, q.out_bits) for q in layers],
                      ints[-1][1], gcn_float(af, qa, x, [w1, w2])[-1][1], fx.labels, test)


def _pad(p: GcnAggParams, h: np.ndarray) -> np.ndarray:
    if h.shape[1] > p.feat_lanes:
        raise ValueError(f"gcn_agg: Cora's layers have up to {h.shape[1]} features; this "
                         f"config's feat_lanes={p.feat_lanes} would need several passes")
    out = np.zeros((h.shape[0], p.feat_lanes), dtype=np.int64)
    out[:, :h.shape[1]] = h
    return out


def induced(qa: QAdj, k: int) -> QAdj:
    m = (qa.row < k) & (qa.col < k)
    return QAdj(k, qa.row[m], qa.col[m], qa.q[m], qa.frac)


def choice() -> tuple[list[int], str, bool]:
    """(layers, mode, whole graph) from CORA_ENV (module doc); layers [] is CiteSeer."""
    v = os.environ.get(CORA_ENV, "")
    if not v:
        return [1, 2], "balanced", False
    layers, _, mode = v.partition(":")
    if layers == "citeseer":
        return [], mode or "balanced", True
    return [int(x) for x in layers.split(",")], mode or "balanced", True


#: CiteSeer's pass: seeded uniform INT8 H, a requantisation that keeps most sums unsaturated
CITESEER_SEED = 3327
CITESEER_LOAD = (1, 17, False, 16)


def citeseer_pass(p: GcnAggParams):
    from models.gcn.data import load_gcod

    a = quantise_adj(load_gcod("CiteSeer"), p.adj_width)
    _, mode, _ = choice()
    rng = np.random.default_rng(CITESEER_SEED)
    h = rng.integers(-128, 128, size=(a.n, p.feat_lanes))
    return [(HLoad(h, *CITESEER_LOAD), APass(pcoo_schedule(a, p.lanes, p.latency, mode)))]


#: what the quantised Cora GCN needs of a config: INT8 H, 16 hidden features in one pass,
#: 16-bit logits, UQ1.15 codes
NEEDS = dict(feat_width=8, feat_lanes=16, out_width=16, adj_width=16)


def cora_fits(p: GcnAggParams) -> str:
    """'' when ``p`` holds the network's numbers, else the first rule it breaks."""
    for k, v in NEEDS.items():
        if getattr(p, k) < v:
            return f"{p.tag}: {k}={getattr(p, k)} < {v} (the quantised Cora GCN needs {v})"
    return ""


def cora_passes(p: GcnAggParams):
    """(HLoad, APass) per chosen layer (module doc)."""
    layers, mode, whole = choice()
    if whole and not layers:
        return citeseer_pass(p)
    c = cora_layers(p)
    a = c.qa if whole else induced(c.qa, min(SLICE_NODES, p.max_nodes))
    if a.n > p.max_nodes or (whole and int(a.degrees.max()) > p.max_degree):
        raise ValueError(f"gcn_agg: Cora ({a.n} nodes, degree up to {int(a.degrees.max())}) "
                         f"does not fit {p.tag}")
    s = pcoo_schedule(a, p.lanes, p.latency, mode)
    out = []
    for layer in layers:
        scale, shift, relu, ob = c.loads[layer - 1]
        out.append((HLoad(_pad(p, c.hs[layer - 1][:a.n]), scale, shift, relu, ob), APass(s)))
    return out
