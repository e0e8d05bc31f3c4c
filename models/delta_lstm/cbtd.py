"""CBTD (column-balanced targeted dropout): pruning, the storage layout :class:`CbtdWeights`
and the RTL weight-memory image (format: :mod:`models.delta_lstm`)."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np

from models.fixed import check_signed

#: Gamma is read as the nearest fraction with a denominator up to this, so that 0.94 * 50 is
#: exactly 47 and not 46.99999999999999 (which floor() would turn into 46).
GAMMA_DENOMINATOR = 10**6


def cbtd_keep(rows_per_pe: int, gamma: float) -> int:
    """``K = rows_per_pe - floor(rows_per_pe * gamma)`` (seed spec A1), gamma in [0, 1)."""
    if not 0 <= gamma < 1:
        raise ValueError(f"cbtd: gamma must be in [0, 1) (got {gamma!r})")
    g = Fraction(gamma).limit_denominator(GAMMA_DENOMINATOR)
    return rows_per_pe - math.floor(rows_per_pe * g)


def _cbtd_ranked_rows(w: np.ndarray, num_pe: int, keep: int) -> np.ndarray:
    """Global row indices of the kept entries, shape (cols, num_pe, keep), ascending local row.

    Per (PE, column): the ``keep`` largest ``|w|``, ties to the lower row.
    """
    rows, cols = w.shape
    if num_pe < 1 or rows % num_pe:
        raise ValueError(f"cbtd: num_pe must divide the row count {rows} (got {num_pe})")
    rpp = rows // num_pe
    if not 1 <= keep <= rpp:
        raise ValueError(f"cbtd: keep must be in [1, rows_per_pe={rpp}] (got {keep})")
    # local view: [local_row, pe, col] = w[local_row * num_pe + pe, col]
    mag = np.abs(w).reshape(rpp, num_pe, cols)
    # stable sort on -|w| keeps equal magnitudes in ascending local-row order: ties to lower row
    order = np.argsort(-mag, axis=0, kind="stable")[:keep]          # (keep, pe, col)
    order = np.sort(order, axis=0)                                   # ascending local row
    local = np.transpose(order, (2, 1, 0))                           # (col, pe, keep)
    pe = np.arange(num_pe)[None, :, None]
    return local * num_pe + pe


def cbtd_prune_keep(w, num_pe: int, keep: int) -> np.ndarray:
    """Zero all but the ``keep`` largest-|w| entries of every (PE, column); same dtype as ``w``."""
    w = np.asarray(w)
    if w.ndim != 2:
        raise ValueError(f"cbtd: w must be a matrix (got shape {w.shape})")
    kept = _cbtd_ranked_rows(w, num_pe, keep)
    out = np.zeros_like(w)
    cols = np.broadcast_to(np.arange(w.shape[1])[:, None, None], kept.shape)
    out[kept, cols] = w[kept, cols]
    return out


def cbtd_prune(w, num_pe: int, gamma: float) -> np.ndarray:
    """CBTD with drop ratio ``gamma``: keep ``cbtd_keep(rows_per_pe, gamma)`` per (PE, column)."""
    w = np.asarray(w)
    if w.ndim != 2 or num_pe < 1 or w.shape[0] % num_pe:
        raise ValueError(f"cbtd: num_pe={num_pe} must divide the row count of w {w.shape}")
    return cbtd_prune_keep(w, num_pe, cbtd_keep(w.shape[0] // num_pe, gamma))


@dataclasses.dataclass(frozen=True)
class CbtdWeights:
    """CBTD storage: ``value``/``local_row`` of shape (cols, num_pe, keep), see module doc."""

    num_pe: int
    keep: int
    rows: int
    value: np.ndarray
    local_row: np.ndarray

    @property
    def cols(self) -> int:
        return int(self.value.shape[0])

    @property
    def rows_per_pe(self) -> int:
        return self.rows // self.num_pe

    @property
    def row_bits(self) -> int:
        return max(1, (self.rows_per_pe - 1).bit_length())


def cbtd_pack(w_pruned, num_pe: int, keep: int) -> CbtdWeights:
    """Dense pruned integer matrix -> :class:`CbtdWeights`.

    Raises ``ValueError`` when a (PE, column) has more than ``keep`` non-zeros (the matrix is
    not CBTD with this ``keep``) or when ``w_pruned`` is not an integer matrix.
    """
    w = np.asarray(w_pruned)
    if w.ndim != 2 or not np.issubdtype(w.dtype, np.integer):
        raise ValueError(f"cbtd: w_pruned must be an integer matrix (got {w.dtype} {w.shape})")
    w = w.astype(np.int64)
    rows, cols = w.shape
    kept = _cbtd_ranked_rows(w, num_pe, keep)
    nnz = np.count_nonzero(w.reshape(rows // num_pe, num_pe, cols), axis=0)  # (pe, col)
    if nnz.max(initial=0) > keep:
        pe, col = np.unravel_index(int(np.argmax(nnz)), nnz.shape)
        raise ValueError(f"cbtd: PE {pe} column {col} has {int(nnz[pe, col])} non-zeros, "
                         f"more than keep={keep}")
    colidx = np.broadcast_to(np.arange(cols)[:, None, None], kept.shape)
    return CbtdWeights(num_pe=num_pe, keep=keep, rows=rows, value=w[kept, colidx],
                       local_row=kept // num_pe)


def cbtd_unpack(cw: CbtdWeights) -> np.ndarray:
    """Inverse of :func:`cbtd_pack`: the dense (rows, cols) int64 matrix."""
    out = np.zeros((cw.rows, cw.cols), dtype=np.int64)
    pe = np.arange(cw.num_pe)[None, :, None]
    rows = cw.local_row * cw.num_pe + pe
    colidx = np.broadcast_to(np.arange(cw.cols)[:, None, None], rows.shape)
    out[rows, colidx] = cw.value
    return out


def cbtd_entry_words(cw: CbtdWeights, w_width: int) -> np.ndarray:
    """One entry as an unsigned word: ``value`` (two's complement, ``w_width`` bits) in the low
    bits, ``local_row`` above it. Shape (cols, num_pe, keep)."""
    check_signed(cw.value, w_width, "cbtd: value")
    return (cw.value & ((1 << w_width) - 1)) | (cw.local_row << w_width)


def cbtd_memory_image(cw: CbtdWeights, w_width: int) -> list[int]:
    """Weight-memory words, address ``j * keep + k``: entry k of column j for every PE, PE 0 in
    the least significant bits; each entry ``w_width + row_bits`` wide."""
    words = cbtd_entry_words(cw, w_width)
    ebits = w_width + cw.row_bits
    image = []
    for j in range(cw.cols):
        for k in range(cw.keep):
            word = 0
            for pe in range(cw.num_pe):
                word |= int(words[j, pe, k]) << (pe * ebits)
            image.append(word)
    return image
