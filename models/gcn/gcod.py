"""GCoD's polarised split: diagonal blocks of the reordered Â to one engine, the sparse
off-diagonal remainder (COO) to another, both at once; outputs summed without conflict.

Blocks
    ``bounds`` are ``0 = b_0 < b_1 < ... < b_K = n``; block ``k`` is rows and columns
    ``[b_k, b_{k+1})``. :func:`equal_blocks` cuts ``n`` into ``K`` near-equal blocks: on GCoD's
    reordered Cora (``Cora_adj``) 6 equal blocks hold 59 % of the non-zeros (38 % in the original
    order), GCoD's own figure. The *block part* is every non-zero with row and column in one
    block; the *sparse part* is the rest, in the same row-major COO. Both keep Â's codes, so
    ``block + sparse`` reassembles Â exactly (:func:`reassemble`) and the two engines' exact
    partial sums add to :func:`models.gcn.model.aggregate_acc` before the one requantisation.

The block engine is not a dense MAC array here, and why
    GCoD's diagonal blocks of these graphs are far too sparse to compute densely: Cora's 6
    blocks are 451 x 451 at 0.6 % density, and even 4 x 4 tiles at >= 50 % density hold under 2 %
    of the non-zeros (:func:`tile_profile`; printed by ``tools/gcn_report.py``). So the block
    engine is modelled as PCOO lanes (pcoo.py) that only ever see one block at a time: its H
    operand is a block-local buffer of ``max block size`` rows instead of a replica of all of H,
    the memory saving GCoD's locality buys. The sparse engine is PCOO over the remainder with the
    full replica.

PE split and cycles (:func:`split_cycles`) -- a **formula**, the RTL will measure
    ``block_pes`` by work share (``models.vitcod.split_pes``: floor of P * share, each engine with
    work gets at least one PE) or, with ``pes="best"``, the split minimising the cycles. Each
    engine's issue cycles are its PCOO schedule length ``T``; the split takes
    ``max(T_block, T_sparse)`` (engines run at once). Ideal = ``nnz / P``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.gcn.adjacency import QAdj
from models.gcn.pcoo import schedule_length
from models.vitcod import split_pes

PE_SPLITS = ("share", "best")


def equal_blocks(n: int, k: int) -> np.ndarray:
    """``k + 1`` bounds of ``k`` near-equal blocks of ``n`` nodes."""
    if not 1 <= k <= n:
        raise ValueError(f"gcn: the block count must be in [1, {n}] (got {k})")
    return (np.arange(k + 1, dtype=np.int64) * n) // k


def _check_bounds(n: int, bounds) -> np.ndarray:
    b = np.asarray(bounds, dtype=np.int64)
    if b.ndim != 1 or b.size < 2 or b[0] != 0 or b[-1] != n or (np.diff(b) <= 0).any():
        raise ValueError(f"gcn: block bounds must rise strictly from 0 to n={n} "
                         f"(got {b.tolist()[:8]}...)")
    return b


def _sub(a: QAdj, m: np.ndarray) -> QAdj:
    return QAdj(a.n, a.row[m], a.col[m], a.q[m], a.frac)


@dataclasses.dataclass(frozen=True, eq=False)
class GcodSplit:
    """``block`` (the diagonal-block non-zeros) and ``sparse`` (the rest) of one Â."""

    bounds: np.ndarray
    block: QAdj
    sparse: QAdj

    @property
    def nnz(self) -> int:
        return self.block.nnz + self.sparse.nnz

    @property
    def block_share(self) -> float:
        return self.block.nnz / self.nnz if self.nnz else 0.0

    @property
    def max_block(self) -> int:
        """Rows of the largest block: the block engine's H buffer depth."""
        return int(np.diff(self.bounds).max())

    def block_nnz(self) -> np.ndarray:
        """Non-zeros per diagonal block."""
        k = np.searchsorted(self.bounds, self.block.row, side="right") - 1
        return np.bincount(k, minlength=self.bounds.size - 1)


def split_adj(a: QAdj, bounds) -> GcodSplit:
    """Split Â along ``bounds`` (module doc)."""
    b = _check_bounds(a.n, bounds)
    kr = np.searchsorted(b, a.row, side="right")
    kc = np.searchsorted(b, a.col, side="right")
    m = kr == kc
    return GcodSplit(b, _sub(a, m), _sub(a, ~m))


def reassemble(s: GcodSplit) -> QAdj:
    """``block + sparse`` back in row-major order (refuses an entry in both parts)."""
    n = s.block.n
    row = np.concatenate([s.block.row, s.sparse.row])
    col = np.concatenate([s.block.col, s.sparse.col])
    q = np.concatenate([s.block.q, s.sparse.q])
    order = np.lexsort((col, row))
    row, col, q = row[order], col[order], q[order]
    dup = (np.diff(row) == 0) & (np.diff(col) == 0)
    if dup.any():
        i = int(np.argmax(dup))
        raise ValueError(f"gcn: entry ({int(row[i])}, {int(col[i])}) is in both engines' parts")
    return QAdj(n, row, col, q, s.block.frac)


def tile_profile(a: QAdj, tile: int, min_density: float) -> tuple[int, float]:
    """(tiles, share of Â's non-zeros) of the ``tile x tile`` tiles holding at least
    ``min_density * tile**2`` non-zeros: what a dense tile engine could take without wasting
    more than ``1 - min_density`` of its MACs."""
    nt = -(-a.n // tile)
    key = (a.row // tile) * nt + a.col // tile
    _, cnt = np.unique(key, return_counts=True)
    sel = cnt >= min_density * tile * tile
    return int(sel.sum()), float(cnt[sel].sum() / a.nnz) if a.nnz else 0.0


@dataclasses.dataclass(frozen=True)
class SplitCycles:
    """Issue cycles of the split (formula): engines' PEs and T, the max, the ideal, and plain
    PCOO on all P lanes for comparison."""

    lanes: int
    block_pes: int
    sparse_pes: int
    block_cycles: int
    sparse_cycles: int
    pcoo_cycles: int
    nnz: int

    @property
    def cycles(self) -> int:
        return max(self.block_cycles, self.sparse_cycles)

    @property
    def ideal(self) -> float:
        return self.nnz / self.lanes

    @property
    def efficiency(self) -> float:
        return self.ideal / self.cycles

    @property
    def speedup(self) -> float:
        """Plain PCOO's cycles over the split's (> 1: the split wins)."""
        return self.pcoo_cycles / self.cycles


def split_cycles(s: GcodSplit, lanes: int, latency: int, mode: str = "plain",
                 pes: str = "share") -> SplitCycles:
    """The split's cycle formula (module doc) against PCOO (same ``mode``) on all lanes."""
    if pes not in PE_SPLITS:
        raise ValueError(f"gcn: pes must be one of {PE_SPLITS} (got {pes!r})")
    if lanes < 2:
        raise ValueError(f"gcn: a split needs at least 2 lanes (got {lanes})")

    def engines(pd: int) -> tuple[int, int]:
        tb = schedule_length(s.block, pd, latency, mode) if pd else 0
        ts = schedule_length(s.sparse, lanes - pd, latency, mode) if lanes - pd else 0
        return tb, ts

    if pes == "share":
        pd, _ = split_pes(s.block.nnz, s.sparse.nnz, lanes)
    else:
        pd = min(range(1, lanes), key=lambda d: (max(engines(d)), d))
    tb, ts = engines(pd)
    full = reassemble(s)
    return SplitCycles(lanes, pd, lanes - pd, tb, ts,
                       schedule_length(full, lanes, latency, mode), s.nnz)
