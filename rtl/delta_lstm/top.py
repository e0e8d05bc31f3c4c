"""The top of ``delta_lstm``: the weight load and memory, the thresholds, the MAC pipeline,
the output data, the handshakes and the FSM, wiring the delta unit, the MAC array and the
activation lanes (ports and behaviour: :mod:`rtl.delta_lstm`)."""

from myhdl import (
    ConcatSignal,
    Signal,
    always,
    always_comb,
    always_seq,
    block,
    concat,
    enum,
    intbv,
    modbv,
)

from models.delta_lstm import (
    ACT_PIPE,
    DELTA_PIPE,
    MAC_PIPE,
    h_beats,
    image_words,
    load_beats,
    wword_bits,
    x_beats,
    x_lanes,
)
from models.fixed import smax, smin
from rtl.common.prims import signed_sig, unsigned_sig
from rtl.delta_lstm.activation import dlstm_act_lane
from rtl.delta_lstm.delta_unit import dlstm_col_cell, dlstm_x_lane
from rtl.delta_lstm.interface import _cdiv, _index, _ubits
from rtl.delta_lstm.mac import dlstm_ffs, dlstm_m_cell, dlstm_pe


@block
def delta_lstm(clk, rst, cfg_theta_x, cfg_theta_h, s_axis_w_tdata, s_axis_w_tvalid,
               s_axis_w_tready, s_axis_w_tlast, s_axis_x_tdata, s_axis_x_tvalid,
               s_axis_x_tready, m_axis_h_tdata, m_axis_h_tvalid, m_axis_h_tready,
               m_axis_h_tlast, p):
    assert (DELTA_PIPE, MAC_PIPE, ACT_PIPE) == (1, 3, 5), "RTL pipeline depths changed"
    NI, H, N, K, L = p.input_size, p.hidden_size, p.num_pe, p.keep, p.act_lanes
    aw, ww = p.act_width, wword_bits(p)
    LX, GX, GH = x_lanes(p), x_beats(p), h_beats(p)
    NW, NL = image_words(p), load_beats(p)
    cols = p.cols
    insts = []

    st = enum("LOAD", "IDLE", "MAC", "ACT")
    state = Signal(st.LOAD)

    # -- weight load ------------------------------------------------------------------------
    w_acc = Signal(bool(0))
    wcnt = unsigned_sig(_ubits(NL))
    wmem = [unsigned_sig(ww) for _ in range(NW)]
    w_word = s_axis_w_tdata(ww, 0)
    w_bias = s_axis_w_tdata(aw, 0)
    # bias << w_frac sign-extended to acc_width (raw bits; the M cells read it signed)
    ext = p.acc_width - aw - p.w_frac
    sign = s_axis_w_tdata(aw - 1)
    parts = [sign] * ext + [w_bias] + ([intbv(0)[p.w_frac:]] if p.w_frac else [])
    w_bias_sh = ConcatSignal(*parts)
    waddr = _index(wcnt, NW)

    @always(clk.posedge)
    def wmem_wr():
        if w_acc and wcnt < NW:
            wmem[waddr].next = w_word

    insts.append(wmem_wr)

    # -- delta unit (x) ---------------------------------------------------------------------
    x_acc = Signal(bool(0))
    xbeat = unsigned_sig(_ubits(GX))
    x_all = Signal(bool(0))  # every beat of the next step accepted
    dv = Signal(bool(0))  # compare stage valid
    db = unsigned_sig(_ubits(GX))  # compare stage beat
    xd = [signed_sig(aw + 1) for _ in range(LX)]
    xf = [Signal(bool(0)) for _ in range(LX)]
    thr_x, nthr_x, thr_h, nthr_h = (signed_sig(aw + 1) for _ in range(4))
    thr_xu, thr_hu = unsigned_sig(aw + 1), unsigned_sig(aw + 1)

    @always_comb
    def thresholds():
        # a threshold of 0 acts as 1 LSB (the model's max(theta, 1))
        if cfg_theta_x == 0:
            thr_xu.next = 1
        else:
            thr_xu.next = concat(False, cfg_theta_x)
        if cfg_theta_h == 0:
            thr_hu.next = 1
        else:
            thr_hu.next = concat(False, cfg_theta_h)

    @always_comb
    def signed_thresholds():
        thr_x.next = thr_xu.signed()
        thr_h.next = thr_hu.signed()

    @always_comb
    def neg_thresholds():
        nthr_x.next = -thr_x
        nthr_h.next = -thr_h

    insts += [thresholds, signed_thresholds, neg_thresholds]
    for e in range(LX):
        depth = _cdiv(NI - e, LX)
        xin = s_axis_x_tdata((e + 1) * aw, e * aw)
        insts.append(dlstm_x_lane(clk, rst, w_acc, x_acc, xin, dv, db, thr_x, nthr_x, xd[e],
                                  xf[e], depth, GX, p))

    # -- activation control ------------------------------------------------------------------
    adv = Signal(bool(0))
    issue = Signal(bool(0))
    grp = unsigned_sig(_ubits(GH))
    issued = Signal(bool(0))  # all groups of this step issued
    av = [Signal(bool(0)) for _ in range(4)]
    ag = [unsigned_sig(_ubits(GH)) for _ in range(4)]
    av1, av2, av3, av4 = av
    ag1, ag2, ag3, ag4 = ag
    out_v = Signal(bool(0))
    out_last = Signal(bool(0))
    act_end = Signal(bool(0))
    hd = [signed_sig(aw + 1) for _ in range(L)]
    hf = [Signal(bool(0)) for _ in range(L)]

    # -- columns: delta + fired bit ----------------------------------------------------------
    cons = Signal(bool(0))
    col = unsigned_sig(_ubits(cols))
    any_f = Signal(bool(0))
    dcol = [signed_sig(aw + 1) for _ in range(cols)]
    fcol = [Signal(bool(0)) for _ in range(cols)]
    hwe = Signal(bool(0))
    for j in range(cols):
        if j < NI:
            e = j % LX
            insts.append(dlstm_col_cell(clk, rst, w_acc, dv, db, xd[e], xf[e], cons, col,
                                        dcol[j], fcol[j], j // LX, j))
        else:
            u = j - NI
            e = u % L
            insts.append(dlstm_col_cell(clk, rst, w_acc, hwe, ag4, hd[e], hf[e], cons, col,
                                        dcol[j], fcol[j], u // L, j))
    insts.append(dlstm_ffs(fcol, 0, col, any_f))

    # -- MAC pipeline ------------------------------------------------------------------------
    kcnt = unsigned_sig(_ubits(NW))  # at the address width: col * K + kcnt has no mixed widths
    drain = unsigned_sig(2)
    mv0, mv1, mv2 = (Signal(bool(0)) for _ in range(3))
    addr0 = unsigned_sig(_ubits(NW))
    d0 = signed_sig(aw + 1)
    d1 = signed_sig(aw + 1)
    wq = unsigned_sig(ww)
    mac_issue = Signal(bool(0))

    @always_comb
    def mac_comb():
        mac_issue.next = state == st.MAC and any_f
        cons.next = state == st.MAC and any_f and kcnt == K - 1

    insts.append(mac_comb)
    if K == 1:

        @always_seq(clk.posedge, reset=rst)
        def mac_s0():
            mv0.next = mac_issue
            if mac_issue:
                addr0.next = col
                d0.next = dcol[col]

    else:

        @always_seq(clk.posedge, reset=rst)
        def mac_s0():
            mv0.next = mac_issue
            if mac_issue:
                addr0.next = col * K + kcnt
                d0.next = dcol[col]

    @always_seq(clk.posedge, reset=rst)
    def mac_s1():
        mv1.next = mv0
        wq.next = wmem[addr0]
        d1.next = d0

    @always_seq(clk.posedge, reset=rst)
    def mac_s2():
        mv2.next = mv1

    insts += [mac_s0, mac_s1, mac_s2]

    prod2 = [signed_sig(p.acc_width) for _ in range(N)]  # at M's width (fits: acc >= w + a + 1)
    lr2 = [unsigned_sig(p.row_bits) for _ in range(N)]
    for pe in range(N):
        insts.append(dlstm_pe(clk, rst, wq, d1, lr2[pe], prod2[pe], pe, p))

    # -- memory M: row r = g*H + u lives in PE r % N at local row r // N ----------------------
    mrow = [Signal(modbv(0, min=smin(p.acc_width), max=smax(p.acc_width) + 1))
            for _ in range(p.rows)]
    for r in range(p.rows):
        insts.append(dlstm_m_cell(clk, rst, w_acc, wcnt, w_bias_sh,
                                  mv2, lr2[r % N], prod2[r % N], mrow[r], r, r // N, p))
    # the activation lanes read M per (gate, lane) list, indexed by the unit's group
    lanes_m = {}
    for e in range(L):
        lanes_m[e] = tuple([mrow[gi * H + u] for u in range(e, H, L)] for gi in range(4))

    h_lane = [unsigned_sig(aw) for _ in range(L)]
    for e in range(L):
        insts.append(dlstm_act_lane(clk, rst, w_acc, adv, grp, av2, ag2, av4, ag4,
                                    *lanes_m[e], thr_h, nthr_h, h_lane[e], hd[e], hf[e], p))

    if L > 1:
        h_cat = ConcatSignal(*reversed(h_lane))
    else:
        h_cat = h_lane[0]

    @always_comb
    def h_data():
        m_axis_h_tdata.next = h_cat

    insts.append(h_data)

    # -- handshakes and control ---------------------------------------------------------------
    @always_comb
    def hs_comb():
        s_axis_w_tready.next = state == st.LOAD
        w_acc.next = state == st.LOAD and s_axis_w_tvalid
        x_ok = ((state == st.ACT or (state == st.IDLE and not (s_axis_w_tvalid and xbeat == 0)))
                and not x_all)
        s_axis_x_tready.next = x_ok
        x_acc.next = x_ok and s_axis_x_tvalid
        m_axis_h_tvalid.next = out_v
        m_axis_h_tlast.next = out_last

    @always_comb
    def act_comb():
        adv.next = not out_v or m_axis_h_tready
        issue.next = state == st.ACT and not issued and (not out_v or m_axis_h_tready)
        hwe.next = av4 and (not out_v or m_axis_h_tready)
        act_end.next = (state == st.ACT and issued and not av1 and not av2 and not av3
                        and not av4 and (not out_v or m_axis_h_tready))

    insts += [hs_comb, act_comb]

    @always_seq(clk.posedge, reset=rst)
    def x_ctrl():
        dv.next = x_acc
        if x_acc:
            db.next = xbeat
        if w_acc:
            xbeat.next = 0
            x_all.next = 0
        elif x_acc:
            if xbeat == GX - 1:
                xbeat.next = 0
                x_all.next = 1
            else:
                xbeat.next = xbeat + 1
        elif state == st.IDLE and x_all:
            x_all.next = 0
        elif act_end and x_all:
            x_all.next = 0

    @always_seq(clk.posedge, reset=rst)
    def w_ctrl():
        if w_acc:
            if s_axis_w_tlast:
                wcnt.next = 0
            elif wcnt < NL - 1:
                wcnt.next = wcnt + 1

    @always_seq(clk.posedge, reset=rst)
    def act_pipe():
        if adv:
            av1.next = issue
            av2.next = av1
            av3.next = av2
            av4.next = av3
            ag1.next = grp
            ag2.next = ag1
            ag3.next = ag2
            ag4.next = ag3
            out_v.next = av4
            out_last.next = ag4 == GH - 1
        if issue:
            if grp == GH - 1:
                grp.next = 0
                issued.next = 1
            else:
                grp.next = grp + 1
        elif act_end:
            issued.next = 0

    @always_seq(clk.posedge, reset=rst)
    def fsm():
        if state == st.LOAD:
            if w_acc and s_axis_w_tlast:
                state.next = st.IDLE
        elif state == st.IDLE:
            if x_all:
                state.next = st.MAC
                drain.next = 0
                kcnt.next = 0
            elif s_axis_w_tvalid and xbeat == 0:
                state.next = st.LOAD
        elif state == st.MAC:
            if any_f:
                if kcnt == K - 1:
                    kcnt.next = 0
                else:
                    kcnt.next = kcnt + 1
            elif drain == MAC_PIPE - 1:
                state.next = st.ACT
            else:
                drain.next = drain + 1
        else:
            if act_end:
                drain.next = 0
                kcnt.next = 0
                if x_all:
                    state.next = st.MAC
                else:
                    state.next = st.IDLE

    insts += [x_ctrl, w_ctrl, act_pipe, fsm]
    return insts
