"""``gcn_agg``'s Â stream: one beat per cycle of a PCOO schedule, one tuple per lane.

Beat (``s_axis_a``), lane 0 in the least significant ``tuple_width`` bits of ``tdata``::

    tuple = valid | row << 1 | col << (1 + iw) | val << (1 + 2 iw)      (iw = index_width)

``valid = 0`` is a pad (row, col and val fields 0). ``tlast`` on the last beat of the pass
only; ``tuser`` 0 (reserved). GCoD's two engines take the same format, each for its own part
(gcod.py). Decoding refuses, naming the beat (= cycle), lane and entry: a row or column out of
range of the graph, a pad with a payload, a hazard (the lane's row again within L beats, which
the schedule promised not to contain), a missing tlast, beats after tlast, reserved tuser bits.
"""

from __future__ import annotations

import numpy as np

from models.gcn.params import GcnAggParams
from models.gcn.pcoo import PAD, Schedule, check_schedule

Beat = tuple[int, bool, int]


def encode_pcoo(p: GcnAggParams, s: Schedule, check: bool = True) -> list[Beat]:
    """The schedule as beats (module doc); refuses a schedule that does not fit ``p``.
    ``check=False`` skips the schedule rules (ranges against ``s.n``, hazards): a testbench
    sends such streams on purpose to see the block flag them; every field must still fit."""
    if s.lanes != p.lanes:
        raise ValueError(f"gcn_agg: the schedule has {s.lanes} lanes, the block {p.lanes}")
    if s.latency < p.latency:
        raise ValueError(f"gcn_agg: the schedule was built for L={s.latency} < the block's "
                         f"latency {p.latency}")
    if s.n > p.max_nodes:
        raise ValueError(f"gcn_agg: {s.n} nodes exceed max_nodes={p.max_nodes}")
    if check:
        check_schedule(s, latency=p.latency)
    if (s.row >= (1 << p.index_width)).any() or (s.col >= (1 << p.index_width)).any():
        raise ValueError(f"gcn_agg: a row or column does not fit {p.index_width} index bits")
    if (s.val >= (1 << p.adj_width)).any() or (s.val < 0).any():
        raise ValueError(f"gcn_agg: a value does not fit {p.adj_width} bits")
    iw, tw = p.index_width, p.tuple_width
    beats = []
    for t in range(s.cycles):
        word = 0
        for lane in range(s.lanes):
            r = int(s.row[lane, t])
            if r == PAD:
                continue
            tup = 1 | r << 1 | int(s.col[lane, t]) << (1 + iw) | int(s.val[lane, t]) << (1 + 2 * iw)
            word |= tup << (lane * tw)
        beats.append((word, t == s.cycles - 1, 0))
    return beats


def decode_pcoo(p: GcnAggParams, beats, n: int, check: bool = True) -> Schedule:
    """Inverse of :func:`encode_pcoo` for an ``n``-node graph; refuses malformed streams
    (module doc). ``check=False`` (a monitor's view of what the block was sent) keeps
    out-of-range and hazardous tuples instead of refusing them; the framing rules still hold."""
    beats = list(beats)
    if not beats:
        raise ValueError("gcn_agg: an Â stream has at least one beat")
    iw, tw = p.index_width, p.tuple_width
    im, vm = (1 << iw) - 1, (1 << p.adj_width) - 1
    t_len = len(beats)
    row = np.full((p.lanes, t_len), PAD, dtype=np.int64)
    col = np.zeros((p.lanes, t_len), dtype=np.int64)
    val = np.zeros((p.lanes, t_len), dtype=np.int64)
    last: list[dict[int, int]] = [{} for _ in range(p.lanes)]
    for t, b in enumerate(beats):
        if len(b) != 3:
            raise ValueError(f"gcn_agg: beat {t} must be (tdata, tlast, tuser) (got {b!r})")
        word, tl, user = int(b[0]), bool(b[1]), int(b[2])
        if user:
            raise ValueError(f"gcn_agg: beat {t} sets reserved tuser bits ({user})")
        if tl and t != t_len - 1:
            raise ValueError(f"gcn_agg: tlast on beat {t} of {t_len}: beats after tlast")
        if word >> (p.lanes * tw):
            raise ValueError(f"gcn_agg: beat {t}: tdata has bits above {p.lanes} lanes")
        for lane in range(p.lanes):
            tup = (word >> (lane * tw)) & ((1 << tw) - 1)
            r, c, v = (tup >> 1) & im, (tup >> (1 + iw)) & im, (tup >> (1 + 2 * iw)) & vm
            where = f"gcn_agg: beat {t} lane {lane}"
            if not tup & 1:
                if tup:
                    raise ValueError(f"{where}: a pad (valid 0) carries row {r}, col {c}, "
                                     f"val {v}")
                continue
            if check and r >= n:
                raise ValueError(f"{where}: entry ({r}, {c}): row out of range [0, {n})")
            if check and c >= n:
                raise ValueError(f"{where}: entry ({r}, {c}): column out of range [0, {n})")
            prev = last[lane].get(r)
            if check and prev is not None and t - prev < p.latency:
                raise ValueError(f"{where}: entry ({r}, {c}): hazard, row {r} was on this lane "
                                 f"at beat {prev}, {t - prev} < L={p.latency} beats before")
            last[lane][r] = t
            row[lane, t], col[lane, t], val[lane, t] = r, c, v
    if not beats[-1][1]:
        raise ValueError(f"gcn_agg: missing tlast: the last beat ({t_len - 1}) must carry it")
    return Schedule(n, p.lanes, p.latency, row, col, val)
