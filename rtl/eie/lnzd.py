"""The leading-non-zero detector: of an activation beat's ``lanes`` activations, the lowest
that is non-zero, inside the layer's ``cols`` and not yet broadcast (``first``), its column
``j`` and value; ``more`` says another such lane follows it. A chain of one small block per
lane (a priority encoder unrolled at elaboration), each lane with its broadcast flag."""

from myhdl import Signal, always_comb, always_seq, block

from rtl.common.prims import signed_sig, unsigned_sig
from rtl.eie.util import zext


@block
def lnzd_lane(clk, rst, tdata, tvalid, jbase, jbase_x, cols_x, push, clear, lower_in, lower_out,
              more_in, more_out, a_in, a_out, j_in, j_out, g, aw, lanes):
    """Lane ``g``: ``lower_*`` = some lower lane is eligible, ``a_*``/``j_*`` the eligible
    lowest lane's value and column so far (a priority mux chain). Lane 0 has no lower lane
    and lane 1 no ``more`` below it (their chain inputs would be constants); the last lane
    needs no broadcast flag (its beat is accepted in the cycle it is broadcast)."""
    a = signed_sig(aw)
    elig = Signal(bool(0))
    first = Signal(bool(0))
    done = Signal(bool(0))  # this lane of the current beat was broadcast
    lo, hi = g * aw, (g + 1) * aw
    gens = []

    @always_comb
    def lane_value():
        a.next = tdata[hi:lo].signed()

    gens.append(lane_value)
    if g < lanes - 1:

        @always_comb
        def eligible():
            elig.next = tvalid and a != 0 and jbase_x + g < cols_x and not done

        gens.append(eligible)
    else:

        @always_comb
        def eligible_last():
            elig.next = tvalid and a != 0 and jbase_x + g < cols_x

        gens.append(eligible_last)
    if g == 0:

        @always_comb
        def chain0():
            lower_out.next = elig

        @always_comb
        def select0():
            if elig:
                a_out.next = a
                j_out.next = jbase
            else:
                a_out.next = 0
                j_out.next = 0

        gens += [chain0, select0]
    else:

        @always_comb
        def chain():
            first.next = elig and not lower_in
            lower_out.next = lower_in or elig

        @always_comb
        def select():
            if first:
                a_out.next = a
                j_out.next = jbase + g
            else:
                a_out.next = a_in
                j_out.next = j_in

        gens += [chain, select]
        if g == 1:

            @always_comb
            def more1():
                more_out.next = elig and lower_in

            gens.append(more1)
        else:

            @always_comb
            def more_g():
                more_out.next = more_in or (elig and lower_in)

            gens.append(more_g)
    if g < lanes - 1:
        mine = elig if g == 0 else first  # lane 0 is first whenever it is eligible

        @always_seq(clk.posedge, reset=rst)
        def flag():
            if clear:
                done.next = 0
            elif push and mine:
                done.next = 1

        gens.append(flag)
    return gens


@block
def lnzd(clk, rst, tdata, tvalid, jbase, cols_x, push, clear, any_nz, more, a_sel, j_sel,
         lanes, aw):
    """``any_nz``: a lane is eligible; ``a_sel``, ``j_sel``: the lowest one (0 if none).
    ``jbase`` is the beat's first column (as wide as ``j_sel``); the compare with ``cols_x``
    is done at ``cols_x``'s width, where ``jbase + g`` cannot wrap."""
    jw = len(j_sel)
    jbase_x = zext(jbase, len(cols_x))
    lower = [Signal(bool(0)) for _ in range(lanes + 1)]
    mores = [Signal(bool(0)) for _ in range(lanes + 1)]
    avals = [signed_sig(aw) for _ in range(lanes + 1)]
    jvals = [unsigned_sig(jw) for _ in range(lanes + 1)]
    insts = [lnzd_lane(clk, rst, tdata, tvalid, jbase, jbase_x, cols_x, push, clear, lower[g],
                       lower[g + 1], mores[g], mores[g + 1], avals[g], avals[g + 1], jvals[g],
                       jvals[g + 1], g, aw, lanes) for g in range(lanes)]
    # lane 0 reads none of the chain's inputs (index 0), and lane 1 not mores[1]; with one
    # lane, mores[1] is never driven and MyHDL makes it the constant 0
    ln, mn, an, jn = lower[lanes], mores[lanes], avals[lanes], jvals[lanes]

    @always_comb
    def outs():
        any_nz.next = ln
        more.next = mn
        a_sel.next = an
        j_sel.next = jn

    return insts, outs
