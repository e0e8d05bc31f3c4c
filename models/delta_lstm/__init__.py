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

Cycle model (:func:`expected_cycles`), see the constants in :mod:`~models.delta_lstm.cycles`.

The package, one module a part: :mod:`~models.delta_lstm.params` (the parameters and the
stream/memory widths), :mod:`~models.delta_lstm.arith` (float <-> fixed, LUTs and the hard
nonlinearities), :mod:`~models.delta_lstm.cbtd` (pruning and the weight-memory image),
:mod:`~models.delta_lstm.weights` (quantised layers), :mod:`~models.delta_lstm.step` (the step
model and the float reference), :mod:`~models.delta_lstm.streams` (stream encoders/decoders),
:mod:`~models.delta_lstm.cycles` (the cycle model) and :mod:`~models.delta_lstm.configs` (the
named corners). Every name is importable from :mod:`models.delta_lstm` itself.
"""

from models.delta_lstm.arith import (
    build_lut,
    lut_address,
    quantise_act,
    quantise_weights,
    sigmoid_q,
    tanh_q,
    to_float,
)
from models.delta_lstm.cbtd import (
    GAMMA_DENOMINATOR,
    CbtdWeights,
    cbtd_entry_words,
    cbtd_keep,
    cbtd_memory_image,
    cbtd_pack,
    cbtd_prune,
    cbtd_prune_keep,
    cbtd_unpack,
)
from models.delta_lstm.configs import CONFIGS
from models.delta_lstm.cycles import (
    ACT_PIPE,
    DELTA_PIPE,
    MAC_PIPE,
    RELOAD_GAP,
    dense_cycles,
    expected_cycles,
    ideal_speedup,
    stream_cycles,
)
from models.delta_lstm.params import (
    MAX_ACC_WIDTH,
    MAX_LUT_ADDR_BITS,
    MAX_SIZE,
    DeltaLstmParams,
    acc_bits_needed,
    entry_bits,
    h_beats,
    h_width,
    image_words,
    load_beats,
    w_stream_bits,
    wword_bits,
    x_beats,
    x_lanes,
    x_width,
)
from models.delta_lstm.step import (
    DeltaLstmState,
    StepStats,
    delta_encode,
    delta_lstm_ref,
    delta_lstm_seq,
    delta_lstm_step,
    fired_columns,
    float_lstm_step,
    init_state,
    temporal_sparsity,
)
from models.delta_lstm.streams import (
    Beat,
    decode_h_step,
    decode_weight_load,
    decode_x_step,
    encode_h_step,
    encode_weight_load,
    encode_x_step,
    expected_h_step,
)
from models.delta_lstm.weights import (
    LstmWeights,
    check_weights,
    crop_lstm,
    quantise_lstm,
    random_float_lstm,
)
from models.fixed import quantise
from models.params import ParamError

__all__ = ["ACT_PIPE", "CONFIGS", "DELTA_PIPE", "GAMMA_DENOMINATOR", "MAC_PIPE", "MAX_ACC_WIDTH",
           "MAX_LUT_ADDR_BITS", "MAX_SIZE", "RELOAD_GAP", "Beat", "CbtdWeights",
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
