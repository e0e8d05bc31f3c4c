"""Stimulus for ``sddmm``: each head is a K load, then its Q rows and mask rows driven
concurrently (each stream in row order). Every sequence draws from the bench's seeded
generator."""

from __future__ import annotations

from models.attn_mask import deit_rows
from models.fixed import smax, smin
from models.sddmm import SddmmHead, SddmmParams, head_txns, random_head
from scoreboards.sddmm import M_PREFIX, Q_PREFIX
from tb.common import attention
from tb.common.attention import (
    DENSITIES,
    N_BACK_TO_BACK,
    N_CYCLE_QUERIES,
    N_DEIT_QUERIES,
    N_RANDOM_HEADS,
    N_RESET_HEADS,
    RANDOM_KEYS_MAX,
    RANDOM_QUERIES_MAX,
    RESET_KEYS,
    RESET_QUERIES,
    HeadTxns,
)
from tb.common.uvm import cycle_scale


def split(p: SddmmParams, h: SddmmHead) -> HeadTxns:
    """A head as the K load, then its Q rows and mask rows (driven concurrently)."""
    kload, qs, ms = head_txns(p, h)
    return HeadTxns([kload], {Q_PREFIX: qs, M_PREFIX: ms})


class HeadSequence(attention.HeadSequence):
    """Sends what :meth:`heads` yields: per head the K load, then Q and mask rows forked
    (tb/common/attention.py; a reset during a head sends it again from its K load)."""

    split = staticmethod(split)


def _n_keys(p: SddmmParams, rng) -> int:
    return int(rng.integers(1, min(p.max_keys, RANDOM_KEYS_MAX) + 1))


class RandomHeadsSeq(HeadSequence):
    """Random heads: uniform Q/K, random key count (up to RANDOM_KEYS_MAX) and mask density,
    random requantisation; the first head has the most keys and a row with every key kept, the
    second is ViTCoD-sparse (a few kept keys per row, one row with exactly one)."""

    def heads(self, p: SddmmParams, rng):
        for i in range(N_RANDOM_HEADS):
            n_k = min(p.max_keys, RANDOM_KEYS_MAX) if i == 0 else _n_keys(p, rng)
            n_q = int(rng.integers(1, RANDOM_QUERIES_MAX + 1))
            density = DENSITIES[0] if i == 1 else float(rng.choice(DENSITIES))
            h = random_head(p, rng, n_q, n_k, density=density)
            if i == 0:
                h.mask[0, :] = True
            if i == 1:  # a row with one kept key, whatever the knobs
                h.mask[0, :] = False
                h.mask[0, int(rng.integers(n_k))] = True
            yield h


class ExtremesSeq(HeadSequence):
    """Operands at -2**(w-1) and 2**(w-1)-1 only, with no requantisation shift (saturation at
    both ends of the score) and with a random one; then the largest scale and shift, and every
    shift bit on its own."""

    def heads(self, p: SddmmParams, rng):
        lo, hi = smin(p.data_width), smax(p.data_width)
        n_k = min(p.max_keys, 8)
        for fill_q, fill_k in ((lo, lo), (hi, lo), (hi, hi)):
            h = random_head(p, rng, 2, n_k, density=1.0)
            h.q[:] = fill_q
            h.k[:] = fill_k
            h.scale, h.shift = 1, 0
            yield h
        # requantiser corners: the largest scale and shift (everything rounds to 0), then a
        # random head with random ones
        h = random_head(p, rng, 2, n_k, density=1.0)
        h.scale, h.shift = (1 << p.scale_width) - 1, p.max_shift
        yield h
        yield random_head(p, rng, 3, n_k, density=0.5, extremes=True)
        # every shift bit rises and falls: shifts 1, 2, 4, ... then 0
        for k in range(p.shift_width + 1):
            h = random_head(p, rng, 1, n_k, density=1.0, extremes=True)
            h.scale, h.shift = 1, (1 << k if k < p.shift_width else 0)
            if h.shift <= p.max_shift:
                for _ in range(p.kv_banks):  # into every load bank's requantisation word
                    yield h


class MaskShapesSeq(HeadSequence):
    """Row shapes: every key kept, one kept (first and last key), none kept -- alone, in runs
    and alternating."""

    def heads(self, p: SddmmParams, rng):
        n_k = p.max_keys
        h = random_head(p, rng, 8, n_k, density=0.0)
        h.mask[0, :] = True
        h.mask[1, 0] = True
        h.mask[2, n_k - 1] = True
        h.mask[5, :] = True
        h.mask[6, int(rng.integers(n_k))] = True
        yield h
        yield random_head(p, rng, 3, n_k, density=0.0)  # a head of all-masked rows


class BackToBackSeq(HeadSequence):
    """Small heads one after the other: the K reload follows a head's last row at once."""

    def heads(self, p: SddmmParams, rng):
        for _ in range(N_BACK_TO_BACK):
            yield random_head(p, rng, int(rng.integers(1, 3)), int(rng.integers(1, 4)) if
                              p.max_keys >= 3 else p.max_keys, density=0.5)


class CycleSeq(HeadSequence):
    """One head, rows of every density back to back (the cycle-model check)."""

    def heads(self, p: SddmmParams, rng):
        n_q = N_CYCLE_QUERIES * cycle_scale()
        h = random_head(p, rng, n_q, p.max_keys, density=0.2)
        h.mask[0, :] = False
        h.mask[1, :] = True
        yield h


class OverlapSeq(attention.ForkedHeadSequence):
    """Back-to-back heads with every stream forked (tb/common/attention.py): long and short
    K loads alternating, so that with two banks the next head's K load fills the idle bank
    while the current head computes, is hidden behind it or outlasts it, and waits for a bank
    when both hold a head."""

    split = staticmethod(split)

    def heads(self, p: SddmmParams, rng):
        for n_q, n_k, density in attention.overlap_shapes(p, rng):
            yield random_head(p, rng, n_q, n_k, density=density)


class ResetSeq(HeadSequence):
    """Small heads (up to RESET_KEYS keys, RESET_QUERIES rows at half density): a reset
    lands in a head's rows, and the head is sent again from its K load."""

    def heads(self, p: SddmmParams, rng):
        for _ in range(N_RESET_HEADS):
            yield random_head(p, rng, RESET_QUERIES, min(p.max_keys, RESET_KEYS), density=0.5)


def deit_head(p: SddmmParams, rng, n_q: int) -> SddmmHead:
    """Rows of a real DeiT-Tiny attention mask (models.attn_mask.deit_rows) with random Q/K."""
    mask = deit_rows(rng, n_q, p.max_keys)
    return random_head(p, rng, n_q, mask.shape[1], mask=mask)


class DeitMaskSeq(HeadSequence):
    """Rows of the real DeiT-Tiny masks (about 95 % pruned, a few global columns)."""

    def heads(self, p: SddmmParams, rng):
        yield deit_head(p, rng, N_DEIT_QUERIES)
