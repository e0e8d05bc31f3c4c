"""``softmax``: integer softmax row unit (base-2 exponent by shift + LUT, LUT + Newton
reciprocal), bit-exact with ``models.softmax.softmax_ref`` (the arithmetic is documented there).

A *front* loads one row of kept scores into one of two row banks and tracks its maximum; a
*back* works on the other bank: it sums the row's exponentials, computes the reciprocal of the
sum, then emits one probability per score through an output register. Front and back overlap
(the front loads row r+1 while the back works on row r).

Ports (w = in_width, P = prob_width):

=================  ======  ====  ============================================================
name               shape   dir   meaning
=================  ======  ====  ============================================================
clk                1       in    clock, rising edge
rst                1       in    synchronous reset, active high
s_axis_tdata       w       in    one kept score (signed, base-2 log domain, frac_bits)
s_axis_tvalid      1       in    beat valid
s_axis_tready      1       out   beat accepted when tvalid && tready
s_axis_tlast       1       in    last score of the row
s_axis_tuser       1       in    EMPTY: the row has no kept score (the row's only beat)
m_axis_tdata       P       out   one probability (unsigned UQ0.P), in input order
m_axis_tvalid      1       out   beat valid
m_axis_tready      1       in    beat accepted when tvalid && tready
m_axis_tlast       1       out   last probability of the row
m_axis_tuser       1       out   EMPTY: the output of an empty row (one beat, tdata 0)
=================  ======  ====  ============================================================

The block expects well-formed rows (the encoder refuses others): at most ``max_len`` scores,
EMPTY only on a one-beat row. Scores beyond ``max_len`` are dropped, not written past the bank.

Timing (no stalls; exact model in ``models.softmax.row_times``): the front takes one edge per
beat; the back takes 1 (IDLE) + n (sum) + 1 (reciprocal) + n (emit) edges per row of n
scores, 2 for an empty row. Steady state: ``2n + 2`` cycles per row, back-bound.
"""

from myhdl import ConcatSignal, Signal, always, always_comb, always_seq, block, enum, intbv

from models.softmax import SoftmaxParams, exp_lut, recip_lut
from rtl.common.prims import axis, clk_rst, signed_sig, unsigned_sig

PARAMS = SoftmaxParams


def ports(p: SoftmaxParams) -> dict:
    return {**clk_rst(), **axis("s_axis", p.in_width, 1), **axis("m_axis", p.prob_width, 1)}


@block
def softmax_exp(x, mx, e, p):
    """Steps 1-2: ``e = EXP_LUT[t] >> min(ip, E + 1)`` for ``d = mx - x``."""
    F, L, E, w = p.frac_bits, p.lut_bits, p.exp_bits, p.in_width
    rom = tuple(int(v) for v in exp_lut(p))
    d = unsigned_sig(w)
    ip = unsigned_sig(p.ip_width)
    t = unsigned_sig(max(L, 1))
    lut = unsigned_sig(p.e_width)
    top = E + 1
    insts = []

    @always_comb
    def diff():
        d.next = mx - x  # mx >= x: the row max minus one of its scores

    @always_comb
    def split_ip():
        ip.next = d[w:F]

    insts += [diff, split_ip]
    if L:

        @always_comb
        def split_t():
            t.next = d[F:F - L]

        insts.append(split_t)
    if (1 << p.ip_width) - 1 > top:  # ip can exceed E + 1: clamp the shift
        kw = top.bit_length()
        ips = unsigned_sig(kw)

        @always_comb
        def clamp():
            if ip > top:
                ips.next = top
            else:
                ips.next = ip[kw:]

        insts.append(clamp)
    else:
        ips = ip

    @always_comb
    def rd():
        lut.next = rom[int(t)]

    @always_comb
    def shr():
        e.next = lut >> ips

    return insts, rd, shr


@block
def lead_step(bit, lsh_in, lsh_out, val):
    """One link of the leading-one chain: ``lsh_out = val`` when ``bit``, else ``lsh_in``."""

    @always_comb
    def comb():
        if bit:
            lsh_out.next = val
        else:
            lsh_out.next = lsh_in

    return comb


@block
def lead_pair(bit, lsh_out, val1, val0):
    """The chain's start: ``lsh_out = val1`` when ``bit`` else ``val0`` (the sum's leading
    one is never below bit E: S >= 2**E whenever the result is used)."""

    @always_comb
    def comb():
        if bit:
            lsh_out.next = val1
        else:
            lsh_out.next = val0

    return comb


@block
def softmax_recip(s, r1, shx, p):
    """Steps 3-4: left-justify the sum ``s`` (``lsh`` = SW - 1 - z), take its top Q+1 bits,
    reciprocal LUT, one Newton step. ``shx = z - E``: the output shift beyond its minimum.

    Widths are the value ranges: ``mq`` < 2**(Q+1), ``r0`` < 2**Q, ``t = mq r0 >> Q`` <
    2**(Q+1), ``2**(Q+1) - t`` is the low Q+1 bits of ``-t``, ``r1`` < 2**Q (Q >= 2R + 3,
    models/softmax.py)."""
    Q, R, SW, E = p.norm_bits, p.recip_bits, p.sum_width, p.exp_bits
    rom = tuple(int(v) for v in recip_lut(p))
    lw = max(SW - 1 - E, 1).bit_length()  # lsh <= SW - 1 - E: the leading one is >= bit E
    if SW == E + 1:  # max_len = 1: the leading one is always bit E (lsh = 0)
        chain = [unsigned_sig(lw)]
        insts = [lead_pair(s(E), chain[0], 0, 0)]
    else:
        chain = [unsigned_sig(lw) for _ in range(E + 1, SW)]
        insts = [lead_pair(s(E + 1), chain[0], SW - 2 - E, SW - 1 - E)]
        for i in range(E + 2, SW):
            insts.append(lead_step(s(i), chain[i - 2 - E], chain[i - 1 - E], SW - 1 - i))
    lsh = chain[-1]
    sl = unsigned_sig(SW)
    mq = unsigned_sig(Q + 1)
    j = unsigned_sig(R)
    r0 = unsigned_sig(Q)
    tp = unsigned_sig(2 * Q + 1)
    t = unsigned_sig(Q + 1)
    twom = unsigned_sig(Q + 1)
    rp = unsigned_sig(2 * Q)
    top_x = SW - 1 - E  # z - E with z = SW - 1 - lsh

    @always_comb
    def justify():
        sl.next = s << lsh

    insts.append(justify)
    if SW >= Q + 1:

        @always_comb
        def top_bits():
            mq.next = sl[SW:SW - Q - 1]

        insts.append(top_bits)
    else:
        padded = ConcatSignal(sl, intbv(0)[Q + 1 - SW:])

        @always_comb
        def top_bits_pad():
            mq.next = padded

        insts.append(top_bits_pad)

    @always_comb
    def index():
        j.next = mq[Q:Q - R]

    @always_comb
    def rd():
        r0.next = rom[int(j)]

    @always_comb
    def newton1():
        tp.next = mq * r0

    @always_comb
    def newton2():
        t.next = tp[2 * Q + 1:Q]

    @always_comb
    def newton3():
        twom.next = ~t + 1  # 2**(Q+1) - t, t in (0, 2**(Q+1))

    @always_comb
    def newton4():
        rp.next = r0 * twom

    @always_comb
    def newton5():
        r1.next = rp[2 * Q:Q]

    @always_comb
    def shift():
        shx.next = top_x - lsh

    return insts, index, rd, newton1, newton2, newton3, newton4, newton5, shift


@block
def softmax_out(e, r1, shx, prob, p):
    """Step 5: ``min(round_half_up(e * r1 >> sh), 2**P - 1)`` with ``sh = S0 + 1 + shx``,
    ``S0 = Q + E - P - 1`` (the least shift, z = E): the product's low S0 bits never reach
    the result, so the datapath drops them first, then shifts by ``shx`` and rounds as
    ``((x >> (sh - 1)) + 1) >> 1``."""
    P, Q, E = p.prob_width, p.norm_bits, p.exp_bits
    s0 = Q + E - P - 1
    pw = E + Q  # e <= 2**E and r1 < 2**Q: e * r1 < 2**(E+Q)
    prod = unsigned_sig(pw)
    hi = unsigned_sig(pw - s0)
    halved = unsigned_sig(pw - s0)
    rounded = unsigned_sig(pw - s0)
    top = (1 << P) - 1

    @always_comb
    def mul():
        prod.next = e * r1

    @always_comb
    def drop():
        hi.next = prod[pw:s0]

    @always_comb
    def half():
        halved.next = hi >> shx

    @always_comb
    def rnd():
        rounded.next = (halved + 1) >> 1

    @always_comb
    def sat():
        if rounded > top:
            prob.next = top
        else:
            prob.next = rounded[P:]

    return mul, drop, half, rnd, sat


@block
def softmax(clk, rst, s_axis_tdata, s_axis_tvalid, s_axis_tready, s_axis_tlast, s_axis_tuser,
            m_axis_tdata, m_axis_tvalid, m_axis_tready, m_axis_tlast, m_axis_tuser, p):
    N, w = p.max_len, p.in_width
    mem = [signed_sig(w) for _ in range(2 * N)]

    def index_sig():
        """Counters, last indices and addresses share one width (no widening assignments)."""
        return Signal(intbv(0, min=0, max=2 * N))

    # -- front: load a row into bank wbank ------------------------------------------------
    wbank = Signal(bool(0))
    wcnt, waddr, row_last = index_sig(), index_sig(), index_sig()
    wmax, x_in, max_next = signed_sig(w), signed_sig(w), signed_sig(w)
    accept, front_done, write = (Signal(bool(0)) for _ in range(3))
    full0, full1 = Signal(bool(0)), Signal(bool(0))
    blast0, blast1 = index_sig(), index_sig()  # the bank's last score index (n - 1)
    bmax0, bmax1 = signed_sig(w), signed_sig(w)
    bemp0, bemp1 = Signal(bool(0)), Signal(bool(0))

    @always_comb
    def front_comb():
        x_in.next = s_axis_tdata.signed()
        if wbank:
            s_axis_tready.next = not full1
        else:
            s_axis_tready.next = not full0

    @always_comb
    def front_fire():
        accept.next = s_axis_tvalid and s_axis_tready
        front_done.next = s_axis_tvalid and s_axis_tready and s_axis_tlast
        write.next = s_axis_tvalid and s_axis_tready and not s_axis_tuser[0] and wcnt < N
        if wbank:
            waddr.next = N + row_last
        else:
            waddr.next = row_last

    @always_comb
    def front_last():
        if wcnt < N:
            row_last.next = wcnt
        else:
            row_last.next = N - 1

    @always_comb
    def front_max():
        if wcnt == 0 or x_in > wmax:
            max_next.next = x_in
        else:
            max_next.next = wmax

    @always(clk.posedge)
    def mem_write():
        if write:
            mem[waddr].next = x_in

    @always_seq(clk.posedge, reset=rst)
    def front_seq():
        if accept:
            if s_axis_tlast:
                wcnt.next = 0
                wbank.next = not wbank
                if wbank:
                    blast1.next = row_last
                    bmax1.next = max_next
                    bemp1.next = s_axis_tuser[0]
                else:
                    blast0.next = row_last
                    bmax0.next = max_next
                    bemp0.next = s_axis_tuser[0]
            else:
                if wcnt < N:
                    wcnt.next = wcnt + 1
                wmax.next = max_next

    # -- back: sum, reciprocal, emit bank rbank --------------------------------------------
    st = enum("IDLE", "SUM", "RECIP", "EMIT")
    state = Signal(st.IDLE)
    rbank = Signal(bool(0))
    rptr, rlast, raddr = index_sig(), index_sig(), index_sig()
    bank_done, rfull, remp = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    rmax, rx = signed_sig(w), signed_sig(w)
    e = unsigned_sig(p.e_width)
    acc = unsigned_sig(p.sum_width)
    # e zero-extended to the sum's width (no widening add)
    e_wide = ConcatSignal(intbv(0)[p.sum_width - p.e_width:], e) if p.sum_width > p.e_width else e
    r1, r1_q = unsigned_sig(p.r_width), unsigned_sig(p.r_width)
    shx_w = max(p.sum_width - 1 - p.exp_bits, 1).bit_length()
    shx, shx_q = unsigned_sig(shx_w), unsigned_sig(shx_w)
    prob = unsigned_sig(p.prob_width)
    load, at_last = Signal(bool(0)), Signal(bool(0))

    @always_comb
    def back_sel():
        if rbank:
            rfull.next = full1
            remp.next = bemp1
            rlast.next = blast1
            rmax.next = bmax1
            raddr.next = N + rptr
        else:
            rfull.next = full0
            remp.next = bemp0
            rlast.next = blast0
            rmax.next = bmax0
            raddr.next = rptr

    @always_comb
    def mem_read():
        rx.next = mem[raddr]

    @always_comb
    def back_comb():
        load.next = state == st.EMIT and (not m_axis_tvalid or m_axis_tready)
        at_last.next = remp or rptr == rlast
        bank_done.next = (state == st.EMIT and (not m_axis_tvalid or m_axis_tready)
                          and (remp or rptr == rlast))

    @always_seq(clk.posedge, reset=rst)
    def back_seq():
        if state == st.IDLE:
            rptr.next = 0
            acc.next = 0
            if rfull:
                if remp:
                    state.next = st.EMIT
                else:
                    state.next = st.SUM
        elif state == st.SUM:
            acc.next = acc + e_wide
            if at_last:
                rptr.next = 0
                state.next = st.RECIP
            else:
                rptr.next = rptr + 1
        elif state == st.RECIP:
            r1_q.next = r1
            shx_q.next = shx
            state.next = st.EMIT
        else:
            if load:
                if at_last:
                    rbank.next = not rbank
                    state.next = st.IDLE
                else:
                    rptr.next = rptr + 1

    @always_seq(clk.posedge, reset=rst)
    def out_seq():
        if m_axis_tvalid and m_axis_tready:
            m_axis_tvalid.next = 0
        if load:
            m_axis_tvalid.next = 1
            if remp:
                m_axis_tdata.next = 0
            else:
                m_axis_tdata.next = prob
            m_axis_tlast.next = at_last
            m_axis_tuser.next = remp

    @always_seq(clk.posedge, reset=rst)
    def full_seq():
        if front_done and not wbank:
            full0.next = 1
        elif bank_done and not rbank:
            full0.next = 0
        if front_done and wbank:
            full1.next = 1
        elif bank_done and rbank:
            full1.next = 0

    insts = [softmax_exp(rx, rmax, e, p), softmax_recip(acc, r1, shx, p),
             softmax_out(e, r1_q, shx_q, prob, p)]
    return (insts, front_comb, front_fire, front_last, front_max, mem_write, front_seq,
            back_sel, mem_read, back_comb, back_seq, out_seq, full_seq)
