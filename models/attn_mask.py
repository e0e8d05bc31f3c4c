"""The shared sparse attention mask format: dense bool masks, row coordinates, stream packets.

Convention
    A dense mask is a bool array ``(n_q, n_k)`` with **True = kept** (the score is computed).
    The ViTCoD files store the opposite (True = pruned); :func:`load_deit_masks` inverts them.

Row-coordinate (CSR) format (:func:`mask_to_rows`)
    One int64 array per query row holding the kept key-column indices, strictly ascending, each
    in ``[0, n_k)``. An all-masked row is an empty array.

Stream packet of one row (:func:`encode_mask_row`), one packet per query row, rows in order
    ========  ======================================================================
    tdata     kept column index, unsigned, ``col_width(n_k)`` bits
              (bits for ``n_k - 1``, at least 1)
    tlast     set on the last beat of the row, and only there
    tuser     bit 0 = EMPTY: the row keeps no column; all other bits 0
    ========  ======================================================================

    A row with ``c >= 1`` kept columns is ``c`` beats, ascending column order, ``tuser = 0``.
    An all-masked row is exactly one beat ``(tdata=0, tlast=True, tuser=EMPTY)``, so every row
    has at least one beat and a consumer always sees the row end.
    Example, ``n_k = 4``: row ``[1, 0, 1, 1]`` -> ``(0, F, 0), (2, F, 0), (3, T, 0)``;
    row ``[0, 0, 0, 0]`` -> ``(0, T, 1)``.

Valued rows (:func:`encode_value_row`): the same packet with a value per beat (a score out of
an SDDMM, a probability into an SpMM): ``tdata = col | value << col_width``, the value
``value_bits`` wide (two's complement when signed). The EMPTY beat is the same as above.

Malformed input is refused with a ``ValueError`` naming the row and the broken rule: a column
index out of range, unsorted or repeated indices, the EMPTY flag on a row with other beats (or
with non-zero tdata), a missing tlast or beats after tlast, reserved tuser bits, and a dense mask
that is not bool or not of the expected shape.

Loaders read the copies under ``data/`` at the repository root (see the READMEs there).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: one stream beat: (tdata, tlast, tuser)
Beat = tuple[int, bool, int]

#: tuser bit 0 of a row packet: the row keeps no column
EMPTY = 1

#: repository data folder (``data/`` next to ``models/``)
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEIT_DIR = DATA_DIR / "vitcod_deit_tiny"
LEVIT_DIR = DATA_DIR / "vitcod_levit_softmax"
#: DeiT-Tiny masks at 95 % sparsity: 12 layers x 3 heads x 197 x 197
DEIT_SHAPE = (12, 3, 197, 197)
#: LeViT depths carried in data/ (dpt0, 2.4 MB, is left out: see its README)
LEVIT_DEPTHS = (1, 2)


def _where(row: int | None) -> str:
    return "mask row" if row is None else f"mask row {row}"


def _fail(row: int | None, rule: str) -> None:
    raise ValueError(f"attn_mask: {_where(row)}: {rule}")


def col_width(n_k: int) -> int:
    """Bits of a column index: enough for ``n_k - 1``, at least 1."""
    if not (isinstance(n_k, int | np.integer) and n_k >= 1):
        raise ValueError(f"attn_mask: n_k must be an integer >= 1 (got {n_k!r})")
    return max(1, int(n_k - 1).bit_length())


def check_dense_mask(mask, shape: tuple[int, int] | None = None) -> None:
    """Refuse a dense mask that is not a 2-D bool array (of ``shape``, when given)."""
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        dt = getattr(mask, "dtype", type(mask).__name__)
        raise ValueError(f"attn_mask: a dense mask must be a bool numpy array, True = kept "
                         f"(got {dt})")
    if mask.ndim != 2 or 0 in mask.shape:
        raise ValueError(f"attn_mask: a dense mask must be 2-D (n_q, n_k) with n_q, n_k >= 1 "
                         f"(got shape {mask.shape})")
    if shape is not None and mask.shape != tuple(shape):
        raise ValueError(f"attn_mask: the dense mask must have shape {tuple(shape)} "
                         f"(got {mask.shape})")


def check_mask_row(cols, n_k: int, row: int | None = None) -> None:
    """Refuse one row of column indices that is not strictly ascending inside ``[0, n_k)``."""
    c = np.asarray(cols)
    if c.ndim != 1 or (c.size and not np.issubdtype(c.dtype, np.integer)):
        _fail(row, f"column indices must be a 1-D integer array (got {c.dtype}, {c.ndim}-D)")
    if c.size == 0:
        return
    bad = (c < 0) | (c >= n_k)
    if bad.any():
        _fail(row, f"column index {int(c[np.argmax(bad)])} out of range [0, {n_k})")
    d = np.diff(c.astype(np.int64))
    if (d == 0).any():
        _fail(row, f"column index {int(c[1:][np.argmax(d == 0)])} repeated")
    if (d < 0).any():
        i = int(np.argmax(d < 0))
        _fail(row, f"column indices must be strictly ascending ({int(c[i + 1])} follows "
                   f"{int(c[i])})")


def check_mask_rows(rows, n_k: int) -> None:
    """:func:`check_mask_row` on every row (the message names the first bad row)."""
    col_width(n_k)
    for r, cols in enumerate(rows):
        check_mask_row(cols, n_k, r)


def mask_to_rows(mask: np.ndarray) -> list[np.ndarray]:
    """Dense bool mask (True = kept) -> per query row the ascending kept column indices."""
    check_dense_mask(mask)
    return [np.flatnonzero(r).astype(np.int64) for r in mask]


def rows_to_mask(rows, n_k: int) -> np.ndarray:
    """Inverse of :func:`mask_to_rows`: a ``(len(rows), n_k)`` bool mask (True = kept)."""
    check_mask_rows(rows, n_k)
    mask = np.zeros((len(rows), n_k), dtype=bool)
    for r, cols in enumerate(rows):
        mask[r, np.asarray(cols, dtype=np.int64)] = True
    return mask


# -- stream packets -------------------------------------------------------------------------
def encode_mask_row(cols, n_k: int, row: int | None = None) -> list[Beat]:
    """One row's packet (see the module doc): a beat per kept column, or one EMPTY beat."""
    col_width(n_k)
    check_mask_row(cols, n_k, row)
    c = [int(x) for x in np.asarray(cols)]
    if not c:
        return [(0, True, EMPTY)]
    return [(x, i == len(c) - 1, 0) for i, x in enumerate(c)]


def _check_framing(beats, row: int | None) -> None:
    """The packet rules shared by plain and valued rows (framing and the EMPTY flag)."""
    beats = list(beats)
    if not beats:
        _fail(row, "a row packet must have at least one beat (an all-masked row is one "
                   "EMPTY beat)")
    for i, b in enumerate(beats):
        if len(b) != 3:
            _fail(row, f"beat {i} must be a (tdata, tlast, tuser) tuple (got {b!r})")
        _, last, user = b
        if int(user) & ~EMPTY:
            _fail(row, f"beat {i} sets reserved tuser bits (tuser={int(user)}; only bit 0, "
                       "EMPTY, is defined)")
        if last and i != len(beats) - 1:
            _fail(row, f"tlast on beat {i} of {len(beats)}: extra beats after tlast")
    if not beats[-1][1]:
        _fail(row, f"missing tlast: the last beat ({len(beats) - 1}) must carry tlast")
    empties = [i for i, b in enumerate(beats) if int(b[2]) & EMPTY]
    if empties and len(beats) > 1:
        _fail(row, f"EMPTY flag (tuser bit 0) on beat {empties[0]} of a row that has other "
                   f"beats ({len(beats)} beats)")
    if empties and int(beats[0][0]) != 0:
        _fail(row, f"an EMPTY beat must have tdata 0 (got {int(beats[0][0])})")


def decode_mask_row(beats, n_k: int, row: int | None = None) -> np.ndarray:
    """Inverse of :func:`encode_mask_row`; refuses a malformed packet (rule and row named)."""
    w = col_width(n_k)
    beats = list(beats)
    _check_framing(beats, row)
    if int(beats[0][2]) & EMPTY:
        return np.zeros(0, dtype=np.int64)
    for i, (d, _, _) in enumerate(beats):
        if not 0 <= int(d) < (1 << w):
            _fail(row, f"beat {i}: tdata {int(d)} does not fit the {w}-bit column field")
    cols = np.array([int(d) for d, _, _ in beats], dtype=np.int64)
    check_mask_row(cols, n_k, row)
    return cols


def encode_mask(mask: np.ndarray) -> list[list[Beat]]:
    """Every row's packet of a dense mask, row 0 first."""
    return [encode_mask_row(c, mask.shape[1], r) for r, c in enumerate(mask_to_rows(mask))]


def decode_mask(packets, n_k: int) -> np.ndarray:
    """Inverse of :func:`encode_mask`: packets in row order -> dense bool mask."""
    return rows_to_mask([decode_mask_row(b, n_k, r) for r, b in enumerate(packets)], n_k)


def _check_values(values, bits: int, signed: bool, n: int, row: int | None) -> np.ndarray:
    v = np.asarray(values)
    if v.shape != (n,) or (v.size and not np.issubdtype(v.dtype, np.integer)):
        _fail(row, f"values must be a 1-D integer array of {n} (one per kept column; got "
                   f"{v.dtype} {v.shape})")
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    bad = (v < lo) | (v > hi)
    if bad.any():
        kind = "signed" if signed else "unsigned"
        _fail(row, f"value {int(v[np.argmax(bad)])} does not fit a {bits}-bit {kind} field")
    return v.astype(np.int64)


def encode_value_row(cols, values, n_k: int, value_bits: int, signed: bool,
                     row: int | None = None) -> list[Beat]:
    """A row packet with one value per kept column: ``tdata = col | value << col_width``
    (value as ``value_bits``-bit two's complement when ``signed``). EMPTY row as in
    :func:`encode_mask_row`."""
    w = col_width(n_k)
    check_mask_row(cols, n_k, row)
    c = np.asarray(cols, dtype=np.int64)
    v = _check_values(values, value_bits, signed, c.size, row)
    if not c.size:
        return [(0, True, EMPTY)]
    vm = (1 << value_bits) - 1
    return [(int(x) | ((int(y) & vm) << w), i == c.size - 1, 0)
            for i, (x, y) in enumerate(zip(c, v))]


def decode_value_row(beats, n_k: int, value_bits: int, signed: bool,
                     row: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`encode_value_row` -> (cols, values), both int64."""
    w = col_width(n_k)
    beats = list(beats)
    _check_framing(beats, row)
    if int(beats[0][2]) & EMPTY:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cols, vals = [], []
    for i, (d, _, _) in enumerate(beats):
        d = int(d)
        if not 0 <= d < (1 << (w + value_bits)):
            _fail(row, f"beat {i}: tdata {d} does not fit {w} column + {value_bits} value bits")
        cols.append(d & ((1 << w) - 1))
        v = d >> w
        if signed and v >> (value_bits - 1):
            v -= 1 << value_bits
        vals.append(v)
    c = np.array(cols, dtype=np.int64)
    check_mask_row(c, n_k, row)
    return c, np.array(vals, dtype=np.int64)


# -- generators and statistics ----------------------------------------------------------------
def random_mask(rng: np.random.Generator, n_q: int, n_k: int, density: float, *,
                empty_rows: int = 0, full_rows: int = 0) -> np.ndarray:
    """A bool (n_q, n_k) mask keeping each entry with probability ``density``; then the first
    ``empty_rows`` of a random row order are cleared and the next ``full_rows`` filled (the
    all-masked and dense corners)."""
    if not 0.0 <= density <= 1.0:
        raise ValueError(f"attn_mask: density must be in [0, 1] (got {density})")
    if empty_rows + full_rows > n_q:
        raise ValueError(f"attn_mask: empty_rows + full_rows must be <= n_q={n_q} "
                         f"(got {empty_rows + full_rows})")
    mask = rng.random((n_q, n_k)) < density
    order = rng.permutation(n_q)
    mask[order[:empty_rows]] = False
    mask[order[empty_rows:empty_rows + full_rows]] = True
    return mask


def mask_beats(mask: np.ndarray) -> int:
    """Stream beats of the whole mask: kept entries plus one EMPTY beat per all-masked row."""
    check_dense_mask(mask)
    kept = mask.sum(axis=1)
    return int(kept.sum() + (kept == 0).sum())


# -- loaders ----------------------------------------------------------------------------------
def _load(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"attn_mask: {path} is missing; copy it from GATECH-EIC/ViTCoD "
                                f"as {path.parent / 'README.md'} describes")
    return np.load(path)


def load_deit_masks() -> np.ndarray:
    """Real DeiT-Tiny masks, bool (12 layers, 3 heads, 197, 197), **True = kept**.

    ``info_0.95.npy`` stores True = pruned; this returns its logical NOT."""
    m = _load(DEIT_DIR / "info_0.95.npy")
    if m.dtype != np.bool_ or m.shape != DEIT_SHAPE:
        raise ValueError(f"attn_mask: info_0.95.npy must be bool {DEIT_SHAPE} "
                         f"(got {m.dtype} {m.shape})")
    return ~m


def load_deit_global_counts() -> np.ndarray:
    """ViTCoD's global-column count per (layer, head), int64 (12, 3)."""
    g = _load(DEIT_DIR / "global_token_info_0.95.npy")
    if g.shape != DEIT_SHAPE[:2] or not np.array_equal(g, np.round(g)):
        raise ValueError(f"attn_mask: global_token_info_0.95.npy must hold whole numbers of "
                         f"shape {DEIT_SHAPE[:2]} (got {g.dtype} {g.shape})")
    return g.astype(np.int64)


def load_levit_probs(depth: int) -> np.ndarray:
    """Real LeViT-128 softmax maps of stage ``depth`` (1: (4, 8, 49, 49), 2: (4, 12, 16, 16)),
    float32 (images, heads, queries, keys), rows summing to 1."""
    if depth not in LEVIT_DEPTHS:
        raise ValueError(f"attn_mask: LeViT depth must be one of {LEVIT_DEPTHS} (dpt0 is not "
                         f"carried in data/, see its README) (got {depth!r})")
    return _load(LEVIT_DIR / f"LeViT_128_dpt{depth}.npy")


__all__ = ["DATA_DIR", "EMPTY", "Beat", "check_dense_mask", "check_mask_row", "check_mask_rows",
           "col_width", "decode_mask", "decode_mask_row", "decode_value_row", "encode_mask",
           "encode_mask_row", "encode_value_row", "load_deit_global_counts", "load_deit_masks",
           "load_levit_probs", "mask_beats", "mask_to_rows", "random_mask", "rows_to_mask"]


def deit_rows(rng: np.random.Generator, n_q: int, max_keys: int) -> np.ndarray:
    """``n_q`` random query rows of a random (layer, head) of the real DeiT-Tiny masks, kept =
    True, cropped to the first ``max_keys`` keys: real sparsity patterns for a block's tests."""
    masks = load_deit_masks()
    layer, head = int(rng.integers(masks.shape[0])), int(rng.integers(masks.shape[1]))
    rows = np.sort(rng.choice(masks.shape[2], size=min(n_q, masks.shape[2]), replace=False))
    return np.ascontiguousarray(masks[layer, head][rows][:, :min(max_keys, masks.shape[3])])
