"""EIE's compressed format (seed_specs.md C1 section 2), pure numpy.

* **Pruning** (:func:`prune_magnitude`): keep the ``density`` share of weights with the largest
  magnitude (ties to the lower flat index), zero the rest.
* **Weight sharing** (:func:`kmeans_codebook`): 1-D k-means (Lloyd) over the surviving weights
  with linear initialisation between their min and max (deterministic: no random draw; Deep
  Compression found linear initialisation best), ``CODEBOOK_SIZE - 1`` clusters; index
  ``ZERO_CODE`` is reserved for 0.0.
* **Interleaving**: output row ``i`` belongs to PE ``i mod N`` as local row ``i div N``.
* **CSC per PE** (:func:`encode_slice`): per column, its non-zeros top to bottom as 4-bit
  ``(v, z)`` pairs, ``v`` the codebook index, ``z`` the zeros since the previous entry of that
  column (from local row 0 for the first); a run longer than ``MAX_ZRUN`` first emits
  padding entries ``(ZERO_CODE, MAX_ZRUN)``, each standing for ``MAX_ZRUN`` zeros and one zero
  row of its own (20 zeros then w: ``(0,15),(w,4)``). ``ptr`` (``cols + 1`` values) has the
  entries of column j at ``ptr[j] .. ptr[j+1]-1``. An entry's local row is ``base + z`` with
  ``base`` 0 at the column's start and the previous entry's row + 1 after it.

:func:`check_csc` refuses a malformed slice naming the PE, column and entry (models.params
ParamError style); :func:`walk_column` is what the RTL does with whatever it was loaded with.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.eie.params import (
    CODEBOOK_SIZE,
    MAX_ZRUN,
    ST_INDEX,
    ST_PTR_END,
    ST_PTR_ORDER,
    ST_ZRUN,
    ZERO_CODE,
)
from models.params import ParamError

#: Lloyd iterations of the codebook's k-means; it stops earlier once no assignment changes
KMEANS_ITERS = 100


class CscError(ParamError):
    """A compressed slice breaks a rule of the format; the message names the entry."""


# -- pruning and weight sharing -------------------------------------------------------------
def prune_magnitude(w: np.ndarray, density: float) -> np.ndarray:
    """``w`` with all but the ``round(density * w.size)`` largest-magnitude weights zeroed
    (ties broken towards the lower flat index)."""
    if not 0.0 <= density <= 1.0:
        raise ParamError(f"eie: pruning density must be in [0, 1] (got {density!r})")
    w = np.asarray(w, dtype=np.float64)
    keep = int(round(density * w.size))
    order = np.argsort(-np.abs(w).ravel(), kind="stable")
    mask = np.zeros(w.size, dtype=bool)
    mask[order[:keep]] = True
    return np.where(mask.reshape(w.shape), w, 0.0)


def kmeans_codebook(values: np.ndarray, k: int = CODEBOOK_SIZE - 1,
                    iters: int = KMEANS_ITERS) -> tuple[np.ndarray, np.ndarray]:
    """1-D k-means of ``values`` -> (centroids (k,), label per value). Linear initialisation
    over [min, max]; an empty cluster keeps its previous centroid. Deterministic."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if k < 1:
        raise ParamError(f"eie: k-means needs at least one cluster (got {k})")
    if x.size == 0:
        return np.zeros(k), np.zeros(0, dtype=np.int64)
    c = np.linspace(x.min(), x.max(), k)
    labels = np.full(x.size, -1, dtype=np.int64)
    for _ in range(iters):
        new = np.argmin(np.abs(x[:, None] - c[None, :]), axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for i in range(k):
            sel = labels == i
            if sel.any():
                c[i] = x[sel].mean()
    return c, labels


def share_weights(w_pruned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pruned float weights -> (index matrix, float codebook of CODEBOOK_SIZE entries with
    entry ZERO_CODE = 0.0): every surviving weight gets the index of its k-means cluster."""
    w = np.asarray(w_pruned, dtype=np.float64)
    nz = w != 0
    cents, labels = kmeans_codebook(w[nz])
    codebook = np.zeros(CODEBOOK_SIZE)
    others = [i for i in range(CODEBOOK_SIZE) if i != ZERO_CODE]
    codebook[others] = cents
    idx = np.zeros(w.shape, dtype=np.int64)
    idx[nz] = np.asarray(others)[labels]
    return idx, codebook


# -- interleaving ---------------------------------------------------------------------------
def local_rows(rows: int, n_pe: int, k: int) -> int:
    """Rows of PE ``k``'s slice: the i < rows with i mod N = k."""
    return max(0, -(-(rows - k) // n_pe))


def pe_slice(m: np.ndarray, n_pe: int, k: int) -> np.ndarray:
    """PE ``k``'s rows of ``m`` (global rows k, k+N, ...), in local-row order."""
    return np.asarray(m)[k::n_pe]


def interleave(slices: list[np.ndarray], rows: int) -> np.ndarray:
    """Inverse of :func:`pe_slice` over every PE."""
    n = len(slices)
    cols = slices[0].shape[1] if slices and slices[0].ndim == 2 else 0
    out = np.zeros((rows, cols), dtype=np.asarray(slices[0]).dtype)
    for k, s in enumerate(slices):
        out[k::n] = s
    return out


# -- CSC with (v, z) pairs ------------------------------------------------------------------
@dataclasses.dataclass
class PeSlice:
    """One PE's compressed slice: ``ptr`` (cols + 1 values, ptr[0] = 0), ``v`` and ``z``."""

    ptr: np.ndarray
    v: np.ndarray
    z: np.ndarray

    @property
    def nnz(self) -> int:
        """Stored entries, padding included."""
        return len(self.v)


def encode_slice(local: np.ndarray) -> PeSlice:
    """CSC of one PE's (local_rows, cols) index matrix (0 = ZERO_CODE = no weight)."""
    local = np.asarray(local, dtype=np.int64)
    n_rows, n_cols = local.shape
    ptr, v, z = [0], [], []
    for j in range(n_cols):
        run = 0
        for r in range(n_rows):
            if local[r, j] == ZERO_CODE:
                run += 1
                continue
            while run > MAX_ZRUN:
                v.append(ZERO_CODE)
                z.append(MAX_ZRUN)
                run -= MAX_ZRUN + 1
            v.append(int(local[r, j]))
            z.append(run)
            run = 0
        ptr.append(len(v))
    return PeSlice(np.array(ptr, dtype=np.int64), np.array(v, dtype=np.int64),
                   np.array(z, dtype=np.int64))


def encode_csc(idx: np.ndarray, n_pe: int) -> list[PeSlice]:
    """Interleave an (rows, cols) index matrix over ``n_pe`` PEs and compress every slice."""
    idx = np.asarray(idx, dtype=np.int64)
    return [encode_slice(pe_slice(idx, n_pe, k)) for k in range(n_pe)]


def decode_slice(s: PeSlice, n_rows: int) -> np.ndarray:
    """Inverse of :func:`encode_slice` for a well-formed slice (see :func:`check_csc`)."""
    n_cols = len(s.ptr) - 1
    out = np.zeros((n_rows, n_cols), dtype=np.int64)
    for j in range(n_cols):
        base = 0
        for e in range(int(s.ptr[j]), int(s.ptr[j + 1])):
            r = base + int(s.z[e])
            out[r, j] = s.v[e]
            base = r + 1
    return out


def decode_csc(slices: list[PeSlice], rows: int) -> np.ndarray:
    n = len(slices)
    return interleave([decode_slice(s, local_rows(rows, n, k)) for k, s in enumerate(slices)],
                      rows)


def check_csc(slices: list[PeSlice], rows: int, cols: int, n_codes: int,
              capacity: int | None = None) -> None:
    """Raise :class:`CscError` naming the first broken rule (PE, column, entry)."""
    for k, s in enumerate(slices):
        ptr = np.asarray(s.ptr, dtype=np.int64)
        where = f"eie: PE {k}"
        if len(ptr) != cols + 1:
            raise CscError(f"{where}: {len(ptr)} column pointers, a layer of {cols} columns "
                           f"needs cols + 1 = {cols + 1}")
        if ptr[0] != 0:
            raise CscError(f"{where}: the first column pointer p[0] must be 0 (got {ptr[0]})")
        if len(s.v) != len(s.z):
            raise CscError(f"{where}: {len(s.v)} value indices but {len(s.z)} zero runs")
        if capacity is not None and s.nnz > capacity:
            raise CscError(f"{where}: {s.nnz} entries do not fit its memory of max_nnz="
                           f"{capacity}")
        for j in range(cols):
            if ptr[j + 1] < ptr[j]:
                raise CscError(f"{where} column {j}: pointer p[{j + 1}]={ptr[j + 1]} is below "
                               f"p[{j}]={ptr[j]} (column pointers must not decrease)")
            if ptr[j + 1] > s.nnz:
                raise CscError(f"{where} column {j}: pointer p[{j + 1}]={ptr[j + 1]} is past "
                               f"the end of its {s.nnz} entries")
        n_rows = local_rows(rows, len(slices), k)
        for j in range(cols):
            base = 0
            for e in range(int(ptr[j]), int(ptr[j + 1])):
                v, z = int(s.v[e]), int(s.z[e])
                if not 0 <= z <= MAX_ZRUN:
                    raise CscError(f"{where} column {j} entry {e}: zero run {z} does not fit "
                                   f"its 4 bits (0..{MAX_ZRUN})")
                if not 0 <= v < n_codes:
                    raise CscError(f"{where} column {j} entry {e}: index {v} is out of the "
                                   f"codebook of {n_codes} entries")
                r = base + z
                if r >= n_rows:
                    raise CscError(f"{where} column {j} entry {e}: zero run {z} puts it at "
                                   f"local row {r}, past the slice's {n_rows} rows")
                base = r + 1


# -- what the hardware does with a slice, well-formed or not --------------------------------
@dataclasses.dataclass(frozen=True)
class ColumnWalk:
    """One column of one PE as the RTL processes it: (local row, index) of every entry it
    accumulates, the entries it spends a cycle on, and the faults it raises (status bits)."""

    hits: tuple[tuple[int, int], ...]
    cycles: int
    faults: int


def walk_column(s: PeSlice, j: int, n_codes: int, n_rows: int) -> ColumnWalk:
    """Column ``j`` of slice ``s`` as the PE walks it: the pointers ``p[j]``, ``p[j+1]``
    first (a decreasing pair or an end past the stored entries: no entry is read), then one
    entry per cycle until the first faulty one (an index >= n_codes, a row >= n_rows), which
    raises its status bits and ends the column without accumulating."""
    lo, hi = int(s.ptr[j]), int(s.ptr[j + 1])
    faults = (ST_PTR_ORDER if hi < lo else 0) | (ST_PTR_END if hi > s.nnz else 0)
    if faults or lo == hi:
        return ColumnWalk((), 0, faults)
    hits, base, cycles = [], 0, 0
    for e in range(lo, hi):
        cycles += 1
        v, r = int(s.v[e]), base + int(s.z[e])
        f = (ST_INDEX if v >= n_codes else 0) | (ST_ZRUN if r >= n_rows else 0)
        if f:
            return ColumnWalk(tuple(hits), cycles, f)
        hits.append((r, v))
        base = r + 1
    return ColumnWalk(tuple(hits), cycles, 0)
