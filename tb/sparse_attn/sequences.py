"""Stimulus for ``sparse_attn``: each head is a K load and a V load, then its Q rows and mask
rows driven concurrently (each stream in row order). Every sequence draws from the bench's
seeded generator."""

from __future__ import annotations

import numpy as np

from models.attn_mask import deit_rows, load_deit_masks
from models.fixed import smax, smin
from models.sparse_attn import (
    K_PREFIX,
    M_PREFIX,
    Q_PREFIX,
    V_PREFIX,
    AttnHead,
    SparseAttnParams,
    head_txns,
    random_head,
)
from tb.common.uvm import VirtualSeq, cycle_scale

RANDOM_KEYS_MAX = 64  # keys of a random head: the stall matrix runs it 8 times; full-size
#: heads are in MaskShapes, DeitHead and the cycle test
N_RANDOM_HEADS = 3  # heads per random test: K and V reloads between heads, under stalls
RANDOM_QUERIES_MAX = 6
DENSITIES = (0.05, 0.3, 1.0)  # ViTCoD-sparse, medium, dense
N_BACK_TO_BACK = 8
N_CYCLE_QUERIES = 24  # per cycle_scale(): real DeiT rows of every length, back to back
N_DEIT_QUERIES = 8  # real-mask rows per random-row test (of 197)
DEIT_HEAD = (5, 1)  # (layer, head) of the whole real head in DeitHeadTest: 197 x 197


class HeadSequence(VirtualSeq):
    """Sends what :meth:`heads` yields: per head the K and V loads, then Q and mask rows
    forked."""

    def heads(self, p: SparseAttnParams, rng):
        raise NotImplementedError(f"{type(self).__name__} must define heads(p, rng)")

    async def body(self):
        b = self.bench
        for h in self.heads(b.p, b.rng):
            k, v, qs, ms = head_txns(b.p, h)
            await self.fork({K_PREFIX: [k], V_PREFIX: [v]})
            await self.fork({Q_PREFIX: qs, M_PREFIX: ms})


class RandomHeadsSeq(HeadSequence):
    """Random heads: uniform Q/K/V, random key count (up to RANDOM_KEYS_MAX) and mask
    density; the first head has the most keys and a row with every key kept, the second is
    ViTCoD-sparse with a one-entry row."""

    def heads(self, p: SparseAttnParams, rng):
        keys = min(p.max_keys, RANDOM_KEYS_MAX)
        for i in range(N_RANDOM_HEADS):
            n_k = keys if i == 0 else int(rng.integers(1, keys + 1))
            n_q = int(rng.integers(1, RANDOM_QUERIES_MAX + 1))
            density = DENSITIES[0] if i == 1 else float(rng.choice(DENSITIES))
            h = random_head(p, rng, n_q, n_k, density=density)
            if i == 0:
                h.mask[0, :] = True
            if i == 1:
                h.mask[0, :] = False
                h.mask[0, int(rng.integers(n_k))] = True
            yield h


class ExtremesSeq(HeadSequence):
    """Softmax at both ends and the requantisers at theirs: scores saturated at both ends
    (the largest score scale), a one-hot row (a huge spread: every other probability 0) and
    ties (identical keys: equal scores, equal probabilities); operands at their extremes; the
    largest output scale (output saturation) and the largest shifts (everything rounds to 0)."""

    def heads(self, p: SparseAttnParams, rng):
        lo, hi = smin(p.data_width), smax(p.data_width)
        n_k = min(p.max_keys, 8)
        h = random_head(p, rng, 3, n_k, density=1.0, extremes=True)
        h.s_scale, h.s_shift = (1 << p.scale_width) - 1, 0  # scores saturate both ways
        yield h
        h = random_head(p, rng, 2, n_k, density=1.0, spread_bits=p.score_width - 2)
        yield h  # the largest spread without saturation: one-hot rows
        h = random_head(p, rng, 2, n_k, density=1.0)
        h.k[:] = h.k[0]  # ties
        yield h
        for fill in (lo, hi):
            h = random_head(p, rng, 2, n_k, density=1.0)
            h.q[:], h.k[:], h.v[:] = fill, fill, fill
            yield h
        h = random_head(p, rng, 2, n_k, density=1.0, extremes=True)
        h.o_scale, h.o_shift = (1 << p.scale_width) - 1, 0  # outputs saturate
        yield h
        h = random_head(p, rng, 2, n_k, density=1.0, extremes=True)
        h.s_shift, h.o_shift = p.sddmm.max_shift, p.spmm.max_shift
        yield h


class MaskShapesSeq(HeadSequence):
    """Row shapes: every key kept, the first / last key only, none kept -- alone, in runs and
    alternating; a head of all-masked rows."""

    def heads(self, p: SparseAttnParams, rng):
        n_k = p.max_keys
        mask = np.zeros((8, n_k), dtype=bool)
        mask[0, :] = True
        mask[1, 0] = True
        mask[2, n_k - 1] = True
        mask[5, :] = True
        mask[6, int(rng.integers(n_k))] = True
        yield random_head(p, rng, 8, n_k, mask=mask)
        yield random_head(p, rng, 3, n_k, mask=np.zeros((3, n_k), dtype=bool))


class BackToBackSeq(HeadSequence):
    """Small heads one after the other: the K and V reloads follow a head's last row."""

    def heads(self, p: SparseAttnParams, rng):
        for _ in range(N_BACK_TO_BACK):
            n_k = int(rng.integers(1, min(p.max_keys, 3) + 1))
            yield random_head(p, rng, int(rng.integers(1, 3)), n_k, density=0.5)


def deit_head(p: SparseAttnParams, rng, n_q: int) -> AttnHead:
    """Rows of a real DeiT-Tiny attention mask (models.attn_mask.deit_rows) with random
    Q/K/V."""
    mask = deit_rows(rng, n_q, p.max_keys)
    return random_head(p, rng, n_q, mask.shape[1], mask=mask)


class DeitMaskSeq(HeadSequence):
    """Rows of the real DeiT-Tiny masks (about 95 % pruned, a few global columns)."""

    def heads(self, p: SparseAttnParams, rng):
        yield deit_head(p, rng, N_DEIT_QUERIES)


class DeitHeadSeq(HeadSequence):
    """One whole real DeiT-Tiny head (DEIT_HEAD: 197 queries x 197 keys, every global column
    of that head in every row that keeps it), cropped to max_keys keys if the config has
    fewer."""

    def heads(self, p: SparseAttnParams, rng):
        layer, head = DEIT_HEAD
        mask = load_deit_masks()[layer, head][:, :p.max_keys]
        yield random_head(p, rng, mask.shape[0], mask.shape[1], mask=mask)


class CycleSeq(HeadSequence):
    """One head, real DeiT rows of every length back to back, plus an empty and a full row
    (the cycle-model check)."""

    def heads(self, p: SparseAttnParams, rng):
        n_q = N_CYCLE_QUERIES * cycle_scale()
        mask = deit_rows(rng, n_q, p.max_keys)
        mask[0, :] = False
        mask[1, :] = True
        yield random_head(p, rng, n_q, mask.shape[1], mask=mask)
