"""``nm_gemm``: N:M structured-sparse x dense output-stationary systolic GEMM (STA-style).

Computes one tile ``Y = A @ B`` per input packet, ``A`` (rows x K) N:M sparse in slot form and
``B`` (K x cols) dense, on a rows x cols grid of PEs: the array of :mod:`rtl.gemm` with an m:1
activation mux in front of every multiplier. Beat ``(g, s)`` carries slot ``s`` of group ``g``
of every row (value, index) and the ``m`` activations of group ``g`` for every column (format
in :mod:`models.nm_gemm`). Row i's (value, index) moves right, column j's m-wide activation
bundle (``m * w`` bits per PE register) moves down, each skewed as in ``gemm``; PE (i, j) muxes
``bundle[index]`` (a tree of 4:1 and 2:1 muxes) and does one MAC per advance. So a tile
takes ``K*n/m`` beats instead of ``K``: the m/n speed-up at equal PE count. The whole array
advances on one enable (``adv``); the output double buffer and requantiser are ``gemm``'s.

Repeated-index check: before the skew, every row has an m-bit "seen" mask, reloaded at slot 0
of each group (a slot counter counts accepted beats modulo n and restarts at every tlast); a
slot whose index is already in its row's mask sets the tile's sticky error bit, which travels
with the tile's tlast-beat ``tuser`` to its output rows and is returned on ``m_axis_tuser``
bit 0 with every output row of that tile. The MACs are not changed: a
repeated index is accumulated once per slot (:func:`models.nm_gemm.nm_gemm_ref`).

Ports (R = rows, C = cols, w = data_width, iw = log2(m), ow = out_width, UW = user_width):

=================  ==================  ====  ==================================================
name               shape               dir   meaning
=================  ==================  ====  ==================================================
clk                1                   in    clock, rising edge
rst                1                   in    synchronous reset, active high
s_axis_tdata       R*(w+iw) + m*C*w    in    beat (g, s): slot s of group g for every row --
                                             value of row r at bits [r*w, (r+1)*w) (signed),
                                             index of row r at R*w + r*iw (unsigned, iw bits)
                                             -- then B[g*m + j, c] at R*(w+iw) + (j*C + c)*w
                                             (signed); groups in order, slots in order
s_axis_tvalid      1                   in    beat valid
s_axis_tready      1                   out   beat accepted when tvalid && tready
s_axis_tlast       1                   in    last beat of the tile (g = K/m - 1, s = n - 1)
s_axis_tuser       UW                  in    sampled on the tlast beat: bit 0 relu; with
                                             requant bits [1, 1+scale_width) scale (unsigned),
                                             then shift_width bits of shift
m_axis_tdata       C * ow              out   one output row Y[r, 0..C-1], element j at bits
                                             [j*ow, (j+1)*ow)
m_axis_tvalid      1                   out   row valid
m_axis_tready      1                   in    row accepted when tvalid && tready
m_axis_tlast       1                   out   last row of the tile (r = R - 1)
m_axis_tuser       1                   out   malformed-tile flag: 1 on every row of a tile in
                                             which some group of some row repeats an index
=================  ==================  ====  ==================================================

Latency and throughput are ``gemm``'s (the same array control, :mod:`rtl.common.array`): the
last output row ``R + C`` cycles after the tile's tlast beat; one input beat per cycle across
tile boundaries, a tile costing ``max(K*n/m, R)`` cycles with a ready sink.
"""

from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, intbv

from models.nm_gemm import NmGemmParams
from rtl.common.array import out_stage, tile_ctrl
from rtl.common.prims import axis, clk_rst, delay_line, field_or_zero, signed_sig, unsigned_sig

PARAMS = NmGemmParams


def ports(p: NmGemmParams) -> dict:
    """Top-level signals, sized from the params (the convert entry point uses these)."""
    return {**clk_rst(), **axis("s_axis", p.in_width, p.user_width),
            **axis("m_axis", p.out_data_width, p.out_user_width)}


@block
def nm_mux2(sel, a, b, y):
    """y = b when sel else a."""

    @always_comb
    def comb():
        if sel:
            y.next = b
        else:
            y.next = a

    return comb


@block
def nm_mux4(sel, a, b, c, d, y):
    """y = (a, b, c, d)[sel] for a 2-bit ``sel``."""

    @always_comb
    def comb():
        if sel == 0:
            y.next = a
        elif sel == 1:
            y.next = b
        elif sel == 2:
            y.next = c
        else:
            y.next = d

    return comb


@block
def nm_act_mux(bundle, idx, sel, p):
    """sel = element ``idx`` of the m-wide activation bundle (raw bits; the PE reads it signed).

    A tree of 4:1 muxes (and one 2:1 level when log2(m) is odd), the first level choosing by
    the low index bits, so element e sits at leaf e. Radix 4 halves the tree's internal nodes
    compared with 2:1 muxes (m = 8: 3 nodes instead of 7), which keeps the simulator's C++
    small: every internal node is a named signal."""
    w = p.data_width
    level = [bundle((e + 1) * w, e * w) for e in range(p.m)]
    insts = []
    lsb = 0
    while len(level) > 1:
        radix = 4 if len(level) % 4 == 0 else 2
        bits = idx(lsb + 2, lsb) if radix == 4 else idx(lsb)
        groups = len(level) // radix
        nxt = [sel] if groups == 1 else [unsigned_sig(w) for _ in range(groups)]
        for k in range(groups):
            ins = level[radix * k:radix * (k + 1)]
            mux = nm_mux4 if radix == 4 else nm_mux2
            insts.append(mux(bits, *ins, nxt[k]))
        level = nxt
        lsb += radix.bit_length() - 1

    return insts


@block
def nm_gemm_pe(clk, rst, adv, last, v_in, i_in, x_in, v_q, i_q, x_q, acc, done, p):
    """One PE: registers its row's (value, index) and its column's activation bundle (passed on
    to the neighbours) and accumulates value x bundle[index] of the previous advance.
    ``done`` = acc + product: the tile's result when ``last`` (see :func:`rtl.gemm.gemm_pe`),
    when the accumulator restarts from 0."""
    act = unsigned_sig(p.data_width)
    mux = nm_act_mux(x_q, i_q, act, p)

    @always_comb
    def mac():
        done.next = acc + v_q * act.signed()

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if adv:
            if last:
                acc.next = 0
            else:
                acc.next = done
            v_q.next = v_in
            i_q.next = i_in
            x_q.next = x_in

    return mux, mac, seq


@block
def nm_seen_mask(clk, rst, fire, first, idx, dup, m):
    """One row's m-bit "seen" mask. At slot 0 of a group (``first``) it is reloaded with the
    slot's own index; at later slots an index already in the mask raises ``dup``."""
    seen = Signal(intbv(0)[m:])

    @always_comb
    def comb():
        dup.next = seen[idx] and not first

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if fire:
            if first:
                seen.next = 0
            seen.next[idx] = 1

    return comb, seq


@block
def nm_gemm(clk, rst, s_axis_tdata, s_axis_tvalid, s_axis_tready, s_axis_tlast, s_axis_tuser,
            m_axis_tdata, m_axis_tvalid, m_axis_tready, m_axis_tlast, m_axis_tuser, p):
    R, C, w, iw = p.rows, p.cols, p.data_width, p.index_width
    xw = p.m * w  # activation bundle of one column
    idx_lo = R * w  # first index bit in the beat
    act_lo = R * (w + iw)  # first activation bit in the beat
    slot = Signal(intbv(0, min=0, max=max(p.n, 2)))
    adv, feed, go = (Signal(bool(0)) for _ in range(3))
    first_slot, dup_any, err_acc, err_now = (Signal(bool(0)) for _ in range(4))
    diag = [Signal(bool(0)) for _ in range(R + C - 1)]
    tag = ConcatSignal(err_now, s_axis_tuser)  # the malformed flag rides above the tuser

    insts = [tile_ctrl(clk, rst, s_axis_tvalid, s_axis_tlast, s_axis_tready, adv, feed, diag,
                       go, R)]
    # -- input: row fields, column bundles, then skew (row i by i, column j by j advances) ------
    v_feed = [signed_sig(w) for _ in range(R)]
    i_feed = [unsigned_sig(iw) for _ in range(R)]
    x_feed = [unsigned_sig(xw) for _ in range(C)]
    v_field = [signed_sig(w) for _ in range(R)]
    i_field = [s_axis_tdata(idx_lo + (i + 1) * iw, idx_lo + i * iw) for i in range(R)]
    for i in range(R):
        # the value is zeroed when no beat is accepted, so the bubbles accumulate nothing
        insts.append(field_or_zero(s_axis_tdata, i * w, feed, v_field[i]))
        insts.append(delay_line(clk, rst, adv, v_field[i], v_feed[i], i))
        insts.append(delay_line(clk, rst, adv, i_field[i], i_feed[i], i))
    for j in range(C):
        elems = [s_axis_tdata(act_lo + (e * C + j + 1) * w, act_lo + (e * C + j) * w)
                 for e in range(p.m)]
        bundle = ConcatSignal(*reversed(elems))  # element e at bits [e*w, (e+1)*w)
        insts.append(delay_line(clk, rst, adv, bundle, x_feed[j], j))

    # -- repeated-index check, per row before the skew ---------------------------------------
    dups = [Signal(bool(0)) for _ in range(R)]
    for i in range(R):
        insts.append(nm_seen_mask(clk, rst, feed, first_slot, i_field[i], dups[i], p.m))
    dup_vec = ConcatSignal(*dups) if R > 1 else dups[0]

    # -- PE grid, flattened row-major (index i * C + j) ----------------------------------------
    v_q = [signed_sig(w) for _ in range(R * C)]
    i_q = [unsigned_sig(iw) for _ in range(R * C)]
    x_q = [unsigned_sig(xw) for _ in range(R * C)]
    acc = [signed_sig(p.acc_width) for _ in range(R * C)]
    done = [signed_sig(p.acc_width) for _ in range(R * C)]
    for i in range(R):
        for j in range(C):
            n = i * C + j
            v_in = v_feed[i] if j == 0 else v_q[n - 1]
            i_in = i_feed[i] if j == 0 else i_q[n - 1]
            x_in = x_feed[j] if i == 0 else x_q[n - C]
            insts.append(nm_gemm_pe(clk, rst, adv, diag[i + j], v_in, i_in, x_in, v_q[n],
                                    i_q[n], x_q[n], acc[n], done[n], p))

    # -- hand-off, de-skew, requantiser and output FIFO: shared with gemm ----------------------
    insts.append(out_stage(clk, rst, adv, diag, done, tag, go, m_axis_tdata, m_axis_tvalid,
                           m_axis_tready, m_axis_tlast, m_axis_tuser, p.dense))

    @always_comb
    def ctrl_comb():
        first_slot.next = slot == 0
        dup_any.next = dup_vec != 0
        err_now.next = err_acc or (feed and dup_any)  # the tile's flag, with this beat's slots

    @always_seq(clk.posedge, reset=rst)
    def slot_seq():
        """Slot within the group (restarts after tlast) and the tile's sticky malformed flag."""
        if feed:
            if s_axis_tlast or slot == p.n - 1:
                slot.next = 0
            else:
                slot.next = slot + 1
            if s_axis_tlast:
                err_acc.next = 0
            elif dup_any:
                err_acc.next = 1

    return insts, ctrl_comb, slot_seq
