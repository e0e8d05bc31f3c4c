"""Storage: a memory of ``depth`` words with one synchronous write port and one or two
combinational read ports (the way the row banks were written: a list of Signals written in a
clocked process and read in combinational ones, which maps to LUT RAM on xc7)."""

from myhdl import always, always_comb, block

from rtl.common.prims import sig_like


@block
def mem_2r(clk, we, waddr, din, ra, qa, rb, qb, depth: int):
    """``mem[waddr] <= din`` when ``we``; ``qa = mem[ra]``, ``qb = mem[rb]``."""
    mem = [sig_like(din) for _ in range(depth)]

    @always(clk.posedge)
    def wr():
        if we:
            mem[waddr].next = din

    @always_comb
    def rd_a():
        qa.next = mem[ra]

    @always_comb
    def rd_b():
        qb.next = mem[rb]

    return wr, rd_a, rd_b


@block
def mem_1r(clk, we, waddr, din, ra, qa, depth: int):
    """``mem[waddr] <= din`` when ``we``; ``qa = mem[ra]``."""
    mem = [sig_like(din) for _ in range(depth)]

    @always(clk.posedge)
    def wr():
        if we:
            mem[waddr].next = din

    @always_comb
    def rd_a():
        qa.next = mem[ra]

    return wr, rd_a
