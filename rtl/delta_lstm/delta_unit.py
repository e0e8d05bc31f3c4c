"""The delta unit: the x lanes (input register, x̂ memory, threshold compare) and the per-column
delta + fired-bit cells that the x lanes and the hidden delta compare of the activation lanes
write and the MAC sequencer consumes."""

from myhdl import Signal, always, always_comb, always_seq, block

from rtl.common.prims import signed_sig
from rtl.delta_lstm.interface import _index


@block
def dlstm_x_lane(clk, rst, clr, x_acc, x_in, dv, db, thr, nthr, d_out, f_out, depth, nbeats,
                 p):
    """One x lane: input register, x̂ memory (elements lane, lane + LX, ...) and the compare.

    ``d_out``/``f_out`` (comb) are the delta and fired bit of the element in the compare
    stage (beat ``db``, valid ``dv``); x̂ is written at the end of that cycle when it fires."""
    aw = p.act_width
    xq = signed_sig(aw)
    xh = [signed_sig(aw) for _ in range(depth)]
    xh_rd = signed_sig(aw)
    d = signed_sig(aw + 1)
    fire = Signal(bool(0))
    idx = _index(db, depth)
    short = depth < nbeats  # no element in the last beat: never write x̂ then

    @always_seq(clk.posedge, reset=rst)
    def in_reg():
        if x_acc:
            xq.next = x_in.signed()

    @always_comb
    def rd():
        xh_rd.next = xh[idx]

    @always_comb
    def diff():
        d.next = xq - xh_rd

    @always_comb
    def cmp():
        fire.next = d >= thr or d <= nthr

    @always_comb
    def outs():
        d_out.next = d
        f_out.next = fire

    @always(clk.posedge)
    def wr():
        if rst or clr:
            for i in range(depth):
                xh[i].next = 0
        elif dv and fire and (not short or db != nbeats - 1):
            xh[idx].next = xq

    return in_reg, rd, diff, cmp, outs, wr


@block
def dlstm_col_cell(clk, rst, clr, we, wsel, d_in, f_in, cons, col, d, f, sel, j):
    """Delta and fired bit of column ``j``. Written by its delta source when ``we`` and
    ``wsel == sel``; the fired bit is cleared when the MAC sequencer consumes column ``j``."""

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if clr:
            f.next = 0
            d.next = 0
        elif we and wsel == sel:
            f.next = f_in
            d.next = d_in
        elif cons and col == j:
            f.next = 0

    return seq

