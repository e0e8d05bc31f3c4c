"""The block's interface: ``PARAMS``, the top-level port list :func:`ports` and the width
helpers the sub-blocks share."""

from myhdl import Signal, intbv

from models.softmax import SoftmaxParams
from rtl.common.prims import axis, clk_rst

PARAMS = SoftmaxParams


def ports(p: SoftmaxParams) -> dict:
    return {**clk_rst(), **axis("s_axis", p.in_width, 1), **axis("m_axis", p.prob_width, 1)}


def slot_index(p: SoftmaxParams) -> Signal:
    """A ring (or row-metadata) address: ``0 .. ring_slots - 1``."""
    return Signal(intbv(0, min=0, max=p.ring_slots))


def slot_count(p: SoftmaxParams) -> Signal:
    """A count of slots or rows in the ring: ``0 .. ring_slots``."""
    return Signal(intbv(0, min=0, max=p.ring_slots + 1))


def shx_width(p: SoftmaxParams) -> int:
    """Bits of the output shift beyond its minimum (``z - E`` <= sum_width - 1 - E)."""
    return max(p.sum_width - 1 - p.exp_bits, 1).bit_length()
