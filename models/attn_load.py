"""The load stream of the attention family: a head's K or V matrix into a block's row memory.

Shared by ``sddmm`` (K on ``s_axis_k``), ``spmm`` (V on ``s_axis_v``) and every block that
composes them. One load is one packet, one beat per key row ``j`` of the ``(n_k, head_dim)``
matrix, signed ``data_width`` elements:

    ========  =================================================================
    tdata     row j, element i at bits ``[i*w, (i+1)*w)`` (two's complement)
    tlast     on the last row (``n_k - 1``), and only there
    tuser     ``scale | shift << scale_width`` on every beat (blocks sample it on tlast)
    ========  =================================================================

The requantisation pair is unsigned ``scale`` in ``[0, 2**scale_width)`` and ``shift`` in
``[0, max_shift]``. The functions take any params object with ``head_dim``, ``max_keys``,
``data_width``, ``scale_width``, ``max_shift`` and ``shift_width`` (:class:`AttnHeadParams`
gives the last two) and refuse a bad load with a ``ValueError`` naming the block, the matrix
and the broken rule.
"""

from __future__ import annotations

import numpy as np

from models.attn_mask import Beat, col_width
from models.fixed import INT64_SAFE_BITS, check_signed, pack_rows, unpack_rows

#: Longest head dimension the family regresses (ViT heads are 64, large models 128).
MAX_HEAD_DIM = 256
#: Most keys a head may have (a 64 x 64 patch grid plus a class token fits).
MAX_KEYS = 1 << 13
#: Widest accumulator of the family's engines (the requantiser's input).
MAX_ACC_WIDTH = 48
#: Load-memory banks an engine may have (``kv_banks``): 1, or 2 so that the next head's K/V
#: load fills the idle bank while the current head computes (models/load_banks.py)
KV_BANKS = (1, 2)


class AttnHeadParams:
    """Mixin of the attention blocks' params dataclasses: the widths derived from the base
    fields ``head_dim``, ``max_keys``, ``data_width``, ``acc_width`` and ``scale_width``, and
    the validation rules they share (:meth:`validate_head`)."""

    @property
    def col_width(self) -> int:
        """Bits of a key-column index (:func:`models.attn_mask.col_width` of ``max_keys``)."""
        return col_width(self.max_keys)

    @property
    def max_shift(self) -> int:
        """Largest requantisation shift: the width of ``acc * scale``."""
        return self.acc_width + self.scale_width

    @property
    def shift_width(self) -> int:
        """Bits of the shift field: any shift up to :attr:`max_shift`."""
        return self.max_shift.bit_length()

    @property
    def row_width(self) -> int:
        """Bits of one row of the head (head_dim elements): a load beat, a Q beat, an O beat."""
        return self.head_dim * self.data_width

    @property
    def load_user_width(self) -> int:
        """Bits of a load beat's tuser (scale, then shift)."""
        return self.scale_width + self.shift_width

    def validate_head(self) -> None:
        """The ranges every attention block shares; the block adds its accumulator rule."""
        self.require_range("head_dim", 1, MAX_HEAD_DIM)
        self.require_range("max_keys", 1, MAX_KEYS)
        self.require_range("data_width", 2, 16)
        self.require_range("scale_width", 1, 24)
        self.require(self.kv_banks in KV_BANKS, "kv_banks must be 1 or 2", self.kv_banks)

    def validate_acc(self, need: int, why: str) -> None:
        """``acc_width`` holds ``need`` bits (``why`` says of what), stays at most
        MAX_ACC_WIDTH and leaves ``acc * scale`` inside the model's int64 arithmetic."""
        self.require(self.acc_width >= need, f"acc_width must be >= {need} to hold {why} "
                     "without overflow", self.acc_width)
        self.require(self.acc_width <= MAX_ACC_WIDTH, f"acc_width must be <= {MAX_ACC_WIDTH}",
                     self.acc_width)
        self.require(self.acc_width + self.scale_width <= INT64_SAFE_BITS,
                     f"acc_width + scale_width must be <= {INT64_SAFE_BITS} so that acc * scale "
                     "fits the model's int64 arithmetic", self.acc_width + self.scale_width)


def check_requant(p, scale: int, shift: int, block: str) -> None:
    """Refuse a requantisation pair outside the params' fields."""
    if not 0 <= scale < (1 << p.scale_width):
        raise ValueError(f"{block}: scale must be in [0, 2**{p.scale_width}) (got {scale})")
    if not 0 <= shift <= p.max_shift:
        raise ValueError(f"{block}: shift must be in [0, {p.max_shift}] (got {shift})")


def check_load(p, rows, scale: int, shift: int, block: str, what: str) -> None:
    """Refuse a load matrix ``what`` ("K", "V") that is not ``(n_k in [1, max_keys],
    head_dim)`` signed ``data_width``, or a bad requantisation pair."""
    m = np.asarray(rows)
    if m.ndim != 2 or m.shape[1] != p.head_dim or not 1 <= m.shape[0] <= p.max_keys:
        raise ValueError(f"{block}: {what} must have shape (n_k in [1, max_keys={p.max_keys}], "
                         f"head_dim={p.head_dim}) (got {m.shape})")
    check_signed(m, p.data_width, f"{block}: {what}")
    check_requant(p, scale, shift, block)


def load_user(p, scale: int, shift: int) -> int:
    """A load beat's tuser: ``scale | shift << scale_width``."""
    return int(scale) | (int(shift) << p.scale_width)


def encode_load(p, rows, scale: int, shift: int, block: str, what: str) -> list[Beat]:
    """A load's packet (module doc), after :func:`check_load`."""
    check_load(p, rows, scale, shift, block, what)
    m = np.asarray(rows)
    user = load_user(p, scale, shift)
    return [(w, j == m.shape[0] - 1, user) for j, w in enumerate(pack_rows(m, p.data_width))]


def decode_load(p, beats: list[Beat]) -> tuple[np.ndarray, int, int]:
    """Inverse of :func:`encode_load` -> ``(rows (n_k, head_dim) int64, scale, shift)``; the
    requantisation is read from the last beat, as the blocks sample it."""
    user = beats[-1][2]
    return (unpack_rows([d for d, _, _ in beats], p.head_dim, p.data_width),
            user & ((1 << p.scale_width) - 1), user >> p.scale_width)


__all__ = ["KV_BANKS", "MAX_ACC_WIDTH", "MAX_HEAD_DIM", "MAX_KEYS", "AttnHeadParams", "check_load",
           "check_requant", "decode_load", "encode_load", "load_user"]
