"""``softmax``: integer softmax row unit (base-2 exponent by shift + LUT, LUT + Newton
reciprocal), bit-exact with ``models.softmax.softmax_ref`` (the arithmetic is documented there),
streaming one score in and one probability out per cycle whatever the mix of row lengths.

Three passes walk one **score ring** of ``C = ring_slots`` slots (one per kept score, one per
empty row; default ``2 max_len + RING_SLACK``) and one **row metadata** memory of ``C`` rows
(a row holds at least one slot, so it never overflows):

* **load** writes each accepted beat into slot ``wp`` (score + flags: last of row, EMPTY) and
  tracks the row max; at the row's end it writes the max into metadata ``mwp``;
* **sum** reads the slots of a loaded row back (pointer ``sp``, row ``msp``), one per edge and
  back to back across rows, through a register, the exponential and a register into the row
  accumulator (``SUM_PIPE`` edges); the row sum is registered on the row's last exponential;
* **reciprocal** is pipelined (``RECIP_PIPE`` stages, one row sum may enter per edge: rows of
  one score follow each other that fast) and writes (r1, shx) into metadata ``mrp``;
* **emit** reads each slot a third time (pointer ``ep``, row ``mep``) once its row's
  reciprocal is in: register, exponential, register, product, register, shift/round/saturate,
  output register (``EMIT_PIPE`` edges); the slot is freed on the edge it is read. The whole
  emit pipeline holds while the output register is full and not taken.

``s_axis_tready`` is low only while the ring is full; with the default ``C`` no row mix makes
it full when the sink is always ready (models/softmax.py :func:`slot_times`).

Ports (w = in_width, P = prob_width):

=================  ======  ====  ============================================================
name               shape   dir   meaning
=================  ======  ====  ============================================================
clk                1       in    clock, rising edge
rst                1       in    synchronous reset, active high
s_axis_tdata       w       in    one kept score (signed, base-2 log domain, frac_bits)
s_axis_tvalid      1       in    beat valid
s_axis_tready      1       out   beat accepted when tvalid && tready (low: the ring is full)
s_axis_tlast       1       in    last score of the row
s_axis_tuser       1       in    EMPTY: the row has no kept score (the row's only beat)
m_axis_tdata       P       out   one probability (unsigned UQ0.P), in input order
m_axis_tvalid      1       out   beat valid
m_axis_tready      1       in    beat accepted when tvalid && tready
m_axis_tlast       1       out   last probability of the row
m_axis_tuser       1       out   EMPTY: the output of an empty row (one beat, tdata 0)
=================  ======  ====  ============================================================

The block expects well-formed rows (the encoder refuses others): at most ``max_len`` scores,
EMPTY only on a one-beat row. A longer row is cut into rows of ``max_len`` (never written past
a row's sum width, never a hang).

Latency (no stalls, the passes free): a row of ``n`` scores accepted on edges 0 .. n-1 is
summed on edges n .. 2n-1, its reciprocal is written on edge 2n - 1 + SUM_PIPE + RECIP_PIPE,
its slots are emitted from the next edge and its last probability leaves in cycle
``2n + RING_SLACK + EMIT_PIPE + 1`` (25 cycles for n = 5 on typical; exact for any stream:
:func:`models.softmax.row_times`).
Throughput: one slot per cycle in every pass and no cycle between rows: a stream of rows takes
``sum(max(n, 1))`` cycles plus a constant fill.

The package, one module a seam of the design: :mod:`~rtl.softmax.interface` (``PARAMS``,
:func:`ports`, index widths), :mod:`~rtl.softmax.exp_unit` (the exponential),
:mod:`~rtl.softmax.recip` (the pipelined reciprocal), :mod:`~rtl.softmax.output` (product,
shift, rounding, saturation), :mod:`~rtl.softmax.ring` (the memories) and
:mod:`~rtl.softmax.top` (the passes, pointers and counters: :func:`softmax`).
"""

from rtl.softmax.exp_unit import softmax_exp
from rtl.softmax.interface import PARAMS, ports
from rtl.softmax.output import softmax_prod, softmax_round
from rtl.softmax.recip import lead_pair, lead_step, softmax_recip
from rtl.softmax.ring import mem_1r, mem_2r
from rtl.softmax.top import softmax

__all__ = ["PARAMS", "lead_pair", "lead_step", "mem_1r", "mem_2r", "ports", "softmax",
           "softmax_exp", "softmax_prod", "softmax_recip", "softmax_round"]
