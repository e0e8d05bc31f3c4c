"""The top of ``softmax``: the score ring, the row metadata and the three passes that share
them (load, sum, emit), with their pointers and counters. See the package docstring."""

from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, intbv

from models.softmax import SoftmaxParams
from rtl.common.prims import signed_sig, unsigned_sig
from rtl.softmax.exp_unit import softmax_exp
from rtl.softmax.interface import shx_width, slot_count, slot_index
from rtl.softmax.output import hi_width, softmax_prod, softmax_round
from rtl.softmax.recip import softmax_recip
from rtl.softmax.ring import mem_1r, mem_2r


@block
def softmax(clk, rst, s_axis_tdata, s_axis_tvalid, s_axis_tready, s_axis_tlast, s_axis_tuser,
            m_axis_tdata, m_axis_tvalid, m_axis_tready, m_axis_tlast, m_axis_tuser,
            p: SoftmaxParams):
    N, w, C = p.max_len, p.in_width, p.ring_slots
    SW, EW, Q, sxw = p.sum_width, p.e_width, p.norm_bits, shx_width(p)
    insts = []

    # -- load pass: one beat per edge into ring slot wp; the row's max into metadata mwp ---
    count = slot_count(p)  # ring slots in use (written, not yet read by the emit pass)
    wp, mwp = slot_index(p), slot_index(p)
    wcnt = Signal(intbv(0, min=0, max=max(N, 2)))  # scores of the row so far
    wmax, x_in, max_next = signed_sig(w), signed_sig(w), signed_sig(w)
    room, accept, last_eff, row_end = (Signal(bool(0)) for _ in range(4))
    empty_in = s_axis_tuser(0)

    @always_comb
    def load_ready():
        room.next = count != C
        s_axis_tready.next = count != C
        x_in.next = s_axis_tdata.signed()

    @always_comb
    def load_fire():
        accept.next = s_axis_tvalid and room
        # a row ends on its tlast, or at max_len scores: a longer (malformed) row is cut into
        # rows of max_len, so nothing outgrows the row sum and the ring always drains
        last_eff.next = s_axis_tlast or wcnt == N - 1
        row_end.next = s_axis_tvalid and room and (s_axis_tlast or wcnt == N - 1)

    @always_comb
    def load_max():
        if wcnt == 0 or x_in > wmax:
            max_next.next = x_in
        else:
            max_next.next = wmax

    @always_seq(clk.posedge, reset=rst)
    def load_seq():
        if accept:
            if wp == C - 1:
                wp.next = 0
            else:
                wp.next = wp + 1
            if last_eff:
                wcnt.next = 0
                if mwp == C - 1:
                    mwp.next = 0
                else:
                    mwp.next = mwp + 1
            else:
                wcnt.next = wcnt + 1
                wmax.next = max_next

    insts += [load_ready, load_fire, load_max, load_seq]

    # -- sum pass: reads slot sp of row msp once the row is loaded, accumulates 2**(x - max) --
    sp, msp = slot_index(p), slot_index(p)
    # rows loaded, not yet wholly issued to the sum pass: at most max_len + 1 (the sum pass
    # never stalls, so the slots written and not yet summed never grow while it is busy, and
    # it is idle only while at most one row, of <= max_len slots, is loading)
    loaded = Signal(intbv(0, min=0, max=N + 2))
    sx, smax = signed_sig(w), signed_sig(w)
    s_last = Signal(bool(0))  # the slot is its row's last
    s_go, s_end = Signal(bool(0)), Signal(bool(0))
    s1_v, s1_last = Signal(bool(0)), Signal(bool(0))
    s1_x, s1_max = signed_sig(w), signed_sig(w)
    s_e = unsigned_sig(EW)
    s2_v, s2_last = Signal(bool(0)), Signal(bool(0))
    s2_e = unsigned_sig(EW)
    # the exponential zero-extended to the sum's width (no widening add)
    e_wide = ConcatSignal(intbv(0)[SW - EW:], s2_e) if SW > EW else s2_e
    acc, acc_in = unsigned_sig(SW), unsigned_sig(SW)
    fresh = Signal(bool(1))  # the next exponential starts a row
    rs_v, rs_s = Signal(bool(0)), unsigned_sig(SW)

    @always_comb
    def sum_fire():
        s_go.next = loaded != 0
        s_end.next = loaded != 0 and s_last

    @always_comb
    def accumulate():
        if fresh:
            acc_in.next = e_wide
        else:
            acc_in.next = acc + e_wide

    @always_seq(clk.posedge, reset=rst)
    def sum_seq():
        if s_go:
            if sp == C - 1:
                sp.next = 0
            else:
                sp.next = sp + 1
            if s_last:
                if msp == C - 1:
                    msp.next = 0
                else:
                    msp.next = msp + 1
        s1_v.next = s_go
        s1_x.next = sx
        s1_max.next = smax
        s1_last.next = s_last
        s2_v.next = s1_v
        s2_e.next = s_e
        s2_last.next = s1_last
        if s2_v:
            acc.next = acc_in
            fresh.next = s2_last
        rs_v.next = s2_v and s2_last
        rs_s.next = acc_in

    insts += [sum_fire, accumulate, sum_seq, softmax_exp(s1_x, s1_max, s_e, p)]

    # -- reciprocal: one row sum per edge in, (r1, shx) into metadata mrp ------------------
    mrp = slot_index(p)
    r_v = Signal(bool(0))
    r1, shx = unsigned_sig(Q), unsigned_sig(sxw)

    @always_seq(clk.posedge, reset=rst)
    def recip_seq():
        if r_v:
            if mrp == C - 1:
                mrp.next = 0
            else:
                mrp.next = mrp + 1

    insts += [recip_seq, softmax_recip(clk, rst, rs_v, rs_s, r_v, r1, shx, p)]

    # -- emit pass: reads slot ep of row mep once its reciprocal is in, one per edge --------
    ep, mep = slot_index(p), slot_index(p)
    ready_rows = slot_count(p)  # rows with their reciprocal, not yet wholly issued to emit
    ex, emax = signed_sig(w), signed_sig(w)
    e_last, e_emp = Signal(bool(0)), Signal(bool(0))
    er1, eshx = unsigned_sig(Q), unsigned_sig(sxw)
    adv, e_go, e_end = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    e1_v, e1_last, e1_emp = (Signal(bool(0)) for _ in range(3))
    e1_x, e1_max = signed_sig(w), signed_sig(w)
    e1_r1, e1_shx = unsigned_sig(Q), unsigned_sig(sxw)
    e_e = unsigned_sig(EW)
    e2_v, e2_last, e2_emp = (Signal(bool(0)) for _ in range(3))
    e2_e, e2_r1, e2_shx = unsigned_sig(EW), unsigned_sig(Q), unsigned_sig(sxw)
    hi = unsigned_sig(hi_width(p))
    e3_v, e3_last, e3_emp = (Signal(bool(0)) for _ in range(3))
    e3_hi, e3_shx = unsigned_sig(hi_width(p)), unsigned_sig(sxw)
    prob = unsigned_sig(p.prob_width)

    @always_comb
    def emit_fire():
        # the whole emit pipeline moves when the output register is free or being taken
        adv.next = not m_axis_tvalid or m_axis_tready
        e_go.next = (not m_axis_tvalid or m_axis_tready) and ready_rows != 0
        e_end.next = (not m_axis_tvalid or m_axis_tready) and ready_rows != 0 and e_last

    @always_seq(clk.posedge, reset=rst)
    def emit_seq():
        if e_go:
            if ep == C - 1:
                ep.next = 0
            else:
                ep.next = ep + 1
            if e_last:
                if mep == C - 1:
                    mep.next = 0
                else:
                    mep.next = mep + 1
        if adv:
            e1_v.next = e_go
            e1_x.next = ex
            e1_max.next = emax
            e1_r1.next = er1
            e1_shx.next = eshx
            e1_last.next = e_last
            e1_emp.next = e_emp
            e2_v.next = e1_v
            e2_e.next = e_e
            e2_r1.next = e1_r1
            e2_shx.next = e1_shx
            e2_last.next = e1_last
            e2_emp.next = e1_emp
            e3_v.next = e2_v
            e3_hi.next = hi
            e3_shx.next = e2_shx
            e3_last.next = e2_last
            e3_emp.next = e2_emp
            m_axis_tvalid.next = e3_v
            if e3_v:
                if e3_emp:
                    m_axis_tdata.next = 0
                else:
                    m_axis_tdata.next = prob
                m_axis_tlast.next = e3_last
                m_axis_tuser.next = e3_emp

    insts += [emit_fire, emit_seq, softmax_exp(e1_x, e1_max, e_e, p),
              softmax_prod(e2_e, e2_r1, hi, p), softmax_round(e3_hi, e3_shx, prob, p)]

    # -- occupancy: slots in the ring, rows per pass ---------------------------------------
    @always_seq(clk.posedge, reset=rst)
    def counts():
        if accept and not e_go:
            count.next = count + 1
        elif e_go and not accept:
            count.next = count - 1
        if row_end and not s_end:
            loaded.next = loaded + 1
        elif s_end and not row_end:
            loaded.next = loaded - 1
        if r_v and not e_end:
            ready_rows.next = ready_rows + 1
        elif e_end and not r_v:
            ready_rows.next = ready_rows - 1

    # -- storage: score, last-of-row and EMPTY flags per slot; (max, r1, shx) per row -----
    insts += [counts,
              mem_2r(clk, accept, wp, x_in, sp, sx, ep, ex, C),
              mem_2r(clk, accept, wp, last_eff, sp, s_last, ep, e_last, C),
              mem_1r(clk, accept, wp, empty_in, ep, e_emp, C),
              mem_2r(clk, row_end, mwp, max_next, msp, smax, mep, emax, C),
              mem_1r(clk, r_v, mrp, r1, mep, er1, C),
              mem_1r(clk, r_v, mrp, shx, mep, eshx, C)]
    return insts
