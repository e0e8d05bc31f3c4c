"""``spmm``: sparse-probability x dense-V engine (O = P · V), bit-exact with
``models.spmm.row_out``: one kept entry of P per cycle into ``head_dim`` accumulators.

A head is a V load (one beat per key into the value memory, the requantisation on its tuser),
then per query row its P packet (the family's valued row format: ``col | prob << CW``, EMPTY
for an all-masked row, LAST_ROW on the head's last row). For every kept entry the engine reads
value row ``col`` and adds ``prob * v[col, t]`` to accumulator ``t`` (``head_dim`` MACs); on
the row's last beat it requantises the ``head_dim`` sums (gemm's requantiser, one per output
column) into the output register and clears the accumulators. The value memory has
``kv_banks`` banks (rtl/common/load_banks.py, shared with sddmm's key memory): a V load fills a
free bank (with two, the next head's values load while the current head computes); the
head's last row (LAST_ROW) frees its bank and the next head reads the next one.

Ports (d = head_dim, w = data_width, CW = col_width, PW = prob_width):

=================  ==========  ====  =========================================================
name               shape       dir   meaning
=================  ==========  ====  =========================================================
clk, rst           1           in    clock (rising edge), synchronous reset (active high)
s_axis_v_tdata     d * w       in    value row j (element t at bits [t*w, (t+1)*w), signed)
s_axis_v_tlast     1           in    the head's last value row
s_axis_v_tuser     scale+shift in    scale (unsigned) then shift, sampled on tlast
s_axis_p_tdata     CW + PW     in    one kept entry: column, then probability (unsigned)
s_axis_p_tlast     1           in    the row's last kept entry
s_axis_p_tuser     2           in    bit 0 EMPTY (an all-masked row), bit 1 LAST_ROW
m_axis_o_tdata     d * w       out   one output row O[i, :] (one beat, no tlast)
=================  ==========  ====  =========================================================
(each stream also has tvalid/tready).

Timing (no stalls; ``models.spmm.expected_cycles`` for one head, ``expected_head_cycles``
for a stream of heads with the banks): one cycle per value row (with two banks, behind the
head before it) and per P beat;
a row's output leaves the cycle after its last P beat.
"""

from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, intbv

from models.spmm import SpmmParams
from rtl.common.array import RequantShape, gemm_requant
from rtl.common.load_banks import load_banks
from rtl.common.prims import axis, clk_rst, signed_sig, unsigned_sig

PARAMS = SpmmParams


def ports(p: SpmmParams) -> dict:
    return {**clk_rst(),
            **axis("s_axis_v", p.row_width, p.scale_width + p.shift_width),
            **axis("s_axis_p", p.col_width + p.prob_width, 2),
            **axis("m_axis_o", p.row_width, last=False)}


@block
def spmm_lane(clk, rst, vword, prob_s, take, last, i, acc_out, p):
    """Output column ``i``: ``acc_out = acc + prob * v[i]`` (the row's sum so far including
    this beat); the accumulator takes it on a non-last beat and clears on the last one."""
    w = p.data_width
    lo, hi = i * w, (i + 1) * w
    prod = signed_sig(p.acc_width)  # w + PW + 1 bits of value, sign-extended (no widening add)
    acc = signed_sig(p.acc_width)

    @always_comb
    def mul():
        prod.next = vword[hi:lo].signed() * prob_s

    @always_comb
    def add():
        acc_out.next = acc + prod

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if take:
            if last:
                acc.next = 0
            else:
                acc.next = acc_out

    return mul, add, seq


@block
def spmm(clk, rst, s_axis_v_tdata, s_axis_v_tvalid, s_axis_v_tready, s_axis_v_tlast,
         s_axis_v_tuser, s_axis_p_tdata, s_axis_p_tvalid, s_axis_p_tready, s_axis_p_tlast,
         s_axis_p_tuser, m_axis_o_tdata, m_axis_o_tvalid, m_axis_o_tready, p):
    d, w, nk, cw, pw = p.head_dim, p.data_width, p.max_keys, p.col_width, p.prob_width
    running = Signal(bool(0))  # a head's values are loaded (the read bank is full): P rows run
    head_end = Signal(bool(0))  # the head's last row ends: its bank is free
    vuser = unsigned_sig(p.load_user_width)  # the current head's requantisation word
    scale_r = unsigned_sig(p.scale_width)
    shift_r = unsigned_sig(p.shift_width)
    p_fire = Signal(bool(0))
    col = unsigned_sig(cw)
    prob = unsigned_sig(pw)
    prob_u = ConcatSignal(intbv(0)[1:], prob)  # the probability with a 0 sign bit
    prob_s = signed_sig(pw + 1)
    vword = unsigned_sig(p.row_width)
    no_relu = Signal(bool(0))  # never driven: outputs have no ReLU
    shape = RequantShape(p.data_width, p.acc_width, p.scale_width)
    insts = [load_banks(clk, rst, s_axis_v_tvalid, s_axis_v_tready, s_axis_v_tlast,
                        s_axis_v_tdata, s_axis_v_tuser, head_end, running, col, vword, vuser,
                        nk, p.kv_banks)]
    ys = [unsigned_sig(w) for _ in range(d)]
    for i in range(d):
        acc_i = signed_sig(p.acc_width)
        insts.append(spmm_lane(clk, rst, vword, prob_s, p_fire, s_axis_p_tlast, i, acc_i, p))
        insts.append(gemm_requant(acc_i, scale_r, shift_r, no_relu, ys[i], shape))
    y_cat = ConcatSignal(*reversed(ys)) if d > 1 else ys[0]

    @always_comb
    def fields():
        col.next = s_axis_p_tdata[cw:]
        prob.next = s_axis_p_tdata[cw + pw:cw]

    @always_comb
    def signed_prob():
        if s_axis_p_tuser[0]:  # EMPTY: the row adds nothing
            prob_s.next = 0
        else:
            prob_s.next = prob_u.signed()

    @always_comb
    def requant_fields():
        scale_r.next = vuser[p.scale_width:]
        shift_r.next = vuser[p.scale_width + p.shift_width:p.scale_width]

    @always_comb
    def handshakes():
        s_axis_p_tready.next = running and (not m_axis_o_tvalid or m_axis_o_tready)

    @always_comb
    def fires():
        p_fire.next = (s_axis_p_tvalid and running
                       and (not m_axis_o_tvalid or m_axis_o_tready))
        head_end.next = (s_axis_p_tvalid and running and s_axis_p_tlast and s_axis_p_tuser[1]
                         and (not m_axis_o_tvalid or m_axis_o_tready))

    @always_seq(clk.posedge, reset=rst)
    def out_reg():
        if m_axis_o_tvalid and m_axis_o_tready:
            m_axis_o_tvalid.next = 0
        if p_fire and s_axis_p_tlast:
            m_axis_o_tvalid.next = 1
            m_axis_o_tdata.next = y_cat

    return insts, fields, signed_prob, requant_fields, handshakes, fires, out_reg
