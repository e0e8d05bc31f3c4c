"""``sparse_attn``: one sparse attention head on chip, ``O = softmax_mask(Q Kᵀ) V``, bit-exact
with ``models.sparse_attn.row_out``: the family's SDDMM engine, softmax row unit and SpMM engine
chained without sending S or P back through the testbench.

Dataflow (one kept entry per cycle at every stage)::

    K, Q, mask --> sddmm --(col, score)--> split --score--> softmax --prob--> join --> spmm --> O
                                             '---------- col, LAST_ROW FIFO ---------'    ^
                                                                                   V ----'

* the **split** sends each score to the softmax and pushes its key column (and whether the row
  is the head's last) into the column FIFO; it stalls the SDDMM when either is full;
* the **join** pairs each probability (the softmax keeps the order of its input) with the
  oldest FIFO entry into the SpMM's valued row format (``col | prob << CW``; tuser EMPTY from
  the softmax, LAST_ROW from the FIFO);
* the engines' K and V memories have ``kv_banks`` banks each (rtl/common/load_banks.py): with
  two, head h + 1's K and V load while head h computes, so heads stream with no load gaps;
* the **row-flag FIFO** remembers each accepted query row's LAST flag (Q tuser) until the
  SDDMM has emitted the row's last score: the split tags the row's FIFO entries with it. The
  top gates Q while it is full.

Ports (d = head_dim, w = data_width, CW = col_width): the K, Q and mask streams are the
SDDMM's (rtl/sddmm.py), the V stream and the output are the SpMM's (rtl/spmm.py):

=================  ==========  ====  =========================================================
name               shape       dir   meaning
=================  ==========  ====  =========================================================
clk, rst           1           in    clock (rising edge), synchronous reset (active high)
s_axis_k_tdata     d * w       in    key j; tlast on the head's last key; tuser = score
                                     requantisation (scale | shift << scale_width)
s_axis_v_tdata     d * w       in    value row j; tlast on the last; tuser = output
                                     requantisation
s_axis_q_tdata     d * w       in    one query row (one beat, no tlast); tuser LAST (bit 0)
s_axis_m_tdata     CW          in    one kept key column of the row (ascending); tlast; tuser
                                     EMPTY (an all-masked row's only beat)
m_axis_o_tdata     d * w       out   one output row O[i, :] (one beat, no tlast)
=================  ==========  ====  =========================================================
(each stream also has tvalid/tready).
"""

from myhdl import ConcatSignal, Signal, always_comb, block

from models.sparse_attn import ROW_FLAGS, SparseAttnParams, col_fifo_depth
from rtl.common.fifo import sync_fifo
from rtl.common.prims import axis, clk_rst, unsigned_sig
from rtl.sddmm import sddmm
from rtl.softmax import softmax
from rtl.spmm import spmm

PARAMS = SparseAttnParams


def _field(sig, hi: int, lo: int):
    """Bits [lo, hi) of ``sig`` as a shadow signal (one bit as a bit: MyHDL converts a 1-bit
    slice of a slice into an illegal select)."""
    return sig(lo) if hi - lo == 1 else sig(hi, lo)


def ports(p: SparseAttnParams) -> dict:
    sd, mm = p.sddmm, p.spmm
    return {**clk_rst(),
            **axis("s_axis_k", sd.row_width, sd.scale_width + sd.shift_width),
            **axis("s_axis_v", mm.row_width, mm.scale_width + mm.shift_width),
            **axis("s_axis_q", sd.row_width, 1, last=False), **axis("s_axis_m", sd.col_width, 1),
            **axis("m_axis_o", mm.row_width, last=False)}


@block
def sparse_attn(clk, rst, s_axis_k_tdata, s_axis_k_tvalid, s_axis_k_tready, s_axis_k_tlast,
                s_axis_k_tuser, s_axis_v_tdata, s_axis_v_tvalid, s_axis_v_tready,
                s_axis_v_tlast, s_axis_v_tuser, s_axis_q_tdata, s_axis_q_tvalid,
                s_axis_q_tready, s_axis_q_tuser, s_axis_m_tdata, s_axis_m_tvalid,
                s_axis_m_tready, s_axis_m_tlast, s_axis_m_tuser, m_axis_o_tdata,
                m_axis_o_tvalid, m_axis_o_tready, p):
    cw, sw, pw = p.col_width, p.score_width, p.prob_width
    insts = []

    # -- Q gate and row flags ---------------------------------------------------------------------
    sd_q_tvalid, sd_q_tready = Signal(bool(0)), Signal(bool(0))
    rf_push, rf_pop, rf_full = (Signal(bool(0)) for _ in range(3))
    rf_din = s_axis_q_tuser(0)
    row_last = Signal(bool(0))

    # -- sddmm -> split ---------------------------------------------------------------------------
    sc = axis("sc", cw + sw, 1)
    sc_tdata, sc_tvalid, sc_tready = sc["sc_tdata"], sc["sc_tvalid"], sc["sc_tready"]
    sc_tlast, sc_tuser = sc["sc_tlast"], sc["sc_tuser"]
    insts.append(sddmm(clk, rst, s_axis_k_tdata, s_axis_k_tvalid, s_axis_k_tready,
                       s_axis_k_tlast, s_axis_k_tuser, s_axis_q_tdata, sd_q_tvalid,
                       sd_q_tready, s_axis_q_tuser, s_axis_m_tdata, s_axis_m_tvalid,
                       s_axis_m_tready, s_axis_m_tlast, s_axis_m_tuser, sc_tdata, sc_tvalid,
                       sc_tready, sc_tlast, sc_tuser, p.sddmm))
    insts.append(sync_fifo(clk, rst, rf_push, rf_din, rf_pop, row_last, rf_full, None,
                           ROW_FLAGS))  # popped on a row's last score: its flag is there

    # -- split -> softmax, column FIFO ------------------------------------------------------------
    sm_in_tvalid, sm_in_tready = Signal(bool(0)), Signal(bool(0))
    sm_in_tdata = _field(sc_tdata, cw + sw, cw)
    cf_push, cf_pop, cf_full, cf_empty = (Signal(bool(0)) for _ in range(4))
    cf_din = ConcatSignal(row_last, _field(sc_tdata, cw, 0))
    cf_dout = unsigned_sig(cw + 1)
    insts.append(sync_fifo(clk, rst, cf_push, cf_din, cf_pop, cf_dout, cf_full, cf_empty,
                           col_fifo_depth(p)))
    sm = axis("sm_out", pw, 1)
    sm_out_tdata, sm_out_tvalid, sm_out_tready = (sm["sm_out_tdata"], sm["sm_out_tvalid"],
                                                  sm["sm_out_tready"])
    sm_out_tlast, sm_out_tuser = sm["sm_out_tlast"], sm["sm_out_tuser"]
    insts.append(softmax(clk, rst, sm_in_tdata, sm_in_tvalid, sm_in_tready, sc_tlast, sc_tuser,
                         sm_out_tdata, sm_out_tvalid, sm_out_tready, sm_out_tlast, sm_out_tuser,
                         p.softmax))

    # -- join -> spmm -----------------------------------------------------------------------------
    pp_tvalid, pp_tready = Signal(bool(0)), Signal(bool(0))
    pp_tdata = ConcatSignal(sm_out_tdata, _field(cf_dout, cw, 0))
    pp_tuser = ConcatSignal(cf_dout(cw), sm_out_tuser(0))
    insts.append(spmm(clk, rst, s_axis_v_tdata, s_axis_v_tvalid, s_axis_v_tready,
                      s_axis_v_tlast, s_axis_v_tuser, pp_tdata, pp_tvalid, pp_tready,
                      sm_out_tlast, pp_tuser, m_axis_o_tdata, m_axis_o_tvalid,
                      m_axis_o_tready, p.spmm))

    @always_comb
    def q_gate():
        sd_q_tvalid.next = s_axis_q_tvalid and not rf_full
        s_axis_q_tready.next = sd_q_tready and not rf_full
        rf_push.next = s_axis_q_tvalid and sd_q_tready and not rf_full

    @always_comb
    def split():
        sm_in_tvalid.next = sc_tvalid and not cf_full
        sc_tready.next = sm_in_tready and not cf_full
        cf_push.next = sc_tvalid and sm_in_tready and not cf_full
        rf_pop.next = sc_tvalid and sm_in_tready and not cf_full and sc_tlast

    @always_comb
    def join():
        pp_tvalid.next = sm_out_tvalid and not cf_empty
        sm_out_tready.next = pp_tready and not cf_empty
        cf_pop.next = sm_out_tvalid and pp_tready and not cf_empty

    return insts, q_gate, split, join
