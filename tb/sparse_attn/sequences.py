"""Stimulus for ``sparse_attn``: each head is a K load and a V load, then its Q rows and mask
rows driven concurrently (each stream in row order). Every sequence draws from the bench's
seeded generator."""

from __future__ import annotations

import os

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
from tb.common import attention
from tb.common.uvm import VirtualSeq, cycle_scale

RANDOM_KEYS_MAX = 64  # keys of a random head: the stall matrix runs it 8 times; full-size
#: heads are in MaskShapes, DeitHead and the cycle test
N_RANDOM_HEADS = 3  # heads per random test: K and V reloads between heads, under stalls
RANDOM_QUERIES_MAX = 6
DENSITIES = (0.05, 0.3, 1.0)  # ViTCoD-sparse, medium, dense
N_BACK_TO_BACK = 8
ROW_MIX_EXTRA = 8  # one-key rows beyond max_keys behind RowMixSeq's full row
ROW_MIX_FLAT_ROWS = 3  # RowMixSeq's full rows of nearly equal scores
#: RingFullSeq's rows, in ring capacities: the sink's first stop (after 600 cycles) must find
#: rows still coming, a ring's worth of them after the K load
RING_FULL_ROUNDS = 2
N_CYCLE_QUERIES = 24  # per cycle_scale(): real DeiT rows of every length, back to back
N_DEIT_QUERIES = 8  # real-mask rows per random-row test (of 197)
DEIT_HEAD = (5, 1)  # (layer, head) of the whole real head in DeitHeadTest: 197 x 197
DEIT_LAYER = 1  # the real layer of DeitLayerTest (its heads keep 589, 1339, 785 of 197**2)
HEADS_ENV = "ZS_ATTN_HEADS"  # DeitLayerTest's heads: "layer:head,..." (default DEIT_LAYER's)
DENSE_ENV = "ZS_ATTN_DENSE"  # "1": the same heads with every key kept (the dense baseline)
MINILM_ENV = "ZS_MINILM_HEADS"  # MinilmTest's fixture heads: "all" or "0,3,..." (default 0)
MINILM_MASK_ENV = "ZS_MINILM_MASK"  # "sparse" (default), "dense" or "both"
MINILM_MASKS = {"sparse": (True,), "dense": (False,), "both": (True, False)}


class HeadSequence(VirtualSeq):
    """Sends what :meth:`heads` yields on the four streams at once, each stream in head
    order: the block itself decides when it takes the next head's K and V (into a free bank:
    with one bank after the SDDMM's / the SpMM's last row of the head before, with two while
    that head computes), as in fast mode, where every stream
    replays on its own -- so both modes see the same timing and the same cycle count."""

    def heads(self, p: SparseAttnParams, rng):
        raise NotImplementedError(f"{type(self).__name__} must define heads(p, rng)")

    async def body(self):
        b = self.bench
        per = {K_PREFIX: [], V_PREFIX: [], Q_PREFIX: [], M_PREFIX: []}
        for h in self.heads(b.p, b.rng):
            k, v, qs, ms = head_txns(b.p, h)
            per[K_PREFIX].append(k)
            per[V_PREFIX].append(v)
            per[Q_PREFIX] += qs
            per[M_PREFIX] += ms
        await self.fork(per)


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
        # every shift bit of both requantisers rises and falls, with odd and even scales:
        # shifts 1, 2, 4, ... then 0
        for b in range(max(p.sddmm.shift_width, p.spmm.shift_width) + 1):
            h = random_head(p, rng, 1, n_k, density=1.0, extremes=True)
            h.s_scale, h.o_scale = (int(x) for x in rng.integers(0, 1 << p.scale_width, 2))
            h.s_shift = min(1 << b, p.sddmm.max_shift) if b < p.sddmm.shift_width else 0
            h.o_shift = min(1 << b, p.spmm.max_shift) if b < p.spmm.shift_width else 0
            for _ in range(p.kv_banks):  # into every K/V bank's requantisation word
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


def tied_head(p: SparseAttnParams, rng, lens: list[int]) -> AttnHead:
    """A head of ``max_keys`` identical keys (every kept score of a row equal) whose rows keep
    ``lens`` keys each (the first ones, so a full row keeps all)."""
    mask = np.zeros((len(lens), p.max_keys), dtype=bool)
    for i, n in enumerate(lens):
        mask[i, :n] = True
    h = random_head(p, rng, len(lens), p.max_keys, mask=mask)
    h.k[:] = h.k[0]
    return h


class RowMixSeq(HeadSequence):
    """The softmax's row mix inside the head: a full row, then a run of one-key rows longer
    than a row (they queue behind its sum pass: the row-loaded counter and the ring near their
    bounds), then tied rows of 1, 2, 4, ... max_keys keys (every output shift; a full tied row
    is the largest possible row sum)."""

    def heads(self, p: SparseAttnParams, rng):
        lens = [p.max_keys] + [1] * (p.max_keys + ROW_MIX_EXTRA)
        lens += sorted({1 << b for b in range(p.max_keys.bit_length())
                        if 1 << b <= p.max_keys} | {p.max_keys})
        yield tied_head(p, rng, lens)
        # full rows of nearly equal scores (half a log2 unit apart at most): the row sum
        # near its largest with every low bit in play
        mask = np.ones((ROW_MIX_FLAT_ROWS, p.max_keys), dtype=bool)
        yield random_head(p, rng, ROW_MIX_FLAT_ROWS, p.max_keys, mask=mask,
                          spread_bits=max(p.frac_bits - 1, 0))


class RingFullSeq(HeadSequence):
    """RING_FULL_ROUNDS ring capacities of one-key rows, one per cycle, into a sink that stops
    for longer than the ring takes to fill (RingFullTest's knobs): one output per row, so the
    SpMM's output waits, the softmax's emit pipeline holds, its ring fills with rows that are
    all summed and inverted (every row ready to emit), the column FIFO fills, and the SDDMM
    waits with a row in its output register, a row in progress and the next Q in its skid
    (the row-flag FIFO full)."""

    def heads(self, p: SparseAttnParams, rng):
        yield tied_head(p, rng, [1] * (RING_FULL_ROUNDS * p.softmax.ring_slots))


class BackToBackSeq(HeadSequence):
    """Small heads one after the other: the K and V loads of the next head follow (one bank)
    or overlap (two banks) the head before."""

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
    """Real DeiT rows of every length back to back, plus an empty and a full row, then a head
    of max_keys keys with a row keeping all of them (the cycle-model check)."""

    def heads(self, p: SparseAttnParams, rng):
        n_q = N_CYCLE_QUERIES * cycle_scale()
        mask = deit_rows(rng, n_q, p.max_keys)
        mask[0, :] = False
        mask[1, :] = True
        yield random_head(p, rng, n_q, mask.shape[1], mask=mask)
        mask = np.zeros((3, p.max_keys), dtype=bool)
        mask[1, :] = True
        mask[2, int(rng.integers(p.max_keys))] = True
        yield random_head(p, rng, 3, p.max_keys, mask=mask)


def bench_heads() -> tuple[list[tuple[int, int]], bool]:
    """The (layer, head) list and the dense flag of DeitLayerTest (HEADS_ENV, DENSE_ENV)."""
    spec = os.environ.get(HEADS_ENV, "")
    heads = [(DEIT_LAYER, h) for h in range(3)]
    if spec:
        try:
            heads = [tuple(int(x) for x in item.split(":")) for item in spec.split(",")]
        except ValueError:
            raise ValueError(f"{HEADS_ENV} must be 'layer:head,...' (got {spec!r})") from None
    shape = load_deit_masks().shape
    for layer, head in heads:
        if not (0 <= layer < shape[0] and 0 <= head < shape[1]):
            raise ValueError(f"{HEADS_ENV}: no DeiT-Tiny head {layer}:{head} (layers 0.."
                             f"{shape[0] - 1}, heads 0..{shape[1] - 1})")
    return heads, os.environ.get(DENSE_ENV, "") == "1"


class DeitLayerSeq(HeadSequence):
    """Whole real DeiT-Tiny heads back to back (default: the three heads of DEIT_LAYER, i.e.
    one layer, 3 x 197 queries), random Q/K/V; with DENSE_ENV=1 every key is kept (the dense
    attention baseline on the same engines). The benchmark (tools/attn_bench.py) sets both."""

    def heads(self, p: SparseAttnParams, rng):
        masks = load_deit_masks()
        heads, dense = bench_heads()
        for layer, head in heads:
            mask = masks[layer, head][:, :p.max_keys]
            if dense:
                mask = np.ones_like(mask)
            yield random_head(p, rng, mask.shape[0], mask.shape[1], mask=mask)


def minilm_choice(n_heads: int) -> tuple[list[int], tuple[bool, ...]]:
    """MinilmTest's fixture heads and masks (MINILM_ENV, MINILM_MASK_ENV)."""
    spec = os.environ.get(MINILM_ENV, "0")
    try:
        idx = list(range(n_heads)) if spec == "all" else [int(x) for x in spec.split(",")]
    except ValueError:
        raise ValueError(f"{MINILM_ENV} must be 'all' or a list like '0,3' (got {spec!r})") \
            from None
    if any(not 0 <= i < n_heads for i in idx):
        raise ValueError(f"{MINILM_ENV}: the fixture has heads 0..{n_heads - 1} (got {spec!r})")
    kind = os.environ.get(MINILM_MASK_ENV, "sparse")
    if kind not in MINILM_MASKS:
        raise ValueError(f"{MINILM_MASK_ENV} must be one of {', '.join(MINILM_MASKS)} "
                         f"(got {kind!r})")
    return idx, MINILM_MASKS[kind]


class MinilmSeq(HeadSequence):
    """Real activations: MiniLM-L6 heads of the committed fixture (data/minilm_heads: layer 3,
    the Gettysburg Address, INT8 Q/K/V with their requantisations) with their DeiT masks
    and/or every key kept (models.minilm.sparse_attn_head: exactly the fixture's arithmetic on
    configs that fit it, cropped to the config's sizes otherwise). Default: head 0, sparse
    mask; `make minilm-rtl` runs all 12 heads with both masks."""

    def heads(self, p: SparseAttnParams, rng):
        from models.minilm import load_minilm_heads, sparse_attn_head

        mh = load_minilm_heads()
        masks = load_deit_masks()
        idx, kinds = minilm_choice(mh.n_heads)
        for i in idx:
            for sparse in kinds:
                yield sparse_attn_head(p, mh, i, sparse, masks)


def _reset_split(p: SparseAttnParams, h: AttnHead) -> attention.HeadTxns:
    k, v, qs, ms = head_txns(p, h)
    return attention.HeadTxns(loads=[k, v], rows={Q_PREFIX: qs, M_PREFIX: ms})


class ResetSeq(attention.HeadSequence):
    """Small heads (up to RESET_KEYS keys, RESET_QUERIES rows at half density), each sent as
    its K and V loads and then its rows (tb/common/attention.py): a reset lands in a head's
    loads or rows, the engines forget both loads, and the head is sent again from its K load."""

    split = staticmethod(_reset_split)

    def heads(self, p: SparseAttnParams, rng):
        for _ in range(attention.N_RESET_HEADS):
            yield random_head(p, rng, attention.RESET_QUERIES,
                              min(p.max_keys, attention.RESET_KEYS), density=0.5)
