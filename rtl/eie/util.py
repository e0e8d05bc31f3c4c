"""Width helpers of the eie RTL: exact memory address widths and zero extension, so that every
operator sees equal widths (Verilator -Wall WIDTH rules)."""

from myhdl import ConcatSignal, intbv


def addr_bits(size: int) -> int:
    """Index width of a memory of ``size`` entries (at least 1)."""
    return max(1, (size - 1).bit_length())


def zext(sig, width: int):
    """``sig`` zero-extended to ``width`` bits (itself when already that wide)."""
    n = len(sig)
    if n > width:
        raise ValueError(f"zext: a {n}-bit signal does not fit {width} bits")
    return sig if n == width else ConcatSignal(intbv(0)[width - n:], sig)
