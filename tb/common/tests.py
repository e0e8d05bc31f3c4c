"""Tests written once, chosen per block.

:func:`register` makes a pyuvm test class a cocotb test of a block's test module (what
``@pyuvm.test()`` does, but for a class built here). :func:`standard_tests` builds the tests
that every array-style block repeats -- random, zeros, extremes, back-to-back into a slow sink,
requantiser corners, reset mid-stream, the cycle check -- from the block's base test and its
sequences, and :func:`stall_matrix` the per-port stall-pattern matrix. A block's
``<blk>_tests.py`` then holds only what is its own.
"""

from __future__ import annotations

from collections.abc import Callable

import cocotb
from pyuvm import uvm_root

from tb.common.bench import DEFAULT_IDLE, Knobs
from tb.common.uvm import (
    BlockTest,
    CycleCheckTest,
    ResetAtCycleTest,
    ResetAtHandshakeTest,
    ResetMidStreamTest,
    VirtualSeq,
    variant,
)

#: the stall patterns of tb/common/stall.py that the matrix puts on every port
STALL_PATTERNS = ("none", "random:0.5", "every_other", "burst:4", "long:120")
#: matrix cases: case c puts pattern (c + i) on input i and (c + OUTPUT_OFFSET + j) on output
#: j, so across the cases every pattern meets every port once and the ports of one case differ;
#: the two cases of the first spine (free-running and both random) come first
OUTPUT_OFFSET = 2
#: short tiles finish faster than a throttled sink drains rows: the hand-off must stall
HANDOFF_STALL_BACKPRESSURE = 0.8


def register(ns: dict, cls: type[BlockTest], name: str | None = None) -> type[BlockTest]:
    """Make ``cls`` a cocotb test (named ``name``, default the class name) of the module whose
    globals are ``ns``."""
    test_name = name or cls.__name__

    async def run(_dut):
        await uvm_root().run_test(cls)

    run.__module__ = ns["__name__"]
    run.__qualname__ = run.__name__ = test_name
    run.__doc__ = cls.__doc__
    ns[f"__{test_name}"] = cocotb.test(name=test_name)(run)
    ns.setdefault(test_name, cls)
    return cls


def test_class(ns: dict, base: type[BlockTest], name: str, sequence: type[VirtualSeq],
               *mixins: type, doc: str | None = None, **attrs) -> type[BlockTest]:
    """A test class ``name`` = ``mixins`` + ``base`` running ``sequence``, registered (the
    mixins come first in the MRO, so that their phases run before the base's)."""
    attrs = {"sequence": sequence, "__doc__": doc or sequence.__doc__,
             "__module__": ns["__name__"], **attrs}
    cls = type(name, (*mixins, base), attrs)
    ns[name] = cls
    return register(ns, cls)


def standard_tests(ns: dict, base: type[BlockTest], *, random: type[VirtualSeq],
                   zeros: type[VirtualSeq] | None = None,
                   extremes: type[VirtualSeq] | None = None,
                   back_to_back: type[VirtualSeq] | None = None,
                   requant: type[VirtualSeq] | None = None,
                   cycle: type[VirtualSeq] | None = None,
                   min_utilisation: float | None = None) -> None:
    """The array blocks' common tests into module ``ns`` (each only if its sequence is given;
    ``RandomTest`` and ``ResetMidStreamTest`` always)."""
    test_class(ns, base, "RandomTest", random)
    if zeros:
        test_class(ns, base, "ZerosTest", zeros)
    if extremes:
        test_class(ns, base, "ExtremesTest", extremes)
    if back_to_back:
        test_class(ns, base, "BackToBackTest", back_to_back,
                   doc="Short transactions back to back into a slow sink: a finished one must "
                       "wait in the hand-off state until the output buffer is free.",
                   knobs=Knobs(idle=DEFAULT_IDLE, backpressure=HANDOFF_STALL_BACKPRESSURE))
    if requant:
        test_class(ns, base, "RequantCornersTest", requant)
    test_class(ns, base, "ResetMidStreamTest", random, ResetMidStreamTest,
               doc=ResetMidStreamTest.__doc__)
    test_class(ns, base, "ResetAtCycleTest", random, ResetAtCycleTest,
               doc=ResetAtCycleTest.__doc__)
    test_class(ns, base, "ResetAtHandshakeTest", random, ResetAtHandshakeTest,
               doc=ResetAtHandshakeTest.__doc__)
    if cycle:
        test_class(ns, base, "CycleTest", cycle, CycleCheckTest, doc=CycleCheckTest.__doc__,
                   min_utilisation=min_utilisation)


def matrix_knobs(inputs: list[str], outputs: list[str]) -> dict[str, Knobs]:
    """Case name -> knobs with a pattern per port (see STALL_PATTERNS / OUTPUT_OFFSET)."""
    n = len(STALL_PATTERNS)
    cases = {"none": Knobs("none", "none"),
             "random": Knobs("random:0.5", "random:0.5")}
    for c in range(n):
        ports = {p: STALL_PATTERNS[(c + i) % n] for i, p in enumerate(inputs)}
        ports.update({p: STALL_PATTERNS[(c + OUTPUT_OFFSET + j) % n]
                      for j, p in enumerate(outputs)})
        name = ",".join(f"{p}={s}" for p, s in ports.items())
        cases[name] = Knobs("none", "none", ports)
    return cases


def stall_matrix(ns: dict, test_cls: type[BlockTest], name: str = "test_stall_matrix",
                 doc: str = "") -> None:
    """``name``: ``test_cls`` under every case of :func:`matrix_knobs` for its block's ports,
    as one parametrised cocotb test (variants ``<Test>/stalls=<case>``)."""
    spec = test_cls.SPEC
    cases = matrix_knobs([s.prefix for s in spec.inputs], [s.prefix for s in spec.outputs])

    async def run(_dut, stalls):
        test = variant(test_cls, f"{test_cls.__name__}/stalls={stalls}", knobs=cases[stalls])
        await uvm_root().run_test(test)

    run.__module__ = ns["__name__"]
    run.__qualname__ = run.__name__ = name
    run.__doc__ = doc or f"{test_cls.__name__} under every per-port stall pattern."
    ns[name] = cocotb.test(cocotb.parametrize(stalls=list(cases))(run))


def knob_variants(ns: dict, test_cls: type[BlockTest], name: str,
                  make: Callable[..., Knobs], doc: str, **axes) -> None:
    """A parametrised cocotb test running ``test_cls`` with ``make(**values)`` as knobs for
    every combination of the ``axes`` (e.g. ``backpressure=[0.0, 0.5]``)."""

    async def run(_dut, **values):
        label = "/".join(f"{k}={v}" for k, v in values.items())
        await uvm_root().run_test(variant(test_cls, f"{test_cls.__name__}/{label}",
                                          knobs=make(**values)))

    run.__module__ = ns["__name__"]
    run.__qualname__ = run.__name__ = name
    run.__doc__ = doc
    ns[name] = cocotb.test(cocotb.parametrize(**axes)(run))
