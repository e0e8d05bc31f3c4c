"""The MAC phase: the find-first-set tree the sequencer walks the fired bitmap with, the PEs
(weight-word entry split + product register) and the rows of the memory M."""

from myhdl import Signal, always_comb, always_seq, block, intbv

from models.delta_lstm import entry_bits, image_words


@block
def dlstm_ffs(bits, lo, idx, any_):
    """Lowest set bit of ``bits`` (a list of bools) plus ``lo``: a balanced tree of 2:1
    priority nodes, depth ceil(log2(len(bits)))."""
    n = len(bits)
    if n == 1:
        b = bits[0]

        @always_comb
        def leaf():
            any_.next = b
            idx.next = lo

        return leaf
    nl = 1 << ((n - 1).bit_length() - 1)
    il, ir = Signal(intbv(0)[len(idx):]), Signal(intbv(0)[len(idx):])
    al, ar = Signal(bool(0)), Signal(bool(0))
    left = dlstm_ffs(bits[:nl], lo, il, al)
    right = dlstm_ffs(bits[nl:], lo + nl, ir, ar)

    @always_comb
    def node():
        any_.next = al or ar
        if al:
            idx.next = il
        else:
            idx.next = ir

    return left, right, node


@block
def dlstm_pe(clk, rst, wq, d1, lr2, prod2, pe, p):
    """PE ``pe``: splits its entry off the weight word and registers value * delta."""
    w, eb = p.w_width, entry_bits(p)
    lo = pe * eb
    val = wq(lo + w, lo)
    lr = wq(lo + eb, lo + w)

    @always_seq(clk.posedge, reset=rst)
    def seq():
        prod2.next = val.signed() * d1
        lr2.next = lr

    return seq


@block
def dlstm_m_cell(clk, rst, ld, ld_cnt, bias, mv, lr, prod, m, r, lrow, p):
    """Row ``r`` of M (PE r % N, local row ``lrow``): loaded with bias << w_frac on its
    weight-load beat, else += prod when the PE's product targets this row. ``m`` is a
    ``modbv``: the two's-complement wrap of the model's ``wrap(.., acc_width)``."""
    beat = image_words(p) + r

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if ld and ld_cnt == beat:
            m.next = bias.signed()
        elif mv and lr == lrow:
            m.next = m + prod

    return seq
