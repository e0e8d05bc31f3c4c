"""Steps 3-4 of the arithmetic (models/softmax.py): the reciprocal of a row sum, pipelined so
that a new row sum may enter on every edge (rows of one score follow each other that fast).

Stages (``RECIP_PIPE`` = 4 edges from the row-sum register to the row's metadata):

1. leading one of the sum ``s`` -> ``lsh`` = SW - 1 - z (register ``a_*``);
2. left-justify, top Q+1 bits ``mq``, reciprocal LUT ``r0``, output shift ``shx = z - E``
   (register ``b_*``);
3. first Newton product ``t = mq r0 >> Q`` (register ``c_*``);
4. ``r1 = r0 (2**(Q+1) - t) >> Q``: combinational from ``c_*``, written into the metadata
   memory by the top on the 4th edge (``v_out`` high).

Widths are the value ranges: ``mq`` < 2**(Q+1), ``r0`` < 2**Q, ``t`` < 2**(Q+1),
``2**(Q+1) - t`` is the low Q+1 bits of ``-t``, ``r1`` < 2**Q (Q >= 2R + 3, models/softmax.py).
"""

from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, intbv

from models.softmax import SoftmaxParams, recip_lut
from rtl.common.prims import unsigned_sig
from rtl.softmax.interface import shx_width


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
def softmax_recip(clk, rst, v_in, s, v_out, r1, shx, p: SoftmaxParams):
    """``v_in``/``s``: a row sum (registered upstream); ``v_out``/``r1``/``shx``: its
    reciprocal and output shift, ``RECIP_PIPE - 1`` edges later (combinational outputs of the
    last register stage)."""
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
    sxw = shx_width(p)
    top_x = SW - 1 - E  # z - E with z = SW - 1 - lsh
    # stage 1
    a_v, a_lsh, a_s = Signal(bool(0)), unsigned_sig(lw), unsigned_sig(SW)
    # stage 2
    sl = unsigned_sig(SW)
    mq = unsigned_sig(Q + 1)
    j = unsigned_sig(R)
    r0 = unsigned_sig(Q)
    shx_a = unsigned_sig(sxw)
    b_v, b_mq, b_r0, b_shx = Signal(bool(0)), unsigned_sig(Q + 1), unsigned_sig(Q), \
        unsigned_sig(sxw)
    # stage 3
    tp = unsigned_sig(2 * Q + 1)
    c_t, c_r0, c_shx = unsigned_sig(Q + 1), unsigned_sig(Q), unsigned_sig(sxw)
    c_v = Signal(bool(0))
    # stage 4 (combinational)
    twom = unsigned_sig(Q + 1)
    rp = unsigned_sig(2 * Q)

    @always_seq(clk.posedge, reset=rst)
    def stage1():
        a_v.next = v_in
        a_lsh.next = lsh
        a_s.next = s

    @always_comb
    def justify():
        sl.next = a_s << a_lsh

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
    def shift():
        shx_a.next = top_x - a_lsh

    @always_seq(clk.posedge, reset=rst)
    def stage2():
        b_v.next = a_v
        b_mq.next = mq
        b_r0.next = r0
        b_shx.next = shx_a

    @always_comb
    def newton1():
        tp.next = b_mq * b_r0

    @always_seq(clk.posedge, reset=rst)
    def stage3():
        c_v.next = b_v
        c_t.next = tp[2 * Q + 1:Q]
        c_r0.next = b_r0
        c_shx.next = b_shx

    @always_comb
    def newton3():
        twom.next = ~c_t + 1  # 2**(Q+1) - t, t in (0, 2**(Q+1))

    @always_comb
    def newton4():
        rp.next = c_r0 * twom

    @always_comb
    def outs():
        v_out.next = c_v
        r1.next = rp[2 * Q:Q]
        shx.next = c_shx

    return (insts, stage1, index, rd, shift, stage2, newton1, stage3, newton3, newton4, outs)
