"""A 2-layer float GCN trained on Cora in numpy (Kipf & Welling's recipe), its quantisation and
the accuracies.

Training: ``logits = Â relu(Â X W1) W2``, hidden 16, dropout 0.5 on the input of both layers,
Adam (lr 0.01), L2 5e-4 on W1, 200 full-batch epochs, Glorot init, seeded; binary features not
row-normalised (they stay exact 0/1 integers for the integer model). Seconds on one core.

Quantisation (:func:`quantise_gcn`): INT8 weights per tensor; H and Y scales calibrated from
the float forward over the whole graph (transductive, as GCN is) with ``HEADROOM``; hidden Y
INT8 (ReLU), logits ``out_width`` bits.

Accuracy margin of the integer model (:func:`guaranteed_margin`): against the float GCN with
the dequantised weights, a test node's argmax cannot change when its float top-1 logit exceeds
every other by more than twice the logit bound (:func:`models.gcn.model.gcn_budget`); the
integer accuracy is within ``(nodes without that guarantee) / n_test`` of that model's.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.gcn.adjacency import QAdj, gcn_normalise, quantise_adj
from models.gcn.data import CoraFixture, Graph
from models.gcn.model import GEMM, QuantLayer, gcn_budget, gcn_float, gcn_int, quantise_layer
from models.gcn.params import GcnAggParams

HIDDEN = 16
EPOCHS = 200
LR = 0.01
WEIGHT_DECAY = 5e-4
DROPOUT = 0.5
SEED = 0


def train_gcn(g: Graph, fx: CoraFixture, seed: int = SEED, epochs: int = EPOCHS,
              hidden: int = HIDDEN) -> tuple[np.ndarray, np.ndarray]:
    """(W1, W2) float64 of a trained 2-layer GCN (module doc)."""
    rng = np.random.default_rng(seed)
    a = np.zeros((g.n, g.n))
    a[g.row, g.col] = gcn_normalise(g)
    x = fx.features.astype(np.float64)
    y = fx.labels
    train, _, _ = fx.split()
    n_in, n_out = x.shape[1], fx.n_classes

    def glorot(i, o):
        lim = np.sqrt(6.0 / (i + o))
        return rng.uniform(-lim, lim, size=(i, o))

    params = [glorot(n_in, hidden), glorot(hidden, n_out)]
    m = [np.zeros_like(w) for w in params]
    v = [np.zeros_like(w) for w in params]
    onehot = np.eye(n_out)[y[train]]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        w1, w2 = params
        d0 = (rng.random(x.shape) >= DROPOUT) / (1 - DROPOUT)
        xd = x * d0
        z1 = a @ (xd @ w1)
        h1 = np.maximum(z1, 0)
        d1 = (rng.random(h1.shape) >= DROPOUT) / (1 - DROPOUT)
        h1d = h1 * d1
        ah = a @ h1d
        logits = ah @ w2
        lt = logits[train]
        e = np.exp(lt - lt.max(axis=1, keepdims=True))
        prob = e / e.sum(axis=1, keepdims=True)
        dlog = np.zeros_like(logits)
        dlog[train] = (prob - onehot) / train.size
        gw2 = ah.T @ dlog
        dz1 = (a.T @ (dlog @ w2.T)) * d1 * (z1 > 0)
        gw1 = xd.T @ (a.T @ dz1) + WEIGHT_DECAY * w1
        for i, gw in enumerate((gw1, gw2)):
            m[i] = b1 * m[i] + (1 - b1) * gw
            v[i] = b2 * v[i] + (1 - b2) * gw * gw
            mh, vh = m[i] / (1 - b1 ** step), v[i] / (1 - b2 ** step)
            params[i] = params[i] - LR * mh / (np.sqrt(vh) + eps)
    return params[0], params[1]


def quantise_gcn(p: GcnAggParams, a_float: np.ndarray, qa: QAdj, x: np.ndarray,
                 ws: list[np.ndarray]) -> list[QuantLayer]:
    """The integer layers of a float GCN (module doc)."""
    fl = gcn_float(a_float, qa, x, ws)
    layers, s_in = [], 1.0  # binary features: scale 1, exact
    for i, (w, (h, y)) in enumerate(zip(ws, fl)):
        last = i == len(ws) - 1
        q = quantise_layer(p, w, s_in, float(np.abs(h).max()), float(np.abs(y).max()),
                           p.out_width if last else GEMM.data_width, relu=not last)
        layers.append(q)
        s_in = q.s_y
    return layers


def accuracy(logits: np.ndarray, labels: np.ndarray, idx: np.ndarray) -> float:
    return float((np.argmax(logits[idx], axis=1) == labels[idx]).mean())


def guaranteed_margin(ref_logits: np.ndarray, bound: np.ndarray, idx: np.ndarray) -> int:
    """Nodes of ``idx`` whose argmax the integer error could flip (module doc)."""
    srt = np.sort(ref_logits[idx], axis=1)
    gap = srt[:, -1] - srt[:, -2]
    return int((gap <= 2 * bound[idx].max(axis=1)).sum())


@dataclasses.dataclass(frozen=True)
class CoraResult:
    float_acc: float
    dequant_acc: float
    int_acc: float
    undecided: int
    n_test: int
    max_bound_ratio: float
    saturated: int


def cora_accuracies(p: GcnAggParams, g: Graph, fx: CoraFixture, w1: np.ndarray,
                    w2: np.ndarray) -> CoraResult:
    """Float, dequantised-float and integer test accuracy, the budget check, the margin."""
    qa = quantise_adj(g, p.adj_width)
    af = gcn_normalise(g)
    x = fx.features.astype(np.int64)
    _, _, test = fx.split()
    layers = quantise_gcn(p, af, qa, x, [w1, w2])
    ints = gcn_int(p, qa, x, layers)
    deq = gcn_float(af, qa, x, [q.w * q.s_w for q in layers])
    bounds = gcn_budget(af, qa, layers, ints)
    ratio, sat = 0.0, 0
    for q, (_, yi), (_, yf), b in zip(layers, ints, deq, bounds):
        lim = (1 << (q.out_bits - 1)) - 1
        sat += int(((yi == lim) | (yi == -lim - 1)).sum())
        ratio = max(ratio, float((np.abs(yi * q.s_y - yf) / b).max()))
    logits_i = ints[-1][1]
    logits_f = gcn_float(af, qa, x, [w1, w2])[-1][1]
    return CoraResult(accuracy(logits_f, fx.labels, test), accuracy(deq[-1][1], fx.labels, test),
                      accuracy(logits_i, fx.labels, test),
                      guaranteed_margin(deq[-1][1], bounds[-1], test), test.size, ratio, sat)
