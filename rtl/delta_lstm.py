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
"""

from myhdl import (
    ConcatSignal,
    ResetSignal,
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
    DeltaLstmParams,
    build_lut,
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
from models.fixed import smax, smin
from rtl.common.prims import signed_sig, unsigned_sig

PARAMS = DeltaLstmParams


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _ubits(n: int) -> int:
    """Bits of an unsigned index into ``n`` entries (at least 1)."""
    return max(1, (n - 1).bit_length())


def ports(p: DeltaLstmParams) -> dict:
    """Top-level signals, sized from the params (the convert entry point uses these)."""
    a = p.act_width
    return dict(
        clk=Signal(bool(0)),
        rst=ResetSignal(0, active=1, isasync=False),
        cfg_theta_x=unsigned_sig(a),
        cfg_theta_h=unsigned_sig(a),
        s_axis_w_tdata=unsigned_sig(w_stream_bits(p)),
        s_axis_w_tvalid=Signal(bool(0)),
        s_axis_w_tready=Signal(bool(0)),
        s_axis_w_tlast=Signal(bool(0)),
        s_axis_x_tdata=unsigned_sig(x_width(p)),
        s_axis_x_tvalid=Signal(bool(0)),
        s_axis_x_tready=Signal(bool(0)),
        m_axis_h_tdata=unsigned_sig(h_width(p)),
        m_axis_h_tvalid=Signal(bool(0)),
        m_axis_h_tready=Signal(bool(0)),
        m_axis_h_tlast=Signal(bool(0)),
    )


def _index(sig, depth):
    """``sig`` narrowed to the index width of a ``depth``-entry memory (shadow slice)."""
    b = _ubits(depth)
    return sig if len(sig) == b else sig(b, 0)


# -- small arithmetic blocks -------------------------------------------------------------------
@block
def dlstm_round_sat(x, y, s):
    """y = saturate(round_shift(x, s), len(y)), round half up; x and y signed."""
    xw, yw = len(x), len(y)
    insts = []
    if s == 0:
        r = x
    else:
        # t and r keep the full width (r's top bits are sign copies) so that every bit of
        # every signal is read: no unused-bit lint warnings
        t = signed_sig(xw + 1)
        r = signed_sig(xw + 1)
        half = 1 << (s - 1)

        @always_comb
        def rnd():
            t.next = x + half

        @always_comb
        def shr():
            r.next = t >> s

        insts += [rnd, shr]
    rw = len(r)
    hi, lo = smax(yw), smin(yw)
    if rw > yw:

        @always_comb
        def sat():
            if r > hi:
                y.next = hi
            elif r < lo:
                y.next = lo
            else:
                y.next = r[yw:].signed()

        insts.append(sat)
    else:
        assert rw == yw, "dlstm_round_sat: a narrower input would need a sign extension"

        @always_comb
        def ext():
            y.next = r

        insts.append(ext)
    return insts


@block
def dlstm_lut(x, y, table, p):
    """y = table[address(x)]: saturate x to lut_in_width bits, keep the top lut_addr_bits
    with the sign bit inverted (``models.delta_lstm.lut_address``); the table is a ROM."""
    aw, la, gw = p.act_width, p.lut_addr_bits, p.gate_width
    lsh = p.lut_shift
    addr = unsigned_sig(la)
    yu = unsigned_sig(gw)
    mask = (1 << gw) - 1
    rom = tuple(int(v) & mask for v in table)
    insts = []
    # saturate(x, lin) >> lsh == saturate(x >> lsh, la): shift first, then clamp to la bits
    if lsh:
        xs = signed_sig(aw)

        @always_comb
        def shr():
            xs.next = x >> lsh

        insts.append(shr)
    else:
        xs = x
    q = signed_sig(la)
    hi, lo = smax(la), smin(la)

    @always_comb
    def sat():
        if xs > hi:
            q.next = hi
        elif xs < lo:
            q.next = lo
        else:
            q.next = xs[la:].signed()

    insts.append(sat)
    if la == 1:

        @always_comb
        def adr1():
            addr.next = not q[0]

        insts.append(adr1)
    else:

        @always_comb
        def adr():
            addr.next = concat(not q[la - 1], q[la - 1:0])

        insts.append(adr)

    @always_comb
    def rd():
        yu.next = rom[int(addr)]

    @always_comb
    def out():
        y.next = yu.signed()

    insts += [rd, out]
    return insts


@block
def dlstm_hard(x, y, sigmoid, p):
    """Hard nonlinearity (``p.hard``), Q8.8 x -> Q2.G y:
    hardsigmoid ``clamp(round_shift(x, af + 2 - G) + 2**(G-1), 0, 2**G)`` or
    hardtanh ``clamp(round_shift(x, af - G), -2**G, 2**G)``."""
    af, g, xw, gw = p.act_frac, p.gate_frac, len(x), p.gate_width
    s = af - g + 2 if sigmoid else af - g
    top = 1 << g
    insts = []
    if s:
        rs = signed_sig(xw + 1)
        insts.append(dlstm_round_sat(x, rs, s))
    else:
        rs = x
    if sigmoid:
        v = signed_sig(xw + 1)
        off = 1 << (g - 1)

        @always_comb
        def bias():
            v.next = rs + off

        @always_comb
        def clamp():
            if v >= top:
                y.next = top
            elif v <= 0:
                y.next = 0
            else:
                y.next = v[gw:].signed()

        insts += [bias, clamp]
    else:

        @always_comb
        def clamp_t():
            if rs >= top:
                y.next = top
            elif rs <= -top:
                y.next = -top
            else:
                y.next = rs[gw:].signed()

        insts.append(clamp_t)
    return insts


@block
def dlstm_gate_fn(x, y, func, p):
    """Q8.8 -> Q2.G sigmoid or tanh (``func``), LUT or hard version per ``p.hard``."""
    if p.hard:
        return dlstm_hard(x, y, func == "sigmoid", p)
    return dlstm_lut(x, y, build_lut(p, func), p)


# -- delta unit ------------------------------------------------------------------------------
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


@block
def dlstm_ffs(bits, lo, idx, any_):
    """Lowest set bit of ``bits`` (a list of bools) plus ``lo``: a balanced tree of 2:1
    priority nodes, depth ceil(log2(len(bits)))."""
    n = len(bits)
    if n == 1:
        b = bits[0]

        @always_comb
        def leaf():
            any_.next = b
            idx.next = lo

        return leaf
    nl = 1 << ((n - 1).bit_length() - 1)
    il, ir = Signal(intbv(0)[len(idx):]), Signal(intbv(0)[len(idx):])
    al, ar = Signal(bool(0)), Signal(bool(0))
    left = dlstm_ffs(bits[:nl], lo, il, al)
    right = dlstm_ffs(bits[nl:], lo + nl, ir, ar)

    @always_comb
    def node():
        any_.next = al or ar
        if al:
            idx.next = il
        else:
            idx.next = ir

    return left, right, node


# -- MAC -------------------------------------------------------------------------------------
@block
def dlstm_pe(clk, rst, wq, d1, lr2, prod2, pe, p):
    """PE ``pe``: splits its entry off the weight word and registers value * delta."""
    w, eb = p.w_width, entry_bits(p)
    lo = pe * eb
    val = wq(lo + w, lo)
    lr = wq(lo + eb, lo + w)

    @always_seq(clk.posedge, reset=rst)
    def seq():
        prod2.next = val.signed() * d1
        lr2.next = lr

    return seq


@block
def dlstm_m_cell(clk, rst, ld, ld_cnt, bias, mv, lr, prod, m, r, lrow, p):
    """Row ``r`` of M (PE r % N, local row ``lrow``): loaded with bias << w_frac on its
    weight-load beat, else += prod when the PE's product targets this row. ``m`` is a
    ``modbv``: the two's-complement wrap of the model's ``wrap(.., acc_width)``."""
    beat = image_words(p) + r

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if ld and ld_cnt == beat:
            m.next = bias.signed()
        elif mv and lr == lrow:
            m.next = m + prod

    return seq


# -- activation ------------------------------------------------------------------------------
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


# -- top -------------------------------------------------------------------------------------
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
