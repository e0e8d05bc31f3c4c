"""``gcn_agg`` parameters: the PCOO aggregation lane array (LW-GCN) a future RTL block builds.

One object sizes the RTL, the model, the stream codecs and the cycle formulas (style.md)."""

from __future__ import annotations

import dataclasses

from models.params import BlockParams

#: m_axis_y_tuser bits, the same on every row of a pass: bit 0 HAZARD (a lane got a row again
#: inside the latency window: the block held the beat until the write landed), bit 1 RANGE (a
#: tuple's row or column was outside the loaded graph: the block dropped it)
Y_FLAGS = 2
FLAG_HAZARD, FLAG_RANGE = 1, 2
#: Â is stored unsigned with this many fraction bits (UQ1.15; adjacency.py says why)
ADJ_FRAC = 15


def index_width(n: int) -> int:
    """Bits of a node index in ``[0, n)``, at least 1."""
    return max(1, int(n - 1).bit_length())


@dataclasses.dataclass(frozen=True)
class GcnAggParams(BlockParams):
    """PCOO aggregation ``Y = requant(Â_q · H)``.

    lanes          -- P, PEs (MAC lanes); each cycle carries one (row, col, val) tuple per lane
    latency        -- L, accumulator read-modify-write latency in cycles: the schedule never gives
                      a lane the same destination row twice within L cycles
    max_nodes      -- most graph nodes; sizes row and column indices and the XW replica
    feat_width     -- H = X·W element width (signed)
    feat_lanes     -- features of one H row handled per tuple (a pass covers feat_lanes columns)
    adj_width      -- Â value width, unsigned, ADJ_FRAC fraction bits (UQ1.15 at 16)
    max_degree     -- most non-zeros of one row of Â (sizes the accumulator)
    acc_width      -- accumulator width (signed); holds max_degree extreme products
    out_width      -- output element width (signed)
    scale_width    -- width of the unsigned requantisation multiplier
    acc_depth      -- accumulator words per lane (rows, or row segments, one lane holds)
    """

    BLOCK = "gcn_agg"
    TAG_FIELDS = (("p", "lanes"), ("l", "latency"), ("n", "max_nodes"), ("w", "feat_width"),
                  ("a", "acc_width"))

    lanes: int = 8
    latency: int = 4
    max_nodes: int = 4096
    feat_width: int = 8
    feat_lanes: int = 16
    adj_width: int = 16
    max_degree: int = 256
    acc_width: int = 32
    out_width: int = 16
    scale_width: int = 16
    acc_depth: int = 1024

    def validate(self) -> None:
        self.require_range("lanes", 1, 64)
        self.require_range("latency", 1, 32)
        self.require_range("max_nodes", 2, 1 << 20)
        self.require_range("feat_width", 2, 16)
        self.require_range("feat_lanes", 1, 64)
        self.require_range("adj_width", ADJ_FRAC + 1, 24)
        self.require_range("max_degree", 1, self.max_nodes)
        self.require_range("scale_width", 1, 24)
        self.require_range("acc_depth", 1, self.max_nodes)
        need = self.acc_bits_needed
        self.require(need <= self.acc_width <= 48,
                     f"acc_width must be in [{need}, 48]: {need} bits hold max_degree="
                     f"{self.max_degree} products of a {self.adj_width}-bit value and a "
                     f"{self.feat_width}-bit feature", self.acc_width)
        self.require_range("out_width", 2, self.acc_width)

    @property
    def acc_bits_needed(self) -> int:
        bound = self.max_degree * ((1 << self.adj_width) - 1) * (1 << (self.feat_width - 1))
        return bound.bit_length() + 1

    @property
    def index_width(self) -> int:
        return index_width(self.max_nodes)

    @property
    def tuple_width(self) -> int:
        """valid bit, row, col, value of one lane's tuple."""
        return 1 + 2 * self.index_width + self.adj_width

    @property
    def beat_width(self) -> int:
        """s_axis_a_tdata: one tuple per lane, lane 0 in the least significant bits."""
        return self.lanes * self.tuple_width

    @property
    def max_shift(self) -> int:
        return self.acc_width + self.scale_width

    @property
    def shift_width(self) -> int:
        return int(self.max_shift).bit_length()

    @property
    def out_bits_width(self) -> int:
        """Bits of the run-time output width field (2 .. out_width)."""
        return int(self.out_width).bit_length()

    @property
    def h_user_width(self) -> int:
        """s_axis_h_tuser: scale | shift | relu | out_bits, sampled on the load's tlast."""
        return self.scale_width + self.shift_width + 1 + self.out_bits_width

    def port_widths(self) -> dict[str, int]:
        return {"s_axis_a_tdata": self.beat_width,
                "s_axis_h_tdata": self.feat_lanes * self.feat_width,
                "s_axis_h_tuser": self.h_user_width,
                "m_axis_y_tdata": self.feat_lanes * self.out_width,
                "m_axis_y_tuser": Y_FLAGS}
