"""Stimulus for ``eie``: every sequence loads a layer (models.eie.EieLoad) and sends
activation vectors (models.eie.Vector) through it. Every sequence draws from the bench's
seeded generator and sizes itself to the config.

The DUT forgets its layer on reset and waits for a load, so :class:`EieSeq` reloads the last
layer before the next vector whenever the bench has reset the DUT since that load (what
:class:`tb.common.uvm.ResetMidStreamTest` needs: its first sequence carries on after the
reset)."""

from __future__ import annotations

import numpy as np

from models.eie import (
    CODEBOOK_SIZE,
    MAX_ZRUN,
    EieLoad,
    EieParams,
    PeSlice,
    Vector,
    encode_csc,
    layer_from_index,
    local_rows,
    random_index,
    random_layer,
    random_vector,
)
from models.fixed import smax, smin
from scoreboards.eie import is_load
from tb.common.stream import in_reset
from tb.common.uvm import TxnSequence, cycle_scale

#: activation densities the random vectors draw from: none, sparse, ReLU-like, dense, all
ACT_DENSITIES = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
WEIGHT_DENSITIES = (0.05, 0.1, 0.3, 0.6)  # EIE's pruned FC layers keep 4-25 %
N_LAYERS = 3  # random layers per random sequence
N_VECTORS = 3  # vectors per random layer
N_BACK_TO_BACK = 5  # small layers one after the other
N_CYCLE_VECTORS = 4  # vectors of the cycle test (times ZS_CYCLE_SCALE)
#: zero runs the padding test puts in a column: one below, at and past a padding entry, and
#: two paddings (each where the slice has the rows)
ZERO_RUNS = (MAX_ZRUN, MAX_ZRUN + 1, 2 * MAX_ZRUN + 1, 2 * MAX_ZRUN + 2)


class EieSeq(TxnSequence):
    """Sends :meth:`txns`; before a vector, reloads the last layer if the DUT was reset since
    it was loaded (or is in reset now)."""

    async def body(self):
        b = self.bench
        self._seen = None
        layer: EieLoad | None = None
        for txn in self.txns(b.p, b.rng):
            if is_load(txn):
                layer = txn
                await self._load(txn)
                continue
            if layer is not None and (b.model.resets != self._seen or in_reset(b.dut.rst)):
                await self._load(layer)
            await self.send(txn)

    async def _load(self, t: EieLoad) -> None:
        b = self.bench
        while True:
            before = b.model.resets
            await self.send(t)
            if b.model.resets == before and not in_reset(b.dut.rst):
                self._seen = before
                return


def shape(p: EieParams, rng, rows: int | None = None, cols: int | None = None):
    return (rows or int(rng.integers(1, p.max_rows + 1)),
            cols or int(rng.integers(1, p.max_cols + 1)))


class RandomSeq(EieSeq):
    """Random layers (shapes, weight densities, codebooks, requantisation, ReLU or not), the
    first of the config's largest shape, each with vectors of random activation density."""

    def txns(self, p, rng):
        for i in range(N_LAYERS):
            rows, cols = (p.max_rows, p.max_cols) if i == 0 else shape(p, rng)
            yield random_layer(p, rng, rows, cols, float(rng.choice(WEIGHT_DENSITIES)))
            for _ in range(N_VECTORS):
                yield Vector(random_vector(p, rng, cols, float(rng.choice(ACT_DENSITIES))))


class ZeroActSeq(EieSeq):
    """All-zero activations (every PE idles, the outputs are requant(0)), then a single
    non-zero activation at the first, the last and a middle column."""

    def txns(self, p, rng):
        rows, cols = p.max_rows, p.max_cols
        yield random_layer(p, rng, rows, cols, 0.3, relu=False, requant_kind="unit")
        yield Vector(np.zeros(cols, dtype=np.int64))
        for j in sorted({0, cols - 1, cols // 2}):
            a = np.zeros(cols, dtype=np.int64)
            a[j] = int(rng.integers(1, smax(p.act_width) + 1))
            yield Vector(a)


class ImbalanceSeq(EieSeq):
    """Load imbalance: column j holds weights in PE j mod N only (every other PE has an empty
    column slice), then a layer whose columns are empty in every PE but the first."""

    def txns(self, p, rng):
        rows, cols = p.max_rows, p.max_cols
        idx = random_index(rng, rows, cols, 0.8, CODEBOOK_SIZE)
        for j in range(cols):
            keep = np.arange(rows) % p.num_pe == j % p.num_pe
            idx[~keep, j] = 0
        yield _fit(p, rng, idx)
        yield Vector(random_vector(p, rng, cols, 1.0))
        idx2 = random_index(rng, rows, cols, 0.5, CODEBOOK_SIZE)
        idx2[np.arange(rows) % p.num_pe != 0] = 0
        yield _fit(p, rng, idx2)
        yield Vector(random_vector(p, rng, cols, 0.6))


#: when a layer overflows a PE memory, thin it to this share of the memory per pass
FIT_MARGIN = 0.9


def _fit(p: EieParams, rng, idx: np.ndarray, relu: bool = False) -> EieLoad:
    """A layer from ``idx``, randomly thinned until every slice fits max_nnz."""
    idx = idx.copy()
    while True:
        nnz = max(s.nnz for s in encode_csc(idx, p.num_pe))
        if nnz <= p.max_nnz:
            return random_layer(p, rng, idx.shape[0], idx.shape[1], relu=relu, idx=idx)
        keep = rng.random(idx.shape) < FIT_MARGIN * p.max_nnz / nnz
        idx = np.where(keep, idx, 0)


class ZeroRunSeq(EieSeq):
    """Zero runs of exactly 15 and 16 (one padding entry), 31 and 32 (one and two) in every
    PE's slice of a column, where the slice has the rows; then all codebook entries used:
    every index 1..15 on one column and a vector that visits it."""

    def txns(self, p, rng):
        rows, cols = p.max_rows, p.max_cols
        lr = local_rows(rows, p.num_pe, p.num_pe - 1)
        idx = np.zeros((rows, cols), dtype=np.int64)
        for j, run in enumerate([r for r in ZERO_RUNS if r < lr][:cols]):
            for k in range(p.num_pe):
                idx[run * p.num_pe + k, j] = int(rng.integers(1, CODEBOOK_SIZE))
        yield _fit(p, rng, idx)
        yield Vector(random_vector(p, rng, cols, 1.0))
        yield from every_code(p, rng)


def every_code(p: EieParams, rng):
    """Layers whose entries use every index 1..15 (as many a layer as the memories allow),
    each with a vector of all non-zero activations."""
    rows, cols = p.max_rows, p.max_cols
    codes = list(range(1, CODEBOOK_SIZE))
    per_layer = max(1, min(len(codes), rows * cols, p.max_nnz * p.num_pe))
    for start in range(0, len(codes), per_layer):
        chunk = codes[start:start + per_layer]
        flat = np.zeros(rows * cols, dtype=np.int64)
        flat[:len(chunk)] = chunk
        idx = flat.reshape(cols, rows).T.copy()  # column-major: down each column first
        yield _fit(p, rng, idx)
        yield Vector(random_vector(p, rng, cols, 1.0))


class FifoFullSeq(EieSeq):
    """PE 0 holds a long column slice for every column and the others almost nothing, with
    every activation non-zero: PE 0's FIFO fills and the detector waits for it."""

    def txns(self, p, rng):
        rows, cols = p.max_rows, p.max_cols
        idx = np.zeros((rows, cols), dtype=np.int64)
        idx[0::p.num_pe, :] = rng.integers(1, CODEBOOK_SIZE, size=idx[0::p.num_pe].shape)
        yield _fit(p, rng, idx)
        for _ in range(2):
            yield Vector(random_vector(p, rng, cols, 1.0))


class ExtremesSeq(EieSeq):
    """Codebook and activations at both ends of their ranges with the largest scale and no
    shift (outputs saturate at both ends), the largest shift (outputs round to 0 or -1),
    ReLU on saturated negatives."""

    def txns(self, p, rng):
        rows, cols = p.max_rows, p.max_cols
        lo, hi = smin(p.code_width), smax(p.code_width)
        idx = random_index(rng, rows, cols, 0.5, 3)
        for scale, shift, relu in (((1 << p.scale_width) - 1, 0, False),
                                   ((1 << p.scale_width) - 1, 0, True), (1, p.max_shift, False)):
            t = _fit(p, rng, idx)
            t.codes, t.scale, t.shift, t.relu = np.array([lo, hi]), scale, shift, relu
            yield t
            for fill in (smin(p.act_width), smax(p.act_width)):
                yield Vector(np.full(cols, fill, dtype=np.int64))
            yield Vector(random_vector(p, rng, cols, 0.5))


class BackToBackSeq(EieSeq):
    """Small layers one after the other, one vector each: a load follows a vector's last
    output at once (an MLP's layers)."""

    def txns(self, p, rng):
        for _ in range(N_BACK_TO_BACK):
            rows, cols = shape(p, rng, int(rng.integers(1, min(p.max_rows, 12) + 1)),
                               int(rng.integers(1, min(p.max_cols, 8) + 1)))
            yield random_layer(p, rng, rows, cols, 0.4, relu=True)
            yield Vector(random_vector(p, rng, cols, 0.6))


def malformed_layers(p: EieParams, rng):
    """(layer, vector) pairs, one per fault the RTL flags: a decreasing pointer pair, an end
    pointer past the entries, a zero run past the slice, an index past the codebook, and
    bad loads (too many codebook values, a short pointer list, a row count of 0)."""
    rows, cols = p.max_rows, p.max_cols
    ones = np.ones(cols, dtype=np.int64)

    def base():
        idx = np.zeros((rows, cols), dtype=np.int64)
        idx[0, :] = 1
        return layer_from_index(p, idx, [5, -3, 2])

    t = base()  # PE 0: p[2] below p[1] (two columns), else p[1] past the entries
    s = t.slices[0]
    ptr = s.ptr.copy()
    if cols >= 2:
        ptr[1], ptr[2] = 2, 1
    else:
        ptr[1] = s.nnz + 1
    t.slices[0] = PeSlice(ptr, s.v, s.z)
    yield t, ones
    t = base()  # PE 0's last end pointer past its entries
    s = t.slices[0]
    ptr = s.ptr.copy()
    ptr[-1] = min(s.nnz + 1, (1 << p.ptr_width) - 1)
    t.slices[0] = PeSlice(ptr, s.v, s.z)
    yield t, ones
    t = base()  # PE 0's column 0: padding entries, then an entry one row past its slice
    lr = local_rows(rows, p.num_pe, 0)
    n_pad = lr // (MAX_ZRUN + 1)
    v = np.array([0] * n_pad + [1])
    z = np.array([MAX_ZRUN] * n_pad + [lr - n_pad * (MAX_ZRUN + 1)])
    t.slices[0] = PeSlice(np.array([0] + [len(v)] * cols), v, z)
    yield t, ones
    t = base()  # PE 0's first entry names index 5 of a 4-entry codebook
    s = t.slices[0]
    v = s.v.copy()
    v[0] = 5
    t.slices[0] = PeSlice(s.ptr, v, s.z)
    yield t, ones
    t = base()  # 16 codebook values
    t.codes = np.zeros(CODEBOOK_SIZE, dtype=np.int64)
    yield t, ones
    t = base()  # PE 0 sends one pointer too few
    s = t.slices[0]
    t.slices[0] = PeSlice(s.ptr[:-1], s.v, s.z)
    yield t, ones
    t = base()
    t.rows = 0
    yield t, ones


class MalformedSeq(EieSeq):
    """Every malformed-CSC fault and bad load (malformed_layers), each followed by a good
    layer: the status names the fault, the values are 0, the next layer is clean."""

    def txns(self, p, rng):
        for t, a in malformed_layers(p, rng):
            yield t
            yield Vector(a)
            good = random_layer(p, rng, *shape(p, rng), 0.3)
            yield good
            yield Vector(random_vector(p, rng, good.cols, 0.5))


class CycleSeq(EieSeq):
    """One layer of the config's largest shape, then vectors of every activation density back
    to back (the cycle-model check)."""

    def txns(self, p, rng):
        yield random_layer(p, rng, p.max_rows, p.max_cols, 0.2)
        for i in range(N_CYCLE_VECTORS * cycle_scale()):
            yield Vector(random_vector(p, rng, p.max_cols, ACT_DENSITIES[i % len(ACT_DENSITIES)]))
