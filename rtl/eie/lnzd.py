"""The leading-non-zero detector: of an activation beat's ``lanes`` activations, the lowest
that is non-zero, inside the layer's ``cols`` and not yet broadcast (``first``), its column
``j`` and value; ``more`` says another such lane follows it. A chain of one small block per
lane (a priority encoder unrolled at elaboration), each lane with its broadcast flag."""

from myhdl import Signal, always_comb, always_seq, block

from rtl.common.prims import signed_sig, unsigned_sig


@block
def lnzd_lane(clk, rst, tdata, tvalid, jbase, cols_x, push, clear, lower_in, lower_out,
              more_in, more_out, a_in, a_out, j_in, j_out, g, aw):
    """Lane ``g``: ``lower_*`` = some lower lane is eligible, ``a_*``/``j_*`` the eligible
    lowest lane's value and column so far (a priority mux chain)."""
    a = signed_sig(aw)
    elig = Signal(bool(0))
    first = Signal(bool(0))
    done = Signal(bool(0))  # this lane of the current beat was broadcast
    lo, hi = g * aw, (g + 1) * aw

    @always_comb
    def lane_value():
        a.next = tdata[hi:lo].signed()

    @always_comb
    def eligible():
        elig.next = tvalid and a != 0 and jbase + g < cols_x and not done

    @always_comb
    def chain():
        first.next = elig and not lower_in
        lower_out.next = lower_in or elig
        more_out.next = more_in or (elig and lower_in)

    @always_comb
    def select():
        if first:
            a_out.next = a
            j_out.next = jbase + g
        else:
            a_out.next = a_in
            j_out.next = j_in

    @always_seq(clk.posedge, reset=rst)
    def flag():
        if clear:
            done.next = 0
        elif push and first:
            done.next = 1

    return lane_value, eligible, chain, select, flag


@block
def lnzd(clk, rst, tdata, tvalid, jbase, cols_x, push, clear, any_nz, more, a_sel, j_sel,
         lanes, aw, jw):
    """``any_nz``: a lane is eligible; ``a_sel``, ``j_sel``: the lowest one (0 if none)."""
    lower = [Signal(bool(0)) for _ in range(lanes + 1)]
    mores = [Signal(bool(0)) for _ in range(lanes + 1)]
    avals = [signed_sig(aw) for _ in range(lanes + 1)]
    jvals = [unsigned_sig(jw) for _ in range(lanes + 1)]
    insts = [lnzd_lane(clk, rst, tdata, tvalid, jbase, cols_x, push, clear, lower[g],
                       lower[g + 1], mores[g], mores[g + 1], avals[g], avals[g + 1], jvals[g],
                       jvals[g + 1], g, aw) for g in range(lanes)]
    # the chain's inputs (index 0) are never driven: MyHDL makes them the constant 0
    ln, mn, an, jn = lower[lanes], mores[lanes], avals[lanes], jvals[lanes]

    @always_comb
    def outs():
        any_nz.next = ln
        more.next = mn
        a_sel.next = an
        j_sel.next = jn

    return insts, outs
