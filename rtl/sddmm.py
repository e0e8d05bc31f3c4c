"""``sddmm``: masked Q·Kᵀ (SDDMM) engine, bit-exact with ``models.sddmm.row_out``: only the
kept entries of the attention mask are computed, one d-wide dot product per cycle.

A head is a K load (one beat per key into the key memory, the requantisation on its tuser),
then per query row one Q beat and the row's mask packet (the family's coordinate format,
models/attn_mask.py). For every kept column ``c`` of the row the engine reads key ``c``,
multiplies it element-wise with the query (``head_dim`` multipliers, an adder tree),
requantises (``saturate(round_half_up(acc * scale >> shift))``, shared with gemm) and emits
``(c, score)``. The key memory has ``kv_banks`` banks (rtl/common/load_banks.py, shared with
spmm's value memory): a K load fills a free bank (with two, the next head's keys load while
the current head computes); the head's last query row (Q tuser LAST) frees its bank, and the
next head starts from the next bank once it is loaded.
The query register has a one-entry skid (``qnext``): the next row's Q beat is accepted while
the current row's mask is still streaming and moves into the query register on the row's
last mask beat, so back-to-back rows leave no gap for their Q beats. No Q beat is accepted
past the head's LAST row (the next head's first Q beat is taken on the edge after it, from
the next bank once that is loaded).

Ports (d = head_dim, w = data_width, CW = col_width, SW = score_width):

=================  ==========  ====  =========================================================
name               shape       dir   meaning
=================  ==========  ====  =========================================================
clk, rst           1           in    clock (rising edge), synchronous reset (active high)
s_axis_k_tdata     d * w       in    key j (element i at bits [i*w, (i+1)*w), signed)
s_axis_k_tlast     1           in    the head's last key
s_axis_k_tuser     scale+shift in    scale (unsigned) then shift, sampled on tlast
s_axis_q_tdata     d * w       in    one query row, as a key (one beat, no tlast)
s_axis_q_tuser     1           in    LAST: the head's last query row
s_axis_m_tdata     CW          in    one kept key column of the current query row (ascending)
s_axis_m_tlast     1           in    the row's last kept column
s_axis_m_tuser     1           in    EMPTY: an all-masked row (its only beat)
m_axis_s_tdata     CW + SW     out   column at bits [0, CW), score (signed) above it
m_axis_s_tlast     1           out   the row's last score
m_axis_s_tuser     1           out   EMPTY: the output of an all-masked row (tdata 0)
=================  ==========  ====  =========================================================
(each stream also has tvalid/tready). Keys beyond ``max_keys`` and columns beyond the head's
keys are the encoder's to refuse (models/sddmm.py).

Timing (no stalls; ``models.sddmm.expected_cycles`` for one head,
``expected_head_cycles`` for a stream of heads with the banks): a K load takes one cycle per
key (with two banks, behind the head before it); a head's first query row one cycle for its
Q beat, then every row one cycle per mask beat (an all-masked row one): the next row's Q beat
is taken during the current row's mask beats; a score leaves the cycle after its mask beat.
"""

from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, concat

from models.sddmm import SddmmParams
from rtl.common.array import RequantShape, gemm_requant
from rtl.common.load_banks import load_banks
from rtl.common.prims import axis, clk_rst, signed_sig, unsigned_sig

PARAMS = SddmmParams


def ports(p: SddmmParams) -> dict:
    return {**clk_rst(),
            **axis("s_axis_k", p.row_width, p.scale_width + p.shift_width),
            **axis("s_axis_q", p.row_width, 1, last=False), **axis("s_axis_m", p.col_width, 1),
            **axis("m_axis_s", p.col_width + p.score_width, 1)}


@block
def sddmm_mul(word_a, word_b, i, w, prod):
    """prod = a_i * b_i: element ``i`` of two packed rows, signed ``w`` bits each."""
    lo, hi = i * w, (i + 1) * w

    @always_comb
    def comb():
        prod.next = word_a[hi:lo].signed() * word_b[hi:lo].signed()

    return comb


@block
def sddmm_add(a, b, y):
    """y = a + b (one more bit than the operands)."""

    @always_comb
    def comb():
        y.next = a + b

    return comb


@block
def sddmm_sext(a, y):
    """y = a sign-extended by one bit (a tree node without a partner)."""
    ext = ConcatSignal(a(len(a) - 1), a)

    @always_comb
    def comb():
        y.next = ext.signed()

    return comb


def tree_width(leaf_width: int, n: int) -> int:
    """Width of the root of a tree over ``n`` leaves: one bit per level."""
    return leaf_width + max(n - 1, 0).bit_length()


@block
def sddmm_tree(leaves, root):
    """``root`` = the sum of ``leaves`` (signed, equal widths, at least two) as a balanced tree
    of adders; every node one bit wider than its children (no overflow, no widening
    assignment); the last adder drives ``root``."""
    insts = []
    level = list(leaves)
    while len(level) > 1:
        width = len(level[0]) + 1
        nxt = []
        for j in range(0, len(level) - 1, 2):
            y = root if len(level) == 2 else signed_sig(width)
            insts.append(sddmm_add(level[j], level[j + 1], y))
            nxt.append(y)
        if len(level) % 2:
            y = signed_sig(width)
            insts.append(sddmm_sext(level[-1], y))
            nxt.append(y)
        level = nxt
    return insts


@block
def sddmm(clk, rst, s_axis_k_tdata, s_axis_k_tvalid, s_axis_k_tready, s_axis_k_tlast,
          s_axis_k_tuser, s_axis_q_tdata, s_axis_q_tvalid, s_axis_q_tready, s_axis_q_tuser,
          s_axis_m_tdata, s_axis_m_tvalid, s_axis_m_tready, s_axis_m_tlast,
          s_axis_m_tuser, m_axis_s_tdata, m_axis_s_tvalid, m_axis_s_tready, m_axis_s_tlast,
          m_axis_s_tuser, p):
    d, w, nk = p.head_dim, p.data_width, p.max_keys
    running = Signal(bool(0))  # a head's keys are loaded (the read bank is full): queries run
    head_end = Signal(bool(0))  # the head's last row ends: its bank is free
    kuser = unsigned_sig(p.load_user_width)  # the current head's requantisation word
    scale_r = unsigned_sig(p.scale_width)
    shift_r = unsigned_sig(p.shift_width)
    qreg = unsigned_sig(p.row_width)
    qlast, have_q = Signal(bool(0)), Signal(bool(0))
    # the skid: the next row's query, accepted while the current row's mask streams
    qnext = unsigned_sig(p.row_width)
    qnext_last, have_qnext = Signal(bool(0)), Signal(bool(0))
    q_ready = Signal(bool(0))
    row_end = Signal(bool(0))  # the current row's last mask beat fires
    q_fire, m_fire = Signal(bool(0)), Signal(bool(0))
    kword = unsigned_sig(p.row_width)
    no_relu = Signal(bool(0))  # never driven: scores have no ReLU
    score = unsigned_sig(p.score_width)
    insts = []

    # -- the key memory: kv_banks banks, the next head's keys load while this one computes ----
    insts.append(load_banks(clk, rst, s_axis_k_tvalid, s_axis_k_tready, s_axis_k_tlast,
                            s_axis_k_tdata, s_axis_k_tuser, head_end, running, s_axis_m_tdata,
                            kword, kuser, nk, p.kv_banks))

    # -- the dot product of the query with key kmem[col] ----------------------------------------
    prods = [signed_sig(2 * w) for _ in range(d)]
    for i in range(d):
        insts.append(sddmm_mul(qreg, kword, i, w, prods[i]))
    if d == 1:
        acc = prods[0]
    else:
        acc = signed_sig(tree_width(2 * w, d))
        insts.append(sddmm_tree(prods, acc))
    shape = RequantShape(p.score_width, len(acc), p.scale_width)
    insts.append(gemm_requant(acc, scale_r, shift_r, no_relu, score, shape))

    @always_comb
    def q_slot():
        # a free slot: the register, or the skid behind a query that is not the head's last
        q_ready.next = running and not have_qnext and not (have_q and qlast)

    @always_comb
    def requant_fields():
        scale_r.next = kuser[p.scale_width:]
        shift_r.next = kuser[p.scale_width + p.shift_width:p.scale_width]

    @always_comb
    def handshakes():
        s_axis_q_tready.next = q_ready
        s_axis_m_tready.next = running and have_q and (not m_axis_s_tvalid or m_axis_s_tready)

    @always_comb
    def fires():
        q_fire.next = s_axis_q_tvalid and q_ready
        m_fire.next = (s_axis_m_tvalid and running and have_q
                       and (not m_axis_s_tvalid or m_axis_s_tready))
        row_end.next = (s_axis_m_tvalid and s_axis_m_tlast and running and have_q
                        and (not m_axis_s_tvalid or m_axis_s_tready))
        head_end.next = (s_axis_m_tvalid and s_axis_m_tlast and running and have_q and qlast
                         and (not m_axis_s_tvalid or m_axis_s_tready))

    @always_seq(clk.posedge, reset=rst)
    def ctrl():
        if row_end:
            # the row is done: the skid's query (or one arriving now) takes its place
            if have_qnext:
                qreg.next = qnext
                qlast.next = qnext_last
                have_qnext.next = 0
            elif q_fire:
                qreg.next = s_axis_q_tdata
                qlast.next = s_axis_q_tuser[0]
            else:
                have_q.next = 0
        elif q_fire:
            if have_q:
                qnext.next = s_axis_q_tdata
                qnext_last.next = s_axis_q_tuser[0]
                have_qnext.next = 1
            else:
                qreg.next = s_axis_q_tdata
                qlast.next = s_axis_q_tuser[0]
                have_q.next = 1

    @always_seq(clk.posedge, reset=rst)
    def out_reg():
        if m_axis_s_tvalid and m_axis_s_tready:
            m_axis_s_tvalid.next = 0
        if m_fire:
            m_axis_s_tvalid.next = 1
            m_axis_s_tlast.next = s_axis_m_tlast
            m_axis_s_tuser.next = s_axis_m_tuser[0]
            if s_axis_m_tuser[0]:
                m_axis_s_tdata.next = 0
            else:
                m_axis_s_tdata.next = concat(score, s_axis_m_tdata)

    return insts, q_slot, requant_fields, handshakes, fires, ctrl, out_reg
