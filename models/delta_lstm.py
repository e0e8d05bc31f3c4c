"""Spartus-style DeltaLSTM with CBTD weights: parameters, formats, bit-exact model, cycle model.

Seed spec A1 (Gao, Delbruck, Liu, TNNLS 2022). Everything in the datapath is an ``int64``; the
only floats are the build-time constants (lookup tables, quantisation of float weights) and the
independent float64 reference :func:`float_lstm_step`.

Number formats (``Qi.f`` = signed, ``i`` integer bits *including* the sign, ``f`` fraction bits)
-------------------------------------------------------------------------------------------------
==============  ==========================  ==================================================
quantity        format (defaults)           note
==============  ==========================  ==================================================
x, h, c, x̂, ĥ  Q8.8, ``act_width`` = 16     ``act_frac`` = 8
bias            Q8.8                        ``b_ih + b_hh`` summed in float, quantised once
weights         Q1.7, ``w_width`` = 8       ``w_frac`` = 7
delta d         Q9.8, ``act_width + 1``     difference of two Q8.8 values, never saturated
M               ``acc_width`` bits, LSB     ``M = (bias << w_frac) + sum(w * d)``; a plain
                2**-(w_frac+act_frac)       wrapping adder (see "Memory M" below)
pre-activation  Q8.8                        ``saturate(round_shift(M, w_frac), act_width)``
gates i,f,g,o   Q2.4, ``gate_frac`` = 4     2 integer bits so that 1.0 and -1.0 fit; Spartus'
tanh(c)                                     ``nqi=2, nqf=4``
==============  ==========================  ==================================================

The rounding rule is the project's one rule, round half up (:func:`models.fixed.round_shift`).

One time step (PyTorch ``nn.LSTM`` gate order i, f, g, o; rows ``g*H + j`` of W are gate g)
-------------------------------------------------------------------------------------------
1. **Delta encoder.** ``d = x_t - x̂``; element ``j`` *fires* when ``|d_j| >= max(theta_x, 1)``;
   then ``x̂_j = x_t[j]`` and the delta is kept, otherwise the delta is 0 and ``x̂_j`` is unchanged.
   The same for ``h_{t-1}`` against ``ĥ`` with ``theta_h``. The delta always uses the *stored*
   ``x̂`` (so sub-threshold drift accumulates until it fires). A threshold of 0 acts as 1 LSB:
   a zero delta adds nothing to M, so firing it would only waste K MAC cycles.
2. **Memory M.** ``M += W[:, fired] @ d[fired]`` over the (4H, I+H) matrix, columns 0..I-1 for x
   and I..I+H-1 for h. M starts at ``bias << w_frac``. Because the deltas telescope,
   ``M_t == (bias << w_frac) + W @ [x̂_t; ĥ_t]`` exactly. The register *wraps*
   (two's complement, no saturation logic): :class:`DeltaLstmParams` requires ``acc_width`` to
   hold the largest possible ``|(bias << w_frac) + W @ [x̂; ĥ]|``, so the value after every step
   is exact even if a partial sum inside a step would have wrapped (modular addition).
3. **Pre-activation** ``pre = saturate(round_shift(M, w_frac), act_width)`` (Q8.8).
4. **Nonlinearities** (:func:`sigmoid_q`, :func:`tanh_q`), Q8.8 in, Q2.G out:

   * LUT mode (``hard=False``): saturate the input to ``lut_range_log2 + act_frac + 1`` bits
     (range ``[-2**r, 2**r)``, default ±4), take its top ``lut_addr_bits`` bits and invert the
     sign bit; that is the address. Entry ``a`` covers inputs ``[lo, lo + step)`` with
     ``lo = (a - 2**(addr-1)) * step`` and ``step = 2**(r+1) / 2**lut_addr_bits`` (default 1/32)
     and holds ``f(lo + step/2)`` rounded half up to Q2.G. With the defaults both tables are
     exact at the ends: ``sigmoid(±4)`` and ``tanh(±4)`` round to 0/1 and -1/1 in Q2.4.
   * hard mode (``hard=True``, no tables): ``hardsigmoid = clamp(x/4 + 1/2, 0, 1)`` is
     ``clamp(round_shift(x, act_frac + 2 - G) + 2**(G-1), 0, 2**G)`` and
     ``hardtanh = clamp(round_shift(x, act_frac - G), -2**G, 2**G)``.
5. **Cell** ``c_t = saturate(round_shift(f*c + ((i*g) << (act_frac - G)), G), act_width)``: the
   sum is formed exactly at ``act_frac + G`` fraction bits, then rounded once.
6. **Hidden** ``h_t = o * tanh_q(c_t)`` has ``2G`` fraction bits: shifted left by
   ``act_frac - 2G`` (exact; the default 2*4 == 8 needs no shift) or, when ``2G > act_frac``,
   ``round_shift`` by ``2G - act_frac``; then saturated to Q8.8 (never active, |h| <= 1).

Initial state: ``x̂ = ĥ = h = c = 0``, ``M = bias << w_frac``.

CBTD (column-balanced targeted dropout)
--------------------------------------
Row ``r`` of the (4H, I+H) matrix lives in PE ``r % num_pe`` at local row ``r // num_pe``. Every
(PE, column) pair keeps exactly ``keep = rows_per_pe - floor(rows_per_pe * gamma)`` weights: the
largest ``|w|``, ties to the lower row (:func:`cbtd_prune`). Storage (:class:`CbtdWeights`): per
column j, per PE p, ``keep`` entries ``(value: w_width-bit signed, local_row: row_bits unsigned)``
in ascending local-row order, ``row_bits = max(1, ceil(log2(rows_per_pe)))``. A (PE, column)
with fewer than ``keep`` non-zeros is padded with zero-valued entries (the zero weights of the
lowest rows), so every column costs exactly ``keep`` cycles. :func:`cbtd_memory_image` lays
this out as the RTL weight memory: address ``j*keep + k`` holds entry k of column j for all PEs,
PE 0 in the least significant bits, each entry ``value | local_row << w_width``.

Cycle model (:func:`expected_cycles`), see the constants below.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from models.fixed import check_signed, pack, quantise, round_shift, saturate, unpack, wrap
from models.params import BlockParams, ParamError

#: Largest input or hidden size we accept: the benchmark layer is H <= 256; 1024 is Spartus'
#: largest layer and keeps ``acc_width`` within 48 bits.
MAX_SIZE = 1024
#: Widest accumulator: int64 intermediates stay exact (fixed.INT64_SAFE_BITS = 62 with headroom
#: for one product), same limit as gemm.
MAX_ACC_WIDTH = 48
#: Largest LUT address: 4096 entries is already a large ROM per lane.
MAX_LUT_ADDR_BITS = 12
#: Gamma is read as the nearest fraction with a denominator up to this, so that 0.94 * 50 is
#: exactly 47 and not 46.99999999999999 (which floor() would turn into 46).
GAMMA_DENOMINATOR = 10**6

# -- cycle model constants (the RTL is built to match them) -----------------------------------
#: Delta unit: cycles after its last issue until the fired bit and delta of the last x element
#: are written (one registered compare stage feeding the delta memory / fired bitmap).
DELTA_PIPE = 1
#: MAC phase: cycles after the last issue until its product is in M (weight-memory read,
#: product register, M read-modify-write).
MAC_PIPE = 3
#: Activation phase: cycles after the last issue until the last h is out (M read + round and
#: saturate, gate LUT, cell update, tanh(c) LUT, h multiply + hidden delta compare).
ACT_PIPE = 5
#: Between two segments of steps, besides the load's beats: the last h handshake, IDLE seeing
#: the load's tvalid, LOAD, and IDLE again before the next x beat. Only timeout budgets use it
#: (no cycle test reloads), so it is a generous bound rather than an exact count.
RELOAD_GAP = 8


def cbtd_keep(rows_per_pe: int, gamma: float) -> int:
    """``K = rows_per_pe - floor(rows_per_pe * gamma)`` (seed spec A1), gamma in [0, 1)."""
    if not 0 <= gamma < 1:
        raise ValueError(f"cbtd: gamma must be in [0, 1) (got {gamma!r})")
    g = Fraction(gamma).limit_denominator(GAMMA_DENOMINATOR)
    return rows_per_pe - math.floor(rows_per_pe * g)


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


# -- float <-> fixed ----------------------------------------------------------------------------
def to_float(q, frac: int) -> np.ndarray:
    return np.asarray(q, dtype=np.float64) / float(1 << frac)


def quantise_act(p: DeltaLstmParams, x) -> np.ndarray:
    return quantise(x, p.act_frac, p.act_width)


def quantise_weights(p: DeltaLstmParams, w) -> np.ndarray:
    return quantise(w, p.w_frac, p.w_width)


# -- weights ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LstmWeights:
    """Quantised layer: ``w`` (4H, I+H) Q1.7 = [W_ih | W_hh]; ``bias`` (4H,) Q8.8 = b_ih + b_hh."""

    w: np.ndarray
    bias: np.ndarray


def check_weights(p: DeltaLstmParams, wt: LstmWeights) -> None:
    """Raise ``ValueError`` naming the rule the weights break (shape or range)."""
    if wt.w.shape != (p.rows, p.cols):
        raise ValueError(f"delta_lstm: w must have shape (4H, I+H) = {(p.rows, p.cols)} "
                         f"(got {wt.w.shape})")
    if wt.bias.shape != (p.rows,):
        raise ValueError(f"delta_lstm: bias must have shape ({p.rows},) (got {wt.bias.shape})")
    check_signed(wt.w, p.w_width, "delta_lstm: w")
    check_signed(wt.bias, p.act_width, "delta_lstm: bias")


def quantise_lstm(p: DeltaLstmParams, w_ih, w_hh, b_ih, b_hh, *, prune: bool = True
                  ) -> LstmWeights:
    """PyTorch-layout float weights -> :class:`LstmWeights`.

    ``w_ih`` (4H, I), ``w_hh`` (4H, H), ``b_ih``/``b_hh`` (4H,), gate order i, f, g, o. With
    ``prune`` the float matrix is CBTD-pruned to ``p.keep`` first (pruning before quantising
    cannot create non-zeros, so the result still has at most ``keep`` per (PE, column)).
    """
    w = np.hstack([np.asarray(w_ih, dtype=np.float64), np.asarray(w_hh, dtype=np.float64)])
    if prune:
        w = cbtd_prune_keep(w, p.num_pe, p.keep)
    b = np.asarray(b_ih, dtype=np.float64) + np.asarray(b_hh, dtype=np.float64)
    wt = LstmWeights(quantise_weights(p, w), quantise_act(p, b))
    check_weights(p, wt)
    return wt


def random_float_lstm(p: DeltaLstmParams, rng: np.random.Generator, scale: float = 0.5,
                      bias_scale: float = 0.5):
    """Uniform float weights ``(w_ih, w_hh, b_ih, b_hh)`` in PyTorch layout."""
    w_ih = rng.uniform(-scale, scale, (p.rows, p.input_size))
    w_hh = rng.uniform(-scale, scale, (p.rows, p.hidden_size))
    b_ih = rng.uniform(-bias_scale, bias_scale, p.rows) / 2
    b_hh = rng.uniform(-bias_scale, bias_scale, p.rows) / 2
    return w_ih, w_hh, b_ih, b_hh


def crop_lstm(p: DeltaLstmParams, w_ih, w_hh, b_ih, b_hh):
    """A PyTorch-layout float layer cut down to ``p``'s first I inputs and H units (every
    gate block keeps its first H rows): real trained weights for configs smaller than the
    trained layer. Raises ``ValueError`` when the layer is smaller than ``p``."""
    w_ih, w_hh = np.asarray(w_ih, np.float64), np.asarray(w_hh, np.float64)
    h_full = w_hh.shape[1]
    if p.hidden_size > h_full or p.input_size > w_ih.shape[1]:
        raise ValueError(f"{p.BLOCK}: cannot crop a {w_ih.shape[1]} -> {h_full} layer to "
                         f"{p.input_size} -> {p.hidden_size}")
    rows = np.concatenate([g * h_full + np.arange(p.hidden_size) for g in range(4)])
    return (w_ih[rows, :p.input_size], w_hh[rows][:, rows[:p.hidden_size]],
            np.asarray(b_ih, np.float64)[rows], np.asarray(b_hh, np.float64)[rows])


# -- CBTD ---------------------------------------------------------------------------------------
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


# -- nonlinearities -----------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


_LUT_FUNCS = {"sigmoid": _sigmoid, "tanh": np.tanh}


@functools.lru_cache(maxsize=64)
def build_lut(p: DeltaLstmParams, func: str) -> np.ndarray:
    """Read-only table of ``2**lut_addr_bits`` Q2.G entries for ``func`` ("sigmoid" or "tanh").

    Entry ``a`` covers ``[lo, lo + step)`` with ``lo = (a - 2**(addr-1)) * step`` and holds
    ``f(lo + step/2)`` rounded half up (the midpoint halves the worst-case slope error).
    """
    n = 1 << p.lut_addr_bits
    step = 2.0 ** (p.lut_range_log2 + 1 - p.lut_addr_bits)
    mid = (np.arange(n, dtype=np.float64) - n // 2) * step + step / 2
    lut = quantise(_LUT_FUNCS[func](mid), p.gate_frac, p.gate_width)
    lut.flags.writeable = False
    return lut


def lut_address(p: DeltaLstmParams, x) -> np.ndarray:
    """Saturate to ``lut_in_width`` bits, keep the top ``lut_addr_bits`` bits, invert the MSB."""
    xs = saturate(np.asarray(x, dtype=np.int64), p.lut_in_width)
    return (xs >> p.lut_shift) + (1 << (p.lut_addr_bits - 1))


def sigmoid_q(p: DeltaLstmParams, x) -> np.ndarray:
    """Q8.8 -> Q2.G sigmoid (LUT, or hardsigmoid when ``p.hard``)."""
    x = np.asarray(x, dtype=np.int64)
    g = p.gate_frac
    if p.hard:
        return np.clip(round_shift(x, p.act_frac + 2 - g) + (1 << (g - 1)), 0, 1 << g)
    return build_lut(p, "sigmoid")[lut_address(p, x)]


def tanh_q(p: DeltaLstmParams, x) -> np.ndarray:
    """Q8.8 -> Q2.G tanh (LUT, or hardtanh when ``p.hard``)."""
    x = np.asarray(x, dtype=np.int64)
    g = p.gate_frac
    if p.hard:
        return np.clip(round_shift(x, p.act_frac - g), -(1 << g), 1 << g)
    return build_lut(p, "tanh")[lut_address(p, x)]


# -- the DeltaLSTM step -------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DeltaLstmState:
    """All int64: x_hat (I,), h_hat (H,), h (H,) = h_{t-1}, c (H,), m (4H,) the memory M."""

    x_hat: np.ndarray
    h_hat: np.ndarray
    h: np.ndarray
    c: np.ndarray
    m: np.ndarray


@dataclasses.dataclass(frozen=True)
class StepStats:
    """What one step did: fired x indices, fired h indices (both ascending), saturations."""

    fired_x: np.ndarray
    fired_h: np.ndarray
    pre_saturated: int     # pre-activations clipped to the act range
    c_saturated: int       # cell values clipped to the act range

    @property
    def n_fired(self) -> int:
        return int(self.fired_x.size + self.fired_h.size)


def fired_columns(p: DeltaLstmParams, st: StepStats) -> np.ndarray:
    """Fired column indices of W in MAC order: x columns, then ``I + j`` for hidden unit j."""
    return np.concatenate([st.fired_x, p.input_size + st.fired_h]).astype(np.int64)


def init_state(p: DeltaLstmParams, wt: LstmWeights) -> DeltaLstmState:
    """x̂ = ĥ = h = c = 0 and M = bias << w_frac."""
    check_weights(p, wt)
    z_i = np.zeros(p.input_size, dtype=np.int64)
    z_h = np.zeros(p.hidden_size, dtype=np.int64)
    m = wt.bias.astype(np.int64) << p.w_frac
    return DeltaLstmState(x_hat=z_i, h_hat=z_h.copy(), h=z_h.copy(), c=z_h.copy(), m=m)


def delta_encode(v, v_hat, theta: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(delta, fired_indices, new_hat)``: fire where ``|v - v_hat| >= max(theta, 1)``."""
    v = np.asarray(v, dtype=np.int64)
    v_hat = np.asarray(v_hat, dtype=np.int64)
    d = v - v_hat
    fire = np.abs(d) >= max(int(theta), 1)
    return np.where(fire, d, 0), np.flatnonzero(fire), np.where(fire, v, v_hat)


def delta_lstm_step(p: DeltaLstmParams, wt: LstmWeights, state: DeltaLstmState, x_t
                    ) -> tuple[np.ndarray, DeltaLstmState, StepStats]:
    """One step: ``(h_t, new_state, stats)``; ``x_t`` is (I,) Q8.8 ints. Nothing is mutated."""
    x_t = np.asarray(x_t, dtype=np.int64)
    if x_t.shape != (p.input_size,):
        raise ValueError(f"delta_lstm: x_t must have shape ({p.input_size},) (got {x_t.shape})")
    check_signed(x_t, p.act_width, "delta_lstm: x_t")
    h_n, a, g = p.hidden_size, p.act_frac, p.gate_frac

    dx, fx, x_hat = delta_encode(x_t, state.x_hat, p.theta_x)
    dh, fh, h_hat = delta_encode(state.h, state.h_hat, p.theta_h)
    cols = np.concatenate([fx, p.input_size + fh])
    d = np.concatenate([dx, dh])[cols]
    m = wrap(state.m + wt.w[:, cols].astype(np.int64) @ d, p.acc_width)

    pre_full = round_shift(m, p.w_frac)
    pre = saturate(pre_full, p.act_width)
    gi, gf, gg, go = (pre[k * h_n:(k + 1) * h_n] for k in range(4))
    i_q, f_q, o_q = sigmoid_q(p, gi), sigmoid_q(p, gf), sigmoid_q(p, go)
    g_q = tanh_q(p, gg)

    c_full = round_shift(f_q * state.c + ((i_q * g_q) << (a - g)), g)
    c = saturate(c_full, p.act_width)
    hp = o_q * tanh_q(p, c)                                     # 2G fraction bits
    hp = hp << (a - 2 * g) if 2 * g <= a else round_shift(hp, 2 * g - a)
    h = saturate(hp, p.act_width)

    stats = StepStats(fired_x=fx, fired_h=fh,
                      pre_saturated=int(np.count_nonzero(pre != pre_full)),
                      c_saturated=int(np.count_nonzero(c != c_full)))
    return h, DeltaLstmState(x_hat=x_hat, h_hat=h_hat, h=h, c=c, m=m), stats


def delta_lstm_seq(p: DeltaLstmParams, wt: LstmWeights, xs, state: DeltaLstmState | None = None
                   ) -> tuple[np.ndarray, DeltaLstmState, list[StepStats]]:
    """Run ``xs`` (T, I) from ``state`` (default :func:`init_state`): ``(hs (T, H), state,
    stats per step)``."""
    xs = np.asarray(xs, dtype=np.int64)
    if xs.ndim != 2 or xs.shape[1] != p.input_size:
        raise ValueError(f"delta_lstm: xs must have shape (T, {p.input_size}) (got {xs.shape})")
    st = init_state(p, wt) if state is None else state
    hs = np.zeros((xs.shape[0], p.hidden_size), dtype=np.int64)
    stats = []
    for t, x in enumerate(xs):
        hs[t], st, s = delta_lstm_step(p, wt, st, x)
        stats.append(s)
    return hs, st, stats


def delta_lstm_ref(p: DeltaLstmParams, wt: LstmWeights, xs) -> np.ndarray:
    """Bit-exact expected hidden outputs (T, H) of a sequence from the initial state."""
    return delta_lstm_seq(p, wt, xs)[0]


def temporal_sparsity(p: DeltaLstmParams, stats: Sequence[StepStats]) -> float:
    """Fraction of (step, column) pairs that did not fire."""
    if not stats:
        return 0.0
    return 1.0 - sum(s.n_fired for s in stats) / (len(stats) * p.cols)


# -- float reference ----------------------------------------------------------------------------
def float_lstm_step(w_ih, w_hh, b_ih, b_hh, x, h, c) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch ``nn.LSTM`` cell in float64: returns ``(h_t, c_t)``.

    i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(...), g = tanh(...), o = σ(...) (row blocks of
    W_ih / W_hh in that order); c_t = f c + i g; h_t = o tanh(c_t).
    """
    z = (np.asarray(w_ih, np.float64) @ np.asarray(x, np.float64) + np.asarray(b_ih, np.float64)
         + np.asarray(w_hh, np.float64) @ np.asarray(h, np.float64)
         + np.asarray(b_hh, np.float64))
    zi, zf, zg, zo = np.split(z, 4)
    c_t = _sigmoid(zf) * np.asarray(c, np.float64) + _sigmoid(zi) * np.tanh(zg)
    return _sigmoid(zo) * np.tanh(c_t), c_t


# -- stream formats (what rtl/delta_lstm.py implements and the testbench drives) ---------------
#: one stream beat: (tdata, tlast, tuser), as in models.gemm
Beat = tuple[int, bool, int]


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


def encode_weight_load(p: DeltaLstmParams, wt: LstmWeights) -> list[Beat]:
    """``s_axis_w`` beats of a load: :func:`cbtd_memory_image` of ``wt.w`` (raises when ``w`` is
    not CBTD with ``p.keep``), then the bias of row 0..4H-1 (two's complement, ``act_width``
    bits); tlast on the last beat."""
    check_weights(p, wt)
    image = cbtd_memory_image(cbtd_pack(wt.w, p.num_pe, p.keep), p.w_width)
    mask = (1 << p.act_width) - 1
    words = list(image) + [int(b) & mask for b in wt.bias]
    return [(w, i == len(words) - 1, 0) for i, w in enumerate(words)]


def decode_weight_load(p: DeltaLstmParams, beats: Sequence[Beat]) -> LstmWeights:
    """Inverse of :func:`encode_weight_load` (what the weight-stream monitor saw).

    Raises ``ValueError`` when the beat count or the tlast position is wrong, or a local row
    is outside the PE's slice."""
    n = load_beats(p)
    if len(beats) != n:
        raise ValueError(f"{p.BLOCK}: a weight load is {n} beats (got {len(beats)})")
    lasts = [i for i, (_, last, _) in enumerate(beats) if last]
    if lasts != [n - 1]:
        raise ValueError(f"{p.BLOCK}: tlast must be on beat {n - 1} only (got {lasts})")
    eb, ww = entry_bits(p), p.w_width
    shape = (p.cols, p.num_pe, p.keep)
    value = np.empty(shape, dtype=np.int64)
    local_row = np.empty(shape, dtype=np.int64)
    for addr in range(image_words(p)):
        j, k = divmod(addr, p.keep)
        ent = unpack(beats[addr][0], p.num_pe, eb, signed=False)
        v = ent & ((1 << ww) - 1)
        value[j, :, k] = np.where(v >> (ww - 1), v - (1 << ww), v)  # two's complement
        local_row[j, :, k] = ent >> ww
    if local_row.max(initial=0) >= p.rows_per_pe:
        raise ValueError(f"{p.BLOCK}: a local row index is >= rows_per_pe={p.rows_per_pe}")
    w = cbtd_unpack(CbtdWeights(num_pe=p.num_pe, keep=p.keep, rows=p.rows, value=value,
                                local_row=local_row))
    bias = np.array([unpack(d, 1, p.act_width)[0] for d, _, _ in beats[image_words(p):]],
                    dtype=np.int64)
    return LstmWeights(w, bias)


def encode_x_step(p: DeltaLstmParams, x) -> list[Beat]:
    """``s_axis_x`` beats of one step: element ``b*LX + e`` of beat b at bits
    ``[e*a, (e+1)*a)``; lanes past I in the last beat are 0; no tlast (the port has none)."""
    x = np.asarray(x, dtype=np.int64)
    if x.shape != (p.input_size,):
        raise ValueError(f"{p.BLOCK}: x_t must have shape ({p.input_size},) (got {x.shape})")
    check_signed(x, p.act_width, f"{p.BLOCK}: x_t")
    lx = x_lanes(p)
    return [(pack(x[b * lx:(b + 1) * lx], p.act_width), False, 0) for b in range(x_beats(p))]


def decode_x_step(p: DeltaLstmParams, beats: Sequence[Beat]) -> np.ndarray:
    """Inverse of :func:`encode_x_step`: x_t (I,) int64 (padding lanes are ignored, as the
    RTL ignores them)."""
    if len(beats) != x_beats(p):
        raise ValueError(f"{p.BLOCK}: an x step is {x_beats(p)} beats (got {len(beats)})")
    lx = x_lanes(p)
    x = np.concatenate([unpack(d, lx, p.act_width) for d, _, _ in beats])
    return x[:p.input_size]


def encode_h_step(p: DeltaLstmParams, h) -> list[Beat]:
    """``m_axis_h`` beats of one step: unit ``g*L + e`` of beat g at bits ``[e*a, (e+1)*a)``,
    lanes past H in the last beat 0, tlast on the last beat."""
    h = np.asarray(h, dtype=np.int64)
    nb, lanes = h_beats(p), p.act_lanes
    padded = np.zeros(nb * lanes, dtype=np.int64)
    padded[:p.hidden_size] = h
    return [(pack(padded[g * lanes:(g + 1) * lanes], p.act_width), g == nb - 1, 0)
            for g in range(nb)]


def decode_h_step(p: DeltaLstmParams, beats: Sequence[Beat]) -> dict[str, np.ndarray]:
    """Output beats of one step -> ``{"h": (n,), "pad": (m,)}``: the hidden units and the
    padding lanes of the last beat (which must be 0). Any beat count is decoded, so a wrong
    count shows up as a shape mismatch in the scoreboard rather than an exception here."""
    lanes = p.act_lanes
    flat = (np.concatenate([unpack(d, lanes, p.act_width) for d, _, _ in beats])
            if beats else np.zeros(0, dtype=np.int64))
    return {"h": flat[:p.hidden_size], "pad": flat[p.hidden_size:]}


def expected_h_step(p: DeltaLstmParams, h) -> dict[str, np.ndarray]:
    """What :func:`decode_h_step` must return for hidden output ``h``."""
    return {"h": np.asarray(h, dtype=np.int64),
            "pad": np.zeros(h_beats(p) * p.act_lanes - p.hidden_size, dtype=np.int64)}


# -- cycle model --------------------------------------------------------------------------------
def _schedule(p: DeltaLstmParams, fired_per_step: Sequence[int], keep: int) -> int:
    n_steps = len(fired_per_step)
    if n_steps == 0:
        return 0
    x_scan = -(-p.input_size // p.act_lanes) + DELTA_PIPE
    act = -(-p.hidden_size // p.act_lanes) + ACT_PIPE
    total = x_scan                                         # prologue: delta-encode x_1
    for t, n in enumerate(fired_per_step):
        if not 0 <= n <= p.cols:
            raise ValueError(f"delta_lstm: fired columns must be in [0, {p.cols}] (got {n})")
        total += n * keep + MAC_PIPE
        # activation of step t; the delta unit scans x_{t+1} at the same time
        total += max(act, x_scan) if t < n_steps - 1 else act
    return total


def expected_cycles(p: DeltaLstmParams, fired_per_step: Sequence[int]) -> int:
    """Cycles from the first x beat accepted to the last h beat sent, no stalls.

    ``fired_per_step[t]`` is the number of fired columns of step t (``StepStats.n_fired``).
    Schedule (three units, one phase after the other except where noted):

    * **Prologue:** the delta unit compares ``act_lanes`` x elements per cycle with x̂ and writes
      delta + fired bit per column: ``ceil(I / act_lanes) + DELTA_PIPE``.
    * **MAC phase** of step t: the sequencer walks the fired bitmap (find-first-set, one column
      per K cycles, pipelined); for each fired column all PEs do one MAC per cycle on their K
      kept weights: ``n_fired * K + MAC_PIPE``.
    * **Activation phase** of step t: ``act_lanes`` hidden units per cycle (4 gate LUTs, cell,
      tanh(c), h); h leaves on the output stream and its delta against ĥ is compared right at
      the pipeline output, so hidden deltas cost no extra phase: ``ceil(H / act_lanes) +
      ACT_PIPE``. The delta unit scans x_{t+1} during this phase (it touches x̂ only), so the
      phase lasts ``max(act, scan)``; the last step has no x_{t+1}.
    """
    return _schedule(p, fired_per_step, p.keep)


def dense_cycles(p: DeltaLstmParams, n_steps: int = 1) -> int:
    """Same PEs and schedule, dense: every column every step, all ``rows_per_pe`` weights."""
    return _schedule(p, [p.cols] * n_steps, p.rows_per_pe)


def stream_cycles(p: DeltaLstmParams, fired_segments: Sequence[Sequence[int]]) -> int:
    """No-stall cycles from the first x beat accepted to the last h beat sent when the steps
    come in segments, each after its own weight load (``fired_segments[s][t]`` fired columns of
    step t of segment s).

    Exact for one segment (:func:`expected_cycles`). Each later segment adds its load
    (``load_beats`` beats) plus ``RELOAD_GAP`` cycles of hand-over; that part is an upper
    bound, used for timeout budgets only (no cycle test reloads).
    """
    segs = [list(s) for s in fired_segments if len(s)]
    total = sum(expected_cycles(p, s) for s in segs)
    return total + (len(segs) - 1) * (load_beats(p) + RELOAD_GAP) if segs else 0


def ideal_speedup(p: DeltaLstmParams, temporal_sparsity_: float) -> float:
    """``1 / (density * (1 - sparsity))`` with the effective density keep / rows_per_pe."""
    return 1.0 / (p.weight_density * (1.0 - temporal_sparsity_))


__all__ = ["ACT_PIPE", "DELTA_PIPE", "MAC_PIPE", "RELOAD_GAP", "Beat", "CbtdWeights",
           "DeltaLstmParams", "DeltaLstmState", "LstmWeights", "ParamError", "StepStats",
           "acc_bits_needed",
           "build_lut", "cbtd_entry_words", "cbtd_keep", "cbtd_memory_image", "cbtd_pack",
           "cbtd_prune", "cbtd_prune_keep", "cbtd_unpack", "check_weights", "crop_lstm",
           "decode_h_step",
           "decode_weight_load", "decode_x_step", "delta_encode", "encode_h_step",
           "encode_weight_load", "encode_x_step", "entry_bits", "expected_h_step", "h_beats",
           "h_width", "image_words", "load_beats", "stream_cycles", "w_stream_bits",
           "wword_bits", "x_beats", "x_lanes", "x_width",
           "delta_lstm_ref", "delta_lstm_seq", "delta_lstm_step", "dense_cycles",
           "expected_cycles", "fired_columns", "float_lstm_step", "ideal_speedup", "init_state",
           "lut_address", "quantise", "quantise_act", "quantise_lstm", "quantise_weights",
           "random_float_lstm", "sigmoid_q", "tanh_q", "temporal_sparsity", "to_float"]


#: named corners (models/configs.py collects them); thresholds are cfg ports (run-time), so
#: only the shapes differ here
CONFIGS = {
    # one input, one unit, one PE, one weight per (PE, column), one lane
    "min": DeltaLstmParams(input_size=1, hidden_size=1, num_pe=1, keep=1, act_lanes=1),
    "typical": DeltaLstmParams(),  # I = H = 8, 4 PEs, keep 2 of 8, 4 lanes
    # 3 lanes: short last beats on both streams; keep == rows_per_pe (dense CBTD)
    # ... and the hard sigmoid/tanh (shift-and-clamp) instead of the LUTs, so that both
    # nonlinearity builds run in every regression
    "non_pow2": DeltaLstmParams(input_size=8, hidden_size=3, num_pe=2, keep=6,
                                act_lanes=3, hard=True),
    # twice typical on every axis that costs simulation time (M rows, columns, PEs)
    "max": DeltaLstmParams(input_size=16, hidden_size=16, num_pe=8, keep=3, act_lanes=4),
}
