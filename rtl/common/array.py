"""Control and output stage shared by the output-stationary array blocks (``gemm``,
``nm_gemm``): they differ only in what a PE does with a beat.

Overlapped tiles. Tiles follow each other with no flush: the tile boundary travels through the
array with the skewed operands. The tlast beat of a tile enters a *diagonal* shift register
(``diag``, one stage per anti-diagonal ``d = i + j`` of the array, shifted on every advance);
stage ``d`` is set exactly when the PEs with ``i + j = d`` hold the tile's last operands, so on
that advance each of them hands ``acc + product`` (its finished sum) to the output path and
restarts from 0, while the next tile's first operands are already behind it. The array
advances on an accepted beat, and also with zero operands (bubbles) while a boundary is still
in the diagonal, so the last tile drains without waiting for more input.

Output path (``out_stage``). PE (i, j) finishes row i, column j of a tile ``i + j + 1``
advances after its tlast beat: column j's rows finish one per advance, in order. Each column
has a hand-off bus (a mux over its R PEs, selected by the diagonal) and a de-skew delay line of
``C - 1 - j`` advances, so row i of all columns lines up ``C + i`` advances after tlast and is
requantised and pushed into the output FIFO (``OBUF_DEPTH`` rows) on that advance.

Tile spacing. Two tiles' boundaries must be at least R advances apart: then a column never has
two PEs finishing on one advance and two tiles' rows never line up on one advance. A tlast beat
that would come sooner waits (``s_tready`` low, bubbles advance); non-tlast beats never wait.
So with a ready sink a tile costs ``max(K, R)`` advances: its input beats, or its R output
rows when those are more -- the port-bound ideal.

Backpressure. The array advances only if the row that would be pushed finds room: with the
FIFO full and a row lined up, nothing moves (input, bubbles and diagonal wait together).
"""

from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, intbv

from models.fixed import smax, smin
from models.gemm import OBUF_DEPTH
from rtl.common.fifo import sync_fifo
from rtl.common.prims import delay_line, en_reg, signed_sig, unsigned_sig

# OBUF_DEPTH: the output FIFO's rows, with its reason, in models.gemm (the cycle model's too)


@block
def any_of(sigs, y):
    """y = OR of the 1-bit signals ``sigs`` (one or more)."""
    if len(sigs) == 1:
        s0 = sigs[0]

        @always_comb
        def wire():
            y.next = s0

        return wire
    vec = ConcatSignal(*sigs)

    @always_comb
    def reduce():
        y.next = vec != 0

    return reduce


@block
def sel_mux(sel, a, b, y):
    """y = b when sel else a."""

    @always_comb
    def comb():
        if sel:
            y.next = b
        else:
            y.next = a

    return comb


@block
def tile_ctrl(clk, rst, s_tvalid, s_tlast, s_tready, adv, feed, diag, go, rows):
    """Advance, ready and the diagonal of tile boundaries.

    ``diag``: ``R + C - 1`` 1-bit stages (stage d: the boundary is at anti-diagonal d).
    ``go``: the output path can take this advance's row (from :func:`out_stage`).
    ``adv``: the array advances. ``feed``: a beat is accepted (operands enter; else zeros)."""
    pending = Signal(bool(0))  # some boundary is still inside the array
    bound_in = Signal(bool(0))  # the accepted beat is a tlast: a boundary enters stage 0
    insts = [any_of(diag, pending)]
    srcs = [bound_in] + list(diag[:-1])
    insts += [en_reg(clk, rst, adv, srcs[d], diag[d]) for d in range(len(diag))]

    if rows == 1:

        @always_comb
        def ctrl_one():
            # one row: a tile's output is one row, so boundaries need no spacing
            s_tready.next = go
            feed.next = s_tvalid and go
            bound_in.next = s_tvalid and s_tlast and go
            adv.next = go and (pending or s_tvalid)

        insts.append(ctrl_one)
        return insts

    # advances since the last accepted tlast, saturating at R - 1 (also its reset value: the
    # first tile never waits)
    since = Signal(intbv(rows - 1, min=0, max=rows))
    spaced = Signal(bool(0))  # a tlast may be accepted now (R advances since the last one)

    @always_comb
    def ctrl_comb():
        spaced.next = since == rows - 1
        s_tready.next = go and (since == rows - 1 or not s_tlast)
        feed.next = s_tvalid and go and (since == rows - 1 or not s_tlast)
        bound_in.next = s_tvalid and s_tlast and go and since == rows - 1
        # a held tlast still advances: since < R - 1 means a boundary entered less than R
        # advances ago, so it is still inside the diagonal (pending)
        adv.next = go and (pending or s_tvalid)

    @always_seq(clk.posedge, reset=rst)
    def since_seq():
        if adv:
            if bound_in:
                since.next = 0
            elif not spaced:
                since.next = since + 1

    insts += [ctrl_comb, since_seq]
    return insts


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
def out_stage(clk, rst, adv, diag, sums, tag, go, m_tdata, m_tvalid, m_tready, m_tlast,
              m_extra, p):
    """Hand-off buses, de-skew, requantiser and output FIFO.

    ``sums``: the PEs' finished sums ``acc + product`` (flattened row-major), read when the
    diagonal says a PE holds a tile's last operands. ``tag``: the tile's tlast-beat ``tuser``
    (relu at bit 0, then scale, then shift), with any extra per-tile bits above
    ``p.user_width`` (at most one: ``m_extra``, returned with every row; None: none).
    ``go``: out, the row lined up on this advance (if any) finds room in the FIFO."""
    R, C, uw = p.rows, p.cols, p.user_width
    tw = len(tag)
    insts = []
    # -- the tile's tag, aligned with the diagonal up to row 0's line-up (stage C - 1) ----------
    tags = [unsigned_sig(tw) for _ in range(C)]
    srcs = [tag] + tags[:-1]
    insts += [en_reg(clk, rst, adv, srcs[d], tags[d]) for d in range(C)]
    row_tag = unsigned_sig(tw)
    if R > 1:
        tag_hold = unsigned_sig(tw)  # rows 1 .. R-1 of the tile whose row 0 lined up last
        first_row = diag[C - 1]
        insts.append(sel_mux(first_row, tag_hold, tags[C - 1], row_tag))

        @always_seq(clk.posedge, reset=rst)
        def hold_seq():
            if adv and first_row:
                tag_hold.next = tags[C - 1]

        insts.append(hold_seq)
    else:
        insts.append(delay_line(clk, rst, adv, tags[C - 1], row_tag, 0))

    # -- per column: hand-off bus (mux over rows) and de-skew -------------------------------
    col = [signed_sig(p.acc_width) for _ in range(C)]
    for j in range(C):
        chain = [sums[j]]
        for i in range(1, R):
            nxt = signed_sig(p.acc_width)
            insts.append(sel_mux(diag[i + j], chain[-1], sums[i * C + j], nxt))
            chain.append(nxt)
        insts.append(delay_line(clk, rst, adv, chain[-1], col[j], C - 1 - j))

    # -- requantise the lined-up row -----------------------------------------------------------
    relu_s = row_tag(0)
    scale_s = row_tag(1 + p.scale_width, 1) if p.requant else None
    shift_s = row_tag(uw, 1 + p.scale_width) if p.requant else None
    y_bits = [Signal(intbv(0)[p.out_width:]) for _ in range(C)]
    for j in range(C):
        insts.append(gemm_requant(col[j], scale_s, shift_s, relu_s, y_bits[j], p))

    # -- output FIFO: row and extra bits; tlast from a count of the rows that left ----------
    row_ready = Signal(bool(0))
    insts.append(any_of(diag[C - 1:], row_ready))
    parts = []
    if tw == uw + 1:
        parts.append(row_tag(uw))  # sig(i) for one bit
    elif tw > uw:
        parts.append(row_tag(tw, uw))
    parts += list(reversed(y_bits))
    din = ConcatSignal(*parts) if len(parts) > 1 else y_bits[0]
    dw = len(din)
    dout = unsigned_sig(dw)
    push, pop, full, empty = (Signal(bool(0)) for _ in range(4))
    insts.append(sync_fifo(clk, rst, push, din, pop, dout, full, empty, OBUF_DEPTH))
    ydw = C * p.out_width
    if R > 1:
        out_row = Signal(intbv(0, min=0, max=R))  # row of the tile on the port

        @always_seq(clk.posedge, reset=rst)
        def row_count():
            if pop:
                if out_row == R - 1:
                    out_row.next = 0
                else:
                    out_row.next = out_row + 1

        @always_comb
        def last_row():
            m_tlast.next = out_row == R - 1

        insts += [row_count, last_row]
    else:

        @always_comb
        def last_row_one():
            m_tlast.next = not empty  # one row: every row is its tile's last

        insts.append(last_row_one)

    @always_comb
    def fifo_ctrl():
        go.next = not (row_ready and full)
        push.next = adv and row_ready
        pop.next = m_tready and not empty
        m_tvalid.next = not empty
        m_tdata.next = dout[ydw:]

    insts.append(fifo_ctrl)
    if m_extra is not None:

        @always_comb
        def extra_out():
            m_extra.next = dout[ydw]

        insts.append(extra_out)
    return insts
