"""Stimulus for ``spmm``: each head is a V load, then its P rows. Every sequence draws from
the bench's seeded generator."""

from __future__ import annotations

import numpy as np

from models.attn_mask import deit_rows
from models.fixed import smax, smin
from models.spmm import SpmmHead, SpmmParams, head_from_dense, head_txns, random_head
from scoreboards.spmm import P_PREFIX
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


def split(p: SpmmParams, h: SpmmHead) -> HeadTxns:
    """A head as the V load, then its P rows."""
    vload, rows = head_txns(p, h)
    return HeadTxns([vload], {P_PREFIX: rows})


class HeadSequence(attention.HeadSequence):
    """Sends what :meth:`heads` yields: per head the V load, then its P rows
    (tb/common/attention.py; a reset during a head sends it again from its V load)."""

    split = staticmethod(split)


class RandomHeadsSeq(HeadSequence):
    """Random heads: softmax-like and uniform P, random key counts (up to RANDOM_KEYS_MAX) and
    densities; the first head has the most keys and a row with every key kept, the second is
    ViTCoD-sparse with a one-entry row."""

    def heads(self, p: SpmmParams, rng):
        for i in range(N_RANDOM_HEADS):
            keys = min(p.max_keys, RANDOM_KEYS_MAX)
            n_k = keys if i == 0 else int(rng.integers(1, keys + 1))
            n_q = int(rng.integers(2, RANDOM_QUERIES_MAX + 1))
            density = DENSITIES[0] if i == 1 else float(rng.choice(DENSITIES))
            mask = rng.random((n_q, n_k)) < density
            if i == 0:
                mask[0, :] = True
            if i == 1:
                mask[0, :] = False
                mask[0, int(rng.integers(n_k))] = True
            yield random_head(p, rng, n_q, n_k, mask=mask, softmax=bool(i % 2 == 0))


class ExtremesSeq(HeadSequence):
    """The largest scale and shift; V at -2**(w-1) and 2**(w-1)-1 with P at its largest
    (output saturation at both ends without a shift); P all zero; random extremes; every
    shift bit on its own."""

    def heads(self, p: SpmmParams, rng):
        lo, hi = smin(p.data_width), smax(p.data_width)
        n_k = min(p.max_keys, 8)
        top = (1 << p.prob_width) - 1
        mask = np.ones((2, n_k), dtype=bool)
        h = random_head(p, rng, 2, n_k, density=1.0, softmax=False, extremes=True)
        h.scale, h.shift = (1 << p.scale_width) - 1, p.max_shift
        yield h
        for fill in (lo, hi):
            yield head_from_dense(np.full(mask.shape, top), mask, np.full((n_k, p.head_dim), fill),
                                  1, 0)
        yield head_from_dense(np.zeros(mask.shape, dtype=np.int64), mask,
                              rng.integers(lo, hi + 1, size=(n_k, p.head_dim)), 1, 0)
        yield random_head(p, rng, 3, n_k, density=0.5, softmax=False, extremes=True)
        # every shift bit rises and falls: shifts 1, 2, 4, ... then 0
        for k in range(p.shift_width + 1):
            h = random_head(p, rng, 1, n_k, density=1.0, softmax=False, extremes=True)
            h.scale, h.shift = 1, (1 << k if k < p.shift_width else 0)
            if h.shift <= p.max_shift:
                for _ in range(p.kv_banks):  # into every load bank's requantisation word
                    yield h


class MaskShapesSeq(HeadSequence):
    """Row shapes: every key kept, the first / last key only, none kept; a head of empty
    rows."""

    def heads(self, p: SpmmParams, rng):
        n_k = p.max_keys
        mask = np.zeros((6, n_k), dtype=bool)
        mask[0, :] = True
        mask[1, 0] = True
        mask[2, n_k - 1] = True
        mask[4, :] = True
        yield random_head(p, rng, 6, n_k, mask=mask)
        yield random_head(p, rng, 3, n_k, mask=np.zeros((3, n_k), dtype=bool))


class BackToBackSeq(HeadSequence):
    """Small heads one after the other: the V reload follows a head's last row at once."""

    def heads(self, p: SpmmParams, rng):
        for _ in range(N_BACK_TO_BACK):
            n_k = int(rng.integers(1, min(p.max_keys, 3) + 1))
            yield random_head(p, rng, int(rng.integers(1, 3)), n_k, density=0.5)


class CycleSeq(HeadSequence):
    """One head, rows of every density back to back (the cycle-model check)."""

    def heads(self, p: SpmmParams, rng):
        n_q = N_CYCLE_QUERIES * cycle_scale()
        mask = rng.random((n_q, p.max_keys)) < 0.2
        mask[0, :] = False
        mask[1, :] = True
        yield random_head(p, rng, n_q, p.max_keys, mask=mask)


class OverlapSeq(attention.ForkedHeadSequence):
    """Back-to-back heads with every stream forked (tb/common/attention.py): long and short
    V loads alternating, so that with two banks the next head's V load fills the idle bank
    while the current head computes, is hidden behind it or outlasts it, and waits for a bank
    when both hold a head."""

    split = staticmethod(split)

    def heads(self, p: SpmmParams, rng):
        for n_q, n_k, density in attention.overlap_shapes(p, rng):
            yield random_head(p, rng, n_q, n_k, density=density)


class ResetSeq(HeadSequence):
    """Small heads (up to RESET_KEYS keys, RESET_QUERIES rows at half density): a reset
    lands in a head's rows, and the head is sent again from its V load."""

    def heads(self, p: SpmmParams, rng):
        for _ in range(N_RESET_HEADS):
            yield random_head(p, rng, RESET_QUERIES, min(p.max_keys, RESET_KEYS), density=0.5)


def deit_head(p: SpmmParams, rng, n_q: int) -> SpmmHead:
    """Rows of a real DeiT-Tiny attention mask (models.attn_mask.deit_rows) with a quantised
    softmax of random logits on the kept entries and random V."""
    mask = deit_rows(rng, n_q, p.max_keys)
    return random_head(p, rng, n_q, mask.shape[1], mask=mask)


class DeitMaskSeq(HeadSequence):
    """Rows of the real DeiT-Tiny masks (about 95 % pruned, a few global columns)."""

    def heads(self, p: SpmmParams, rng):
        yield deit_head(p, rng, N_DEIT_QUERIES)
