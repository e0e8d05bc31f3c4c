"""One EIE processing element: its load side (codebook copy, column pointers, (v, z) entry
memory, load counters) and its run side (activation FIFO, pointer fetch, entry decode,
codebook lookup, MAC into the accumulator register file, fault flags).

Per cycle (models/eie/cycles.py is its twin): when the FIFO holds ``(j, a_j)`` and the PE is
idle or on its column's last entry, it pops it and reads ``p[j]`` and ``p[j+1]`` from the
pointer memory's two read ports; equal pointers end the column at once, a decreasing pair or
an end past the loaded entries raises PTR_ORDER / PTR_END and ends it. Otherwise it reads one
entry a cycle: ``row = base + z``, ``acc[row] += S[v] * a_j``; an index past the loaded
codebook (INDEX) or a row past the slice (ZRUN: ``row * N + k >= rows``) raises its flag and
ends the column without accumulating."""

from myhdl import Signal, always, always_comb, always_seq, block

from models.eie.params import (
    CODEBOOK_SIZE,
    ENTRY_BITS,
    INDEX_BITS,
    MAX_ZRUN,
    ZRUN_BITS,
    EieParams,
    bits_for,
)
from rtl.common.fifo import sync_fifo
from rtl.common.prims import signed_sig, unsigned_sig
from rtl.eie.util import addr_bits, zext

KIND_PTR, KIND_ENTRY = 3, 4  # models.eie.streams


def pos_bits(p: EieParams) -> int:
    """An entry's local row ``base + z``: base <= local_rows, z <= MAX_ZRUN."""
    return bits_for(p.local_rows + MAX_ZRUN)


def gpos_bits(p: EieParams) -> int:
    """``row * N + k`` for every row pos_bits can hold."""
    return bits_for(((1 << pos_bits(p)) - 1) * p.num_pe + p.num_pe - 1)


@block
def eie_pe(clk, rst, w_fire, w_first, w_kind, w_pe, w_data, code_we, code_addr, cols_r,
           rows_g, n_codes_m1, push, din, full, pe_idle, load_bad, wb_row, wb_clr, wb_acc,
           fl_order, fl_end, fl_zrun, fl_index, clr_flags, k, p: EieParams):
    n, cw, aw = p.num_pe, p.col_width, p.act_width
    pw, nnz_max = p.ptr_width, p.max_nnz
    ew, rw_a = addr_bits(nnz_max), addr_bits(p.local_rows)
    posw, gw = pos_bits(p), gpos_bits(p)

    # -- load side ---------------------------------------------------------------------
    cb = [signed_sig(p.code_width) for _ in range(CODEBOOK_SIZE)]
    pm = [unsigned_sig(pw) for _ in range(p.max_cols + 1)]  # p[0] is never written
    em = [unsigned_sig(ENTRY_BITS) for _ in range(nnz_max)]
    ptr_cnt = unsigned_sig(cw)  # pointers loaded (p[1..])
    ent_cnt = unsigned_sig(pw)  # entries loaded = the slice's nnz
    ptr_eff, ent_eff = unsigned_sig(cw), unsigned_sig(pw)  # counts before this beat
    ptr_over, ent_over = Signal(bool(0)), Signal(bool(0))
    is_ptr, is_ent = Signal(bool(0)), Signal(bool(0))
    ptr_wa = unsigned_sig(cw)
    ent_wa = unsigned_sig(ew)
    w_ptr = unsigned_sig(pw)
    w_ent = unsigned_sig(ENTRY_BITS)
    cols_c = zext(cols_r, cw)

    @always_comb
    def load_decode():
        is_ptr.next = w_fire and w_kind == KIND_PTR and w_pe == k
        is_ent.next = w_fire and w_kind == KIND_ENTRY and w_pe == k
        if w_first:
            ptr_eff.next = 0
            ent_eff.next = 0
        else:
            ptr_eff.next = ptr_cnt
            ent_eff.next = ent_cnt
        w_ptr.next = w_data[pw:]
        w_ent.next = w_data[ENTRY_BITS:]

    @always_comb
    def load_addr():
        ptr_wa.next = ptr_eff + 1
        ent_wa.next = ent_eff[ew:]

    @always_seq(clk.posedge, reset=rst)
    def load_count():
        if w_fire and w_first:
            ptr_cnt.next = 0
            ent_cnt.next = 0
            ptr_over.next = 0
            ent_over.next = 0
        if is_ptr:
            if ptr_eff < p.max_cols:
                ptr_cnt.next = ptr_eff + 1
            else:
                ptr_over.next = 1
        if is_ent:
            if ent_eff < nnz_max:
                ent_cnt.next = ent_eff + 1
            else:
                ent_over.next = 1

    @always(clk.posedge)
    def load_ptr():
        if is_ptr and ptr_eff < p.max_cols:
            pm[ptr_wa].next = w_ptr

    @always(clk.posedge)
    def load_ent():
        if is_ent and ent_eff < nnz_max:
            em[ent_wa].next = w_ent

    @always(clk.posedge)
    def load_code():
        if rst:
            for i in range(CODEBOOK_SIZE):
                cb[i].next = 0
        elif code_we:
            cb[code_addr].next = w_data[p.code_width:].signed()

    @always_comb
    def bad():
        load_bad.next = ptr_over or ent_over or ptr_cnt != cols_c

    # -- run side ----------------------------------------------------------------------
    dout = unsigned_sig(addr_bits(p.max_cols) + aw)
    empty = Signal(bool(0))
    take = Signal(bool(0))
    fifo = sync_fifo(clk, rst, push, din, take, dout, full, empty, p.fifo_depth)
    jw = addr_bits(p.max_cols)  # a column index, 0 .. max_cols - 1
    j = unsigned_sig(jw)
    j_x = zext(j, cw)
    j1 = unsigned_sig(cw)
    a_in = signed_sig(aw)
    p_lo, p_hi, p_j = unsigned_sig(pw), unsigned_sig(pw), unsigned_sig(pw)
    busy = Signal(bool(0))
    ptr = unsigned_sig(pw)
    end = unsigned_sig(pw)
    a_reg = signed_sig(aw)
    base = unsigned_sig(posw)
    ent = unsigned_sig(ENTRY_BITS)
    ptr_a = unsigned_sig(ew)
    v = unsigned_sig(INDEX_BITS)
    z4 = unsigned_sig(ZRUN_BITS)
    z = zext(z4, posw)
    pos = unsigned_sig(posw)
    gpos = unsigned_sig(gw)
    addr = unsigned_sig(rw_a)
    f_idx, f_row, fault_e = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    f_ord, f_end = Signal(bool(0)), Signal(bool(0))
    col_done = Signal(bool(0))
    s_v = signed_sig(p.code_width)
    prod = signed_sig(p.acc_width)
    acc = [signed_sig(p.acc_width) for _ in range(p.local_rows)]
    acc_rd = signed_sig(p.acc_width)
    acc_sum = signed_sig(p.acc_width)
    mac = Signal(bool(0))

    @always_comb
    def fifo_fields():
        j.next = dout[jw:]
        a_in.next = dout[jw + aw:jw].signed()

    @always_comb
    def next_col():
        j1.next = j_x + 1

    @always_comb
    def ptr_read():
        p_j.next = pm[j_x]
        p_hi.next = pm[j1]

    @always_comb
    def ptr_lo():
        if j == 0:
            p_lo.next = 0
        else:
            p_lo.next = p_j

    @always_comb
    def ptr_faults():
        f_ord.next = p_hi < p_lo
        f_end.next = p_hi > ent_cnt

    @always_comb
    def entry_read():
        ptr_a.next = ptr[ew:]

    @always_comb
    def entry_mem():
        ent.next = em[ptr_a]

    @always_comb
    def decode():
        v.next = ent[INDEX_BITS:]
        z4.next = ent[ENTRY_BITS:INDEX_BITS]

    @always_comb
    def position():
        pos.next = base + z
        gpos.next = pos * n + k
        addr.next = pos[rw_a:]

    @always_comb
    def entry_faults():
        f_idx.next = v > n_codes_m1
        f_row.next = gpos >= rows_g

    @always_comb
    def control():
        fault_e.next = busy and (f_idx or f_row)
        col_done.next = busy and (ptr + 1 == end or f_idx or f_row)
        take.next = not empty and (not busy or ptr + 1 == end or f_idx or f_row)
        mac.next = busy and not f_idx and not f_row
        pe_idle.next = empty and not busy

    @always_comb
    def lookup():
        s_v.next = cb[v]

    @always_comb
    def multiply():
        prod.next = s_v * a_reg

    @always_comb
    def acc_read():
        acc_rd.next = acc[addr]
        wb_acc.next = acc[wb_row]

    @always_comb
    def add():
        acc_sum.next = acc_rd + prod

    @always(clk.posedge)
    def acc_write():
        if rst:
            for i in range(p.local_rows):
                acc[i].next = 0
        elif mac:
            acc[addr].next = acc_sum
        elif wb_clr:
            acc[wb_row].next = 0

    @always_seq(clk.posedge, reset=rst)
    def column():
        if take:
            if f_ord or f_end or p_lo == p_hi:
                busy.next = 0
            else:
                busy.next = 1
                ptr.next = p_lo
                end.next = p_hi
                base.next = 0
                a_reg.next = a_in
        elif busy:
            if col_done:
                busy.next = 0
            else:
                ptr.next = ptr + 1
                base.next = pos + 1

    @always_seq(clk.posedge, reset=rst)
    def faults():
        if clr_flags:
            fl_order.next = 0
            fl_end.next = 0
            fl_zrun.next = 0
            fl_index.next = 0
        else:
            if take and f_ord:
                fl_order.next = 1
            if take and f_end:
                fl_end.next = 1
            if fault_e and f_row:
                fl_zrun.next = 1
            if fault_e and f_idx:
                fl_index.next = 1

    return (load_decode, load_addr, load_count, load_ptr, load_ent, load_code, bad, fifo,
            fifo_fields, next_col, ptr_read, ptr_lo, ptr_faults, entry_read, entry_mem, decode,
            position, entry_faults, control, lookup, multiply, acc_read, add, acc_write, column,
            faults)
