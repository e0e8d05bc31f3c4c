"""The quantised normalised adjacency ``Â_q``: format, quantiser and float reference.

``Â = D^-1/2 (A + I) D^-1/2`` with ``D`` the row sums of ``A + I`` (weighted when the graph
has weights: GCoD's tuned ``newadj``). Every entry is ``1/sqrt(d_i d_j) in (0, 1]``; 1 exactly
for an isolated node (CiteSeer has 48).

Format: **UQ1.15 per non-zero** (unsigned, 16 bits, 15 fraction bits; ``ADJ_FRAC``)::

    q_ij = floor(Â_ij * 2**15 + 1/2)        (round half up; 1.0 -> 32768, exact)

Why values and not "a 0/1 pattern with a per-row scale":
  * Â is not row-scaled: ``Â_ij = d_i^-1/2 d_j^-1/2`` needs a row *and* a column factor, so a
    pattern format would need a second scaling of every XW row before the aggregation and a
    second rounding; one value per non-zero is one multiply and one rounding.
  * GCoD's tuned adjacency has learned weights per edge, which no pattern + row scale holds.
  * Unsigned with an integer bit: 1.0 is exact (signed Q1.15 tops out at 1 - 2**-15), and the
    sign bit would be wasted (Â >= 0).
  Cost: 16 bits per non-zero on the stream next to its two indices.
  Error: ``|q_ij 2**-15 - Â_ij| <= 2**-16`` (half an LSB) for every entry. The smallest codes
  are 194 (Cora), 328 (CiteSeer), 191 (PubMed), so the relative error per entry stays below
  0.27 %; the largest is 32768 = 1.0 (CiteSeer's isolated nodes).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.gcn.data import Graph
from models.gcn.params import ADJ_FRAC


@dataclasses.dataclass(frozen=True, eq=False)
class QAdj:
    """``Â_q`` as a row-major COO: ``row``, ``col`` int64 sorted by (row, col), ``q`` int64
    UQ1.15 codes (value = q * 2**-frac)."""

    n: int
    row: np.ndarray
    col: np.ndarray
    q: np.ndarray
    frac: int = ADJ_FRAC

    @property
    def nnz(self) -> int:
        return int(self.row.size)

    @property
    def degrees(self) -> np.ndarray:
        return np.bincount(self.row, minlength=self.n).astype(np.int64)

    def values(self) -> np.ndarray:
        """The codes as float64 values (exact)."""
        return self.q.astype(np.float64) / float(1 << self.frac)

    def dense(self) -> np.ndarray:
        out = np.zeros((self.n, self.n), dtype=np.int64)
        out[self.row, self.col] = self.q
        return out


def gcn_normalise(g: Graph) -> np.ndarray:
    """Float64 values of ``Â`` on ``g``'s non-zeros (same order as ``g.row``)."""
    d = np.bincount(g.row, weights=g.val, minlength=g.n)
    if (d[g.row] <= 0).any():
        raise ValueError(f"gcn: {g.name}: a row with a non-zero has a non-positive degree")
    inv = 1.0 / np.sqrt(np.where(d > 0, d, 1.0))
    return g.val * inv[g.row] * inv[g.col]


def quantise_adj(g: Graph, width: int = 16, frac: int = ADJ_FRAC) -> QAdj:
    """``Â_q`` of ``g`` (module doc); refuses a value that does not fit ``width`` unsigned
    bits, naming the entry."""
    a = gcn_normalise(g)
    q = np.floor(a * float(1 << frac) + 0.5).astype(np.int64)
    bad = (q < 0) | (q >= (1 << width))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"gcn: {g.name}: entry ({int(g.row[i])}, {int(g.col[i])}) value "
                         f"{a[i]!r} does not fit UQ{width - frac}.{frac}")
    return QAdj(g.n, g.row.copy(), g.col.copy(), q, frac)


def random_graph(rng: np.random.Generator, n: int, density: float, *, heavy_rows: int = 0,
                 isolated: int = 0, weighted: bool = False, name: str = "random") -> Graph:
    """A symmetric ``A + I`` on ``n`` nodes: each pair an edge with probability ``density``;
    ``heavy_rows`` hub nodes connected to about half the graph; the first ``isolated`` nodes of
    a random order keep only their self-loop; optional random weights in (0.25, 1]."""
    from models.gcn.data import coo_graph

    upper = np.triu(rng.random((n, n)) < density, 1)
    hubs = rng.choice(n, size=min(heavy_rows, n), replace=False)
    for h in hubs:
        upper[h, :] |= rng.random(n) < 0.5
        upper[:, h] |= rng.random(n) < 0.5
    upper = np.triu(upper | upper.T, 1)
    iso = rng.permutation(n)[:isolated]
    upper[iso, :] = False
    upper[:, iso] = False
    r, c = np.nonzero(upper)
    w = rng.uniform(0.25, 1.0, size=r.size) if weighted else np.ones(r.size)
    idx = np.arange(n)
    return coo_graph(name, n, np.concatenate([r, c, idx]), np.concatenate([c, r, idx]),
                     np.concatenate([w, w, np.ones(n)]))
