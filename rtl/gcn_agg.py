"""``gcn_agg``: LW-GCN's PCOO aggregation ``Y = requant(Â_q · H)`` on a P-lane array, bit-exact
with ``models.gcn_agg`` (the lanes' arithmetic is ``models.gcn.pcoo.run_schedule``).

A pass is an H load (one beat per graph node: ``feat_lanes`` features of ``H = X·W``, written
into the H buffer, ``max_nodes`` rows deep; the requantisation on the last beat's tuser), then
the PCOO stream of Â (models/gcn/streams.py: one beat per schedule cycle, one (valid, row, col,
val) tuple per lane). Lane ``p`` reads H row ``col`` from the buffer and adds ``val * H[col]``
to its accumulator word of ``row`` (``max_nodes`` words per lane, ``feat_lanes`` x
``acc_width`` each): a read-modify-write whose write lands ``latency`` (L) cycles after the
issue (``L - 1`` pipeline registers). After the stream's tlast and the last write, the drain
sends one output beat per destination row, rows 0 .. n-1 (tlast on n-1): the lanes' partial
sums of the row added, requantised (gemm's requantiser, then the run-time ``out_bits`` clamp,
ReLU), and the words cleared for the next pass. Then it waits for the next H load.

**Hazard check.** A lane whose tuple names a row still in its write pipeline (issued fewer
than L cycles before) would read a stale sum. The block never does: it holds the beat
(tready low) until that write has landed, and sets the pass's HAZARD flag, which every output
row of the pass carries on tuser. The flag counts *beats* (the tuple's row among the lane's
last L - 1 accepted beats), so that idle cycles on the stream never change it; the hold counts
cycles. PCOO schedules never contain one (models.gcn.pcoo), so a
flag means the stream broke the schedule's promise; the outputs are still exact.
**Range check.** A tuple whose row or column is outside the loaded graph (>= n) is dropped
and sets the RANGE flag (a write outside the drained rows would corrupt the next pass).
**Reset** clears every accumulator word (one row of all lanes per cycle, ``max_nodes``
cycles, inputs not ready) and forgets the H load.

Ports (P = lanes, FL = feat_lanes, FW = feat_width, OW = out_width, TW = tuple_width):

=================  ==========  ====  =========================================================
name               shape       dir   meaning
=================  ==========  ====  =========================================================
clk, rst           1           in    clock (rising edge), synchronous reset (active high)
s_axis_h_tdata     FL * FW     in    H row j (feature f at bits [f*FW, (f+1)*FW), signed)
s_axis_h_tlast     1           in    the last node of the graph (n = beats of the load)
s_axis_h_tuser     h_user      in    scale | shift | relu | out_bits, sampled on tlast
s_axis_a_tdata     P * TW      in    one PCOO cycle: lane p's tuple at bits [p*TW, (p+1)*TW)
s_axis_a_tlast     1           in    the pass's last beat
m_axis_y_tdata     FL * OW     out   output row i (feature f at bits [f*OW, (f+1)*OW))
m_axis_y_tlast     1           out   the last row (n - 1) of the pass
m_axis_y_tuser     2           out   the pass's flags: bit 0 HAZARD, bit 1 RANGE
=================  ==========  ====  =========================================================
(each stream also has tvalid/tready).

Latency: the first output row leaves L + 1 cycles after the pass's last Â beat.
Throughput: one Â beat (P tuples) per cycle when no hazard holds it; one output row per cycle.
Exact timing: ``models.gcn_agg.pass_cycles``.
"""

from myhdl import ConcatSignal, Signal, always, always_comb, always_seq, block, enum, intbv

from models.gcn.params import Y_FLAGS, GcnAggParams
from rtl.common.array import RequantShape, gemm_requant
from rtl.common.prims import axis, clk_rst, signed_sig, unsigned_sig

PARAMS = GcnAggParams


def ports(p: GcnAggParams) -> dict:
    return {**clk_rst(),
            **axis("s_axis_h", p.feat_lanes * p.feat_width, p.h_user_width),
            **axis("s_axis_a", p.beat_width),
            **axis("m_axis_y", p.feat_lanes * p.out_width, Y_FLAGS)}


@block
def feature(hword, val_s, accword, word_in, word_lane, f, sum_out, merged, p):
    """Feature ``f`` of a lane: the tuple's ``sum_out = acc[f] + val * h[f]``, and the
    drain's running sum over lanes ``merged = word_in[f] + word_lane[f]`` (one comb block: a
    MyHDL instance per operation made the conversion of 16 lanes x 16 features slow)."""
    fw, aw = p.feat_width, p.acc_width
    hh, hl, ah, al = (f + 1) * fw, f * fw, (f + 1) * aw, f * aw

    @always_comb
    def comb():
        sum_out.next = accword[ah:al].signed() + hword[hh:hl].signed() * val_s
        merged.next = word_in[ah:al].signed() + word_lane[ah:al].signed()

    return comb


@block
def pipe_stage(clk, rst, d_v, d_row, d_sum, q_v, q_row, q_sum, cur_v, cur_row, match):
    """One register of a lane's write pipeline; ``match``: it holds a write of ``cur_row``."""

    @always_seq(clk.posedge, reset=rst)
    def seq():
        q_v.next = d_v
        q_row.next = d_row
        q_sum.next = d_sum

    @always_comb
    def cmp():
        match.next = q_v and cur_v and q_row == cur_row

    return seq, cmp


@block
def beat_stage(clk, rst, clr, en, d_v, d_row, q_v, q_row, cur_v, cur_row, match):
    """One beat of a lane's history (advances on accepted beats only, emptied by ``clr``
    between passes); ``match``: it holds ``cur_row``."""

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if clr:
            q_v.next = 0
        elif en:
            q_v.next = d_v
            q_row.next = d_row

    @always_comb
    def cmp():
        match.next = q_v and cur_v and q_row == cur_row

    return seq, cmp


@block
def gcn_lane(clk, rst, hmem, tup, fire, hist_clr, n_last, clr_we, clr_addr, drain_in, drain_out,
             hazard, beat_hazard, range_err, p):
    """One PE: the tuple's read-modify-write into its accumulator memory, the hazard and
    range checks, and its term of the drain's sum (``drain_out = drain_in + acc[clr_addr]``)."""
    iw, aw, fl, lat = p.index_width, p.acc_width, p.feat_lanes, p.latency
    ww = fl * aw
    accmem = [unsigned_sig(ww) for _ in range(p.max_nodes)]
    tv, row, col = Signal(bool(0)), unsigned_sig(iw), unsigned_sig(iw)
    val = unsigned_sig(p.adj_width)
    val_u = ConcatSignal(intbv(0)[1:], val)  # the UQ1.15 value with a 0 sign bit
    val_s = signed_sig(p.adj_width + 1)
    inr = Signal(bool(0))  # the tuple's row and column are inside the loaded graph
    live = Signal(bool(0))  # a valid, in-range tuple: it goes into the pipeline
    issue = Signal(bool(0))  # ... and the beat is taken this cycle
    hword = unsigned_sig(fl * p.feat_width)
    accword = unsigned_sig(ww)
    lane_word = unsigned_sig(ww)
    sums = [signed_sig(aw) for _ in range(fl)]
    sum_w = ConcatSignal(*reversed(sums)) if fl > 1 else sums[0]
    merged = [signed_sig(aw) for _ in range(fl)]
    merged_w = ConcatSignal(*reversed(merged)) if fl > 1 else merged[0]
    insts = [feature(hword, val_s, accword, drain_in, lane_word, f, sums[f], merged[f], p)
             for f in range(fl)]
    # the write pipeline: L - 1 registers; the last one's content is written at its edge
    n_st = lat - 1
    sv = [Signal(bool(0)) for _ in range(n_st)]
    sr = [unsigned_sig(iw) for _ in range(n_st)]
    ss = [unsigned_sig(ww) for _ in range(n_st)]
    matches = [Signal(bool(0)) for _ in range(n_st)]
    for k in range(n_st):
        if k == 0:
            insts.append(pipe_stage(clk, rst, issue, row, sum_w, sv[0], sr[0], ss[0], live, row,
                                    matches[0]))
        else:
            insts.append(pipe_stage(clk, rst, sv[k - 1], sr[k - 1], ss[k - 1], sv[k], sr[k],
                                    ss[k], live, row, matches[k]))
    # the last L - 1 accepted beats: a row among them breaks the schedule's promise (the
    # flag), whatever idle cycles the stream had (the hold above is about cycles)
    bv = [Signal(bool(0)) for _ in range(n_st)]
    br = [unsigned_sig(iw) for _ in range(n_st)]
    bmatch = [Signal(bool(0)) for _ in range(n_st)]
    for k in range(n_st):
        if k == 0:
            insts.append(beat_stage(clk, rst, hist_clr, fire, live, row, bv[0], br[0], live,
                                    row, bmatch[0]))
        else:
            insts.append(beat_stage(clk, rst, hist_clr, fire, bv[k - 1], br[k - 1], bv[k],
                                    br[k], live, row, bmatch[k]))
    we, wrow, wdata = Signal(bool(0)), unsigned_sig(iw), unsigned_sig(ww)
    tw = p.tuple_width

    @always_comb
    def fields():
        tv.next = tup[0]
        row.next = tup[1 + iw:1]
        col.next = tup[1 + 2 * iw:1 + iw]
        val.next = tup[tw:1 + 2 * iw]

    @always_comb
    def checks():
        inr.next = row <= n_last and col <= n_last
        val_s.next = val_u.signed()

    @always_comb
    def gates():
        issue.next = fire and tv and inr
        range_err.next = tv and not inr

    @always_comb
    def reads():
        hword.next = hmem[col]
        accword.next = accmem[row]
        lane_word.next = accmem[clr_addr]

    @always_comb
    def out():
        drain_out.next = merged_w

    if n_st == 0:

        @always_comb
        def write_port():
            we.next = issue
            wrow.next = row
            wdata.next = sum_w

        insts.append(write_port)
    else:
        last_v, last_r, last_s = sv[n_st - 1], sr[n_st - 1], ss[n_st - 1]
        match_w = ConcatSignal(*matches) if n_st > 1 else matches[0]
        bmatch_w = ConcatSignal(*bmatch) if n_st > 1 else bmatch[0]

        @always_comb
        def write_port():
            we.next = last_v
            wrow.next = last_r
            wdata.next = last_s

        @always_comb
        def hazard_or():
            hazard.next = match_w != 0
            beat_hazard.next = bmatch_w != 0

        @always_comb
        def live_tuple():
            live.next = tv and inr

        insts += [write_port, hazard_or, live_tuple]

    @always(clk.posedge)
    def acc_write():
        if clr_we:
            accmem[clr_addr].next = 0
        elif we:
            accmem[wrow].next = wdata

    return insts, fields, checks, gates, reads, out, acc_write


@block
def gcn_agg(clk, rst, s_axis_h_tdata, s_axis_h_tvalid, s_axis_h_tready, s_axis_h_tlast,
            s_axis_h_tuser, s_axis_a_tdata, s_axis_a_tvalid, s_axis_a_tready, s_axis_a_tlast,
            m_axis_y_tdata, m_axis_y_tvalid, m_axis_y_tready, m_axis_y_tlast, m_axis_y_tuser, p):
    P, fl, aw, ow, iw = p.lanes, p.feat_lanes, p.acc_width, p.out_width, p.index_width
    nmax, tw = p.max_nodes, p.tuple_width
    sw, shw, obw = p.scale_width, p.shift_width, p.out_bits_width
    st = enum("CLEAR", "LOAD", "RUN", "WAIT", "DRAIN")
    state = Signal(st.CLEAR)
    hmem = [unsigned_sig(fl * p.feat_width) for _ in range(nmax)]
    hcnt = Signal(intbv(0, min=0, max=nmax))  # H rows written so far
    n_last = unsigned_sig(iw)  # the loaded graph's last row, n - 1
    addr = Signal(intbv(0, min=0, max=nmax))  # clear sweep / drain row
    wait_last = max(p.latency - 2, 0)  # WAIT's last cycle: its edge lands the last write
    wait_cnt = Signal(intbv(0, min=0, max=p.latency + 1))
    scale_r, shift_r = unsigned_sig(sw), unsigned_sig(shw)
    relu_r = Signal(bool(0))
    ob_r = Signal(intbv(ow, min=0, max=1 << obw))
    keep = unsigned_sig(ow)  # output bits at and above out_bits - 1 (equal in a value that fits)
    flags = unsigned_sig(Y_FLAGS)
    h_fire, a_fire, y_load = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    clr_we = Signal(bool(0))
    in_load = Signal(bool(0))  # between passes: the lanes' beat histories empty
    hazards = [Signal(bool(0)) for _ in range(P)]
    beat_hz = [Signal(bool(0)) for _ in range(P)]
    bh_w = ConcatSignal(*beat_hz) if P > 1 else beat_hz[0]
    any_beat_hazard = Signal(bool(0))
    ranges = [Signal(bool(0)) for _ in range(P)]
    hz_w = ConcatSignal(*hazards) if P > 1 else hazards[0]
    rg_w = ConcatSignal(*ranges) if P > 1 else ranges[0]
    any_hazard, any_range = Signal(bool(0)), Signal(bool(0))
    zero_word = unsigned_sig(fl * aw)  # never driven: the drain's sum starts at 0
    chain = [unsigned_sig(fl * aw) for _ in range(P)]
    tups = [unsigned_sig(tw) for _ in range(P)]
    insts = []
    for i in range(P):
        src = zero_word if i == 0 else chain[i - 1]
        insts.append(gcn_lane(clk, rst, hmem, tups[i], a_fire, in_load, n_last, clr_we, addr, src,
                              chain[i], hazards[i], beat_hz[i], ranges[i], p))

    insts += [field(s_axis_a_tdata, i * tw, tups[i]) for i in range(P)]
    shape = RequantShape(ow, aw, sw)
    ys = [unsigned_sig(ow) for _ in range(fl)]
    accs = [signed_sig(aw) for _ in range(fl)]
    clamped = [unsigned_sig(ow) for _ in range(fl)]
    y_cat = ConcatSignal(*reversed(clamped)) if fl > 1 else clamped[0]
    total = chain[P - 1]
    for f in range(fl):
        insts.append(gemm_requant(accs[f], scale_r, shift_r, relu_r, ys[f], shape))
        insts.append(out_stage(total, f, accs[f], ys[f], keep, clamped[f], aw, ow))

    @always_comb
    def keep_mask():
        m = intbv(0)[ow:]
        for b in range(ow):
            if b + 1 >= ob_r:
                m[b] = 1
        keep.next = m

    @always_comb
    def flag_or():
        any_hazard.next = s_axis_a_tvalid and hz_w != 0
        any_range.next = rg_w != 0
        any_beat_hazard.next = bh_w != 0

    @always_comb
    def handshakes():
        s_axis_h_tready.next = state == st.LOAD
        s_axis_a_tready.next = state == st.RUN and not any_hazard
        h_fire.next = s_axis_h_tvalid and state == st.LOAD
        a_fire.next = s_axis_a_tvalid and state == st.RUN and not any_hazard
        y_load.next = state == st.DRAIN and (not m_axis_y_tvalid or m_axis_y_tready)
        clr_we.next = state == st.CLEAR or (state == st.DRAIN and
                                            (not m_axis_y_tvalid or m_axis_y_tready))

    if p.latency > 1:  # only the lanes' beat histories (L - 1 beats) use it

        @always_comb
        def between_passes():
            in_load.next = state == st.LOAD

        insts.append(between_passes)

    @always(clk.posedge)
    def h_write():
        if h_fire:
            hmem[hcnt].next = s_axis_h_tdata

    @always_seq(clk.posedge, reset=rst)
    def ctrl():
        if state == st.CLEAR:
            if addr == nmax - 1:
                addr.next = 0
                state.next = st.LOAD
            else:
                addr.next = addr + 1
        if state == st.LOAD:
            if h_fire:
                if s_axis_h_tlast:
                    n_last.next = hcnt
                    hcnt.next = 0
                    scale_r.next = s_axis_h_tuser[sw:]
                    shift_r.next = s_axis_h_tuser[sw + shw:sw]
                    relu_r.next = s_axis_h_tuser[sw + shw]
                    ob_r.next = s_axis_h_tuser[sw + shw + 1 + obw:sw + shw + 1]
                    flags.next = 0
                    state.next = st.RUN
                elif hcnt != nmax - 1:  # (a longer load overwrites its last row)
                    hcnt.next = hcnt + 1
        if state == st.RUN:
            if a_fire:
                if any_beat_hazard and any_range:
                    flags.next = flags | 3
                elif any_beat_hazard:
                    flags.next = flags | 1
                elif any_range:
                    flags.next = flags | 2
                if s_axis_a_tlast:
                    wait_cnt.next = 0
                    if p.latency == 1:  # the last write landed with the issue
                        state.next = st.DRAIN
                    else:
                        state.next = st.WAIT
        if state == st.WAIT:  # the last issue's write lands L - 1 edges after it
            if wait_cnt == wait_last:
                state.next = st.DRAIN
            else:
                wait_cnt.next = wait_cnt + 1
        if state == st.DRAIN:
            if y_load:
                if addr == n_last:
                    addr.next = 0
                    state.next = st.LOAD
                else:
                    addr.next = addr + 1

    @always_seq(clk.posedge, reset=rst)
    def out_reg():
        if m_axis_y_tvalid and m_axis_y_tready:
            m_axis_y_tvalid.next = 0
        if y_load:
            m_axis_y_tvalid.next = 1
            m_axis_y_tdata.next = y_cat
            m_axis_y_tlast.next = addr == n_last
            m_axis_y_tuser.next = flags

    return (insts, keep_mask, flag_or, handshakes, h_write, ctrl, out_reg)


@block
def field(word, lo, out):
    """``out = word[lo + width(out) - 1 : lo]`` (unsigned)."""
    hi = lo + len(out)

    @always_comb
    def comb():
        out.next = word[hi:lo]

    return comb


@block
def out_stage(word, f, acc, y, keep, out, aw, ow):
    """Feature ``f``: its signed sum out of the packed drain word (into gemm's requantiser),
    and the requantised ``y`` saturated to the run-time width: the bits ``keep`` marks (at and
    above out_bits - 1) must all equal the sign, else the value becomes the limit of its sign
    (``~keep`` is the largest, ``keep`` the smallest value of out_bits bits)."""

    @always_comb
    def comb():
        acc.next = word[(f + 1) * aw:f * aw].signed()
        if (y & keep) == 0 or (y & keep) == keep:
            out.next = y
        elif y[ow - 1]:
            out.next = keep
        else:
            out.next = ~keep

    return comb
