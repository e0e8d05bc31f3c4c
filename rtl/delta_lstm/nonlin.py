"""Arithmetic blocks of the activation unit: round + saturate, the gate LUTs (ROMs built by
:func:`models.delta_lstm.build_lut`) and the hard sigmoid/tanh, behind :func:`dlstm_gate_fn`."""

from myhdl import always_comb, block, concat

from models.delta_lstm import build_lut
from models.fixed import smax, smin
from rtl.common.prims import signed_sig, unsigned_sig


@block
def dlstm_round_sat(x, y, s):
    """y = saturate(round_shift(x, s), len(y)), round half up; x and y signed."""
    xw, yw = len(x), len(y)
    insts = []
    if s == 0:
        r = x
    else:
        # t and r keep the full width (r's top bits are sign copies) so that every bit of
        # every signal is read: no unused-bit lint warnings
        t = signed_sig(xw + 1)
        r = signed_sig(xw + 1)
        half = 1 << (s - 1)

        @always_comb
        def rnd():
            t.next = x + half

        @always_comb
        def shr():
            r.next = t >> s

        insts += [rnd, shr]
    rw = len(r)
    hi, lo = smax(yw), smin(yw)
    if rw > yw:

        @always_comb
        def sat():
            if r > hi:
                y.next = hi
            elif r < lo:
                y.next = lo
            else:
                y.next = r[yw:].signed()

        insts.append(sat)
    else:
        assert rw == yw, "dlstm_round_sat: a narrower input would need a sign extension"

        @always_comb
        def ext():
            y.next = r

        insts.append(ext)
    return insts


@block
def dlstm_lut(x, y, table, p):
    """y = table[address(x)]: saturate x to lut_in_width bits, keep the top lut_addr_bits
    with the sign bit inverted (``models.delta_lstm.lut_address``); the table is a ROM."""
    aw, la, gw = p.act_width, p.lut_addr_bits, p.gate_width
    lsh = p.lut_shift
    addr = unsigned_sig(la)
    yu = unsigned_sig(gw)
    mask = (1 << gw) - 1
    rom = tuple(int(v) & mask for v in table)
    insts = []
    # saturate(x, lin) >> lsh == saturate(x >> lsh, la): shift first, then clamp to la bits
    if lsh:
        xs = signed_sig(aw)

        @always_comb
        def shr():
            xs.next = x >> lsh

        insts.append(shr)
    else:
        xs = x
    q = signed_sig(la)
    hi, lo = smax(la), smin(la)

    @always_comb
    def sat():
        if xs > hi:
            q.next = hi
        elif xs < lo:
            q.next = lo
        else:
            q.next = xs[la:].signed()

    insts.append(sat)
    if la == 1:

        @always_comb
        def adr1():
            addr.next = not q[0]

        insts.append(adr1)
    else:

        @always_comb
        def adr():
            addr.next = concat(not q[la - 1], q[la - 1:0])

        insts.append(adr)

    @always_comb
    def rd():
        yu.next = rom[int(addr)]

    @always_comb
    def out():
        y.next = yu.signed()

    insts += [rd, out]
    return insts


@block
def dlstm_hard(x, y, sigmoid, p):
    """Hard nonlinearity (``p.hard``), Q8.8 x -> Q2.G y:
    hardsigmoid ``clamp(round_shift(x, af + 2 - G) + 2**(G-1), 0, 2**G)`` or
    hardtanh ``clamp(round_shift(x, af - G), -2**G, 2**G)``."""
    af, g, xw, gw = p.act_frac, p.gate_frac, len(x), p.gate_width
    s = af - g + 2 if sigmoid else af - g
    top = 1 << g
    insts = []
    if s:
        rs = signed_sig(xw + 1)
        insts.append(dlstm_round_sat(x, rs, s))
    else:
        rs = x
    if sigmoid:
        v = signed_sig(xw + 1)
        off = 1 << (g - 1)

        @always_comb
        def bias():
            v.next = rs + off

        @always_comb
        def clamp():
            if v >= top:
                y.next = top
            elif v <= 0:
                y.next = 0
            else:
                y.next = v[gw:].signed()

        insts += [bias, clamp]
    else:

        @always_comb
        def clamp_t():
            if rs >= top:
                y.next = top
            elif rs <= -top:
                y.next = -top
            else:
                y.next = rs[gw:].signed()

        insts.append(clamp_t)
    return insts


@block
def dlstm_gate_fn(x, y, func, p):
    """Q8.8 -> Q2.G sigmoid or tanh (``func``), LUT or hard version per ``p.hard``."""
    if p.hard:
        return dlstm_hard(x, y, func == "sigmoid", p)
    return dlstm_lut(x, y, build_lut(p, func), p)
