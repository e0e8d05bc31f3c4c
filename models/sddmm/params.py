"""``sddmm`` parameters: the masked Q·Kᵀ engine's shape and widths."""

from __future__ import annotations

import dataclasses

from models.attn_load import AttnHeadParams
from models.gemm import acc_bits_needed
from models.params import BlockParams


@dataclasses.dataclass(frozen=True)
class SddmmParams(AttnHeadParams, BlockParams):
    """Masked Q·Kᵀ engine configuration.

    head_dim     -- d, the reduction length of every score
    max_keys     -- most keys (n_k) a head may have; sizes the column index
    data_width   -- Q and K element width (signed)
    acc_width    -- accumulator width (signed); must hold ``head_dim`` extreme products
    score_width  -- output score width (signed)
    scale_width  -- width of the unsigned per-head requantisation multiplier
    kv_banks     -- banks of the load memory (build time, 1 or 2): with 2 the next head's
                    load fills the idle bank while the current head computes (tag ``b2``)
    """

    BLOCK = "sddmm"
    TAG_FIELDS = (("d", "head_dim"), ("k", "max_keys"), ("w", "data_width"),
                  ("a", "acc_width"), ("s", "score_width"))
    TAG_SUFFIX_FIELDS = (("b", "kv_banks"),)

    head_dim: int = 64
    max_keys: int = 256
    data_width: int = 8
    acc_width: int = 32
    score_width: int = 16
    scale_width: int = 16
    kv_banks: int = 1

    def validate(self) -> None:
        self.validate_head()
        need = acc_bits_needed(self.data_width, self.head_dim)
        self.validate_acc(need, f"head_dim={self.head_dim} products of {self.data_width}-bit "
                          "operands")
        self.require_range("score_width", 2, self.acc_width)

    def port_widths(self) -> dict[str, int]:
        return {"s_axis_k_tdata": self.row_width,
                "s_axis_k_tuser": self.load_user_width,
                "s_axis_q_tdata": self.row_width, "s_axis_q_tuser": 1,
                "s_axis_m_tdata": self.col_width, "s_axis_m_tuser": 1,
                "m_axis_s_tdata": self.col_width + self.score_width, "m_axis_s_tuser": 1}
