"""Steps 1-2 of the arithmetic (models/softmax.py): ``e = EXP_LUT[t] >> min(ip, E + 1)`` for
``d = mx - x``, combinational (the passes register its inputs and its output)."""

from myhdl import always_comb, block

from models.softmax import SoftmaxParams, exp_lut
from rtl.common.prims import unsigned_sig


@block
def softmax_exp(x, mx, e, p: SoftmaxParams):
    """``e`` (UQ1.E, ``e_width`` bits) of a score ``x`` below its row max ``mx``."""
    F, L, E, w = p.frac_bits, p.lut_bits, p.exp_bits, p.in_width
    rom = tuple(int(v) for v in exp_lut(p))
    d = unsigned_sig(w)
    ip = unsigned_sig(p.ip_width)
    t = unsigned_sig(max(L, 1))
    lut = unsigned_sig(p.e_width)
    top = E + 1
    insts = []

    @always_comb
    def diff():
        d.next = mx - x  # mx >= x: the row max minus one of its scores

    @always_comb
    def split_ip():
        ip.next = d[w:F]

    insts += [diff, split_ip]
    if L:

        @always_comb
        def split_t():
            t.next = d[F:F - L]

        insts.append(split_t)
    if (1 << p.ip_width) - 1 > top:  # ip can exceed E + 1: clamp the shift
        kw = top.bit_length()
        ips = unsigned_sig(kw)

        @always_comb
        def clamp():
            if ip > top:
                ips.next = top
            else:
                ips.next = ip[kw:]

        insts.append(clamp)
    else:
        ips = ip

    @always_comb
    def rd():
        lut.next = rom[int(t)]

    @always_comb
    def shr():
        e.next = lut >> ips

    return insts, rd, shr
