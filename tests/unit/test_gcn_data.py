"""GCN data: GCoD's adjacencies, the Cora fixture's node order, and the trained model's
accuracy as float and as the bit-exact integer pipeline."""

import numpy as np
import pytest

from models.gcn.adjacency import gcn_normalise, quantise_adj
from models.gcn.configs import CONFIGS
from models.gcn.data import GCOD_GRAPHS, load_cora_fixture, load_gcn_weights, load_gcod
from models.gcn.train import cora_accuracies

#: the integer model's test accuracy may differ from the float GCN's by at most this: INT8
#: weights and activations with 16-bit logits; the published INT8 GCN figures lose well under
#: 1 pp on Cora, we allow 1 pp (10 of the 1000 test nodes)
INT_ACC_MARGIN = 0.01
#: Kipf & Welling report 81.5 % on the Planetoid split; our split matches it up to 8 train
#: nodes (data/cora_planetoid/README.md) and features are not row-normalised: 78 % is a floor
FLOAT_ACC_FLOOR = 0.78


@pytest.mark.parametrize("dataset", sorted(GCOD_GRAPHS))
@pytest.mark.parametrize("kind", ["ori", "adj"])  # original and GCoD-reordered order
def test_gcod_graph_sizes_and_symmetry(dataset, kind):
    g = load_gcod(dataset, kind)
    assert (g.n, g.nnz) == GCOD_GRAPHS[dataset]
    assert np.array_equal(np.sort(g.row * g.n + g.col), np.sort(g.col * g.n + g.row))
    assert (g.row == g.col).sum() == g.n  # every self-loop of A + I
    assert np.all(g.val == 1.0)


def test_reordered_is_same_degree_multiset():
    for ds in GCOD_GRAPHS:
        a, b = load_gcod(ds, "ori"), load_gcod(ds, "adj")
        assert np.array_equal(np.sort(a.degrees), np.sort(b.degrees))
    assert load_gcod("Cora").degrees.max() == 169  # the heavy row


def test_cora_node_order_matches_gcod_exactly():
    """The package's own citation table, mapped through the fixture's paper ids, is exactly
    Cora_oriadj's pattern: the features are in the adjacency's node order."""
    fx = load_cora_fixture()
    g = load_gcod("Cora", "ori")
    eg = fx.edge_graph()
    assert np.array_equal(eg.row, g.row) and np.array_equal(eg.col, g.col)
    assert fx.features.shape == (2708, 1433) and set(np.unique(fx.features)) == {0, 1}
    # the Planetoid train range is 20 per class up to the automorphic nodes (README)
    counts = np.bincount(fx.labels[:140], minlength=7)
    assert np.abs(counts - 20).sum() <= 2 * 8


def test_uq115_format_on_real_graphs():
    for ds in GCOD_GRAPHS:
        g = load_gcod(ds)
        q = quantise_adj(g)
        err = np.abs(q.values() - gcn_normalise(g))
        assert err.max() <= 2.0 ** -16
    q = quantise_adj(load_gcod("CiteSeer"))
    assert q.q.max() == 1 << 15  # isolated nodes: Â_ii = 1.0, exact
    new = load_gcod("Cora", "new")  # tuned weights: a pattern + row scale could not hold them
    assert len(np.unique(new.val)) > 2 and quantise_adj(new).q.min() > 0


def test_cora_integer_gcn_accuracy_and_budget():
    g, fx = load_gcod("Cora"), load_cora_fixture()
    w1, w2 = load_gcn_weights()
    r = cora_accuracies(CONFIGS["typical"], g, fx, w1, w2)
    assert r.saturated == 0
    assert r.max_bound_ratio <= 1.0  # every element of both layers within the derived bound
    assert r.float_acc >= FLOAT_ACC_FLOOR
    assert abs(r.int_acc - r.float_acc) <= INT_ACC_MARGIN
    assert abs(r.int_acc - r.dequant_acc) <= r.undecided / r.n_test  # the provable margin
