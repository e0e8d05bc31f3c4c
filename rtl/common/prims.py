"""Small shared MyHDL primitives: enabled registers, delay lines, field extraction.

Each is a tiny ``@block`` so that a structure of any shape (skew triangles, PE grids) is built
by instantiating blocks, never by lists of lists, which MyHDL cannot convert.
"""

from myhdl import ResetSignal, Signal, always_comb, always_seq, block, intbv

from models.fixed import smax, smin


def signed_sig(bits: int) -> Signal:
    """A signed Signal of ``bits`` bits (value 0)."""
    return Signal(intbv(0, min=smin(bits), max=smax(bits) + 1))


def unsigned_sig(bits: int) -> Signal:
    """An unsigned Signal of ``bits`` bits (value 0)."""
    return Signal(intbv(0)[bits:])


def sig_like(s):
    """A new Signal of the same width and signedness as ``s`` (value 0)."""
    v = s.val
    if isinstance(v, bool):
        return Signal(bool(0))
    return Signal(intbv(0, min=v.min, max=v.max))


@block
def en_reg(clk, rst, en, d, q):
    """q <= d when en (synchronous reset to 0). Latency: 1 enabled cycle."""

    @always_seq(clk.posedge, reset=rst)
    def seq():
        if en:
            q.next = d

    return seq


@block
def delay_line(clk, rst, en, d, q, depth):
    """q is d delayed by ``depth`` enabled cycles (``depth`` = 0 is a wire)."""
    if depth == 0:

        @always_comb
        def wire():
            q.next = d

        return wire
    stages = [sig_like(d) for _ in range(depth - 1)] + [q]
    srcs = [d] + stages[:-1]
    return [en_reg(clk, rst, en, srcs[i], stages[i]) for i in range(depth)]


@block
def field_or_zero(word, lo, sel, out):
    """out = signed field word[lo + width(out) - 1 : lo] when sel, else 0."""
    hi = lo + len(out)

    @always_comb
    def comb():
        if sel:
            out.next = word[hi:lo].signed()
        else:
            out.next = 0

    return comb


def clk_rst() -> dict:
    """The project-wide clock and synchronous active-high reset."""
    return dict(clk=Signal(bool(0)), rst=ResetSignal(0, active=1, isasync=False))


def axis(prefix: str, data_width: int, user_width: int = 0, last: bool = True) -> dict:
    """Signals of one AXI4-Stream-style port ``<prefix>_t{data,valid,ready[,last][,user]}``
    (the same set in either direction: the block's signature decides which way it points)."""
    sigs = {f"{prefix}_tdata": Signal(intbv(0)[data_width:]),
            f"{prefix}_tvalid": Signal(bool(0)), f"{prefix}_tready": Signal(bool(0))}
    if last:
        sigs[f"{prefix}_tlast"] = Signal(bool(0))
    if user_width:
        sigs[f"{prefix}_tuser"] = Signal(intbv(0)[user_width:])
    return sigs
