"""Control and output stage shared by the output-stationary array blocks (``gemm``,
``nm_gemm``): they differ only in what a PE does with a beat.

``tile_ctrl`` sequences one tile: LOAD (one advance per accepted beat, until ``tlast``), FLUSH
(``fill`` advances that push the skewed operands through the array), HAND (the accumulators go
to the output buffer as soon as it is free, and are cleared). It also runs the output buffer's
row counter. ``out_stage`` is that buffer (rows shift up one per output beat) plus the
per-column requantiser.
"""

from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, enum, intbv

from models.fixed import smax, smin
from rtl.common.prims import signed_sig


@block
def tile_ctrl(clk, rst, s_tvalid, s_tlast, s_tuser, s_tready, m_tready, m_tvalid, m_tlast,
              adv, handoff, out_fire, obuf_user, fill, rows):
    """Tile FSM and output row counter.

    ``adv``: the array advances (an accepted beat, or a flush cycle). ``handoff``: the
    accumulators move to the output buffer this cycle. ``out_fire``: an output row leaves.
    ``obuf_user``: the tlast beat's ``tuser`` of the tile in the output buffer."""
    st = enum("LOAD", "FLUSH", "HAND")
    state = Signal(st.LOAD)
    flush_cnt = Signal(intbv(0, min=0, max=fill + 1))
    user_reg = Signal(intbv(0)[len(s_tuser):])
    obuf_valid, obuf_free = Signal(bool(0)), Signal(bool(0))
    out_row = Signal(intbv(0, min=0, max=max(rows, 2)))

    @always_comb
    def ctrl_comb():
        s_tready.next = state == st.LOAD
        adv.next = (state == st.LOAD and s_tvalid) or state == st.FLUSH
        handoff.next = state == st.HAND and obuf_free

    @always_comb
    def out_comb():
        out_fire.next = obuf_valid and m_tready
        obuf_free.next = (not obuf_valid) or (m_tready and out_row == rows - 1)
        m_tvalid.next = obuf_valid
        m_tlast.next = out_row == rows - 1

    @always_seq(clk.posedge, reset=rst)
    def ctrl_seq():
        if state == st.LOAD:
            if s_tvalid and s_tlast:
                user_reg.next = s_tuser
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
            if out_row == rows - 1:
                obuf_valid.next = 0
                out_row.next = 0
            else:
                out_row.next = out_row + 1

    return ctrl_comb, out_comb, ctrl_seq


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


class RequantShape:
    """The widths :func:`gemm_requant` reads of a params object, for blocks whose params are
    not a GemmParams (sddmm, spmm: always requantising, no ReLU)."""

    requant = True

    def __init__(self, out_width: int, acc_width: int, scale_width: int):
        self.out_width, self.acc_width, self.scale_width = out_width, acc_width, scale_width


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

    # signed acc x unsigned scale; at least 33 bits, so that the unsized (32-bit) 1 of the
    # rounding never makes a sum wider than its operands (a lint width finding)
    pw = max(p.acc_width + p.scale_width + 1, 33)
    prod = signed_sig(pw)
    halved = signed_sig(pw)  # prod >>> (shift - 1)
    rounded = signed_sig(pw)
    y = signed_sig(ow)
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
def out_stage(clk, rst, handoff, out_fire, acc, obuf_user, m_tdata, p):
    """Output double buffer (R x C accumulators, row 0 on the port) and requantiser.

    ``acc`` is the flattened row-major accumulator list; ``p`` is a GemmParams (rows, cols,
    widths, requant) and ``obuf_user`` carries relu at bit 0, then scale, then shift."""
    R, C = p.rows, p.cols
    insts = []
    obuf = [signed_sig(p.acc_width) for _ in range(R * C)]
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
        m_tdata.next = y_cat

    return insts, out_data
