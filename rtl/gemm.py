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

Latency: the first output row is valid ``C + 1`` cycles after the tile's tlast beat, the last
``R + C`` (no stalls). Throughput (overlapped tiles, :mod:`rtl.common.array`): one input beat
per cycle across tile boundaries; a tile's tlast is held until R cycles after the previous
one, so a tile costs ``max(K, R)`` cycles -- its K input beats or its R output rows.
"""

from myhdl import Signal, always_comb, always_seq, block

from models.gemm import GemmParams
from rtl.common.array import out_stage, tile_ctrl
from rtl.common.prims import axis, clk_rst, delay_line, field_or_zero, signed_sig

PARAMS = GemmParams


def ports(p: GemmParams) -> dict:
    """Top-level signals, sized from the params (the convert entry point uses these)."""
    return {**clk_rst(), **axis("s_axis", p.in_width, p.user_width),
            **axis("m_axis", p.out_data_width)}


@block
def gemm_pe(clk, rst, adv, last, a_in, b_in, a_q, b_q, acc, done):
    """One PE: registers its operands (passed on to the neighbours) and accumulates their
    product from the previous advance. ``done`` = acc + product; when ``last`` (the tile
    boundary is at this PE's anti-diagonal) that is the tile's result, taken by the output
    path, and the accumulator restarts from 0 for the next tile."""

    @always_comb
    def mac():
        done.next = acc + a_q * b_q

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if adv:
            if last:
                acc.next = 0
            else:
                acc.next = done
            a_q.next = a_in
            b_q.next = b_in

    return mac, seq


@block
def gemm(clk, rst, s_axis_tdata, s_axis_tvalid, s_axis_tready, s_axis_tlast, s_axis_tuser,
         m_axis_tdata, m_axis_tvalid, m_axis_tready, m_axis_tlast, p):
    R, C, w = p.rows, p.cols, p.data_width
    adv, feed, go = (Signal(bool(0)) for _ in range(3))
    diag = [Signal(bool(0)) for _ in range(R + C - 1)]

    insts = [tile_ctrl(clk, rst, s_axis_tvalid, s_axis_tlast, s_axis_tready, adv, feed, diag,
                       go, R)]
    # -- input skew: row i of A is delayed i advances, column j of B j advances -------------
    a_feed = [signed_sig(w) for _ in range(R)]
    b_feed = [signed_sig(w) for _ in range(C)]
    a_field = [signed_sig(w) for _ in range(R)]
    b_field = [signed_sig(w) for _ in range(C)]
    for i in range(R):
        # operands are zeroed when no beat is accepted, so the bubbles accumulate nothing
        insts.append(field_or_zero(s_axis_tdata, i * w, feed, a_field[i]))
        insts.append(delay_line(clk, rst, adv, a_field[i], a_feed[i], i))
    for j in range(C):
        insts.append(field_or_zero(s_axis_tdata, (R + j) * w, feed, b_field[j]))
        insts.append(delay_line(clk, rst, adv, b_field[j], b_feed[j], j))

    # -- PE grid, flattened row-major (index i * C + j) ----------------------------------------
    a_q = [signed_sig(w) for _ in range(R * C)]
    b_q = [signed_sig(w) for _ in range(R * C)]
    acc = [signed_sig(p.acc_width) for _ in range(R * C)]
    done = [signed_sig(p.acc_width) for _ in range(R * C)]
    for i in range(R):
        for j in range(C):
            a_in = a_feed[i] if j == 0 else a_q[i * C + j - 1]
            b_in = b_feed[j] if i == 0 else b_q[(i - 1) * C + j]
            n = i * C + j
            insts.append(gemm_pe(clk, rst, adv, diag[i + j], a_in, b_in, a_q[n], b_q[n], acc[n],
                                 done[n]))

    insts.append(out_stage(clk, rst, adv, diag, done, s_axis_tuser, go, m_axis_tdata,
                           m_axis_tvalid, m_axis_tready, m_axis_tlast, None, p))
    return insts
