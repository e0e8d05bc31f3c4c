"""``spmm`` parameters: the sparse-P x dense-V engine's shape and widths."""

from __future__ import annotations

import dataclasses

from models.attn_load import AttnHeadParams
from models.params import BlockParams


def spmm_acc_bits_needed(data_width: int, prob_width: int, max_keys: int) -> int:
    """Smallest signed width holding ``max_keys`` products of an unsigned ``prob_width``-bit P
    and a signed ``data_width``-bit V: ``|sum| <= max_keys * (2**pw - 1) * 2**(dw-1)``."""
    bound = max_keys * ((1 << prob_width) - 1) * (1 << (data_width - 1))
    return bound.bit_length() + 1  # +1: sign bit


@dataclasses.dataclass(frozen=True)
class SpmmParams(AttnHeadParams, BlockParams):
    """Sparse-probability x dense-V engine configuration.

    head_dim     -- d, the columns of V and of the output
    max_keys     -- most keys (n_k, rows of V) a head may have; sizes the column index
    data_width   -- V element and output width (signed)
    prob_width   -- P element width (unsigned, UQ0.prob_width)
    acc_width    -- accumulator width (signed); must hold ``max_keys`` extreme products
    scale_width  -- width of the unsigned per-head requantisation multiplier
    kv_banks     -- banks of the load memory (build time, 1 or 2): with 2 the next head's
                    load fills the idle bank while the current head computes (tag ``b2``)
    """

    BLOCK = "spmm"
    TAG_FIELDS = (("d", "head_dim"), ("k", "max_keys"), ("w", "data_width"),
                  ("p", "prob_width"), ("a", "acc_width"))
    TAG_SUFFIX_FIELDS = (("b", "kv_banks"),)

    head_dim: int = 64
    max_keys: int = 256
    data_width: int = 8
    prob_width: int = 8
    acc_width: int = 32
    scale_width: int = 16
    kv_banks: int = 1

    def validate(self) -> None:
        self.validate_head()
        self.require_range("prob_width", 1, 16)
        need = spmm_acc_bits_needed(self.data_width, self.prob_width, self.max_keys)
        self.validate_acc(need, f"max_keys={self.max_keys} products of {self.prob_width}-bit "
                          f"P and {self.data_width}-bit V")

    def port_widths(self) -> dict[str, int]:
        return {"s_axis_v_tdata": self.row_width,
                "s_axis_v_tuser": self.load_user_width,
                "s_axis_p_tdata": self.col_width + self.prob_width, "s_axis_p_tuser": 2,
                "m_axis_o_tdata": self.row_width}

    @property
    def p_one(self) -> int:
        """The integer that would stand for probability 1.0 (one above the largest P)."""
        return 1 << self.prob_width
