"""The activation unit: one lane per ``act_lanes`` hidden units, five stages from the M read to
the h output register, with the cell update and the hidden delta compare against ĥ."""

from myhdl import Signal, always, always_comb, always_seq, block

from models.delta_lstm import h_beats
from rtl.common.prims import signed_sig
from rtl.delta_lstm.interface import _index
from rtl.delta_lstm.nonlin import dlstm_gate_fn, dlstm_round_sat


@block
def dlstm_act_lane(clk, rst, clr, adv, grp, av2, ag2, av4, ag4, m_i, m_f, m_g, m_o, thr,
                   nthr, h_out, d_out, f_out, p):
    """Activation lane: hidden units lane, lane + L, ... (``len(m_i)`` of them).

    Stages (all advance on ``adv``): S1 M read + round + saturate, S2 gate LUTs, S3 cell update
    (c written back), S4 tanh(c) LUT, S5 h multiply + hidden delta compare into ``h_out``."""
    aw, g, depth = p.act_width, p.gate_frac, len(m_i)
    gw = p.gate_width
    nh = h_beats(p)
    i_rd = _index(grp, depth)
    i2 = _index(ag2, depth)
    i4 = _index(ag4, depth)
    short = depth < nh  # this lane has no unit in the last group
    insts = []

    # S1: M read, round + saturate; c read
    msel = [signed_sig(p.acc_width) for _ in range(4)]
    pre = [signed_sig(aw) for _ in range(4)]
    pre_q = [signed_sig(aw) for _ in range(4)]
    cmem = [signed_sig(aw) for _ in range(depth)]
    c_rd = signed_sig(aw)
    c1 = signed_sig(aw)
    mi, mf, mg, mo = msel

    @always_comb
    def m_read():
        mi.next = m_i[i_rd]
        mf.next = m_f[i_rd]
        mg.next = m_g[i_rd]
        mo.next = m_o[i_rd]
        c_rd.next = cmem[i_rd]

    insts.append(m_read)
    for k in range(4):
        insts.append(dlstm_round_sat(msel[k], pre[k], p.w_frac))
    p_i, p_f, p_g, p_o = pre
    q_i, q_f, q_g, q_o = pre_q

    @always_seq(clk.posedge, reset=rst)
    def s1():
        if adv:
            q_i.next = p_i
            q_f.next = p_f
            q_g.next = p_g
            q_o.next = p_o
            c1.next = c_rd

    insts.append(s1)

    # S2: gate nonlinearities
    gate = [signed_sig(gw) for _ in range(4)]
    for k, fn in enumerate(("sigmoid", "sigmoid", "tanh", "sigmoid")):
        insts.append(dlstm_gate_fn(pre_q[k], gate[k], fn, p))
    y_i, y_f, y_g, y_o = gate
    i2q, f2q, g2q, o2q = (signed_sig(gw) for _ in range(4))
    c2 = signed_sig(aw)

    @always_seq(clk.posedge, reset=rst)
    def s2():
        if adv:
            i2q.next = y_i
            f2q.next = y_f
            g2q.next = y_g
            o2q.next = y_o
            c2.next = c1

    insts.append(s2)

    # S3: c = saturate(round_shift(f*c + ((i*g) << (a - G)), G))
    sw = max(gw + aw, 2 * gw + p.act_frac - g) + 1
    fc = signed_sig(sw)  # products at the sum's width: no mixed-width operands
    ig = signed_sig(sw)
    csum = signed_sig(sw)
    c_new = signed_sig(aw)
    c3 = signed_sig(aw)
    o3 = signed_sig(gw)

    @always_comb
    def mul_c():
        fc.next = f2q * c2
        ig.next = i2q * g2q

    @always_comb
    def sum_c():
        csum.next = fc + (ig << (p.act_frac - g))

    insts += [mul_c, sum_c, dlstm_round_sat(csum, c_new, g)]

    @always_seq(clk.posedge, reset=rst)
    def s3():
        if adv:
            c3.next = c_new
            o3.next = o2q

    @always(clk.posedge)
    def c_wr():
        if rst or clr:
            for e in range(depth):
                cmem[e].next = 0
        elif adv and av2 and (not short or ag2 != nh - 1):
            cmem[i2].next = c_new

    insts += [s3, c_wr]

    # S4: tanh(c)
    tc = signed_sig(gw)
    t4 = signed_sig(gw)
    o4 = signed_sig(gw)
    insts.append(dlstm_gate_fn(c3, tc, "tanh", p))

    @always_seq(clk.posedge, reset=rst)
    def s4():
        if adv:
            t4.next = tc
            o4.next = o3

    insts.append(s4)

    # S5: h = saturate(o * tanh(c) aligned to act_frac); delta against ĥ
    a = p.act_frac
    hw = max(2 * gw + max(a - 2 * g, 0), aw + 1)
    hp = signed_sig(hw)
    h_new = signed_sig(aw)

    @always_comb
    def mul_h():
        hp.next = o4 * t4

    insts.append(mul_h)
    if 2 * g <= a:
        if a > 2 * g:
            hs = signed_sig(hw)

            @always_comb
            def shl_h():
                hs.next = hp << (a - 2 * g)

            insts.append(shl_h)
        else:
            hs = hp
        insts.append(dlstm_round_sat(hs, h_new, 0))
    else:
        insts.append(dlstm_round_sat(hp, h_new, 2 * g - a))

    hh = [signed_sig(aw) for _ in range(depth)]
    hh_rd = signed_sig(aw)
    d = signed_sig(aw + 1)
    fire = Signal(bool(0))

    @always_comb
    def hh_read():
        hh_rd.next = hh[i4]

    @always_comb
    def hdiff():
        d.next = h_new - hh_rd

    @always_comb
    def hfire():
        fire.next = d >= thr or d <= nthr

    @always_comb
    def houts():
        d_out.next = d
        f_out.next = fire

    @always(clk.posedge)
    def hh_wr():
        if rst or clr:
            for e in range(depth):
                hh[e].next = 0
        elif adv and av4 and fire and (not short or ag4 != nh - 1):
            hh[i4].next = h_new

    insts += [hh_read, hdiff, hfire, houts, hh_wr]

    if short:

        @always_seq(clk.posedge, reset=rst)
        def s5_short():
            if adv:
                if ag4 != nh - 1:
                    h_out.next = h_new[aw:]
                else:
                    h_out.next = 0

        insts.append(s5_short)
    else:

        @always_seq(clk.posedge, reset=rst)
        def s5():
            if adv:
                h_out.next = h_new[aw:]

        insts.append(s5)
    return insts
