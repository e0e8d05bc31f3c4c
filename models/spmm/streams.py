"""``spmm``'s streams (rtl/spmm.py): a head is a V load (models/attn_load.py), then one P
packet per query row (the family's valued row format); one output beat per row."""

from __future__ import annotations

import dataclasses

import numpy as np

from models.attn_load import (
    decode_load,
    encode_load,
)
from models.attn_mask import (
    Beat,
    col_width,
    decode_value_row,
    encode_value_row,
)
from models.fixed import unpack_rows
from models.gemm import requantise
from models.spmm.model import (
    SpmmHead,
    check_head,
)
from models.spmm.params import SpmmParams


# -- stream format of P: one valued row packet per query row -----------------------------------
def encode_probs(p: SpmmParams, h: SpmmHead) -> list[list[Beat]]:
    """P packets: row i carries its (column, probability) pairs, P unsigned ``prob_width``
    (:func:`models.attn_mask.encode_value_row`)."""
    return [encode_value_row(c, pr, p.max_keys, p.prob_width, False, i)
            for i, (c, pr) in enumerate(zip(h.cols, h.probs))]


def decode_probs(p: SpmmParams, packets) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Inverse of :func:`encode_probs` -> (cols, probs) per row."""
    rows = [decode_value_row(b, p.max_keys, p.prob_width, False, i)
            for i, b in enumerate(packets)]
    return [c for c, _ in rows], [v for _, v in rows]


# -- the RTL's streams (rtl/spmm.py): a head is a V load, then one P packet per query row ----
LAST_ROW = 2  # s_axis_p tuser bit 1 (on every beat of the row): the head's last query row
#: s_axis_p tuser bit 0: EMPTY, as in models/attn_mask.py


@dataclasses.dataclass
class VLoad:
    """The values of a head (n_k, d) and its requantisation: one beat per key on ``s_axis_v``."""

    v: np.ndarray
    scale: int = 1
    shift: int = 0


@dataclasses.dataclass
class PRow:
    """One query row of P: kept columns (ascending), their probabilities, whether it is the
    head's last row, and the head's key count ``n_k`` (the encoder's range check)."""

    cols: np.ndarray
    probs: np.ndarray
    last: bool
    n_k: int


def head_txns(p: SpmmParams, h: SpmmHead) -> tuple[VLoad, list[PRow]]:
    check_head(p, h)
    return (VLoad(h.v, h.scale, h.shift),
            [PRow(np.asarray(c), np.asarray(pr), i == h.n_q - 1, h.n_k)
             for i, (c, pr) in enumerate(zip(h.cols, h.probs))])


def encode_v(p: SpmmParams, t: VLoad) -> list[Beat]:
    """The V load in the family's load format (:mod:`models.attn_load`): value row j on beat
    j, tlast on the last, tuser = scale | shift << scale_width (sampled on tlast)."""
    return encode_load(p, t.v, t.scale, t.shift, "spmm", "V")


def decode_v(p: SpmmParams, beats: list[Beat]) -> VLoad:
    return VLoad(*decode_load(p, beats))


def encode_p(p: SpmmParams, t: PRow) -> list[Beat]:
    """The row's valued packet (``col | prob << col_width``, models/attn_mask.py), with
    LAST_ROW on every beat of the head's last row."""
    if t.n_k > p.max_keys:
        raise ValueError(f"spmm: a head has at most max_keys={p.max_keys} keys (got {t.n_k})")
    beats = encode_value_row(t.cols, t.probs, t.n_k, p.prob_width, False)
    w_head, w_max = col_width(t.n_k), p.col_width
    if w_head != w_max:  # re-pack at the block's column width
        beats = [((d & ((1 << w_head) - 1)) | ((d >> w_head) << w_max), last, u)
                 for d, last, u in beats]
    flag = LAST_ROW if t.last else 0
    return [(d, last, u | flag) for d, last, u in beats]


def decode_p(p: SpmmParams, beats: list[Beat]) -> PRow:
    last = bool(beats[-1][2] & LAST_ROW)
    cols, probs = decode_value_row([(d, la, u & ~LAST_ROW) for d, la, u in beats],
                                   p.max_keys, p.prob_width, False)
    return PRow(cols, probs, last, p.max_keys)


def decode_out(p: SpmmParams, beats: list[Beat]) -> np.ndarray:
    """One output beat: the requantised row O[i, :] (d signed data_width elements)."""
    return unpack_rows([d for d, _, _ in beats], p.head_dim, p.data_width)


def row_out(p: SpmmParams, t: VLoad, r: PRow) -> np.ndarray:
    """Bit-exact output of one query row, as :func:`decode_out` gives it: shape (1, d)."""
    cols = np.asarray(r.cols, dtype=np.int64)
    acc = np.asarray(r.probs, dtype=np.int64) @ np.asarray(t.v, dtype=np.int64)[cols] \
        if cols.size else np.zeros(p.head_dim, dtype=np.int64)
    return requantise(np.asarray(acc, dtype=np.int64), t.scale, t.shift, p.data_width)[None, :]
