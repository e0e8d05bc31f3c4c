"""``gcn_agg``'s model entry (models/blocks.py): its Params and corners (models/gcn), its
transactions and streams, the bit-exact pass model the scoreboard uses and the exact cycle
model. Everything numerical is models/gcn's: the schedule (pcoo.py), its stream (streams.py),
the lanes' arithmetic (``run_schedule``) and the requantiser (models.gemm.requantise).

A **pass** (rtl/gcn_agg.py) is an :class:`HLoad` (``H``: n rows of ``feat_lanes`` signed
features, the requantisation pair, ReLU, the output saturation width) and then an
:class:`APass` (a PCOO schedule of Â for that graph). Its output is one transaction of ``n``
rows (row order), each with the pass's flags::

    y[i]  = relu(saturate(round_shift(sum_{tuples (i, j, v)} v * H[j] * scale, shift), out_bits))
    flags = HAZARD if a lane gets a row again within L beats, | RANGE if a tuple's row or
            column is >= n (that tuple is dropped)

A hazard does not change ``y``: the block holds the beat until the write landed
(:func:`issue_cycles` counts those stall cycles).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.fixed import check_signed, pack, unpack_rows
from models.gcn.configs import CONFIGS
from models.gcn.params import FLAG_HAZARD, FLAG_RANGE, GcnAggParams
from models.gcn.pcoo import PAD, Schedule, run_schedule
from models.gcn.streams import decode_pcoo, encode_pcoo
from models.gemm import requantise

Beat = tuple[int, bool, int]
PARAMS = GcnAggParams
__all__ = ["CONFIGS", "APass", "GcnAggParams", "HLoad", "budget_cycles", "decode_a",
           "decode_h", "decode_y", "encode_a", "encode_h", "issue_cycles", "pass_cycles",
           "pass_out"]


@dataclasses.dataclass
class HLoad:
    """The dense operand of a pass: ``h`` (n, feat_lanes) signed feat_width, and how the
    pass's sums are requantised."""

    h: np.ndarray
    scale: int = 1
    shift: int = 0
    relu: bool = False
    out_bits: int | None = None  # None: out_width

    @property
    def n(self) -> int:
        return int(self.h.shape[0])


@dataclasses.dataclass
class APass:
    """The PCOO stream of one pass (``schedule.n`` is the graph the schedule was built for;
    ``checked=False`` sends it without the schedule rules, to see the block flag it)."""

    schedule: Schedule
    checked: bool = True


def check_h(p: GcnAggParams, t: HLoad) -> None:
    ob = p.out_width if t.out_bits is None else t.out_bits
    h = np.asarray(t.h)
    if h.ndim != 2 or h.shape[1] != p.feat_lanes or not 1 <= h.shape[0] <= p.max_nodes:
        raise ValueError(f"gcn_agg: an H load is (n, feat_lanes={p.feat_lanes}) with 1 <= n <= "
                         f"max_nodes={p.max_nodes} (got {h.shape})")
    check_signed(h, p.feat_width, "gcn_agg: H")
    if not (0 <= t.scale < (1 << p.scale_width) and 0 <= t.shift <= p.max_shift):
        raise ValueError(f"gcn_agg: scale must be in [0, 2**{p.scale_width}) and shift in "
                         f"[0, {p.max_shift}] (got {t.scale}, {t.shift})")
    if not 2 <= ob <= p.out_width:
        raise ValueError(f"gcn_agg: out_bits must be in [2, out_width={p.out_width}] (got {ob})")


def encode_h(p: GcnAggParams, t: HLoad) -> list[Beat]:
    """Row j on beat j (feature f at bits [f*FW, (f+1)*FW)), tlast on the last, tuser =
    scale | shift << sw | relu << (sw + shw) | out_bits << (sw + shw + 1) on every beat."""
    check_h(p, t)
    ob = p.out_width if t.out_bits is None else t.out_bits
    sw, shw = p.scale_width, p.shift_width
    user = t.scale | t.shift << sw | int(bool(t.relu)) << (sw + shw) | ob << (sw + shw + 1)
    return [(pack(r, p.feat_width), j == t.n - 1, user) for j, r in enumerate(np.asarray(t.h))]


def decode_h(p: GcnAggParams, beats: list[Beat]) -> HLoad:
    sw, shw = p.scale_width, p.shift_width
    u = beats[-1][2]
    h = unpack_rows([d for d, _, _ in beats], p.feat_lanes, p.feat_width)
    return HLoad(h, u & ((1 << sw) - 1), (u >> sw) & ((1 << shw) - 1), bool(u >> (sw + shw) & 1),
                 u >> (sw + shw + 1))


def encode_a(p: GcnAggParams, t: APass) -> list[Beat]:
    return encode_pcoo(p, t.schedule, check=t.checked)


def decode_a(p: GcnAggParams, beats: list[Beat]) -> APass:
    """What the block was sent, unchecked (the predictor applies the loaded graph's rules)."""
    return APass(decode_pcoo(p, beats, 1 << p.index_width, check=False), checked=False)


def decode_y(p: GcnAggParams, beats: list[Beat]) -> dict:
    """One pass's output: ``y`` (n, feat_lanes) and ``flags`` (n,), row order."""
    return {"y": unpack_rows([d for d, _, _ in beats], p.feat_lanes, p.out_width),
            "flags": np.array([u for _, _, u in beats], dtype=np.int64)}


# -- the pass -----------------------------------------------------------------------------------
def live_slots(s: Schedule, n: int) -> tuple[np.ndarray, bool]:
    """(P, T) bool of the tuples the block keeps for an n-node load, and whether any was
    dropped (row or column >= n)."""
    valid = s.row != PAD
    inr = valid & (s.row < n) & (s.col < n)
    return inr, bool((valid & ~inr).any())


def hazards(s: Schedule, live: np.ndarray, latency: int) -> list[tuple[int, int, int]]:
    """(lane, beat, distance) of every live tuple whose row the lane had fewer than
    ``latency`` beats before (beat distance, before any stall)."""
    out = []
    for lane in range(s.lanes):
        last: dict[int, int] = {}
        for t in np.flatnonzero(live[lane]):
            r = int(s.row[lane, t])
            if r in last and t - last[r] < latency:
                out.append((lane, int(t), int(t - last[r])))
            last[r] = int(t)
    return out


def pass_out(p: GcnAggParams, h: HLoad, a: APass) -> dict:
    """Bit-exact output transaction of one pass (module doc), as :func:`decode_y` gives it."""
    check_h(p, h)
    s = a.schedule
    if s.lanes != p.lanes:
        raise ValueError(f"gcn_agg: the stream has {s.lanes} lanes, the block {p.lanes}")
    live, dropped = live_slots(s, h.n)
    kept = Schedule(h.n, s.lanes, p.latency, np.where(live, s.row, PAD),
                    np.where(live, s.col, 0), np.where(live, s.val, 0))
    per_row = np.bincount(kept.row[live], minlength=h.n)
    if per_row.max(initial=0) > p.max_degree:
        r = int(np.argmax(per_row))
        raise ValueError(f"gcn_agg: row {r} gets {int(per_row[r])} tuples in one pass, more than "
                         f"max_degree={p.max_degree} (the accumulator is sized for that many)")
    acc = run_schedule(kept, np.asarray(h.h, dtype=np.int64))
    ob = p.out_width if h.out_bits is None else h.out_bits
    y = requantise(acc, h.scale, h.shift, ob)
    if h.relu:
        y = np.maximum(y, 0)
    flags = (FLAG_HAZARD if hazards(s, live, p.latency) else 0) | (FLAG_RANGE if dropped else 0)
    return {"y": y, "flags": np.full(h.n, flags, dtype=np.int64)}


# -- cycles -------------------------------------------------------------------------------------
def issue_cycles(p: GcnAggParams, s: Schedule, n: int) -> int:
    """Cycles the block takes to accept the T beats of a pass with no idle input: one a cycle,
    except that a beat waits while any lane's live tuple names a row that lane issued fewer
    than L cycles before (the interlock): ``issue[b] = max(issue[b-1] + 1, max over such
    lanes of last[lane][row] + L)``. Equal to T for every PCOO schedule."""
    live, _ = live_slots(s, n)
    last: list[dict[int, int]] = [{} for _ in range(s.lanes)]
    t = -1
    for b in range(s.cycles):
        t += 1
        for lane in np.flatnonzero(live[:, b]):
            prev = last[lane].get(int(s.row[lane, b]))
            if prev is not None:
                t = max(t, prev + p.latency)
        for lane in np.flatnonzero(live[:, b]):
            last[lane][int(s.row[lane, b])] = t
    return t + 1


def pass_cycles(p: GcnAggParams, h: HLoad, a: APass) -> int:
    """No-stall cycles of one pass from its first Â handshake to its last output handshake,
    inclusive (exact; the CycleTest asserts it): the issue cycles, then the last write lands
    L - 1 edges after its issue, the drain reads from the next cycle and the output register
    sends one row a cycle::

        cycles = issue_cycles + L + n
    """
    return issue_cycles(p, a.schedule, h.n) + p.latency + h.n


def budget_cycles(p: GcnAggParams, txns) -> int:
    """No-stall cycles of every transaction sent, from reset (the timeout budget's base, an
    upper estimate): the reset's clear sweep (max_nodes), each H load (n), each pass."""
    total, h = p.max_nodes, None
    for t in txns:
        if isinstance(t, HLoad):
            h = t
            total += t.n
        elif isinstance(t, APass):
            n = h.n if h is not None else p.max_nodes
            total += issue_cycles(p, t.schedule, n) + p.latency + n
    return total
