"""``sddmm``'s streams (rtl/sddmm.py): a head is a K load (models/attn_load.py), then one Q
beat and one mask packet per query row; the output is one valued row packet per query row."""

from __future__ import annotations

import dataclasses

import numpy as np

from models.attn_load import (
    decode_load,
    encode_load,
    load_user,
)
from models.attn_mask import (
    EMPTY,
    Beat,
    decode_mask_row,
    decode_value_row,
    encode_mask_row,
    encode_value_row,
    mask_to_rows,
)
from models.fixed import check_signed, pack, unpack
from models.gemm import requantise
from models.sddmm.model import (
    SddmmHead,
    check_head,
)
from models.sddmm.params import SddmmParams


# -- stream format of the output: one valued row packet per query row --------------------------
def encode_scores(p: SddmmParams, h: SddmmHead, rows: list[np.ndarray]) -> list[list[Beat]]:
    """Output packets: row i carries its kept (column, score) pairs, score ``score_width`` bits
    signed (:func:`models.attn_mask.encode_value_row`)."""
    return [encode_value_row(cols, v, p.max_keys, p.score_width, True, i)
            for i, (cols, v) in enumerate(zip(mask_to_rows(h.mask), rows))]


def decode_scores(p: SddmmParams, packets) -> list[tuple[np.ndarray, np.ndarray]]:
    """Inverse of :func:`encode_scores`: per row (cols, scores)."""
    return [decode_value_row(b, p.max_keys, p.score_width, True, i)
            for i, b in enumerate(packets)]


# -- the RTL's streams (rtl/sddmm.py): a head is a K load, then one Q beat and one mask packet
# per query row --------------------------------------------------------------------------------
LAST_Q = 1  # s_axis_q tuser bit 0: this is the head's last query row


@dataclasses.dataclass
class KLoad:
    """The keys of a head (n_k, d) and its requantisation: one beat per key on ``s_axis_k``."""

    k: np.ndarray
    scale: int = 1
    shift: int = 0


@dataclasses.dataclass
class QRow:
    """One query row (d,) on ``s_axis_q``; ``last``: the head's last query."""

    q: np.ndarray
    last: bool = False


@dataclasses.dataclass
class MaskRow:
    """One query row's kept key columns (ascending) on ``s_axis_m``; ``n_k`` is the head's key
    count (not on the wire: the encoder refuses a column >= n_k)."""

    cols: np.ndarray
    n_k: int


def head_txns(p: SddmmParams, h: SddmmHead) -> tuple[KLoad, list[QRow], list[MaskRow]]:
    """A head as the block's input transactions."""
    check_head(p, h)
    rows = mask_to_rows(h.mask)
    return (KLoad(h.k, h.scale, h.shift),
            [QRow(h.q[i], i == h.n_q - 1) for i in range(h.n_q)],
            [MaskRow(c, h.n_k) for c in rows])


def head_shapes(txns, *, cut_short: bool) -> list[tuple[int, list[int]]]:
    """The heads of a transaction stream as [(n_k, [kept per row])]: head h has the h-th K
    load's key count and the mask rows up to the h-th Q row flagged LAST, paired in order
    (the input of the cycle twins). ``cut_short`` keeps a last head whose LAST row was not
    sent (its rows still ran)."""
    ks = [len(t.k) for t in txns if isinstance(t, KLoad)]
    qs = [t.last for t in txns if isinstance(t, QRow)]
    ms = [len(t.cols) for t in txns if isinstance(t, MaskRow)]
    heads, rows = [], []
    for last, n in zip(qs, ms):
        rows.append(n)
        if last:
            heads.append((ks[len(heads)], rows))
            rows = []
    if rows and cut_short:
        heads.append((ks[len(heads)], rows))
    return heads


def k_user(p: SddmmParams, t: KLoad) -> int:
    return load_user(p, t.scale, t.shift)


def encode_k(p: SddmmParams, t: KLoad) -> list[Beat]:
    """The K load in the family's load format (:mod:`models.attn_load`): key j on beat j,
    tlast on the last key, tuser = scale | shift << scale_width (sampled on tlast)."""
    return encode_load(p, t.k, t.scale, t.shift, "sddmm", "K")


def decode_k(p: SddmmParams, beats: list[Beat]) -> KLoad:
    return KLoad(*decode_load(p, beats))


def encode_q(p: SddmmParams, t: QRow) -> list[Beat]:
    """One beat: the query row, tlast 1, tuser LAST_Q on the head's last row."""
    q = np.asarray(t.q)
    if q.shape != (p.head_dim,):
        raise ValueError(f"sddmm: a query row must have shape ({p.head_dim},) (got {q.shape})")
    check_signed(q, p.data_width, "sddmm: Q")
    return [(pack(q, p.data_width), True, LAST_Q if t.last else 0)]


def decode_q(p: SddmmParams, beats: list[Beat]) -> QRow:
    return QRow(unpack(beats[0][0], p.head_dim, p.data_width), bool(beats[0][2] & LAST_Q))


def encode_m(p: SddmmParams, t: MaskRow) -> list[Beat]:
    """The row's packet in the family's mask format (models/attn_mask.py)."""
    if t.n_k > p.max_keys:
        raise ValueError(f"sddmm: a head has at most max_keys={p.max_keys} keys (got {t.n_k})")
    return encode_mask_row(t.cols, t.n_k)


def decode_m(p: SddmmParams, beats: list[Beat]) -> MaskRow:
    return MaskRow(decode_mask_row(beats, p.max_keys), p.max_keys)


def decode_out(p: SddmmParams, beats: list[Beat]) -> dict:
    """An output row packet as ``{"empty", "col", "s"}`` without validation (a malformed packet
    from the DUT must reach the comparison, not stop in the decoder): ``empty`` is the first
    beat's EMPTY flag (2 when a later beat carries one)."""
    w, sw = p.col_width, p.score_width
    flags = [u & EMPTY for _, _, u in beats]
    empty = flags[0] if flags and not any(flags[1:]) else 2
    if empty == 1:
        return {"empty": np.int64(1), "col": np.zeros(0, np.int64), "s": np.zeros(0, np.int64)}
    col = np.array([d & ((1 << w) - 1) for d, _, _ in beats], dtype=np.int64)
    v = np.array([(d >> w) & ((1 << sw) - 1) for d, _, _ in beats], dtype=np.int64)
    return {"empty": np.int64(empty), "col": col,
            "s": np.where(v >= 1 << (sw - 1), v - (1 << sw), v)}


def row_out(p: SddmmParams, k: KLoad, q: QRow, m: MaskRow) -> dict:
    """Bit-exact output packet of one query row, as :func:`decode_out` gives it."""
    cols = np.asarray(m.cols, dtype=np.int64)
    if cols.size == 0:
        return {"empty": np.int64(1), "col": cols, "s": np.zeros(0, np.int64)}
    acc = np.asarray(k.k, dtype=np.int64)[cols] @ np.asarray(q.q, dtype=np.int64)
    return {"empty": np.int64(0), "col": cols,
            "s": requantise(acc, k.scale, k.shift, p.score_width)}
