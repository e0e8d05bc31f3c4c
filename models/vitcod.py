"""The ViTCoD denser/sparser split of a fixed attention mask, its PE split and a cycle model.

Source read: GATECH-EIC/ViTCoD at commit ``b2f7fb547adc6093f2500cdc29cc95f966ec7419``,
``Hardware/Simulator/reorder.py`` (the split) and ``Hardware/Simulator/ViTCoD.py`` (the PE split
and the cycle counts). What they do, restated on a kept mask (True = kept):

Global columns (reorder.py ``calc``)
    reorder.py builds a graph with an edge key j -> query i for every kept (i, j), so a key's
    out-degree is its column's kept count. Columns whose count is **strictly greater** than the
    threshold (``calc(..., threshold=50)`` in the script body; the function's own default, 90,
    is not what the script uses) are the global ones, ``g`` = their number
    (``num_global_tokens``, saved as ``global_token_info_0.95.npy``).

Permutation (reorder.py's relabelling loop)
    For ``i = 0 .. g-1`` it swaps labels ``i`` and ``h[i]`` (``h`` = global columns, ascending),
    on both edge ends: keys *and* queries are relabelled (a token is one graph node), so the
    reordered mask is ``kept[perm][:, perm]``. Global column ``h[i]`` ends at position ``i`` (the
    global columns keep their order), but the other columns are only moved by the swaps, not kept
    in order. :func:`reorder_permutation` replays the swaps exactly (``order="reorder_py"``);
    ``order="stable"`` keeps the non-global columns in their original order instead. Both give
    the same ``g``, dense part and number of sparse entries. (reorder.py swaps through a
    temporary label 200, so it would break for more than 200 tokens; DeiT has 197.)

Denser / sparser part (ViTCoD.py)
    Dense part: columns ``0 .. g-1`` of the reordered mask, computed densely (all ``n_q * g``
    dot products, pruned ones included). Sparse part: the COO ``(row, col)`` list of kept entries
    in columns ``>= g``, row-major. ViTCoD.py takes it from ``coo_matrix(1 - mask[:, g:])`` so
    its column numbers are relative to ``g``; :class:`VitcodSplit` stores absolute columns
    (``coo[:, 1] - g`` is ViTCoD's).

PE split (ViTCoD.py) and its rounding here
    ``dense_share = g*n_q / (nnz_sparse + g*n_q)``; ViTCoD.py takes
    ``dense_pes = int(total * dense_share)`` (floor) and gives the rest to the sparse engine.
    :func:`split_pes` does the same floor, then, when both engines have work, clamps
    ``dense_pes`` into ``[1, total - 1]`` so that each engine has at least one PE (ViTCoD.py would
    divide by zero there); an engine without work gets 0 PEs and the other all of them.

Cycle model (:func:`split_cycles`) -- a **model formula**, not a measured RTL count
    One work unit is one q·k dot product of ``d`` MACs; a PE finishes one in
    ``dot_cycles = ceil(d / mac_lanes)`` cycles. The dense engine streams each global key past
    its PEs, one query per PE::

        dense_cycles  = g * ceil(n_q / dense_pes) * dot_cycles
        sparse_cycles = ceil(nnz_sparse / sparse_pes) * dot_cycles
        cycles        = max(dense_cycles, sparse_cycles)          (both engines run at once)
        ideal         = (g*n_q + nnz_sparse) * dot_cycles / total_pes   (perfect balance)
        dense_baseline = ceil(n_q * n_k / total_pes) * dot_cycles  (no skipping, all PEs)

    With ``total_pes = PE_width = 64`` and ``mac_lanes = PE_width / heads = 64/3`` these are
    ViTCoD.py's SDDMM PE-cycle loops; :func:`vitcod_sim_pe_cycles` restates ViTCoD.py's own
    expressions (SDDMM and SpMM) literally, float divisions included.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from models.attn_mask import check_dense_mask, mask_to_rows

#: the ViTCoD commit whose reorder.py / ViTCoD.py this module restates
VITCOD_COMMIT = "b2f7fb547adc6093f2500cdc29cc95f966ec7419"
#: reorder.py's script body: ``calc(mask[i,j], ax[i,j], threshold=50)``; global = count > 50
REORDER_THRESHOLD = 50
#: ViTCoD.py defaults: --PE_width 64, --feature_dim 64, DeiT-Tiny's 3 heads
VITCOD_PE_WIDTH = 64
VITCOD_FEATURE_DIM = 64
VITCOD_HEADS = 3
ORDERS = ("reorder_py", "stable")


def global_columns(mask: np.ndarray, threshold: int = REORDER_THRESHOLD) -> np.ndarray:
    """Original indices (ascending) of the key columns whose kept count exceeds ``threshold``."""
    check_dense_mask(mask)
    return np.flatnonzero(mask.sum(axis=0) > threshold).astype(np.int64)


def reorder_permutation(global_cols, n: int, order: str = "reorder_py") -> np.ndarray:
    """``perm`` with ``perm[new] = original`` index: the global columns first, in order.

    ``reorder_py`` replays reorder.py's swaps of labels ``i`` and ``global_cols[i]``;
    ``stable`` keeps the other columns in their original order."""
    h = np.asarray(global_cols, dtype=np.int64)
    if order not in ORDERS:
        raise ValueError(f"vitcod: order must be one of {ORDERS} (got {order!r})")
    if h.size and (np.any(np.diff(h) <= 0) or h[0] < 0 or h[-1] >= n):
        raise ValueError(f"vitcod: global columns must be strictly ascending in [0, {n}) "
                         f"(got {h.tolist()})")
    if order == "stable":
        rest = np.setdiff1d(np.arange(n, dtype=np.int64), h)
        return np.concatenate([h, rest])
    node_at = np.arange(n, dtype=np.int64)  # node_at[label] = original node holding it
    for i, j in enumerate(h):
        node_at[[i, j]] = node_at[[j, i]]
    return node_at


def inverse_permutation(perm: np.ndarray) -> np.ndarray:
    """``inv[original] = new`` position."""
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size, dtype=perm.dtype)
    return inv


@dataclasses.dataclass(frozen=True, eq=False)
class VitcodSplit:
    """The split of one (layer, head) mask, in reordered coordinates.

    col_perm[new] = original key column; row_perm likewise for queries (identity unless the
    queries are relabelled as in reorder.py); dense_mask (n_q, g) = kept entries of the global
    columns; coo (nnz_sparse, 2) = (row, col) of the kept entries in columns >= g, row-major,
    absolute columns."""

    n_q: int
    n_k: int
    g: int
    threshold: int
    col_perm: np.ndarray
    row_perm: np.ndarray
    dense_mask: np.ndarray
    coo: np.ndarray

    @property
    def col_inv(self) -> np.ndarray:
        return inverse_permutation(self.col_perm)

    @property
    def row_inv(self) -> np.ndarray:
        return inverse_permutation(self.row_perm)

    @property
    def global_cols(self) -> np.ndarray:
        """Original indices of the global columns (ascending)."""
        return self.col_perm[: self.g]

    @property
    def dense_work(self) -> int:
        """Dot products of the dense engine: every (query, global key) pair."""
        return self.g * self.n_q

    @property
    def sparse_work(self) -> int:
        """Dot products of the sparse engine: the kept entries outside the global columns."""
        return int(self.coo.shape[0])

    @property
    def kept(self) -> int:
        """Useful dot products: every kept entry."""
        return int(self.dense_mask.sum()) + self.sparse_work

    @property
    def dense_share(self) -> float:
        """ViTCoD.py's ``dense_ratio = g*n / (len(sparser) + g*n)`` (0 when there is no work)."""
        w = self.dense_work + self.sparse_work
        return self.dense_work / w if w else 0.0

    @property
    def reordered_mask(self) -> np.ndarray:
        m = np.zeros((self.n_q, self.n_k), dtype=bool)
        m[:, : self.g] = self.dense_mask
        m[self.coo[:, 0], self.coo[:, 1]] = True
        return m


def split_head(mask: np.ndarray, threshold: int = REORDER_THRESHOLD, *,
               permute_queries: bool = True, order: str = "reorder_py") -> VitcodSplit:
    """Split one kept mask as reorder.py + ViTCoD.py do (module doc). ``permute_queries``
    relabels the query rows with the same permutation, as reorder.py does (square masks
    only); pass False to move columns only."""
    check_dense_mask(mask)
    n_q, n_k = mask.shape
    if permute_queries and n_q != n_k:
        raise ValueError(f"vitcod: permute_queries relabels tokens and needs a square mask "
                         f"(got {mask.shape}); pass permute_queries=False")
    h = global_columns(mask, threshold)
    perm = reorder_permutation(h, n_k, order)
    rperm = perm if permute_queries else np.arange(n_q, dtype=np.int64)
    m = mask[rperm][:, perm]
    g = int(h.size)
    coo = np.argwhere(m[:, g:]).astype(np.int64)
    coo[:, 1] += g
    return VitcodSplit(n_q, n_k, g, threshold, perm, rperm, m[:, :g].copy(), coo)


def split_to_mask(s: VitcodSplit) -> np.ndarray:
    """The original kept mask rebuilt from a split (undo both permutations)."""
    return s.reordered_mask[s.row_inv][:, s.col_inv]


def split_pes(dense_work: int, sparse_work: int, total_pes: int) -> tuple[int, int]:
    """(dense_pes, sparse_pes): ViTCoD.py's floor of ``total * dense_share``, clamped so that
    each engine with work has >= 1 PE; an engine without work gets 0."""
    if total_pes < 1:
        raise ValueError(f"vitcod: total_pes must be >= 1 (got {total_pes})")
    if dense_work < 0 or sparse_work < 0:
        raise ValueError(f"vitcod: work must be >= 0 (got {dense_work}, {sparse_work})")
    if dense_work == 0 and sparse_work == 0:
        return 0, 0
    if sparse_work == 0:
        return total_pes, 0
    if dense_work == 0:
        return 0, total_pes
    if total_pes < 2:
        raise ValueError(f"vitcod: both engines have work, so total_pes must be >= 2 "
                         f"(got {total_pes})")
    d = int(total_pes * dense_work / (sparse_work + dense_work))
    d = min(max(d, 1), total_pes - 1)
    return d, total_pes - d


@dataclasses.dataclass(frozen=True)
class VitcodCycles:
    """Cycle-model results of one split (module doc formulas)."""

    dense_pes: int
    sparse_pes: int
    dense_cycles: int
    sparse_cycles: int
    cycles: int
    ideal: float
    dense_baseline: int
    useful: int  # kept dot products times dot_cycles: the PE-cycles that do useful work
    total_pes: int

    @property
    def speedup(self) -> float:
        """Dense baseline cycles over split cycles at equal PE count."""
        return self.dense_baseline / self.cycles if self.cycles else math.inf

    @property
    def utilisation(self) -> float:
        """Useful MAC cycles over PE-cycles spent."""
        return self.useful / (self.total_pes * self.cycles) if self.cycles else 0.0


def dot_cycles(head_dim: int, mac_lanes: float) -> int:
    """Cycles one PE spends on one d-long dot product with ``mac_lanes`` MACs."""
    if head_dim < 1 or mac_lanes <= 0:
        raise ValueError(f"vitcod: head_dim must be >= 1 and mac_lanes > 0 "
                         f"(got {head_dim}, {mac_lanes})")
    return math.ceil(head_dim / mac_lanes)


def split_cycles(s: VitcodSplit, total_pes: int, head_dim: int = VITCOD_FEATURE_DIM,
                 mac_lanes: float = VITCOD_PE_WIDTH / VITCOD_HEADS) -> VitcodCycles:
    """The cycle model of the module doc (a model formula, labelled as such)."""
    dc = dot_cycles(head_dim, mac_lanes)
    dpe, spe = split_pes(s.dense_work, s.sparse_work, total_pes)
    dense = s.g * math.ceil(s.n_q / dpe) * dc if s.dense_work else 0
    sparse = math.ceil(s.sparse_work / spe) * dc if s.sparse_work else 0
    return VitcodCycles(
        dense_pes=dpe, sparse_pes=spe, dense_cycles=dense, sparse_cycles=sparse,
        cycles=max(dense, sparse), ideal=(s.dense_work + s.sparse_work) * dc / total_pes,
        dense_baseline=math.ceil(s.n_q * s.n_k / total_pes) * dc, useful=s.kept * dc,
        total_pes=total_pes)


def vitcod_sim_pe_cycles(s: VitcodSplit, pe_width: int = VITCOD_PE_WIDTH,
                         heads: int = VITCOD_HEADS,
                         feature_dim: int = VITCOD_FEATURE_DIM) -> dict[str, int]:
    """ViTCoD.py's four PE-cycle counts of one head, its expressions restated literally
    (``n = Q.shape[0]``, ``len(sparser) = nnz_sparse``; valid when both engines get PEs):

    * dense SDDMM:  ``g * ceil(n / dense_PE_width) * ceil(d / (PE_width/head))``
    * sparse SDDMM: ``ceil(nnz / sparse_PE_width) * ceil(d / (PE_width/head))``
    * dense SpMM:   ``ceil(n*d*g / int(dense_PE_width*PE_width/head))``
    * sparse SpMM:  ``ceil(nnz*d / int(sparse_PE_width*PE_width/head))``
    """
    n, g, nnz, d = s.n_q, s.g, s.sparse_work, feature_dim
    ratio = g * n / (nnz + g * n)
    dpe = int(pe_width * ratio)
    spe = pe_width - dpe
    if dpe < 1 or spe < 1:
        raise ValueError(f"vitcod: ViTCoD.py gives the engines {dpe} and {spe} PEs here and "
                         "divides by zero; use split_cycles")
    tile = math.ceil(d / (pe_width / heads))
    return {
        "dense_sddmm": g * math.ceil(n / dpe) * tile,
        "sparse_sddmm": math.ceil(nnz / spe) * tile,
        "dense_spmm": math.ceil(n * d * g / int(dpe * pe_width / heads)),
        "sparse_spmm": math.ceil(nnz * d / int(spe * pe_width / heads)),
    }


def split_sddmm_acc(s: VitcodSplit, q: np.ndarray, k: np.ndarray) -> list[np.ndarray]:
    """Exact accumulators computed the split way, returned in the *original* coordinates as
    :func:`models.sddmm.sddmm_acc` returns them (per original row, ascending original columns):
    the dense engine does every (query, global key) product, the sparse engine the COO list;
    then the pruned dense products are dropped and both permutations undone."""
    qn = np.asarray(q, dtype=np.int64)[s.row_perm]
    kn = np.asarray(k, dtype=np.int64)[s.col_perm]
    full = np.zeros((s.n_q, s.n_k), dtype=np.int64)
    full[:, : s.g] = qn @ kn[: s.g].T  # dense engine
    r, c = s.coo[:, 0], s.coo[:, 1]
    full[r, c] = np.einsum("ij,ij->i", qn[r], kn[c])  # sparse engine
    orig = full[s.row_inv][:, s.col_inv]
    mask = split_to_mask(s)
    return [orig[i, cols] for i, cols in enumerate(mask_to_rows(mask))]


__all__ = ["REORDER_THRESHOLD", "VITCOD_COMMIT", "VitcodCycles", "VitcodSplit", "dot_cycles",
           "global_columns", "inverse_permutation", "reorder_permutation", "split_cycles",
           "split_head", "split_pes", "split_sddmm_acc", "split_to_mask", "vitcod_sim_pe_cycles"]
