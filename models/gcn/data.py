"""Real graphs for the GCN family: GCoD's adjacency matrices and the Cora fixture.

Loaders read the copies under ``data/`` (their READMEs give source, licence and checksums);
nothing here needs scipy, pandas or a download.

Graph convention
    A :class:`Graph` is the pattern (and values) of ``A + I`` as a row-major COO: ``row`` and
    ``col`` int64, sorted by (row, col), every (row, col) once, ``val`` float64. GCoD's files are
    symmetric Matrix Market with the self-loops already in (``A + I``, values 1.0, not
    normalised; ``Cora_newadj`` holds GCoD's tuned edge weights instead).
"""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
GCOD_DIR = DATA_DIR / "gcod_adjacency"
CORA_FIXTURE = DATA_DIR / "cora_planetoid" / "cora.npz"

#: dataset -> (nodes, non-zeros of A + I) as GCoD's README and our checks state them
GCOD_GRAPHS = {"Cora": (2708, 13264), "CiteSeer": (3327, 12431), "Pubmed": (19717, 108365)}
#: "ori" = original (Planetoid) node order, "adj" = after GCoD's partitioning + reordering,
#: "new" = after GCoD's tuning (Cora only; learned edge weights, some edges removed)
GCOD_KINDS = {"ori": "oriadj", "adj": "adj", "new": "newadj"}

#: the standard Planetoid split (Kipf & Welling's ``load_data``), in Planetoid node order
PLANETOID_TRAIN = range(0, 140)
PLANETOID_VAL = range(140, 640)
PLANETOID_TEST = range(1708, 2708)


@dataclasses.dataclass(frozen=True, eq=False)
class Graph:
    """``A + I`` of one graph as a sorted row-major COO (module doc)."""

    name: str
    n: int
    row: np.ndarray
    col: np.ndarray
    val: np.ndarray

    @property
    def nnz(self) -> int:
        return int(self.row.size)

    @property
    def degrees(self) -> np.ndarray:
        """Non-zeros per row of ``A + I`` (the GCN degree, self-loop included)."""
        return np.bincount(self.row, minlength=self.n).astype(np.int64)

    def dense(self) -> np.ndarray:
        out = np.zeros((self.n, self.n), dtype=np.float64)
        out[self.row, self.col] = self.val
        return out


def coo_graph(name: str, n: int, row, col, val=None) -> Graph:
    """A :class:`Graph` from unsorted coordinates; refuses duplicates and out-of-range
    indices (naming the first)."""
    row = np.asarray(row, dtype=np.int64)
    col = np.asarray(col, dtype=np.int64)
    val = np.ones(row.size) if val is None else np.asarray(val, dtype=np.float64)
    if not (row.shape == col.shape == val.shape and row.ndim == 1):
        raise ValueError(f"gcn: {name}: row, col and val must be 1-D of one length "
                         f"(got {row.shape}, {col.shape}, {val.shape})")
    for what, a in (("row", row), ("col", col)):
        bad = (a < 0) | (a >= n)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"gcn: {name}: entry {i} ({int(row[i])}, {int(col[i])}): {what} "
                             f"index out of range [0, {n})")
    order = np.lexsort((col, row))
    row, col, val = row[order], col[order], val[order]
    dup = (np.diff(row) == 0) & (np.diff(col) == 0)
    if dup.any():
        i = int(np.argmax(dup)) + 1
        raise ValueError(f"gcn: {name}: entry ({int(row[i])}, {int(col[i])}) appears twice")
    return Graph(name, n, row, col, val)


def read_mtx(path: Path, name: str | None = None) -> Graph:
    """A (gzipped) Matrix Market ``coordinate real symmetric`` or ``general`` file as a Graph
    (the symmetric half mirrored). Pure numpy."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        header = fh.readline().split()
        if header[:4] != ["%%MatrixMarket", "matrix", "coordinate", "real"]:
            raise ValueError(f"gcn: {path.name}: not a real coordinate Matrix Market file "
                             f"(header {' '.join(header)!r})")
        sym = header[4] if len(header) > 4 else "general"
        if sym not in ("symmetric", "general"):
            raise ValueError(f"gcn: {path.name}: symmetry {sym!r} is not supported")
        line = fh.readline()
        while line.startswith("%"):
            line = fh.readline()
        n, m, k = (int(x) for x in line.split())
        a = np.loadtxt(fh, dtype=np.float64, ndmin=2)
    if n != m or a.shape != (k, 3):
        raise ValueError(f"gcn: {path.name}: expected a square matrix with {k} entries "
                         f"(got {n}x{m}, {a.shape[0]} entries)")
    r = a[:, 0].astype(np.int64) - 1
    c = a[:, 1].astype(np.int64) - 1
    v = a[:, 2]
    if sym == "symmetric":
        off = r != c
        r, c, v = np.concatenate([r, c[off]]), np.concatenate([c, r[off]]), \
            np.concatenate([v, v[off]])
    return coo_graph(name or path.name, n, r, c, v)


def load_gcod(dataset: str, kind: str = "ori") -> Graph:
    """GCoD's ``A + I`` of ``dataset`` (Cora, CiteSeer, Pubmed) in ``kind`` order (ori, adj,
    new; :data:`GCOD_KINDS`)."""
    if dataset not in GCOD_GRAPHS:
        raise ValueError(f"gcn: dataset must be one of {sorted(GCOD_GRAPHS)} (got {dataset!r})")
    if kind not in GCOD_KINDS:
        raise ValueError(f"gcn: kind must be one of {sorted(GCOD_KINDS)} (got {kind!r})")
    path = GCOD_DIR / f"{dataset}_{GCOD_KINDS[kind]}.mtx.gz"
    if not path.is_file():
        raise FileNotFoundError(f"gcn: {path} is missing (only Cora has a tuned 'new' "
                                f"adjacency; see {GCOD_DIR / 'README.md'})")
    return read_mtx(path, f"{dataset}_{kind}")


@dataclasses.dataclass(frozen=True, eq=False)
class CoraFixture:
    """Cora's binary bag-of-words features and labels, in GCoD's (Planetoid) node order.

    features (2708, 1433) uint8 0/1; labels (2708,) int64 (graphdatascience's subject ids
    0..6); paper_id (2708,) the LINQS paper id of each node; edges (5429, 2) the package's
    citation table (citing, cited) as paper ids."""

    features: np.ndarray
    labels: np.ndarray
    paper_id: np.ndarray
    edges: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.labels.max()) + 1

    def split(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The standard Planetoid (train, val, test) node indices."""
        return tuple(np.arange(r.start, r.stop) for r in
                     (PLANETOID_TRAIN, PLANETOID_VAL, PLANETOID_TEST))

    def edge_graph(self) -> Graph:
        """``A + I`` rebuilt from the package's own citation table, mapped to node indices
        through ``paper_id`` (symmetrised, duplicates merged): must equal GCoD's
        ``Cora_oriadj`` pattern when the node order is right."""
        index = {int(p): i for i, p in enumerate(self.paper_id)}
        s = np.array([index[int(p)] for p in self.edges[:, 0]], dtype=np.int64)
        d = np.array([index[int(p)] for p in self.edges[:, 1]], dtype=np.int64)
        n = self.paper_id.size
        key = np.unique(np.concatenate([np.minimum(s, d) * n + np.maximum(s, d),
                                        np.arange(n) * (n + 1)]))
        lo, hi = key // n, key % n
        off = lo != hi
        return coo_graph("Cora_package", n, np.concatenate([lo, hi[off]]),
                         np.concatenate([hi, lo[off]]))


def load_cora_fixture(path: Path = CORA_FIXTURE) -> CoraFixture:
    """The committed fixture (``tools/gcn_cora_fixture.py`` writes it from the PyPI package)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"gcn: {path} is missing; `python -m tools.gcn_cora_fixture` "
                                "writes it (see data/cora_planetoid/README.md)")
    z = np.load(path)
    n, f = (int(x) for x in z["shape"])
    feats = np.zeros((n, f), dtype=np.uint8)
    rows = np.repeat(np.arange(n), np.diff(z["feat_indptr"]))
    feats[rows, z["feat_indices"].astype(np.int64)] = 1
    return CoraFixture(feats, z["labels"].astype(np.int64), z["paper_id"].astype(np.int64),
                       z["edges"].astype(np.int64))


CORA_WEIGHTS = DATA_DIR / "cora_planetoid" / "gcn_weights.npz"


def load_gcn_weights(path: Path = CORA_WEIGHTS) -> tuple[np.ndarray, np.ndarray]:
    """(W1 (1433, 16), W2 (16, 7)) float64 of the committed trained float GCN
    (``models.gcn.train.train_gcn``, its defaults; ``tools/gcn_report.py --train`` redoes it)."""
    z = np.load(path)
    return z["w1"].astype(np.float64), z["w2"].astype(np.float64)
