"""Write data/cora_planetoid/cora.npz from the PyPI package ``graphdatascience``.

The package ships Cora as two parquet tables (``resources/cora/cora_nodes.parquet.gzip``:
nodeId, subject, features; ``cora_rels.parquet.gzip``: sourceNodeId, targetNodeId), rows in the
LINQS ``cora.content`` order. GCoD's adjacency (``data/gcod_adjacency/Cora_oriadj``) is in the
Planetoid order instead. This tool finds the node correspondence by matching the two graphs
(colour refinement, then individualising one node pair at a time when a colour class is not
yet split), checks that it is an exact isomorphism (every edge of the package maps onto a
non-zero of ``Cora_oriadj`` and back), and stores features, labels, paper ids and the
package's edge table in Planetoid order.

Usage (pyarrow is the only extra; nothing is installed into the project's venv)::

    pip download --no-deps graphdatascience==2.2 -d /tmp/gds
    unzip -q /tmp/gds/*.whl -d /tmp/gds/whl
    pip install --no-deps --target /tmp/pqlib pyarrow
    PYTHONPATH=/tmp/pqlib python -m tools.gcn_cora_fixture \
        /tmp/gds/whl/graphdatascience/resources/cora
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from models.gcn.data import CORA_FIXTURE, Graph, coo_graph, load_cora_fixture, load_gcod


def _neighbours(g: Graph) -> list[np.ndarray]:
    off = g.row != g.col
    r, c = g.row[off], g.col[off]
    ptr = np.searchsorted(r, np.arange(g.n + 1))
    return [c[ptr[i]:ptr[i + 1]] for i in range(g.n)]


def _refine(colour: list[int], nbrs: list[np.ndarray]) -> list[int]:
    """Colour refinement (1-WL) on the disjoint union until the partition is stable."""
    n_classes = len(set(colour))
    while True:
        sig = [(colour[v], tuple(sorted(colour[u] for u in nbrs[v]))) for v in range(len(nbrs))]
        ids = {s: i for i, s in enumerate(sorted(set(sig)))}
        colour = [ids[s] for s in sig]
        if len(ids) == n_classes:
            return colour
        n_classes = len(ids)


def match_graphs(a: Graph, b: Graph) -> np.ndarray:
    """``perm`` with ``perm[i_b] = i_a``: node ``i_b`` of ``b`` is node ``perm[i_b]`` of ``a``.

    Refinement on the union; while a colour class holds more than one node of each graph, the
    first node of ``a`` and of ``b`` in it are individualised together and the partition
    refined again. Automorphic nodes (twins, repeated small components) may be matched either
    way: any exact isomorphism is as good as another for the adjacency, and features and labels
    travel with their node. Raises when the result is not an isomorphism."""
    if a.n != b.n or a.nnz != b.nnz:
        raise ValueError(f"graphs differ in size: {a.n} nodes / {a.nnz} nnz vs {b.n} / {b.nnz}")
    n = a.n
    nbrs = _neighbours(a) + [x + n for x in _neighbours(b)]
    colour = _refine([0] * (2 * n), nbrs)
    while True:
        groups: dict[int, tuple[list[int], list[int]]] = {}
        for v, c in enumerate(colour):
            groups.setdefault(c, ([], []))[v >= n].append(v)
        bad = [c for c, (x, y) in groups.items() if len(x) != len(y)]
        if bad:
            raise ValueError(f"graphs are not isomorphic: colour class {bad[0]} has "
                             f"{len(groups[bad[0]][0])} vs {len(groups[bad[0]][1])} nodes")
        multi = [c for c, (x, _) in groups.items() if len(x) > 1]
        if not multi:
            break
        x, y = groups[min(multi)]
        new = max(colour) + 1
        colour[x[0]] = colour[y[0]] = new
        colour = _refine(colour, nbrs)
    perm = np.empty(n, dtype=np.int64)
    for _, (x, y) in groups.items():
        perm[y[0] - n] = x[0]
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)
    mapped = coo_graph("mapped", n, inv[a.row], inv[a.col])
    if not (np.array_equal(mapped.row, b.row) and np.array_equal(mapped.col, b.col)):
        raise ValueError("the refinement's matching is not an isomorphism (needs backtracking)")
    return perm


def read_package(cora_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(paper_id, subject, features uint8 (n, 1433), edges (m, 2) paper ids) in package order."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        sys.exit("tools.gcn_cora_fixture: needs pyarrow (pip install --no-deps --target "
                 "/tmp/pqlib pyarrow; PYTHONPATH=/tmp/pqlib)")
    nodes = pq.read_table(cora_dir / "cora_nodes.parquet.gzip").to_pydict()
    rels = pq.read_table(cora_dir / "cora_rels.parquet.gzip").to_pydict()
    pid = np.array(nodes["nodeId"], dtype=np.int64)
    subject = np.array(nodes["subject"], dtype=np.int64)
    feats = np.array(nodes["features"], dtype=np.uint8)
    edges = np.stack([np.array(rels["sourceNodeId"], dtype=np.int64),
                      np.array(rels["targetNodeId"], dtype=np.int64)], axis=1)
    return pid, subject, feats, edges


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cora_dir", type=Path, help="graphdatascience/resources/cora of the wheel")
    ap.add_argument("--out", type=Path, default=CORA_FIXTURE)
    args = ap.parse_args(argv)
    pid, subject, feats, edges = read_package(args.cora_dir)
    index = {int(p): i for i, p in enumerate(pid)}
    s = np.array([index[int(p)] for p in edges[:, 0]])
    d = np.array([index[int(p)] for p in edges[:, 1]])
    n = pid.size
    key = np.unique(np.concatenate([np.minimum(s, d) * n + np.maximum(s, d),
                                    np.arange(n) * (n + 1)]))
    lo, hi = key // n, key % n
    off = lo != hi
    pkg = coo_graph("package", n, np.concatenate([lo, hi[off]]), np.concatenate([hi, lo[off]]))
    ori = load_gcod("Cora", "ori")
    perm = match_graphs(pkg, ori)  # planetoid node i is package row perm[i]
    feats_p = feats[perm]
    rows, cols = np.nonzero(feats_p)
    indptr = np.searchsorted(rows, np.arange(n + 1)).astype(np.int32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, shape=np.array(feats.shape, dtype=np.int64),
                        feat_indptr=indptr, feat_indices=cols.astype(np.uint16),
                        labels=subject[perm].astype(np.uint8),
                        paper_id=pid[perm].astype(np.int32),
                        edges=edges.astype(np.int32))
    fx = load_cora_fixture(args.out)
    eg = fx.edge_graph()
    assert np.array_equal(eg.row, ori.row) and np.array_equal(eg.col, ori.col)
    train = np.bincount(fx.labels[:140], minlength=fx.n_classes)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes); package edges map exactly onto "
          f"Cora_oriadj ({ori.nnz} non-zeros); labels of Planetoid train nodes 0..139 per class: "
          f"{train.tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
