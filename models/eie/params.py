"""``eie`` parameters: the PE count, the LNZD width, the layer bounds, the memories and the
widths of the compressed sparse M x V engine (seed_specs.md C1)."""

from __future__ import annotations

import dataclasses

from models.params import BlockParams

#: a weight is a 4-bit index into the shared codebook (EIE / Deep Compression)
INDEX_BITS = 4
#: codebook entries an index can name (index ZERO_CODE included)
CODEBOOK_SIZE = 1 << INDEX_BITS
#: the index whose weight is 0.0: padding entries use it; the RTL hardwires it (not loaded)
ZERO_CODE = 0
#: a zero run is a 4-bit count: longer runs need padding entries
ZRUN_BITS = 4
MAX_ZRUN = (1 << ZRUN_BITS) - 1
#: one stored (v, z) entry: v in the low INDEX_BITS bits, z above (8 bits, as on chip)
ENTRY_BITS = INDEX_BITS + ZRUN_BITS

#: status bits of an output vector (m_axis_b tuser): what the RTL found wrong, never silent
ST_PTR_ORDER = 1  # a visited column's pointers decrease: p[j+1] < p[j]
ST_PTR_END = 2  # a visited column's end pointer p[j+1] is past the PE's loaded entries
ST_ZRUN = 4  # an entry's zero run puts it past its PE's slice (local row >= its rows)
ST_INDEX = 8  # an entry's index names no loaded codebook entry (v >= n_codes)
ST_LOAD = 16  # the load itself is bad: shape or shift out of range, too many codes or
#               entries for the memories, a PE's pointer count != cols, a beat of no kind
#               (past KIND_ENTRY) or for a PE past N, a load that does not open with its
#               SHAPE beat, a SHAPE beat that is not the load's first, no REQUANT beat or
#               more than one
STATUS_BITS = 5
STATUS_NAMES = {ST_PTR_ORDER: "ptr_order", ST_PTR_END: "ptr_end", ST_ZRUN: "zrun",
                ST_INDEX: "index", ST_LOAD: "load"}


def bits_for(n: int) -> int:
    """Unsigned bits holding every value 0..n (at least 1)."""
    return max(1, int(n).bit_length())


def acc_bits_needed(act_width: int, code_width: int, max_cols: int) -> int:
    """Signed width holding ``max_cols`` products of a signed ``code_width`` codebook value and
    a signed ``act_width`` activation: a row gets at most one product per column (its entries
    in a column sit at distinct rows), each at most ``2**(cw-1) * 2**(aw-1)`` in magnitude."""
    bound = max_cols * (1 << (code_width - 1)) * (1 << (act_width - 1))
    return bound.bit_length() + 1


@dataclasses.dataclass(frozen=True)
class EieParams(BlockParams):
    """EIE engine configuration.

    num_pe      -- N processing elements; output row i lives in PE i mod N at local row i div N
    lanes       -- activations per input beat, scanned by the leading-non-zero detector
    max_rows    -- most output rows of a layer (the accumulator register files hold them)
    max_cols    -- most input activations of a layer (the pointer memories hold them)
    max_nnz     -- (v, z) entries each PE's sparse-matrix memory holds (padding included)
    fifo_depth  -- entries of each PE's activation FIFO
    act_width   -- activation and output width (signed)
    code_width  -- codebook value width (signed)
    acc_width   -- accumulator width (signed): must hold max_cols extreme products
    scale_width -- unsigned requantisation multiplier width
    """

    BLOCK = "eie"
    TAG_FIELDS = (("n", "num_pe"), ("l", "lanes"), ("r", "max_rows"), ("c", "max_cols"),
                  ("e", "max_nnz"), ("f", "fifo_depth"), ("a", "act_width"),
                  ("w", "code_width"), ("q", "acc_width"))

    num_pe: int = 4
    lanes: int = 4
    max_rows: int = 128
    max_cols: int = 64
    max_nnz: int = 512
    fifo_depth: int = 8
    act_width: int = 16
    code_width: int = 16
    acc_width: int = 40
    scale_width: int = 16

    def validate(self) -> None:
        self.require_range("num_pe", 1, 64)
        self.require_range("lanes", 1, 16)
        self.require_range("max_rows", 1, 4096)
        self.require_range("max_cols", 1, 4096)
        self.require_range("max_nnz", 1, 1 << 16)
        self.require_range("fifo_depth", 1, 64)
        self.require_range("act_width", 2, 24)
        self.require_range("code_width", 2, 24)
        self.require_range("scale_width", 1, 24)
        need = acc_bits_needed(self.act_width, self.code_width, self.max_cols)
        self.require(self.acc_width >= need,
                     f"acc_width must be >= {need} to hold max_cols={self.max_cols} products "
                     f"of {self.code_width}-bit codes and {self.act_width}-bit activations",
                     self.acc_width)
        self.require(self.acc_width + self.scale_width <= 62,
                     "acc_width + scale_width must be <= 62 (the requantiser's product in "
                     "int64)", self.acc_width + self.scale_width)

    # -- derived widths ------------------------------------------------------------------
    @property
    def local_rows(self) -> int:
        """Accumulators per PE: the largest slice, ceil(max_rows / num_pe)."""
        return -(-self.max_rows // self.num_pe)

    @property
    def row_width(self) -> int:
        return bits_for(self.max_rows)

    @property
    def col_width(self) -> int:
        return bits_for(self.max_cols)

    @property
    def ptr_width(self) -> int:
        return bits_for(self.max_nnz)

    @property
    def pe_width(self) -> int:
        return bits_for(self.num_pe - 1)

    @property
    def max_shift(self) -> int:
        """Largest requantisation shift: the whole product ``acc * scale`` shifted out."""
        return self.acc_width + self.scale_width - 1

    @property
    def shift_width(self) -> int:
        return bits_for(self.max_shift)

    @property
    def code_count_width(self) -> int:
        return bits_for(CODEBOOK_SIZE)

    @property
    def shape_bits(self) -> int:
        """SHAPE beat: rows, then cols, then relu."""
        return self.row_width + self.col_width + 1

    @property
    def w_data_width(self) -> int:
        """s_axis_w tdata: the widest of its beat kinds (models.eie.streams)."""
        return max(self.shape_bits, self.scale_width + self.shift_width, self.code_width,
                   self.ptr_width, ENTRY_BITS)

    @property
    def w_user_width(self) -> int:
        from models.eie.streams import KIND_BITS

        return KIND_BITS + self.pe_width

    @property
    def a_data_width(self) -> int:
        return self.lanes * self.act_width

    @property
    def b_data_width(self) -> int:
        return self.num_pe * self.act_width

    @property
    def out_beats_max(self) -> int:
        return self.local_rows

    def port_widths(self) -> dict[str, int]:
        return {"s_axis_w_tdata": self.w_data_width, "s_axis_w_tuser": self.w_user_width,
                "s_axis_a_tdata": self.a_data_width,
                "m_axis_b_tdata": self.b_data_width, "m_axis_b_tuser": STATUS_BITS}
