"""Step 5 of the arithmetic (models/softmax.py), in two combinational halves that the emit
pass registers between: :func:`softmax_prod` (``e * r1`` without the bits the least shift
always drops) and :func:`softmax_round` (the rest of the shift, round half up, saturate).

``prob = min(round_half_up(e * r1 >> sh), 2**P - 1)`` with ``sh = S0 + 1 + shx``,
``S0 = Q + E - P - 1`` (the least shift, z = E): the product's low S0 bits never reach the
result, so the datapath drops them first, then shifts by ``shx`` and rounds as
``((x >> (sh - 1)) + 1) >> 1``."""

from myhdl import always_comb, block

from models.softmax import SoftmaxParams
from rtl.common.prims import unsigned_sig


def hi_width(p: SoftmaxParams) -> int:
    """Bits of the product kept after the least shift: ``e * r1 < 2**(E + Q)``."""
    return p.exp_bits + p.norm_bits - (p.norm_bits + p.exp_bits - p.prob_width - 1)


@block
def softmax_prod(e, r1, hi, p: SoftmaxParams):
    """``hi = (e * r1) >> S0``."""
    Q, E, P = p.norm_bits, p.exp_bits, p.prob_width
    s0 = Q + E - P - 1
    pw = E + Q  # e <= 2**E and r1 < 2**Q: e * r1 < 2**(E+Q)
    prod = unsigned_sig(pw)

    @always_comb
    def mul():
        prod.next = e * r1

    @always_comb
    def drop():
        hi.next = prod[pw:s0]

    return mul, drop


@block
def softmax_round(hi, shx, prob, p: SoftmaxParams):
    """``prob = min(((hi >> shx) + 1) >> 1, 2**P - 1)``."""
    P = p.prob_width
    hw = hi_width(p)
    halved = unsigned_sig(hw)
    rounded = unsigned_sig(hw)
    top = (1 << P) - 1

    @always_comb
    def half():
        halved.next = hi >> shx

    @always_comb
    def rnd():
        rounded.next = (halved + 1) >> 1

    @always_comb
    def sat():
        if rounded > top:
            prob.next = top
        else:
            prob.next = rounded[P:]

    return half, rnd, sat
