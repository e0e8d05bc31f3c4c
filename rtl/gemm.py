"""``gemm``: dense output-stationary systolic GEMM, INT8 x INT8 -> INT32 (optionally -> INT8).

Computes one tile ``Y = A @ B`` per input packet, ``A`` rows x K, ``B`` K x cols, on a
rows x cols grid of PEs. ``A`` values move right, ``B`` values move down, each PE keeps its own
accumulator (output stationary). The whole array advances on one enable (``adv``): when the
input stalls, the array stalls, so no bubble ever enters it.

Ports (R = rows, C = cols, w = data_width, ow = out_width, UW = user_width):

=================  ==============  ====  ======================================================
name               shape           dir   meaning
=================  ==============  ====  ======================================================
clk                1               in    clock, rising edge
rst                1               in    synchronous reset, active high
s_axis_tdata       (R + C) * w     in    beat k: A[0..R-1, k] at elements 0..R-1, then
                                         B[k, 0..C-1] at elements R..R+C-1 (element e at bits
                                         [e*w, (e+1)*w), signed)
s_axis_tvalid      1               in    beat valid
s_axis_tready      1               out   beat accepted when tvalid && tready
s_axis_tlast       1               in    last beat of the tile (k = K - 1)
s_axis_tuser       UW              in    sampled on the tlast beat: bit 0 relu; with requant
                                         bits [1, 1+scale_width) scale (unsigned), then
                                         shift_width bits of shift
m_axis_tdata       C * ow          out   one output row Y[r, 0..C-1], element j at bits
                                         [j*ow, (j+1)*ow)
m_axis_tvalid      1               out   row valid
m_axis_tready      1               in    row accepted when tvalid && tready
m_axis_tlast       1               out   last row of the tile (r = R - 1)
=================  ==============  ====  ======================================================

Latency: the first output row is valid ``K + R + C + 1`` cycles after the first input beat (no
stalls). Throughput: one input beat per cycle while loading; ``R + C`` extra cycles per tile
(array fill plus hand-off); the output rows drain from a second buffer while the next tile
loads, so steady-state utilisation is ``K / (K + R + C)``.
"""

from myhdl import ConcatSignal, ResetSignal, Signal, always_comb, always_seq, block, enum, intbv

from models.fixed import smax, smin
from models.gemm import GemmParams
from rtl.common.prims import delay_line, field_or_zero

PARAMS = GemmParams


def ports(p: GemmParams) -> dict:
    """Top-level signals, sized from the params (the convert entry point uses these)."""
    return dict(
        clk=Signal(bool(0)),
        rst=ResetSignal(0, active=1, isasync=False),
        s_axis_tdata=Signal(intbv(0)[p.in_width:]),
        s_axis_tvalid=Signal(bool(0)),
        s_axis_tready=Signal(bool(0)),
        s_axis_tlast=Signal(bool(0)),
        s_axis_tuser=Signal(intbv(0)[p.user_width:]),
        m_axis_tdata=Signal(intbv(0)[p.out_data_width:]),
        m_axis_tvalid=Signal(bool(0)),
        m_axis_tready=Signal(bool(0)),
        m_axis_tlast=Signal(bool(0)),
    )


def _signed(bits):
    return Signal(intbv(0, min=smin(bits), max=smax(bits) + 1))


@block
def gemm_pe(clk, rst, adv, clr, a_in, b_in, a_q, b_q, acc):
    """One PE: registers its operands (passed on to the neighbours) and accumulates their
    product from the previous advance. ``clr`` zeroes the accumulator at tile hand-off."""

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if clr:
            acc.next = 0
        elif adv:
            acc.next = acc + a_q * b_q
        if adv:
            a_q.next = a_in
            b_q.next = b_in

    return seq


@block
def gemm_obuf_cell(clk, rst, load, shift, d_load, d_shift, q, last_row):
    """Output buffer cell: loads an accumulator at hand-off, shifts up one row per output beat."""
    if last_row:

        @always_seq(clk.posedge, reset=rst)
        def seq_last():
            if load:
                q.next = d_load

        return seq_last

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if load:
            q.next = d_load
        elif shift:
            q.next = d_shift

    return seq


@block
def gemm_requant(acc, scale, shift, relu, y_bits, p):
    """Per-column output stage: ``saturate(round_shift(acc * scale, shift))`` then ReLU.

    Round half up is built as ``((acc*scale >>> (shift-1)) + 1) >>> 1`` (equal to
    ``(x + 2**(shift-1)) >>> shift`` without a variable-width rounding constant).
    """
    ow = p.out_width
    if not p.requant:

        @always_comb
        def relu_only():
            if relu and acc < 0:
                y_bits.next = 0
            else:
                y_bits.next = acc[ow:]

        return relu_only

    pw = p.acc_width + p.scale_width + 1  # signed acc x unsigned scale
    prod = _signed(pw)
    halved = _signed(pw)  # prod >>> (shift - 1)
    rounded = _signed(pw)
    y = _signed(ow)
    hi, lo = smax(ow), smin(ow)

    @always_comb
    def mul():
        prod.next = acc * scale

    @always_comb
    def pre_shift():
        if shift == 0:
            halved.next = prod
        else:
            halved.next = prod >> (shift - 1)

    @always_comb
    def round_half_up():
        if shift == 0:
            rounded.next = halved
        else:
            rounded.next = (halved + 1) >> 1

    @always_comb
    def sat():
        if rounded > hi:
            y.next = hi
        elif rounded < lo:
            y.next = lo
        else:
            y.next = rounded[ow:].signed()

    @always_comb
    def relu_out():
        if relu and y < 0:
            y_bits.next = 0
        else:
            y_bits.next = y[ow:]

    return mul, pre_shift, round_half_up, sat, relu_out


@block
def gemm(clk, rst, s_axis_tdata, s_axis_tvalid, s_axis_tready, s_axis_tlast, s_axis_tuser,
         m_axis_tdata, m_axis_tvalid, m_axis_tready, m_axis_tlast, p):
    R, C, w, fill = p.rows, p.cols, p.data_width, p.fill_cycles
    st = enum("LOAD", "FLUSH", "HAND")
    state = Signal(st.LOAD)
    flush_cnt = Signal(intbv(0, min=0, max=fill + 1))
    adv, feed, handoff = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    user_reg = Signal(intbv(0)[p.user_width:])
    obuf_user = Signal(intbv(0)[p.user_width:])
    obuf_valid, obuf_free, out_fire = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    out_row = Signal(intbv(0, min=0, max=max(R, 2)))

    insts = []
    # -- input skew: row i of A is delayed i advances, column j of B j advances -------------
    a_feed = [_signed(w) for _ in range(R)]
    b_feed = [_signed(w) for _ in range(C)]
    a_field = [_signed(w) for _ in range(R)]
    b_field = [_signed(w) for _ in range(C)]
    for i in range(R):
        insts.append(field_or_zero(s_axis_tdata, i * w, feed, a_field[i]))
        insts.append(delay_line(clk, rst, adv, a_field[i], a_feed[i], i))
    for j in range(C):
        insts.append(field_or_zero(s_axis_tdata, (R + j) * w, feed, b_field[j]))
        insts.append(delay_line(clk, rst, adv, b_field[j], b_feed[j], j))

    # -- PE grid, flattened row-major (index i * C + j) ----------------------------------------
    a_q = [_signed(w) for _ in range(R * C)]
    b_q = [_signed(w) for _ in range(R * C)]
    acc = [_signed(p.acc_width) for _ in range(R * C)]
    for i in range(R):
        for j in range(C):
            a_in = a_feed[i] if j == 0 else a_q[i * C + j - 1]
            b_in = b_feed[j] if i == 0 else b_q[(i - 1) * C + j]
            n = i * C + j
            insts.append(gemm_pe(clk, rst, adv, handoff, a_in, b_in, a_q[n], b_q[n], acc[n]))

    # -- output double buffer: R rows shift up one per output beat -----------------------------
    obuf = [_signed(p.acc_width) for _ in range(R * C)]
    for i in range(R):
        for j in range(C):
            n = i * C + j
            nxt = obuf[n + C] if i < R - 1 else obuf[n]
            insts.append(gemm_obuf_cell(clk, rst, handoff, out_fire, acc[n], nxt, obuf[n],
                                        i == R - 1))

    relu_s = obuf_user(0)
    scale_s = obuf_user(1 + p.scale_width, 1) if p.requant else None
    shift_s = obuf_user(p.user_width, 1 + p.scale_width) if p.requant else None
    y_bits = [Signal(intbv(0)[p.out_width:]) for _ in range(C)]
    for j in range(C):
        insts.append(gemm_requant(obuf[j], scale_s, shift_s, relu_s, y_bits[j], p))
    y_cat = ConcatSignal(*reversed(y_bits)) if C > 1 else y_bits[0]

    @always_comb
    def out_data():
        m_axis_tdata.next = y_cat

    @always_comb
    def ctrl_comb():
        s_axis_tready.next = state == st.LOAD
        feed.next = state == st.LOAD
        adv.next = (state == st.LOAD and s_axis_tvalid) or state == st.FLUSH
        handoff.next = state == st.HAND and obuf_free

    @always_comb
    def out_comb():
        out_fire.next = obuf_valid and m_axis_tready
        obuf_free.next = (not obuf_valid) or (m_axis_tready and out_row == R - 1)
        m_axis_tvalid.next = obuf_valid
        m_axis_tlast.next = out_row == R - 1

    @always_seq(clk.posedge, reset=rst)
    def ctrl_seq():
        if state == st.LOAD:
            if s_axis_tvalid and s_axis_tlast:
                user_reg.next = s_axis_tuser
                flush_cnt.next = 0
                state.next = st.FLUSH
        elif state == st.FLUSH:
            if flush_cnt == fill - 1:
                state.next = st.HAND
            else:
                flush_cnt.next = flush_cnt + 1
        else:
            if obuf_free:
                state.next = st.LOAD
        if handoff:
            obuf_valid.next = 1
            out_row.next = 0
            obuf_user.next = user_reg
        elif out_fire:
            if out_row == R - 1:
                obuf_valid.next = 0
                out_row.next = 0
            else:
                out_row.next = out_row + 1

    return insts, out_data, ctrl_comb, out_comb, ctrl_seq
