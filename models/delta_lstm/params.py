"""DeltaLSTM parameters and the widths derived from them: :class:`DeltaLstmParams`, its size
limits and the stream/memory widths (``x_lanes`` .. ``load_beats``) that the model, the RTL and
the testbench share (formats: :mod:`models.delta_lstm`)."""

from __future__ import annotations

import dataclasses

from models.params import BlockParams

#: Largest input or hidden size we accept: the benchmark layer is H <= 256; 1024 is Spartus'
#: largest layer and keeps ``acc_width`` within 48 bits.
MAX_SIZE = 1024
#: Widest accumulator: int64 intermediates stay exact (fixed.INT64_SAFE_BITS = 62 with headroom
#: for one product), same limit as gemm.
MAX_ACC_WIDTH = 48
#: Largest LUT address: 4096 entries is already a large ROM per lane.
MAX_LUT_ADDR_BITS = 12


def acc_bits_needed(input_size: int, hidden_size: int, act_width: int, w_width: int,
                    w_frac: int) -> int:
    """Signed width that holds ``|(bias << w_frac) + W @ [x̂; ĥ]|`` for any operands.

    Bounds: ``|bias << w_frac| <= 2**(act_width-1+w_frac)`` and each of the ``I+H`` products
    ``|w * x̂| <= 2**(w_width-1) * 2**(act_width-1)`` (both operands at the negative extreme).
    """
    bound = (1 << (act_width - 1 + w_frac)) + (input_size + hidden_size) * (
        1 << (w_width + act_width - 2))
    return bound.bit_length() + 1  # +1: sign bit


@dataclasses.dataclass(frozen=True)
class DeltaLstmParams(BlockParams):
    """DeltaLSTM layer with CBTD-pruned weights on ``num_pe`` PEs.

    input_size, hidden_size -- I and H; W is (4H, I+H)
    num_pe          -- CBTD PE count; row r of W belongs to PE r % num_pe
    keep            -- K, weights kept per (PE, column); MAC cycles per fired column
    act_lanes       -- hidden units per cycle in the activation phase, and x elements compared
                       per cycle by the delta unit (also the width of the x/h streams in elements)
    theta_x/theta_h -- delta thresholds in act LSBs (run-time values: cfg ports in RTL, so they
                       are not in the tag). Default 26 = round(0.1 * 256), Spartus' 0.1 in Q8.8
    act_width/frac  -- x, h, c, bias, pre-activation format (Q8.8)
    w_width/frac    -- weight format (Q1.7)
    gate_frac       -- G: gate and tanh(c) outputs are Q2.G (2 + G bits; Spartus uses Q2.4)
    acc_width       -- width of the wrapping M register; must hold the largest exact M
    hard            -- hardsigmoid / hardtanh instead of the lookup tables
    lut_range_log2  -- r: LUT input range is [-2**r, 2**r)
    lut_addr_bits   -- LUT address width; step = 2**(r + 1 - lut_addr_bits)
    """

    BLOCK = "delta_lstm"
    TAG_FIELDS = (("i", "input_size"), ("h", "hidden_size"), ("n", "num_pe"), ("k", "keep"),
                  ("l", "act_lanes"), ("a", "act_width"), ("af", "act_frac"), ("w", "w_width"),
                  ("wf", "w_frac"), ("g", "gate_frac"), ("m", "acc_width"), ("hd", "hard"),
                  ("lr", "lut_range_log2"), ("la", "lut_addr_bits"))
    RUNTIME_FIELDS = ("theta_x", "theta_h")  # cfg_theta_* ports

    input_size: int = 8
    hidden_size: int = 8
    num_pe: int = 4
    keep: int = 2
    act_lanes: int = 4
    theta_x: int = 26
    theta_h: int = 26
    act_width: int = 16
    act_frac: int = 8
    w_width: int = 8
    w_frac: int = 7
    gate_frac: int = 4
    acc_width: int = 32
    hard: bool = False
    lut_range_log2: int = 2
    lut_addr_bits: int = 8

    def validate(self) -> None:
        self.require_range("input_size", 1, MAX_SIZE)
        self.require_range("hidden_size", 1, MAX_SIZE)
        self.require_range("num_pe", 1)
        self.require(self.rows % self.num_pe == 0,
                     f"num_pe must divide 4*hidden_size = {self.rows}", self.num_pe)
        self.require_range("keep", 1, self.rows_per_pe)
        self.require_range("act_lanes", 1, self.hidden_size)
        self.require_range("act_width", 4, 24)
        self.require_range("act_frac", 0, self.act_width - 2)
        self.require_range("w_width", 2, 16)
        self.require_range("w_frac", 0, self.w_width - 1)
        # G <= act_frac: the cell update aligns i*g (2G fraction bits) to f*c (act_frac + G)
        # with a left shift, and hardtanh shifts right by act_frac - G.
        self.require_range("gate_frac", 1, self.act_frac)
        theta_max = (1 << self.act_width) - 1  # |delta| of two act values is below 2**act_width
        self.require_range("theta_x", 0, theta_max)
        self.require_range("theta_h", 0, theta_max)
        # the LUT input range [-2**r, 2**r) must lie inside the act range [-2**(ai-1), ...)
        self.require_range("lut_range_log2", 0, self.act_width - self.act_frac - 1)
        # step >= 1 act LSB: no more addresses than distinct saturated inputs
        self.require_range("lut_addr_bits", 1,
                           min(MAX_LUT_ADDR_BITS, self.lut_range_log2 + 1 + self.act_frac))
        need = acc_bits_needed(self.input_size, self.hidden_size, self.act_width,
                               self.w_width, self.w_frac)
        self.require(self.acc_width >= need,
                     f"acc_width must be >= {need} to hold the largest M of "
                     f"I+H={self.input_size + self.hidden_size} columns without wrapping",
                     self.acc_width)
        self.require(self.acc_width <= MAX_ACC_WIDTH, f"acc_width must be <= {MAX_ACC_WIDTH}",
                     self.acc_width)

    # -- derived values -------------------------------------------------------------------
    @property
    def rows(self) -> int:
        """Rows of W: four gates of H units."""
        return 4 * self.hidden_size

    @property
    def cols(self) -> int:
        """Columns of W: I input columns, then H hidden columns."""
        return self.input_size + self.hidden_size

    @property
    def rows_per_pe(self) -> int:
        return self.rows // self.num_pe

    @property
    def row_bits(self) -> int:
        """Bits of a CBTD local-row index (at least 1, so the field always exists)."""
        return max(1, (self.rows_per_pe - 1).bit_length())

    @property
    def delta_width(self) -> int:
        """A delta is the difference of two act values: one bit wider, never saturated."""
        return self.act_width + 1

    @property
    def gate_width(self) -> int:
        """Q2.G: two integer bits (sign + one) so that 1.0 and -1.0 are representable."""
        return self.gate_frac + 2

    @property
    def lut_in_width(self) -> int:
        """Width the LUT input is saturated to before its top bits are taken as address."""
        return self.lut_range_log2 + 1 + self.act_frac

    @property
    def lut_shift(self) -> int:
        """Address = (saturated input >> lut_shift) with the sign bit inverted."""
        return self.lut_in_width - self.lut_addr_bits

    @property
    def weight_density(self) -> float:
        """Fraction of W that CBTD keeps: keep / rows_per_pe (the effective 1 - gamma)."""
        return self.keep / self.rows_per_pe

    def port_widths(self) -> dict[str, int]:
        """Widths the testbench checks on the DUT it is given (see the stream helpers below)."""
        return {"cfg_theta_x": self.act_width, "cfg_theta_h": self.act_width,
                "s_axis_w_tdata": w_stream_bits(self), "s_axis_x_tdata": x_width(self),
                "m_axis_h_tdata": h_width(self)}


# -- widths of the streams and the weight memory (what rtl/delta_lstm/ is sized by) ----------
def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def x_lanes(p: DeltaLstmParams) -> int:
    """Elements per x beat: ``min(act_lanes, input_size)``."""
    return min(p.act_lanes, p.input_size)


def x_beats(p: DeltaLstmParams) -> int:
    """Beats of one x step (the x stream has no tlast)."""
    return _cdiv(p.input_size, x_lanes(p))


def x_width(p: DeltaLstmParams) -> int:
    """``s_axis_x_tdata`` bits: ``x_lanes`` act values."""
    return x_lanes(p) * p.act_width


def h_beats(p: DeltaLstmParams) -> int:
    """Beats of one h step (tlast on the last)."""
    return _cdiv(p.hidden_size, p.act_lanes)


def h_width(p: DeltaLstmParams) -> int:
    """``m_axis_h_tdata`` bits: ``act_lanes`` act values."""
    return p.act_lanes * p.act_width


def entry_bits(p: DeltaLstmParams) -> int:
    """One CBTD entry: value (``w_width``) and local row (``row_bits``)."""
    return p.w_width + p.row_bits


def wword_bits(p: DeltaLstmParams) -> int:
    """One weight-memory word: an entry for every PE."""
    return p.num_pe * entry_bits(p)


def w_stream_bits(p: DeltaLstmParams) -> int:
    """``s_axis_w_tdata`` bits: wide enough for a memory word and for a bias."""
    return max(wword_bits(p), p.act_width)


def image_words(p: DeltaLstmParams) -> int:
    """Words of the CBTD weight memory: ``keep`` per column."""
    return p.cols * p.keep


def load_beats(p: DeltaLstmParams) -> int:
    """Beats of one weight load: the CBTD image, then one bias word per row."""
    return image_words(p) + p.rows
