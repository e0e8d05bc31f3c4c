"""Write-back lane: ``saturate(round_shift(acc * scale, shift))``, then ReLU, then 0 when the
vector's status is not clean (models.eie.model.requant; round half up built as
``((x >>> (shift-1)) + 1) >>> 1``, which equals ``(x + 2**(shift-1)) >>> shift``)."""

from myhdl import always_comb, block

from models.fixed import smax, smin
from rtl.common.prims import signed_sig


@block
def eie_requant(acc, scale, shift, relu, zero, y_bits, acc_width, scale_width, out_width):
    # signed acc x unsigned scale; at least 33 bits so that the unsized (32-bit) 1 of the
    # rounding never makes a sum wider than its operands
    pw = max(acc_width + scale_width + 1, 33)
    prod = signed_sig(pw)
    halved = signed_sig(pw)
    rounded = signed_sig(pw)
    y = signed_sig(out_width)
    hi, lo = smax(out_width), smin(out_width)

    @always_comb
    def mul():
        prod.next = acc * scale

    @always_comb
    def pre_shift():
        if shift == 0:
            halved.next = prod
        else:
            halved.next = prod >> (shift - 1)

    @always_comb
    def round_half_up():
        if shift == 0:
            rounded.next = halved
        else:
            rounded.next = (halved + 1) >> 1

    @always_comb
    def sat():
        if rounded > hi:
            y.next = hi
        elif rounded < lo:
            y.next = lo
        else:
            y.next = rounded[out_width:].signed()

    @always_comb
    def out():
        if zero or (relu and y < 0):
            y_bits.next = 0
        else:
            y_bits.next = y[out_width:]

    return mul, pre_shift, round_half_up, sat, out
