"""Stimulus for ``softmax``: every sequence draws from the bench's seeded generator."""

from __future__ import annotations

import numpy as np

from models.attn_mask import load_levit_probs
from models.fixed import smax, smin
from models.softmax import SoftmaxParams, SoftmaxRow, from_probs, random_row
from tb.common.uvm import TxnSequence, cycle_scale

N_RANDOM_ROWS = 20  # enough rows to cross every front/back overlap under random stalls
EMPTY_SHARE = 0.1  # random rows that are all masked
N_BACK_TO_BACK = 24  # short rows in a row: the back is busy when the front finishes
BACK_TO_BACK_LEN_MAX = 3
N_CYCLE_ROWS = 24  # per cycle_scale(): rows of every length, back to back
#: the streaming mix, repeated: short rows right after long ones (a fixed-bank unit runs such
#: a mix at the pace of its longer rows), an empty row among them
STREAM_PATTERN = (1, "max", 1, 2, 0, "max")
N_STREAM_ROWS = 36  # per cycle_scale(): six times the pattern
#: then one long row and this many more one-score rows than max_len: they load while the long
#: row is summed and wait for the sum pass (up to max_len rows loaded ahead of it)
STREAM_SHORT_RUN_EXTRA = 4
#: rows of the ring-full test, in ring capacities: one-score and empty rows, many more than fit
RING_FULL_ROWS_PER_SLOT = 3
#: metadata entries the shift sweep walks: all of them up to this many (typical has 39); the
#: max ring's 401 would take 10 x 401 rows, 160 k beats, more than the fast harness holds
SHIFT_SWEEP_MAX_ENTRIES = 64
#: scores per cycle the streaming mix must reach (the model gives 0.63 on min, 0.81-0.85 on
#: the others, the fill included; the two-bank unit it replaced reached 0.22-0.33)
STREAM_MIN_UTILISATION = 0.6
N_LEVIT_ROWS = 32  # real rows per test (of 768 / 1568 in the files)
#: LeViT map per row length: the 16-key maps (dpt2) fit the typical unit, the 49-key maps
#: (dpt1) the max one; a unit shorter than the map keeps each row's largest max_len entries
LEVIT_DEPTH_FOR_LEN = ((49, 1), (16, 2))


def empty() -> SoftmaxRow:
    return SoftmaxRow(np.zeros(0, dtype=np.int64))


class RandomRowsSeq(TxnSequence):
    """Random rows of random length (0 .. max_len, some all-masked) and random spread; the
    first three are the length edges (one score, max_len scores, empty)."""

    def txns(self, p: SoftmaxParams, rng):
        for i in range(N_RANDOM_ROWS):
            if i == 2 or (i > 2 and rng.random() < EMPTY_SHARE):
                yield empty()
                continue
            n = (1, p.max_len)[i] if i < 2 else int(rng.integers(1, p.max_len + 1))
            yield random_row(p, rng, n)


class ExtremesSeq(TxnSequence):
    """Scores at the ends of the range: the largest spread (everything but the max
    underflows to 0), rows pinned at the top and at the bottom, random extremes."""

    def txns(self, p: SoftmaxParams, rng):
        lo, hi = smin(p.in_width), smax(p.in_width)
        n = p.max_len
        spread = np.full(n, lo, dtype=np.int64)
        spread[int(rng.integers(n))] = hi
        yield SoftmaxRow(spread)
        yield SoftmaxRow(np.full(n, hi, dtype=np.int64))
        yield SoftmaxRow(np.full(n, lo, dtype=np.int64))
        for _ in range(4):
            k = int(rng.integers(1, n + 1))
            yield SoftmaxRow(rng.choice([lo, hi], size=k).astype(np.int64))


class TiesSeq(TxnSequence):
    """Equal scores (every probability equal), tied maxima and one score per row."""

    def txns(self, p: SoftmaxParams, rng):
        lo, hi = smin(p.in_width), smax(p.in_width)
        for n in sorted({min(k, p.max_len) for k in (1, 2, max(p.max_len // 2, 1), p.max_len)}):
            yield SoftmaxRow(np.full(n, int(rng.integers(lo, hi + 1)), dtype=np.int64))
        for _ in range(4):
            r = random_row(p, rng, p.max_len, spread_bits=2.0)
            if r.n >= 2:
                r.x[rng.choice(r.n, size=2, replace=False)] = r.x.max()
            yield r


class MaskedRowsSeq(TxnSequence):
    """Directed row shapes: all kept (max_len), one kept, all masked -- alone, in runs and
    alternating, so that an empty row meets a full one in either bank."""

    def txns(self, p: SoftmaxParams, rng):
        full = lambda: random_row(p, rng, p.max_len)  # noqa: E731
        one = lambda: random_row(p, rng, 1)  # noqa: E731
        for make in (full, one, empty, empty, empty, full, empty, one, empty, full, full, one):
            yield make()


class BackToBackSeq(TxnSequence):
    """Many short rows with no gap: the back is still emitting when the front finishes."""

    def txns(self, p: SoftmaxParams, rng):
        for _ in range(N_BACK_TO_BACK):
            n = int(rng.integers(0, min(BACK_TO_BACK_LEN_MAX, p.max_len) + 1))
            yield random_row(p, rng, n) if n else empty()


class CycleSeq(TxnSequence):
    """Rows of every length 0 .. max_len back to back (the cycle-model check)."""

    def txns(self, p: SoftmaxParams, rng):
        for _ in range(N_CYCLE_ROWS * cycle_scale()):
            n = int(rng.integers(0, p.max_len + 1))
            yield random_row(p, rng, n) if n else empty()


class StreamingMixSeq(TxnSequence):
    """Alternating short and long rows back to back (1, max_len, 1, 2, empty, max_len, ...),
    then a long row followed by a run of one-score rows: the unit must take one score per
    cycle whatever the mix (the cycle-model check)."""

    def txns(self, p: SoftmaxParams, rng):
        for i in range(N_STREAM_ROWS * cycle_scale()):
            n = STREAM_PATTERN[i % len(STREAM_PATTERN)]
            n = p.max_len if n == "max" else min(n, p.max_len)
            yield random_row(p, rng, n) if n else empty()
        yield random_row(p, rng, p.max_len)
        for _ in range(p.max_len + STREAM_SHORT_RUN_EXTRA):
            yield random_row(p, rng, 1)


class RingFullSeq(TxnSequence):
    """One-score and empty rows, alternating, three ring capacities of them into a sink that
    stops: the ring fills (one slot per row), the input waits, every slot holds both kinds."""

    def txns(self, p: SoftmaxParams, rng):
        for i in range(RING_FULL_ROWS_PER_SLOT * p.ring_slots):
            yield random_row(p, rng, 1) if i % 2 else empty()


def shift_lengths(p: SoftmaxParams) -> list[int]:
    """Row lengths whose tied rows give every output shift: n equal scores sum to exactly
    n 2**E, so shx = floor(log2 n): 1, 2, 4, ... and max_len."""
    return sorted({1 << k for k in range(p.max_len.bit_length()) if 1 << k <= p.max_len}
                  | {p.max_len})


class ShiftSweepSeq(TxnSequence):
    """Tied rows walking every output shift (lengths 1, 2, 4, ..., max_len), one round more
    than the ring has metadata entries (at most SHIFT_SWEEP_MAX_ENTRIES): row r lands in
    entry r mod ring_slots, so every entry holds every shift in turn and moves from each to
    the next (when the two counts are coprime: 5 and 39 on typical)."""

    def txns(self, p: SoftmaxParams, rng):
        lens = shift_lengths(p)
        for i in range((len(lens) + 1) * min(p.ring_slots, SHIFT_SWEEP_MAX_ENTRIES)):
            n = lens[i % len(lens)]
            yield SoftmaxRow(np.full(n, int(rng.integers(smin(p.in_width), smax(p.in_width) + 1)),
                                     dtype=np.int64))


def levit_rows(p: SoftmaxParams, rng, count: int):
    """Real LeViT-128 attention rows as score rows (logits = log p): the map whose rows fit
    ``max_len`` best, each row cropped to its largest ``max_len`` probabilities."""
    depth = next((d for n, d in LEVIT_DEPTH_FOR_LEN if n <= p.max_len), 2)
    probs = load_levit_probs(depth).astype(np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    for i in rng.choice(rows.shape[0], size=min(count, rows.shape[0]), replace=False):
        r = rows[int(i)]
        keep = np.sort(np.argsort(r)[::-1][:p.max_len])
        keep = keep[r[keep] > 0]
        yield from_probs(p, r[keep]) if keep.size else empty()


class LevitRowsSeq(TxnSequence):
    """Real attention rows (data/vitcod_levit_softmax): softmax probability maps of a trained
    LeViT-128, fed as log-probabilities."""

    def txns(self, p: SoftmaxParams, rng):
        yield from levit_rows(p, rng, N_LEVIT_ROWS)
