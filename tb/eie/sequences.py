"""Stimulus for ``eie``: every sequence loads a layer (models.eie.EieLoad) and sends
activation vectors (models.eie.Vector) through it. Every sequence draws from the bench's
seeded generator and sizes itself to the config.

The DUT forgets its layer on reset and waits for a load, so :class:`EieSeq` reloads the last
layer before the next vector whenever the bench has reset the DUT since that load (what
:class:`tb.common.uvm.ResetMidStreamTest` needs: its first sequence carries on after the
reset)."""

from __future__ import annotations

import dataclasses
import os

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
N_VECTORS = 2  # vectors per random layer
N_MATRIX_LAYERS = 2  # layers of the stall matrix's sequence (seven cases run it)
N_BACK_TO_BACK = 5  # small layers one after the other
N_CYCLE_VECTORS = 4  # vectors of the cycle test (times ZS_CYCLE_SCALE)
#: the directed tests' layer shape, capped at the config's: 128 rows give typical's PEs 32
#: local rows (zero runs up to 31 with padding), 32 columns keep the loads short on max
DIRECTED_ROWS, DIRECTED_COLS = 128, 32
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
    """A random layer shape inside the directed cap (or the given sides)."""
    return (rows or int(rng.integers(1, directed(p)[0] + 1)),
            cols or int(rng.integers(1, directed(p)[1] + 1)))


def directed(p: EieParams) -> tuple[int, int]:
    """The directed tests' (rows, cols): DIRECTED_ROWS x DIRECTED_COLS within the config."""
    return min(p.max_rows, DIRECTED_ROWS), min(p.max_cols, DIRECTED_COLS)


class RandomSeq(EieSeq):
    """Random layers (shapes, weight densities, codebooks, requantisation, ReLU or not), the
    first of the config's largest shape (at the sparsest density), each with vectors of
    random activation density."""

    def txns(self, p, rng):
        for i in range(N_LAYERS):
            if i == 0:  # the config's largest layer, at EIE-like sparsity
                yield random_layer(p, rng, p.max_rows, p.max_cols, WEIGHT_DENSITIES[0])
                cols = p.max_cols
            else:
                rows, cols = shape(p, rng)
                yield random_layer(p, rng, rows, cols, float(rng.choice(WEIGHT_DENSITIES)))
            for _ in range(N_VECTORS):
                yield Vector(random_vector(p, rng, cols, float(rng.choice(ACT_DENSITIES))))


class MatrixSeq(EieSeq):
    """The stall matrix's stimulus: N_MATRIX_LAYERS random layers of the directed shape (a
    load and vectors on every stream each), N_VECTORS vectors each."""

    def txns(self, p, rng):
        for _ in range(N_MATRIX_LAYERS):
            rows, cols = shape(p, rng)
            yield random_layer(p, rng, rows, cols, float(rng.choice(WEIGHT_DENSITIES)))
            for _ in range(N_VECTORS):
                yield Vector(random_vector(p, rng, cols, float(rng.choice(ACT_DENSITIES))))


class ZeroActSeq(EieSeq):
    """All-zero activations (every PE idles, the outputs are requant(0)), then a single
    non-zero activation at the first, the last and a middle column."""

    def txns(self, p, rng):
        rows, cols = directed(p)
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
        rows, cols = directed(p)
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
        rows, cols = directed(p)
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
    rows, cols = directed(p)
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
        rows, cols = directed(p)
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
        rows, cols = directed(p)
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
    """(layer, vector) pairs, one per fault the RTL flags, each put into every PE: a
    decreasing pointer pair, an end pointer past the entries, a zero run past the slice, an
    index past the codebook; then bad loads: 16 codebook values, a short and a long pointer
    list, one entry more than the memory, rows 0 and past max_rows, cols past max_cols, a
    shift past max_shift, stray beats, no SHAPE beat first, a SHAPE beat past the first, no
    and two REQUANT beats; and a vector longer than max_cols through a good layer."""
    rows, cols = directed(p)
    ones = np.ones(cols, dtype=np.int64)

    def base():  # one entry per column in every PE that has a row
        idx = np.zeros((rows, cols), dtype=np.int64)
        idx[:p.num_pe, :] = 1
        return layer_from_index(p, idx, [5, -3, 2])

    def each_pe(fix):
        t = base()
        t.slices = [fix(k, s) if s.nnz else s for k, s in enumerate(t.slices)]
        return t

    def order(k, s):  # p[2] below p[1] (two columns), else p[1] past the entries
        ptr = s.ptr.copy()
        if cols >= 2:
            ptr[1], ptr[2] = 2, 1
        else:
            ptr[1] = s.nnz + 1
        return PeSlice(ptr, s.v, s.z)

    def end(k, s):  # the last end pointer past the entries
        ptr = s.ptr.copy()
        ptr[-1] = min(s.nnz + 1, (1 << p.ptr_width) - 1)
        return PeSlice(ptr, s.v, s.z)

    def zrun(k, s):  # column 0: padding entries, then an entry one row past the slice
        lr = local_rows(rows, p.num_pe, k)
        n_pad = lr // (MAX_ZRUN + 1)
        v = np.array([0] * n_pad + [1])
        z = np.array([MAX_ZRUN] * n_pad + [lr - n_pad * (MAX_ZRUN + 1)])
        return PeSlice(np.array([0] + [len(v)] * cols), v, z)

    def index(k, s):  # the first entry names index 5 of a 4-entry codebook
        v = s.v.copy()
        v[0] = 5
        return PeSlice(s.ptr, v, s.z)

    for fix in (order, end, zrun, index):
        yield each_pe(fix), ones
    t = base()
    t.codes = np.zeros(CODEBOOK_SIZE, dtype=np.int64)
    yield t, ones
    # every PE at once (one load each, short): one pointer too few; max_cols + 1 pointers,
    # past the pointer memory (a layer of max_cols columns); max_nnz + 1 entries
    t = base()
    t.slices = [PeSlice(s.ptr[:-1], s.v, s.z) for s in t.slices]
    yield t, ones
    wide = layer_from_index(p, np.ones((p.num_pe, p.max_cols), dtype=np.int64), [1])
    wide.slices = [PeSlice(np.concatenate([s.ptr, s.ptr[-1:]]), s.v, s.z) for s in wide.slices]
    yield wide, np.ones(p.max_cols, dtype=np.int64)
    t = base()
    n = p.max_nnz + 1
    t.slices = [PeSlice(np.concatenate([[0], np.full(cols, n)]), np.ones(n, np.int64),
                        np.zeros(n, np.int64)) for _ in t.slices]
    yield t, ones
    for kw in (dict(rows=0), dict(rows=min(p.max_rows + 1, (1 << p.row_width) - 1)),
               dict(shift=min(p.max_shift + 1, (1 << p.shift_width) - 1))):
        t = base()
        for key, val in kw.items():
            setattr(t, key, val)
        yield t, ones
    t = base()  # beats of no part of a layer after the slices (a kind past the entries, a
    t.stray = 2  # pointer for PE N where the PE field can name it)
    yield t, ones
    # a load that does not open with its SHAPE beat (it starts at the requantisation: the
    # previous load's shape is still in the block's registers and must not be reused), a
    # second SHAPE beat after the slices, no REQUANT beat (the previous scale and shift must
    # not be reused) and a second one (each alone in its load, so each check is seen)
    for kw in (dict(shape_first=False), dict(late_shapes=1), dict(requants=0),
               dict(requants=2)):
        yield dataclasses.replace(base(), **kw), ones
    if (1 << p.col_width) - 1 > p.max_cols:  # cols past max_cols (when its field can say it)
        t = base()
        t.cols = p.max_cols + 1
        t.slices = [PeSlice(np.concatenate([s.ptr, s.ptr[-1:]]), s.v, s.z) for s in t.slices]
        yield t, np.ones(t.cols, dtype=np.int64)
    t = random_layer(p, rng, rows, cols, 0.3)
    yield t, random_vector(p, rng, cols + 2 * p.lanes + 1, 1.0)


def full_memory(p: EieParams, rng):
    """A layer whose every PE holds exactly max_nnz entries (its last pointer is max_nnz),
    and a vector that visits every column."""
    rows = directed(p)[0]
    lr = min(local_rows(rows, p.num_pe, k) for k in range(p.num_pe))
    cols = min(p.max_cols, -(-p.max_nnz // lr))  # enough columns to fill the memories
    idx = np.zeros((rows, cols), dtype=np.int64)
    cells = [(r, c) for c in range(cols) for r in range(lr)][:p.max_nnz]
    for k in range(p.num_pe):
        for r, c in cells:
            idx[r * p.num_pe + k, c] = int(rng.integers(1, CODEBOOK_SIZE))
    t = random_layer(p, rng, rows, cols, relu=False, idx=idx)
    return t, random_vector(p, rng, cols, 1.0)


#: a good layer after every this many malformed ones (the next layer is clean again)
GOOD_EVERY = 4


class MalformedSeq(EieSeq):
    """Every malformed-CSC fault and bad load (malformed_layers), a good layer after every
    GOOD_EVERY of them (the status names the fault, the values are 0, the next good layer is
    clean), then every PE memory filled to the last entry (full_memory) and a good layer."""

    def txns(self, p, rng):
        for i, (t, a) in enumerate(malformed_layers(p, rng)):
            yield t
            yield Vector(a)
            if i % GOOD_EVERY == 0:
                good = random_layer(p, rng, *shape(p, rng), 0.3)
                yield good
                yield Vector(random_vector(p, rng, good.cols, 0.5))
        t, a = full_memory(p, rng)
        yield t
        yield Vector(a)
        good = random_layer(p, rng, *directed(p), 0.3)  # every PE's pointers fall again
        yield good
        yield Vector(random_vector(p, rng, good.cols, 0.5))


class CycleSeq(EieSeq):
    """One layer of the config's largest shape, then vectors of every activation density back
    to back (the cycle-model check)."""

    def txns(self, p, rng):
        yield random_layer(p, rng, p.max_rows, p.max_cols, 0.2)
        for i in range(N_CYCLE_VECTORS * cycle_scale()):
            yield Vector(random_vector(p, rng, p.max_cols, ACT_DENSITIES[i % len(ACT_DENSITIES)]))


#: the real weights (models/eie/digits.py): ``<layers>:<images>``, e.g. ``1:all`` (layer 1 of
#: every test image, make eie-digits) or ``1,2,3:4``; unset, make test's DigitsTest sends
#: every layer of the first DIGITS_CI_IMAGES test images
DIGITS_ENV = "ZS_EIE_DIGITS"
DIGITS_OUT_ENV = "ZS_EIE_OUT"  # a file (npz) DigitsTest writes the RTL's outputs to
DIGITS_CI_IMAGES = 3


def digits_choice() -> tuple[list[int], int | None]:
    """(layers 1.., number of test images or None for all) from DIGITS_ENV."""
    v = os.environ.get(DIGITS_ENV, "")
    if not v:
        return [1, 2, 3], DIGITS_CI_IMAGES
    layers, _, n = v.partition(":")
    return [int(x) for x in layers.split(",")], None if n in ("", "all") else int(n)


def digits_txns(p: EieParams):
    """Per chosen layer its load, then its inputs of the chosen test images on the integer
    model's chain (the scoreboard proves the RTL's outputs of the layer before equal to it, so
    this is the RTL's chain too: fast mode queues every layer before anything runs). A config
    that cannot hold the network yields nothing; the reason is returned by digits_why."""
    from models.eie.digits import digits_layers, layer_inputs, load_digits_fixture

    d = load_digits_fixture()
    layers, n = digits_choice()
    idx = d.test_idx if n is None else d.test_idx[:n]
    loads = digits_layers(p, d)
    ins = layer_inputs(p, loads, d.x[idx])
    for li in layers:
        yield loads[li - 1]
        for a in ins[li - 1]:
            yield Vector(a)


class DigitsSeq(EieSeq):
    """The real weights: load_digits' pruned, weight-shared MLP (models/eie/digits.py), layer
    by layer on test images (DIGITS_ENV); a config too small for it (min, non_pow2) sends
    nothing and logs the rule it breaks."""

    def txns(self, p, rng):
        import logging

        from models.eie.digits import digits_fits, load_digits_fixture

        why = digits_fits(p, load_digits_fixture())
        if why:
            logging.getLogger("cocotb.eie.seq").info("DigitsTest sends nothing: %s", why)
            return
        yield from digits_txns(p)


#: make bench-eie's point: ``<weight density>:<activation density>:<vectors>:<seed>``
SWEEP_ENV = "ZS_EIE_SWEEP"
SWEEP_ROWS = SWEEP_COLS = 64  # the digits MLP's first layer's shape (fits typical to 50 %)


def sweep_point(p: EieParams, w_density: float, a_density: float, n_vectors: int,
                seed: int) -> tuple[EieLoad, list[np.ndarray]]:
    """One benchmark point: a random SWEEP_ROWS x SWEEP_COLS layer of the given weight density
    and ``n_vectors`` vectors of the given activation density, from ``seed`` alone (the test
    rebuilds the same point for its ideal and its twin)."""
    rng = np.random.default_rng(seed)
    t = random_layer(p, rng, min(SWEEP_ROWS, p.max_rows), min(SWEEP_COLS, p.max_cols),
                     w_density)
    return t, [random_vector(p, rng, t.cols, a_density) for _ in range(n_vectors)]


def sweep_choice() -> tuple[float, float, int, int]:
    wd, ad, n, seed = os.environ[SWEEP_ENV].split(":")
    return float(wd), float(ad), int(n), int(seed)


class SweepSeq(EieSeq):
    """make bench-eie's point (SWEEP_ENV): one layer, then its vectors back to back."""

    def txns(self, p, rng):
        t, vecs = sweep_point(p, *sweep_choice())
        yield t
        for a in vecs:
            yield Vector(a)
