"""A synchronous FIFO (one push and one pop per cycle, any depth >= 1), first-word
fall-through: ``dout`` shows the oldest entry whenever ``empty`` is low.

Pushing into a full FIFO or popping an empty one is the caller's error: the caller gates
``push`` with ``not full`` and ``pop`` with ``not empty`` (the block ignores neither; a push
and a pop in the same cycle are both taken, so a full FIFO may push while it pops).
"""

from myhdl import Signal, always, always_comb, always_seq, block, intbv

from rtl.common.prims import unsigned_sig


@block
def sync_fifo(clk, rst, push, din, pop, dout, full, empty, depth):
    """``depth`` entries of ``len(din)`` bits; ``dout`` = the oldest entry (combinational).
    ``empty`` may be None where the caller knows from its own protocol that it never pops an
    empty FIFO (an undriven flag would be a lint finding)."""
    mem = [unsigned_sig(len(din)) for _ in range(depth)]
    wptr = Signal(intbv(0, min=0, max=max(depth, 2)))
    rptr = Signal(intbv(0, min=0, max=max(depth, 2)))
    count = Signal(intbv(0, min=0, max=depth + 1))
    last = depth - 1

    @always_comb
    def full_flag():
        full.next = count == depth

    gens = [full_flag]
    if empty is not None:

        @always_comb
        def empty_flag():
            empty.next = count == 0

        gens.append(empty_flag)

    @always_comb
    def read():
        dout.next = mem[rptr]

    @always(clk.posedge)
    def write():
        if push:
            mem[wptr].next = din

    @always_seq(clk.posedge, reset=rst)
    def ptrs():
        if push:
            if wptr == last:
                wptr.next = 0
            else:
                wptr.next = wptr + 1
        if pop:
            if rptr == last:
                rptr.next = 0
            else:
                rptr.next = rptr + 1
        if push and not pop:
            count.next = count + 1
        elif pop and not push:
            count.next = count - 1

    return gens, read, write, ptrs
