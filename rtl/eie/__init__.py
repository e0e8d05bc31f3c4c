"""``eie`` RTL, one module a seam: :mod:`~rtl.eie.lnzd` (leading-non-zero detector),
:mod:`~rtl.eie.pe` (a PE: load memories, pointer fetch, (v, z) decode, codebook, accumulators,
fault flags), :mod:`~rtl.eie.writeback` (requantisation and ReLU) and :mod:`~rtl.eie.top`
(load control, broadcast, write-back, the ports)."""

from rtl.eie.top import PARAMS, eie, ports

__all__ = ["PARAMS", "eie", "ports"]
