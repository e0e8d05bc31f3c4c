"""``delta_lstm``: Spartus-style DeltaLSTM layer with CBTD-pruned weights (seed spec A1).

Bit-exact with :func:`models.delta_lstm.delta_lstm_step` and built to the cycle schedule of
:func:`models.delta_lstm.expected_cycles`. One time step runs three phases:

* **delta unit** -- compares ``LX = min(act_lanes, input_size)`` x elements per cycle with x̂
  (one registered compare stage, ``DELTA_PIPE``) and writes delta + fired bit per column. It
  scans x_{t+1} while the activation phase of step t runs.
* **MAC phase** -- a find-first-set tree walks the fired bitmap (x columns 0..I-1, then h
  columns I..I+H-1), ``keep`` cycles per fired column; each cycle reads one CBTD weight word
  (one entry per PE) and every PE adds ``value * delta`` into row ``local_row`` of its slice of
  the memory M. Pipeline (``MAC_PIPE`` drain cycles): address register, weight-memory read
  register, product register, M update.
* **activation phase** -- ``act_lanes`` hidden units per cycle: M read + round + saturate,
  gate LUTs (sigmoid i/f/o, tanh g), cell update (c written back), tanh(c) LUT, h multiply +
  hidden delta compare into the output register (``ACT_PIPE`` = 5 stages).

Ports (I = input_size, H = hidden_size, N = num_pe, K = keep, L = act_lanes,
LX = min(L, I), a = act_width, w = w_width, rb = row_bits, WW = N * (w + rb),
WS = max(WW, a), NW = (I + H) * K):

=================  ==============  ====  ======================================================
name               shape           dir   meaning
=================  ==============  ====  ======================================================
clk                1               in    clock, rising edge
rst                1               in    synchronous reset, active high; the block then
                                         waits for a weight load
cfg_theta_x        a               in    x delta threshold in act LSBs (unsigned; 0 acts as 1);
                                         hold stable while a step runs
cfg_theta_h        a               in    h delta threshold, same rules
s_axis_w_tdata     WS              in    weight load, one word per beat: beats 0..NW-1 are
                                         ``cbtd_memory_image`` (address j*K + k, bits
                                         [0, WW)); beats NW..NW+4H-1 are the bias of row
                                         r = beat - NW (Q8.8, signed, bits [0, a))
s_axis_w_tvalid    1               in    beat valid
s_axis_w_tready    1               out   high while loading (after reset, or once the block is
                                         idle between steps and ``s_axis_w_tvalid`` is seen)
s_axis_w_tlast     1               in    last beat of the load (beat NW + 4H - 1); ends it
s_axis_x_tdata     LX * a          in    x_t, beat b of a step: element b*LX + e at bits
                                         [e*a, (e+1)*a), signed Q8.8; ceil(I / LX) beats per
                                         step, lanes past I in the last beat are ignored
s_axis_x_tvalid    1               in    beat valid
s_axis_x_tready    1               out   beat accepted when tvalid && tready
m_axis_h_tdata     L * a           out   h_t, beat g: hidden unit g*L + e at bits
                                         [e*a, (e+1)*a), signed Q8.8; ceil(H / L) beats per
                                         step, lanes past H in the last beat are 0
m_axis_h_tvalid    1               out   beat valid
m_axis_h_tready    1               in    beat accepted when tvalid && tready (a low tready
                                         stalls the activation pipeline)
m_axis_h_tlast     1               out   last beat of the step
=================  ==============  ====  ======================================================

A weight load also resets the recurrent state: x̂ = ĥ = c = 0, no fired columns and
M = bias << w_frac (the model's :func:`init_state`). A new sequence therefore starts with a
reload. Weights may be loaded only when the block is idle (after reset, or after the last h
beat of a step when no x beat of the next step has been accepted); in that state a high
``s_axis_w_tvalid`` takes priority (``s_axis_x_tready`` stays low) and starts the load on the
next cycle. The thresholds are ports, not params: ``p.theta_x``/``p.theta_h`` are unused here
(the model treats them as run-time values, outside the tag).

Latency: with no stalls, the first h beat of step t leaves ``ACT_PIPE`` cycles after the
activation phase starts; the cycle count from the first x beat accepted to the last h beat
sent equals ``expected_cycles(p, fired_per_step)`` exactly (x_{t+1} offered from the first
cycle of the activation phase of step t). Throughput: per step
``n_fired * K + MAC_PIPE + max(ceil(H / L) + ACT_PIPE, ceil(I / L) + DELTA_PIPE)`` cycles.

Storage: the weights are one memory (``NW`` words of ``WW`` bits, written by the load,
read synchronously by the MAC pipeline). M is ``4H`` flip-flop rows with one adder each (the
activation phase reads ``4L`` rows per cycle, which single-port per-PE RAM could not serve);
c, x̂ and ĥ are per-lane register arrays, delta + fired bit one register per column. A
Spartus-scale layer would move M into banked RAM.

The stream formats (:func:`~models.delta_lstm.x_lanes`, ``x_beats``, ``h_beats``,
``load_beats``, ``w_stream_bits`` and the encoders/decoders) live in :mod:`models.delta_lstm`,
shared with the testbench.

The package, one module a seam of the design: :mod:`~rtl.delta_lstm.interface` (``PARAMS``,
:func:`ports` and index widths), :mod:`~rtl.delta_lstm.delta_unit` (the x delta encoder lanes
and the delta + fired-bit column cells), :mod:`~rtl.delta_lstm.mac` (the find-first-set
sequencer tree, the PEs and the rows of M), :mod:`~rtl.delta_lstm.nonlin` (round + saturate,
the gate LUTs and the hard nonlinearities), :mod:`~rtl.delta_lstm.activation` (the activation
lane: gates, cell update, tanh(c), h, the hidden delta compare and the output register) and
:mod:`~rtl.delta_lstm.top` (the weight memory, the MAC pipeline, the handshakes and the FSM
that wire them: :func:`delta_lstm`).
"""

from rtl.delta_lstm.activation import dlstm_act_lane
from rtl.delta_lstm.delta_unit import dlstm_col_cell, dlstm_x_lane
from rtl.delta_lstm.interface import PARAMS, ports
from rtl.delta_lstm.mac import dlstm_ffs, dlstm_m_cell, dlstm_pe
from rtl.delta_lstm.nonlin import dlstm_gate_fn, dlstm_hard, dlstm_lut, dlstm_round_sat
from rtl.delta_lstm.top import delta_lstm

__all__ = ["PARAMS", "delta_lstm", "dlstm_act_lane", "dlstm_col_cell", "dlstm_ffs",
           "dlstm_gate_fn", "dlstm_hard", "dlstm_lut", "dlstm_m_cell", "dlstm_pe",
           "dlstm_round_sat", "dlstm_x_lane", "ports"]
