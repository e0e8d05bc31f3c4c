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

from myhdl import Signal, always_comb, always_seq, block, intbv

from models.gemm import GemmParams
from rtl.common.array import out_stage, tile_ctrl
from rtl.common.prims import axis, clk_rst, delay_line, field_or_zero, signed_sig

PARAMS = GemmParams


def ports(p: GemmParams) -> dict:
    """Top-level signals, sized from the params (the convert entry point uses these)."""
    return {**clk_rst(), **axis("s_axis", p.in_width, p.user_width),
            **axis("m_axis", p.out_data_width)}


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
def gemm(clk, rst, s_axis_tdata, s_axis_tvalid, s_axis_tready, s_axis_tlast, s_axis_tuser,
         m_axis_tdata, m_axis_tvalid, m_axis_tready, m_axis_tlast, p):
    R, C, w = p.rows, p.cols, p.data_width
    adv, feed, handoff, out_fire = (Signal(bool(0)) for _ in range(4))
    obuf_user = Signal(intbv(0)[p.user_width:])

    insts = [tile_ctrl(clk, rst, s_axis_tvalid, s_axis_tlast, s_axis_tuser, s_axis_tready,
                       m_axis_tready, m_axis_tvalid, m_axis_tlast, adv, handoff, out_fire,
                       obuf_user, p.fill_cycles, R)]
    # -- input skew: row i of A is delayed i advances, column j of B j advances -------------
    a_feed = [signed_sig(w) for _ in range(R)]
    b_feed = [signed_sig(w) for _ in range(C)]
    a_field = [signed_sig(w) for _ in range(R)]
    b_field = [signed_sig(w) for _ in range(C)]
    for i in range(R):
        # operands are zeroed outside LOAD so that the flush advances accumulate nothing
        insts.append(field_or_zero(s_axis_tdata, i * w, feed, a_field[i]))
        insts.append(delay_line(clk, rst, adv, a_field[i], a_feed[i], i))
    for j in range(C):
        insts.append(field_or_zero(s_axis_tdata, (R + j) * w, feed, b_field[j]))
        insts.append(delay_line(clk, rst, adv, b_field[j], b_feed[j], j))

    # -- PE grid, flattened row-major (index i * C + j) ----------------------------------------
    a_q = [signed_sig(w) for _ in range(R * C)]
    b_q = [signed_sig(w) for _ in range(R * C)]
    acc = [signed_sig(p.acc_width) for _ in range(R * C)]
    for i in range(R):
        for j in range(C):
            a_in = a_feed[i] if j == 0 else a_q[i * C + j - 1]
            b_in = b_feed[j] if i == 0 else b_q[(i - 1) * C + j]
            n = i * C + j
            insts.append(gemm_pe(clk, rst, adv, handoff, a_in, b_in, a_q[n], b_q[n], acc[n]))

    insts.append(out_stage(clk, rst, handoff, out_fire, acc, obuf_user, m_axis_tdata, p))

    @always_comb
    def feed_comb():
        feed.next = s_axis_tready  # loading: beats enter the skew; flushing: zeros do

    return insts, feed_comb
