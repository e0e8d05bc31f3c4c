"""What the attention family's testbenches share (``sddmm``, ``spmm`` and heads built of them).

A block of the family runs *heads*: one or more loads (K, V: a matrix into a row memory,
models/attn_load.py) and then per query row one transaction on each of its row streams (Q
and mask rows, P rows), the row streams driven concurrently. A block's bench declares how a
head of its own type becomes those transactions and draws heads; this module sends them:

* :class:`HeadTxns` -- a head as the block's input transactions: ``loads`` (sent one after
  the other, each on the stream its type routes to) and ``rows`` (per row-stream prefix, the
  transactions in row order).
* :class:`HeadSequence` -- the virtual-sequence base. A block subclass sets ``split`` (a
  function ``(p, head) -> HeadTxns``); each test's sequence defines ``heads(p, rng)``.
  Every head is sent with :meth:`HeadSequence.send_head`: the loads, then the rows forked.
  **Reset:** the blocks forget their loads on reset and wait for a new one. When the bench
  resets the DUT during a head (``bench.model.resets`` changes, or ``rst`` is high), the row
  streams stop at their next transaction and the head is sent again from its loads, so that
  every row after the reset runs against reloaded K/V (a load cut by a reset is sent again
  too). The block's scoreboard model must count its resets in ``resets`` (as
  scoreboards/delta_lstm.py does) and flush its loads and half-paired rows on ``reset()``.
* :class:`ForkedHeadSequence` -- every stream at once: all heads' loads on their load
  streams and all rows on their row streams, each stream in head order (as fast mode replays
  them), so that the block itself decides when it takes the next head's load: with two load
  banks (``kv_banks``, models/load_banks.py) it fills the idle bank while the current head
  computes. :func:`overlap_shapes` gives its heads in OverlapTest.
* :func:`row_coverpoints` -- the cover points every row stream has: its kept-key count in
  :data:`KEPT_BINS` (:func:`kept_bin`), idle on the row stream and backpressure on the
  output, and kept x backpressure.
* :func:`head_spec` -- a :class:`~tb.common.spec.BlockSpec` with the family's defaults:
  ``head_dim`` MAC units, the scoreboard module's ``compare``/``cycles``/``route``.
* :func:`head_tests` -- the tests every block of the family registers, the reset tests
  included.
* Stimulus sizes shared by the family (``RANDOM_KEYS_MAX`` ...).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import cocotb
from cocotb.triggers import RisingEdge, SimTimeoutError, with_timeout
from cocotb_coverage.coverage import CoverCross, CoverPoint

from scoreboards.base import ScoreboardError
from tb.common.bench import CLK_PERIOD_NS
from tb.common.spec import BlockSpec, StreamSpec
from tb.common.stream import in_reset
from tb.common.tests import stall_matrix, test_class
from tb.common.uvm import (
    BlockTest,
    CycleCheckTest,
    ResetAtCycleTest,
    ResetAtHandshakeTest,
    ResetMidStreamTest,
    StreamSeq,
    VirtualSeq,
)

RANDOM_KEYS_MAX = 64  # keys of a random head: the stall matrix runs it 8 times; the full
#: max_keys heads are in the row-shape and cycle tests (once each)
N_RANDOM_HEADS = 3  # heads per random test: a reload between heads, under stalls
RANDOM_QUERIES_MAX = 6  # query rows per random head
DENSITIES = (0.05, 0.3, 1.0)  # ViTCoD-sparse, medium, dense
N_BACK_TO_BACK = 8  # small heads in a row: the reload follows a head's last row at once
N_CYCLE_QUERIES = 12  # per cycle_scale(): one head, back-to-back rows
N_DEIT_QUERIES = 8  # real-mask query rows per test (of 197)
#: OverlapTest's heads as (rows, keys, density), keys capped at max_keys (overlap_shapes): a
#: long head (OVERLAP_KEYS keys, the next load hides behind it); a short load with many rows
#: (it waits for neither bank); a short load that waits for bank 0 (the long head still
#: runs); a short load that waits for bank 1 (the head of many rows still runs); a long load
#: that outlasts the head before it (the engine waits for it)
OVERLAP_KEYS = 24
OVERLAP_HEADS = ((3, OVERLAP_KEYS, 0.5), (8, 2, 1.0), (3, 2, 1.0), (3, 2, 1.0),
                 (3, OVERLAP_KEYS, 0.5))
#: the reset tests' heads: small (up to RESET_KEYS keys, RESET_QUERIES rows), so that the
#: reset at ResetAtCycleTest's cycle and after ResetAtHandshakeTest's beats lands in a head's
#: rows rather than in its load, and enough of them that a head runs after it on every config
N_RESET_HEADS = 6
RESET_KEYS = 4
RESET_QUERIES = 4

#: kept keys of a query row, of max_keys: none, one, up to max_keys / 8, more, every key
KEPT_BINS = ["0", "1", "few", "many", "all"]
STALL_BINS = ["none", "some"]  # a stream's stall pattern class (Knobs.stall_class)


@dataclasses.dataclass
class HeadTxns:
    """A head as input transactions: ``loads`` first, in order; then ``rows``: per row-stream
    prefix its transactions in row order (the streams run concurrently)."""

    loads: list[Any]
    rows: dict[str, list[Any]]


class HeadSequence(VirtualSeq):
    """Sends the heads :meth:`heads` yields, each with :meth:`send_head` (module doc)."""

    #: ``(p, head) -> HeadTxns``: set by the block's base sequence (a staticmethod)
    split: Callable[[Any, Any], HeadTxns] | None = None

    def heads(self, p, rng) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define heads(p, rng)")

    async def body(self):
        b = self.bench
        for h in self.heads(b.p, b.rng):
            await self.send_head(self.split(b.p, h))

    # -- reset awareness ----------------------------------------------------------------------
    def _resets(self) -> int:
        return getattr(self.bench.model, "resets", 0)

    def _reset_since(self, seen: int) -> bool:
        return self._resets() != seen or in_reset(self.bench.dut.rst)

    async def send_head(self, t: HeadTxns) -> None:
        """The loads, then the rows forked; from the loads again if a reset cut the head."""
        while True:
            seen = await self._send_loads(t.loads)
            await self._fork_rows(t.rows, seen)
            if not self._reset_since(seen):
                return
            logging.getLogger(f"cocotb.{self.bench.spec.name}.seq").info(
                "reset during a head: sending it again from its load(s)")

    async def _send_loads(self, loads: list[Any]) -> int:
        """Send every load until all of them complete with no reset during or after them;
        returns the reset count they completed under. A reset still in progress is waited
        out first: the count it will end with is the one the loads must complete under (read
        during the reset, it is one short, and the loads, accepted after it, would be sent a
        second time to a block that already holds them and waits for its rows)."""
        while True:
            while in_reset(self.bench.dut.rst):
                await RisingEdge(self.bench.dut.clk)
            before = self._resets()
            for ld in loads:
                await self.send(ld)
            if not self._reset_since(before):
                return before

    async def _fork_rows(self, rows: dict[str, list[Any]], seen: int) -> None:
        """Drive each row stream's list concurrently (each in order); a stream stops at its
        next transaction once a reset came after ``seen``."""

        async def one_stream(prefix: str, txns: list[Any]) -> None:
            for txn in txns:
                if self._reset_since(seen):
                    return
                await StreamSeq(f"{prefix}_row", [txn], False).start(self.seqrs[prefix])

        b = self.bench
        tasks = {p: cocotb.start_soon(one_stream(p, txns)) for p, txns in rows.items()}
        if b.FAST:  # sends only queue: nothing waits on the DUT
            for task in tasks.values():
                await task
            return
        # liveness: the rows of the head finish within the budget of everything sent so far
        # plus these rows (from params), or the block is stuck (e.g. waiting for a load)
        budget = b.budget_cycles([t for txns in rows.values() for t in txns])
        for prefix, task in tasks.items():
            try:
                await with_timeout(task, budget * CLK_PERIOD_NS, "ns")
            except SimTimeoutError:
                raise ScoreboardError(b.ctx.fail(
                    f"{prefix}: the head's rows were not all accepted within {budget} cycles "
                    f"(budget from params); after a reset the block waits for its load(s) "
                    f"({self._resets()} reset(s) so far)")) from None


class ForkedHeadSequence(HeadSequence):
    """Every stream at once (module doc): each head's loads on their streams (``route``),
    its rows on theirs, all forked. Not for the reset tests (a reset cannot cut one head)."""

    async def body(self):
        b = self.bench
        per: dict[str, list[Any]] = {}
        for h in self.heads(b.p, b.rng):
            t = self.split(b.p, h)
            for ld in t.loads:
                per.setdefault(b.spec.route(ld), []).append(ld)
            for prefix, txns in t.rows.items():
                per.setdefault(prefix, []).extend(txns)
        await self.fork(per)


def overlap_shapes(p, rng) -> Iterator[tuple[int, int, float]]:
    """OverlapTest's heads as ``(n_q, n_k, density)``: OVERLAP_HEADS with the key counts
    capped at max_keys."""
    for n_q, n_k, density in OVERLAP_HEADS:
        yield n_q, min(p.max_keys, n_k), density


# -- coverage ---------------------------------------------------------------------------------
def kept_bin(max_keys: int, n_kept: int) -> str:
    """The :data:`KEPT_BINS` bin of a row that keeps ``n_kept`` of at most ``max_keys`` keys."""
    if n_kept in (0, 1):
        return str(n_kept)
    if n_kept == max_keys:
        return "all"
    return "few" if n_kept <= max(max_keys // 8, 1) else "many"


def member(value, b) -> bool:
    """``rel`` of a cover point whose ``xf`` returns the list of bins a transaction hits."""
    return b in value


def row_coverpoints(block: str, row_prefix: str, out_prefix: str) -> list:
    """Cover points ``<block>.kept`` (the row's ``cols``, :func:`kept_bin`), ``<block>.idle``
    (stalls on ``row_prefix``), ``<block>.backpressure`` (on ``out_prefix``) and the cross
    ``<block>.kept_x_backpressure``; every ``xf`` takes ``(p, row_txn, knobs)``."""
    return [
        CoverPoint(f"{block}.kept", xf=lambda p, r, kn: kept_bin(p.max_keys, len(r.cols)),
                   bins=KEPT_BINS),
        CoverPoint(f"{block}.idle", xf=lambda p, r, kn: kn.stall_class(row_prefix, True),
                   bins=STALL_BINS),
        CoverPoint(f"{block}.backpressure",
                   xf=lambda p, r, kn: kn.stall_class(out_prefix, False), bins=STALL_BINS),
        CoverCross(f"{block}.kept_x_backpressure",
                   items=[f"{block}.kept", f"{block}.backpressure"]),
    ]


# -- env and tests ----------------------------------------------------------------------------
def useful_macs(p, row) -> int:
    """Useful work of a row transaction: ``head_dim`` MACs per kept entry."""
    return p.head_dim * len(row.cols)


def head_spec(name: str, *, inputs: list[StreamSpec], outputs: list[StreamSpec],
              predictor: Callable[[Any], Any], scoreboard: ModuleType,
              latency: Callable[[Any], int], timing_input: str) -> BlockSpec:
    """A family block's :class:`BlockSpec`: ``head_dim`` MAC units; ``compare``, ``cycles``
    and ``route`` from the ``scoreboard`` module; busy cycles from ``timing_input``."""
    return BlockSpec(name=name, inputs=inputs, outputs=outputs, predictor=predictor,
                     compare=scoreboard.compare, cycles=scoreboard.cycles,
                     n_pe=lambda p: p.head_dim, latency=latency, route=scoreboard.route,
                     timing_input=timing_input)


#: the common reset tests (tb/common/uvm.py) and what the family's versions add to their doc
RESET_TESTS = (("ResetMidStreamTest", ResetMidStreamTest),
               ("ResetAtCycleTest", ResetAtCycleTest),
               ("ResetAtHandshakeTest", ResetAtHandshakeTest))
RESET_DOC = (" The DUT forgets its loads on reset: the head sequence stops the row streams "
             "and sends the head again from its load(s). Python agents in both modes: a "
             "reload must react to the reset, which fast mode's pre-queued sources cannot do "
             "(so both modes give the same outputs, compared by tests/sim/test_fast_equal.py).")


def head_tests(ns: dict, base: type[BlockTest], *, random: type[HeadSequence],
               extremes: type[HeadSequence], mask_shapes: type[HeadSequence],
               back_to_back: type[HeadSequence], deit: type[HeadSequence],
               cycle: type[HeadSequence], overlap: type[ForkedHeadSequence],
               reset: type[HeadSequence]) -> None:
    """The family's tests into the test module ``ns``: RandomTest, ExtremesTest,
    MaskShapesTest, BackToBackTest, DeitMaskTest, CycleTest, OverlapTest (``overlap``, a
    :class:`ForkedHeadSequence`, cycle-checked against the engine's twin with its load
    banks), the stall matrix over
    RandomTest, and the three reset tests (ResetMidStreamTest, ResetAtCycleTest,
    ResetAtHandshakeTest) running ``reset`` (:data:`RESET_DOC`)."""
    random_test = test_class(ns, base, "RandomTest", random)
    test_class(ns, base, "ExtremesTest", extremes)
    test_class(ns, base, "MaskShapesTest", mask_shapes)
    test_class(ns, base, "BackToBackTest", back_to_back)
    test_class(ns, base, "DeitMaskTest", deit)
    test_class(ns, base, "CycleTest", cycle, CycleCheckTest, doc=CycleCheckTest.__doc__)
    test_class(ns, base, "OverlapTest", overlap, CycleCheckTest,
               doc=overlap.__doc__ + "\n\n" + CycleCheckTest.__doc__)
    stall_matrix(ns, random_test)
    for name, mixin in RESET_TESTS:
        test_class(ns, base, name, reset, mixin, doc=mixin.__doc__ + RESET_DOC,
                   fast_ok=False, timing_dependent=False)
