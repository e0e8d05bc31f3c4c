"""``eie``: EIE's compressed sparse M x V engine (seed_specs.md C1), bit-exact with
``models.eie.vector_out`` and cycle-exact with ``models.eie.simulate`` (no stalls).

A layer is loaded on ``s_axis_w`` (models/eie/streams.py: shape, requantisation, codebook,
then per PE its column pointers and (v, z) entries) into every PE's local memories; each
activation vector on ``s_axis_a`` goes through the leading-non-zero detector, which
broadcasts ``(j, a_j)`` of its non-zero activations one a cycle into every PE's activation
FIFO (all must have room); the PEs (rtl/eie/pe.py) walk their column slices into their
accumulator register files; when the vector's last beat was taken and every PE is idle, the
write-back streams the output vector on ``m_axis_b`` (beat r: rows r*N .. r*N+N-1,
requantised, ReLU if the layer says so), clearing the accumulators row by row, with the
status bits on tuser: a malformed slice met on the way (pointer order / end, zero run past the
slice, index past the codebook) or a bad load (models.eie.params ST_LOAD, a load that does
not open with its SHAPE beat, has a SHAPE beat past its first, or not one REQUANT beat
included) is flagged there and the values are 0, never silent.

Ports (N = num_pe, L = lanes, AW = act_width):

=================  ===========  ===  =======================================================
name               width        dir  meaning
=================  ===========  ===  =======================================================
clk, rst           1            in   clock (rising edge), synchronous reset (active high)
s_axis_w_tdata     w_data       in   load beat (models.eie.streams)
s_axis_w_tlast     1            in   the load's last beat
s_axis_w_tuser     3 + pe bits  in   beat kind, PE
s_axis_a_tdata     L * AW       in   L activations (lane g at bits [g*AW, (g+1)*AW))
s_axis_a_tlast     1            in   the vector's last beat
m_axis_b_tdata     N * AW       out  output rows r*N + k at lane k
m_axis_b_tlast     1            out  the vector's last output beat
m_axis_b_tuser     5            out  status bits (models.eie.params ST_*)
=================  ===========  ===  =======================================================
(each stream also has tvalid/tready).
"""

from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, intbv

from models.eie.params import CODEBOOK_SIZE, STATUS_BITS, EieParams, bits_for
from models.eie.streams import (
    KIND_BITS,
    KIND_CODE,
    KIND_ENTRY,
    KIND_PTR,
    KIND_REQUANT,
    KIND_SHAPE,
)
from rtl.common.prims import axis, clk_rst, signed_sig, unsigned_sig
from rtl.eie.lnzd import lnzd
from rtl.eie.pe import eie_pe, gpos_bits
from rtl.eie.util import addr_bits, zext
from rtl.eie.writeback import eie_requant

PARAMS = EieParams
MAX_CODES = CODEBOOK_SIZE - 1  # loaded codebook values (index 0 is the hardwired zero)


def ports(p: EieParams) -> dict:
    return {**clk_rst(),
            **axis("s_axis_w", p.w_data_width, p.w_user_width),
            **axis("s_axis_a", p.a_data_width),
            **axis("m_axis_b", p.b_data_width, STATUS_BITS)}


def any_of(sigs):
    """A signal (or ConcatSignal) whose value is non-zero when any of ``sigs`` is set."""
    return sigs[0] if len(sigs) == 1 else ConcatSignal(*sigs)


@block
def eie(clk, rst, s_axis_w_tdata, s_axis_w_tvalid, s_axis_w_tready, s_axis_w_tlast,
        s_axis_w_tuser, s_axis_a_tdata, s_axis_a_tvalid, s_axis_a_tready, s_axis_a_tlast,
        m_axis_b_tdata, m_axis_b_tvalid, m_axis_b_tready, m_axis_b_tlast, m_axis_b_tuser, p):
    n, cw, rw, aw = p.num_pe, p.col_width, p.row_width, p.act_width
    jw = bits_for(p.max_cols + p.lanes)  # jbase + lane: compared with cols at this width
    jcw = addr_bits(p.max_cols)  # a column index
    gw = gpos_bits(p)
    wbw = bits_for(p.local_rows * n)
    insts = []

    # -- load control ------------------------------------------------------------------
    w_fire, in_load, w_first = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    w_kind = unsigned_sig(KIND_BITS)
    w_pe = unsigned_sig(p.pe_width)
    rows_r, cols_r = unsigned_sig(rw), unsigned_sig(cw)
    relu_r = Signal(bool(0))
    scale_r, shift_r = unsigned_sig(p.scale_width), unsigned_sig(p.shift_width)
    code_cnt, code_eff, code_addr = unsigned_sig(4), unsigned_sig(4), unsigned_sig(4)
    code_over, code_we = Signal(bool(0)), Signal(bool(0))
    checking, loaded, load_bad = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    pe_bad = [Signal(bool(0)) for _ in range(n)]
    pe_bad_any = any_of(pe_bad)
    shape_bad = Signal(bool(0))
    # a load beat of no kind (past KIND_ENTRY), a pointer or entry for a PE past N (only
    # when the PE field can name one), a first beat that is not the SHAPE beat (the layer
    # would reuse the last one's shape) or a SHAPE beat that is not the first: the load is
    # bad, like every other malformed load
    stray_beat, stray_r = Signal(bool(0)), Signal(bool(0))
    # the load's REQUANT beat was seen (a load without one must not reuse the last layer's
    # scale and shift; a second one is a stray beat)
    req_seen = Signal(bool(0))

    # -- LNZD, FIFOs, PEs, write-back ------------------------------------------------------
    jbase = unsigned_sig(jcw)
    over = Signal(bool(0))  # a vector longer than max_cols: its beats past it are ignored
    a_valid = Signal(bool(0))
    cols_x = zext(cols_r, jw)
    rows_g = zext(rows_r, gw)
    rows_wb = zext(rows_r, wbw)
    run_ok, push, a_hs = (Signal(bool(0)) for _ in range(3))
    any_nz, more = Signal(bool(0)), Signal(bool(0))
    a_sel = signed_sig(aw)
    j_sel = unsigned_sig(jcw)
    din = ConcatSignal(a_sel, j_sel)
    full = [Signal(bool(0)) for _ in range(n)]
    full_any = any_of(full)
    space = Signal(bool(0))
    idle = [Signal(bool(0)) for _ in range(n)]
    idle_all = any_of(idle)
    all_idle = Signal(bool(0))
    last_seen, started, wb = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    wb_row = unsigned_sig(addr_bits(p.local_rows))
    # rows the write-back has formed counting the beat being formed, (wb_row + 1) * N (it
    # starts, and restarts after the last beat, at N)
    wb_cover = Signal(intbv(n)[wbw:])
    wb_next = unsigned_sig(wbw)
    wb_last, wb_fire, clr_flags = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    # per-PE fault flags: pointer order, pointer end, zero run, index (named lists: MyHDL
    # needs a name for every signal a ConcatSignal reads)
    fl_o = [Signal(bool(0)) for _ in range(n)]
    fl_e = [Signal(bool(0)) for _ in range(n)]
    fl_z = [Signal(bool(0)) for _ in range(n)]
    fl_i = [Signal(bool(0)) for _ in range(n)]
    any_o, any_e, any_z, any_i = any_of(fl_o), any_of(fl_e), any_of(fl_z), any_of(fl_i)
    sb0, sb1, sb2, sb3 = (Signal(bool(0)) for _ in range(STATUS_BITS - 1))
    status = ConcatSignal(load_bad, sb3, sb2, sb1, sb0)  # ST_PTR_ORDER in bit 0, ST_LOAD on top
    st_nz = Signal(bool(0))
    wb_acc = [signed_sig(p.acc_width) for _ in range(n)]
    ys = [unsigned_sig(aw) for _ in range(n)]
    y_cat = ConcatSignal(*reversed(ys)) if n > 1 else ys[0]

    insts.append(lnzd(clk, rst, s_axis_a_tdata, a_valid, jbase, cols_x, push, a_hs,
                      any_nz, more, a_sel, j_sel, p.lanes, aw))
    for k in range(n):
        insts.append(eie_pe(clk, rst, w_fire, w_first, w_kind, w_pe, s_axis_w_tdata, code_we,
                            code_addr, cols_r, rows_g, code_cnt, push, din, full[k], idle[k],
                            pe_bad[k], wb_row, wb_fire, wb_acc[k], fl_o[k], fl_e[k],
                            fl_z[k], fl_i[k], clr_flags, k, p))
        insts.append(eie_requant(wb_acc[k], scale_r, shift_r, relu_r, st_nz, ys[k],
                                 p.acc_width, p.scale_width, aw))

    @always_comb
    def w_handshake():
        s_axis_w_tready.next = (not started and not wb and all_idle
                                and not (run_ok and s_axis_a_tvalid))
        w_fire.next = (s_axis_w_tvalid and not started and not wb and all_idle
                       and not (run_ok and s_axis_a_tvalid))
        w_first.next = not in_load
        w_kind.next = s_axis_w_tuser[KIND_BITS:]
        w_pe.next = s_axis_w_tuser[KIND_BITS + p.pe_width:KIND_BITS]

    @always_comb
    def codes():
        if w_first:
            code_eff.next = 0
        else:
            code_eff.next = code_cnt
        code_we.next = w_fire and w_kind == KIND_CODE and code_eff < MAX_CODES

    @always_comb
    def code_address():
        code_addr.next = code_eff + 1

    if (1 << p.pe_width) > n:
        @always_comb
        def stray_check():
            stray_beat.next = w_fire and (
                w_kind > KIND_ENTRY or (w_kind == KIND_SHAPE) != w_first
                or (w_kind == KIND_REQUANT and req_seen and not w_first)
                or ((w_kind == KIND_PTR or w_kind == KIND_ENTRY) and w_pe >= n))
    else:
        @always_comb
        def stray_check():
            stray_beat.next = w_fire and (
                w_kind > KIND_ENTRY or (w_kind == KIND_SHAPE) != w_first
                or (w_kind == KIND_REQUANT and req_seen and not w_first))

    @always_comb
    def shape_check():
        shape_bad.next = (rows_r == 0 or rows_r > p.max_rows or cols_r == 0
                          or cols_r > p.max_cols or shift_r > p.max_shift or code_over
                          or stray_r or not req_seen)

    @always_seq(clk.posedge, reset=rst)
    def load_ctrl():
        if w_fire:
            in_load.next = not s_axis_w_tlast
            if w_kind == KIND_SHAPE:
                rows_r.next = s_axis_w_tdata[rw:]
                cols_r.next = s_axis_w_tdata[rw + cw:rw]
                relu_r.next = s_axis_w_tdata[rw + cw]
            if w_kind == KIND_REQUANT:
                scale_r.next = s_axis_w_tdata[p.scale_width:]
                shift_r.next = s_axis_w_tdata[p.scale_width + p.shift_width:p.scale_width]
            if w_first:
                code_cnt.next = 0
                code_over.next = 0
                stray_r.next = stray_beat
                req_seen.next = w_kind == KIND_REQUANT
            else:
                if stray_beat:
                    stray_r.next = 1
                if w_kind == KIND_REQUANT:
                    req_seen.next = 1
            if w_kind == KIND_CODE:
                if code_eff < MAX_CODES:
                    code_cnt.next = code_eff + 1
                else:
                    code_over.next = 1
        checking.next = w_fire and s_axis_w_tlast
        if checking:
            loaded.next = 1
            load_bad.next = shape_bad or pe_bad_any != 0
        if w_fire and w_first:
            loaded.next = 0

    # -- activations ---------------------------------------------------------------------
    @always_comb
    def lnzd_ctrl():
        run_ok.next = loaded and not wb and not last_seen
        space.next = full_any == 0
        a_valid.next = s_axis_a_tvalid and not over

    @always_comb
    def a_handshake():
        push.next = run_ok and s_axis_a_tvalid and not load_bad and any_nz and space
        s_axis_a_tready.next = run_ok and (not s_axis_a_tvalid or load_bad or not any_nz
                                           or (space and not more))
        a_hs.next = s_axis_a_tvalid and run_ok and (load_bad or not any_nz
                                                    or (space and not more))

    @always_seq(clk.posedge, reset=rst)
    def a_ctrl():
        if push or a_hs:
            started.next = 1
        if a_hs:
            if s_axis_a_tlast:
                jbase.next = 0
                over.next = 0
                last_seen.next = 1
            elif jbase + p.lanes >= p.max_cols:
                over.next = 1
            else:
                jbase.next = jbase + p.lanes
        if wb_fire and wb_last:
            last_seen.next = 0
            started.next = 0

    # -- write-back ----------------------------------------------------------------------
    @always_comb
    def wb_ctrl():
        all_idle.next = idle_all == (1 << n) - 1
        wb_next.next = wb_cover
        wb_fire.next = wb and (not m_axis_b_tvalid or m_axis_b_tready)

    @always_comb
    def wb_end():
        wb_last.next = load_bad or wb_next >= rows_wb
        clr_flags.next = wb and (not m_axis_b_tvalid or m_axis_b_tready) and (
            load_bad or wb_next >= rows_wb)

    @always_comb
    def status_bits():
        sb0.next = not load_bad and any_o != 0
        sb1.next = not load_bad and any_e != 0
        sb2.next = not load_bad and any_z != 0
        sb3.next = not load_bad and any_i != 0
        st_nz.next = load_bad or any_o != 0 or any_e != 0 or any_z != 0 or any_i != 0

    @always_seq(clk.posedge, reset=rst)
    def wb_seq():
        if not wb and last_seen and all_idle:
            wb.next = 1
        if wb_fire:
            m_axis_b_tvalid.next = 1
            m_axis_b_tdata.next = y_cat
            m_axis_b_tuser.next = status
            m_axis_b_tlast.next = wb_last
            if wb_last:
                wb.next = 0
                wb_row.next = 0
                wb_cover.next = n
            else:
                wb_row.next = wb_row + 1
                wb_cover.next = wb_cover + n
        elif m_axis_b_tvalid and m_axis_b_tready:
            m_axis_b_tvalid.next = 0

    return (insts, w_handshake, codes, code_address, stray_check, shape_check, load_ctrl, lnzd_ctrl,
            a_handshake, a_ctrl, wb_ctrl, wb_end, status_bits, wb_seq)
