"""Cycle model of ``sparse_attn``: a clock-by-clock twin of the handshakes of its three engines
and its glue (rtl/sparse_attn.py), with no data -- only valid/ready, the registers that hold a
beat and the counters that gate them. It gives the exact cycle count of a run with no stalls
(every source presents its next beat at once, the sink is always ready), which the CycleTest
and DeitLayerTest assert with tolerance 0.

Why a twin and not a formula: the engines are pipelined across rows and heads -- the SDDMM
starts head h + 1 while the softmax and the SpMM still hold head h, and the SpMM cannot take
V of head h + 1 before its last row of head h, which stalls the softmax's emit pipeline (it
moves in lockstep), which fills the ring, which stalls the SDDMM. The per-engine formulas
(``models.sddmm.expected_cycles``, ``models.softmax.slot_times``,
``models.spmm.expected_cycles``) assume an engine fed and drained at full rate, which is not
what happens at those seams. Each engine below mirrors its RTL's handshake rules line for
line (the comments name the RTL signal); a change of an engine's timing must change both.

Edges: in cycle ``t`` every combinational signal is computed from the registers, then edge
``t`` commits every fire. The result counts from the first Q handshake to the last output
handshake, inclusive (the bench's ``busy_cycles``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from models.load_banks import LoadBanks
from models.softmax import RECIP_PIPE, SUM_PIPE


@dataclass
class Source:
    """A stream of beats presented back to back: ``beats`` is a list of flag tuples."""

    beats: list
    pos: int = 0

    @property
    def valid(self) -> bool:
        return self.pos < len(self.beats)

    @property
    def head(self):
        return self.beats[self.pos]


@dataclass
class Fifo:
    depth: int
    items: deque = field(default_factory=deque)

    @property
    def full(self) -> bool:
        return len(self.items) == self.depth

    @property
    def empty(self) -> bool:
        return not self.items


class SddmmTwin:
    """rtl/sddmm.py: K loads into the key memory's banks (models/load_banks.py: a load waits
    for a free bank, the engine runs while the bank it reads is full); a query register
    (``have_q``) with a one-entry skid (``have_qnext``) that takes the next row's Q beat while
    the current row's mask streams, but never past the head's LAST row; the mask beat fires
    into the output register when it is free or being taken; on a row's last mask beat the
    skid's query (or one arriving that cycle) becomes the current one."""

    def __init__(self, banks: int = 1):
        self.banks = LoadBanks(banks)
        self.have_q = self.qlast = False
        self.have_qnext = self.qnext_last = False
        self.out_valid, self.out_last = False, False

    def comb(self, k: Source, q: Source, m: Source, out_ready: bool, q_gate: bool):
        running = self.banks.running
        self.k_fire = k.valid and self.banks.load_ready
        q_ready = running and not self.have_qnext and not (self.have_q and self.qlast)
        self.q_fire = q.valid and q_ready and q_gate
        self.m_fire = (m.valid and running and self.have_q
                       and (not self.out_valid or out_ready))
        self.row_end = self.m_fire and m.head

    def tick(self, k: Source, q: Source, m: Source, out_taken: bool):
        self.banks.tick(self.k_fire and k.head, self.row_end and self.qlast)  # tlast; LAST row
        if self.k_fire:
            k.pos += 1
        q_last = q.head if self.q_fire else None
        if self.q_fire:
            q.pos += 1
        if self.row_end:
            if self.have_qnext:
                self.qlast, self.have_qnext = self.qnext_last, False
            elif q_last is not None:
                self.qlast = q_last
            else:
                self.have_q = False
        elif q_last is not None:
            if self.have_q:
                self.qnext_last, self.have_qnext = q_last, True
            else:
                self.qlast, self.have_q = q_last, True
        if out_taken:
            self.out_valid = False
        if self.m_fire:
            self.out_valid, self.out_last = True, m.head
            m.pos += 1


class SoftmaxTwin:
    """rtl/softmax/top.py: a ring of ``slots`` (``count``, freed when the emit pass reads a
    slot); the sum pass reads one slot per edge of a wholly loaded row (``loaded``) through a
    two-register pipeline, the row sum (``rs_v``), the reciprocal's registers (``a_v, b_v,
    c_v``; ``r_v = c_v``), then the emit pass (``ready_rows``) one slot per edge through a
    lockstep pipeline (e1, e2, e3, output register) that moves only when the output register
    is free or being taken (``adv``)."""

    def __init__(self, slots: int, max_len: int):
        assert SUM_PIPE == 2, "the twin mirrors a two-register sum pipeline"
        self.slots, self.max_len = slots, max_len
        self.count = self.wcnt = self.loaded = self.ready_rows = 0
        self.sum_q: deque[bool] = deque()  # slots not yet read by the sum pass: row-last flag
        self.emit_q: deque[bool] = deque()  # slots not yet read by the emit pass
        self.s1 = self.s2 = (False, False)  # (valid, last)
        self.rs_v = False
        self.recip = [False] * (RECIP_PIPE - 1)  # a_v, b_v, c_v
        self.e: list[bool | None] = [None, None, None]  # e1..e3: the slot's last flag
        self.out: bool | None = None  # the output register (its tlast), None: not valid

    @property
    def in_ready(self) -> bool:  # s_axis_tready = count != C
        return self.count != self.slots

    def comb(self, in_valid: bool, in_last: bool, out_ready: bool):
        self.accept = in_valid and self.in_ready
        self.last_eff = in_last or self.wcnt == self.max_len - 1
        self.row_end = self.accept and self.last_eff
        self.s_go = self.loaded != 0
        self.s_end = self.s_go and self.sum_q[0]
        self.adv = self.out is None or out_ready
        self.e_go = self.adv and self.ready_rows != 0
        self.e_end = self.e_go and self.emit_q[0]
        self.r_v = self.recip[-1]

    def tick(self):
        if self.accept:
            self.wcnt = 0 if self.last_eff else self.wcnt + 1
            self.sum_q.append(self.last_eff)
            self.emit_q.append(self.last_eff)
        s_slot = (self.s_go, self.s_end)
        if self.s_go:
            self.sum_q.popleft()
        rs_before = self.rs_v
        self.rs_v = self.s2[0] and self.s2[1]
        self.s2, self.s1 = self.s1, s_slot
        self.recip = [rs_before] + self.recip[:-1]
        go = self.emit_q.popleft() if self.e_go else None
        if self.adv:
            self.out, self.e = self.e[2], [go, self.e[0], self.e[1]]
        self.count += int(self.accept) - int(self.e_go)
        self.loaded += int(self.row_end) - int(self.s_end)
        self.ready_rows += int(self.r_v) - int(self.e_end)


class SpmmTwin:
    """rtl/spmm.py: V loads into the value memory's banks (models/load_banks.py); a P beat
    fires when the output register is free or being taken; the head ends on the last beat of
    a LAST_ROW row."""

    def __init__(self, banks: int = 1):
        self.banks = LoadBanks(banks)
        self.out_valid = False

    def comb(self, v: Source, p_valid: bool, out_ready: bool):
        self.v_fire = v.valid and self.banks.load_ready
        self.p_ready = self.banks.running and (not self.out_valid or out_ready)
        self.p_fire = p_valid and self.p_ready

    def tick(self, v: Source, p_beat, out_taken: bool):
        tlast, last_row = p_beat if self.p_fire else (False, False)  # p_beat: (tlast, LAST_ROW)
        self.banks.tick(self.v_fire and v.head, self.p_fire and tlast and last_row)
        if self.v_fire:
            v.pos += 1
        if out_taken:
            self.out_valid = False
        if self.p_fire:
            if tlast:
                self.out_valid = True


def head_beats(n_k: int, rows: list[int], last_head: bool = True):
    """The flags of one head's beats: K/V (tlast per beat), Q (LAST per row), mask (tlast)."""
    kv = [j == n_k - 1 for j in range(n_k)]
    q = [i == len(rows) - 1 for i in range(len(rows))]
    m = [b == max(n, 1) - 1 for n in rows for b in range(max(n, 1))]
    return kv, q, m


#: cycles without a single fire after which the twin reports a deadlock (the longest legal
#: wait is a V reload behind a full head: max_keys <= 256 cycles, far below this)
STALL_LIMIT = 10_000


def simulate(heads: list[tuple[int, list[int]]], *, ring_slots: int, max_len: int,
             col_fifo: int, row_flags: int, kv_banks: int = 1) -> dict:
    """Run the twin on ``heads`` = [(n_k, [kept per row])] with ``kv_banks`` banks in the K
    and V memories; returns the first Q handshake cycle, every output handshake cycle and
    ``busy`` (first Q to last output, inclusive)."""
    kb, vb, qb, mb = [], [], [], []
    for n_k, rows in heads:
        kv, q, m = head_beats(n_k, rows)
        kb += kv
        vb += kv
        qb += q
        mb += m
    k, v, q, m = Source(kb), Source(vb), Source(qb), Source(mb)
    sd, sm, mm = SddmmTwin(kv_banks), SoftmaxTwin(ring_slots, max_len), SpmmTwin(kv_banks)
    rf, cf = Fifo(row_flags), Fifo(col_fifo)
    first_q, outs = None, []
    n_out = len(qb)
    t = quiet = 0
    while len(outs) < n_out:
        out_taken = mm.out_valid  # the sink is always ready
        # combinational, back to front (each ready depends on registers and the next stage)
        mm.comb(v, sm.out is not None and not cf.empty, True)
        sm_ready = mm.p_ready and not cf.empty  # join: sm_out_tready
        sm_taken = sm.out is not None and sm_ready
        sm.comb(sd.out_valid and not cf.full, sd.out_last, sm_ready)
        sc_ready = sm.in_ready and not cf.full  # split: sc_tready
        sc_taken = sd.out_valid and sc_ready
        sd.comb(k, q, m, sc_ready, not rf.full)
        fired = (out_taken or sm_taken or sc_taken or sd.k_fire or sd.q_fire or sd.m_fire
                 or mm.v_fire)
        # edge t
        if sd.q_fire and first_q is None:
            first_q = t
        if out_taken:
            outs.append(t)
        p_beat = None
        if sm_taken:
            p_beat = (sm.out, cf.items.popleft())
        if sc_taken:
            cf.items.append(rf.items[0])  # the row's LAST flag, from the row-flag FIFO
            if sd.out_last:
                rf.items.popleft()
        if sd.q_fire:
            rf.items.append(q.head)
        mm.tick(v, p_beat, out_taken)
        sm.tick()
        sd.tick(k, q, m, sc_taken)
        t += 1
        quiet = 0 if fired else quiet + 1
        if quiet > STALL_LIMIT:
            raise RuntimeError(f"sparse_attn cycle twin: deadlock at cycle {t} "
                               f"({len(outs)} of {n_out} outputs)")
    return {"first_q": first_q, "outs": outs, "busy": outs[-1] - first_q + 1}


def _engine_heads(heads: list[tuple[int, list[int]]]):
    kb, qb, mb = [], [], []
    for n_k, rows in heads:
        kv, q, m = head_beats(n_k, rows)
        kb += kv
        qb += q
        mb += m
    return kb, qb, mb


def simulate_sddmm(heads: list[tuple[int, list[int]]], kv_banks: int = 1) -> int:
    """The ``sddmm`` engine alone (SddmmTwin, its K memory with ``kv_banks`` banks) on
    ``heads`` = [(n_k, [kept per row])], every stream presenting its next beat at once and
    the sink always ready: cycles from the first Q handshake to the last score handshake,
    inclusive."""
    kb, qb, mb = _engine_heads(heads)
    k, q, m = Source(kb), Source(qb), Source(mb)
    sd = SddmmTwin(kv_banks)
    first_q, last_out, n_out = None, None, len(mb)
    t = quiet = outs = 0
    while outs < n_out:
        out_taken = sd.out_valid
        sd.comb(k, q, m, True, True)
        if sd.q_fire and first_q is None:
            first_q = t
        if out_taken:
            outs, last_out = outs + 1, t
        fired = out_taken or sd.k_fire or sd.q_fire or sd.m_fire
        sd.tick(k, q, m, out_taken)
        t += 1
        quiet = 0 if fired else quiet + 1
        if quiet > STALL_LIMIT:
            raise RuntimeError(f"sddmm cycle twin: deadlock at cycle {t}")
    return last_out - first_q + 1


def simulate_spmm(heads: list[tuple[int, list[int]]], kv_banks: int = 1) -> int:
    """The ``spmm`` engine alone (SpmmTwin, its V memory with ``kv_banks`` banks) on
    ``heads`` = [(n_k, [kept per row])], every stream presenting its next beat at once and
    the sink always ready: cycles from the first P handshake to the last output handshake,
    inclusive."""
    vb, pb = [], []
    for n_k, rows in heads:
        vb += [j == n_k - 1 for j in range(n_k)]
        pb += [(b == max(n, 1) - 1, i == len(rows) - 1)
               for i, n in enumerate(rows) for b in range(max(n, 1))]
    v, pp = Source(vb), Source(pb)
    mm = SpmmTwin(kv_banks)
    first_p, last_out, n_out = None, None, sum(len(rows) for _, rows in heads)
    t = quiet = outs = 0
    while outs < n_out:
        out_taken = mm.out_valid
        mm.comb(v, pp.valid, True)
        beat = pp.head if mm.p_fire else None
        if mm.p_fire and first_p is None:
            first_p = t
        if out_taken:
            outs, last_out = outs + 1, t
        fired = out_taken or mm.v_fire or mm.p_fire
        mm.tick(v, beat, out_taken)
        if beat is not None:
            pp.pos += 1
        t += 1
        quiet = 0 if fired else quiet + 1
        if quiet > STALL_LIMIT:
            raise RuntimeError(f"spmm cycle twin: deadlock at cycle {t}")
    return last_out - first_p + 1
