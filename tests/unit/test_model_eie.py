"""The EIE model: the seed spec's worked CSC example, padding, round trips, pruning and the
codebook, refusal of malformed CSC, the RTL-side faults, the bit-exact M x V against float64
(budgets 1 and 2), activation zero-skipping, and the cycle twin."""

import dataclasses

import numpy as np
import pytest

from models.eie import (
    CONFIGS,
    MAX_ZRUN,
    ST_INDEX,
    ST_LOAD,
    ST_PTR_END,
    ST_PTR_ORDER,
    ST_ZRUN,
    CscError,
    EieLoad,
    EieParams,
    ParamError,
    PeSlice,
    Vector,
    budget1,
    check_csc,
    check_load,
    decode_act,
    decode_csc,
    decode_load,
    decode_out,
    dense_weights,
    e2e_budget,
    e2e_closed_form,
    e2e_float,
    eie_float,
    eie_ref,
    eie_run,
    encode_act,
    encode_csc,
    encode_load,
    encode_slice,
    expected_out,
    ideal_cycles,
    kmeans_codebook,
    layer_from_index,
    load_faults,
    pe_bound,
    prune_magnitude,
    quantise_layer,
    random_index,
    random_layer,
    random_vector,
    share_weights,
    simulate,
    vector_out,
)
from models.eie.streams import KIND_BITS, KIND_REQUANT, KIND_SHAPE
from models.fixed import quantise

N_CASES = 25  # random layers per property
A, B, C, D, E = 1, 2, 3, 4, 5  # the worked example's non-zeros as codebook indices


def worked_example() -> np.ndarray:
    m = np.zeros((8, 3), dtype=np.int64)
    m[0, 0], m[5, 0], m[2, 1], m[4, 2], m[7, 2] = A, B, C, D, E
    return m


def test_worked_example_of_the_seed_spec():
    s = encode_csc(worked_example(), 4)
    want = [([A, D], [0, 1], [0, 1, 1, 2]), ([B], [1], [0, 1, 1, 1]),
            ([C], [0], [0, 0, 1, 1]), ([E], [1], [0, 0, 0, 1])]
    for k, (v, z, ptr) in enumerate(want):
        assert s[k].v.tolist() == v and s[k].z.tolist() == z and s[k].ptr.tolist() == ptr, k
    assert np.array_equal(decode_csc(s, 8), worked_example())


@pytest.mark.parametrize("run, want", [
    (20, [(0, 15), (7, 4)]),  # the spec's example: 20 zeros then w
    (15, [(7, 15)]),
    (16, [(0, 15), (7, 0)]),
    (31, [(0, 15), (7, 15)]),
    (32, [(0, 15), (0, 15), (7, 0)]),
    (0, [(7, 0)]),
])
def test_zero_run_padding(run, want):
    col = np.zeros((run + 3, 1), dtype=np.int64)
    col[run, 0] = 7
    s = encode_slice(col)
    assert list(zip(s.v.tolist(), s.z.tolist())) == want
    assert s.ptr.tolist() == [0, len(want)]
    check_csc([s], run + 3, 1, 16)


@pytest.mark.parametrize("n_pe", [1, 2, 3, 4, 7])
def test_encode_decode_round_trip(n_pe):
    rng = np.random.default_rng(n_pe)
    for _ in range(N_CASES):
        rows, cols = int(rng.integers(1, 80)), int(rng.integers(1, 20))
        idx = random_index(rng, rows, cols, float(rng.choice([0.02, 0.1, 0.5, 1.0])), 16)
        s = encode_csc(idx, n_pe)
        check_csc(s, rows, cols, 16)
        assert np.array_equal(decode_csc(s, rows), idx)
        assert all(int(x) <= MAX_ZRUN for sl in s for x in sl.z)


def test_stream_round_trips():
    p = CONFIGS["non_pow2"]
    rng = np.random.default_rng(3)
    for _ in range(N_CASES):
        t = random_layer(p, rng, int(rng.integers(1, p.max_rows + 1)),
                         int(rng.integers(1, p.max_cols + 1)), 0.3,
                         n_codes=int(rng.integers(1, 17)))
        t2 = decode_load(p, encode_load(p, t))
        assert (t2.rows, t2.cols, t2.scale, t2.shift, t2.relu) == (t.rows, t.cols, t.scale,
                                                                   t.shift, t.relu)
        assert np.array_equal(t2.codes, t.codes)
        assert np.array_equal(dense_weights(t2), dense_weights(t))
        a = random_vector(p, rng, t.cols)
        got = decode_act(p, encode_act(p, Vector(a))).a
        assert np.array_equal(got[:t.cols], a) and not got[t.cols:].any()


@pytest.mark.parametrize("config", ["typical", "non_pow2"])  # PE field full / past N
def test_stray_load_beats_are_a_bad_load(config):
    """Beats of no part of a layer after the slices (a kind past KIND_ENTRY; a pointer for PE
    N where the PE field can name it) survive the stream and make the load bad (ST_LOAD)."""
    p = CONFIGS[config]
    t = random_layer(p, np.random.default_rng(5), 8, 6)
    assert load_faults(p, t) == 0
    t.stray = 2
    beats = encode_load(p, t)
    assert len(beats) == len(encode_load(p, dataclasses.replace(t, stray=0))) + 2
    if config == "non_pow2":
        assert beats[-1][2] >> KIND_BITS == p.num_pe
    t2 = decode_load(p, beats)
    assert t2.stray == 2 and load_faults(p, t2) == ST_LOAD
    assert eie_run(p, t2, np.ones(t.cols, dtype=np.int64)).status == ST_LOAD
    with pytest.raises(ParamError, match="no part of the layer"):
        check_load(p, t)


# the two ways a load breaks "its first beat is the SHAPE beat and no other beat is one"
@pytest.mark.parametrize("kw,kinds", [
    (dict(shape_first=False), "no SHAPE beat: the load opens with its REQUANT beat"),
    (dict(late_shapes=1), "a second SHAPE beat after the slices"),
    (dict(shape_first=False, late_shapes=1), "the SHAPE beat after the slices only"),
])
def test_misplaced_shape_is_a_bad_load(kw, kinds):
    """A load without a SHAPE first beat (the block must not reuse the last layer's shape) or
    with a SHAPE beat past the first survives the stream and makes the load bad (ST_LOAD)."""
    p = CONFIGS["typical"]
    t = dataclasses.replace(random_layer(p, np.random.default_rng(6), 8, 6), **kw)
    beats = encode_load(p, t)
    first_kind = beats[0][2] & ((1 << KIND_BITS) - 1)
    shapes = [i for i, (_, _, u) in enumerate(beats) if u & ((1 << KIND_BITS) - 1) == KIND_SHAPE]
    assert (first_kind == KIND_SHAPE) == t.shape_first, kinds
    assert len(shapes) == int(t.shape_first) + t.late_shapes, kinds
    t2 = decode_load(p, beats)
    assert (t2.shape_first, t2.late_shapes) == (t.shape_first, t.late_shapes), kinds
    assert load_faults(p, t2) == ST_LOAD, kinds
    assert eie_run(p, t2, np.ones(t.cols, dtype=np.int64)).status == ST_LOAD, kinds
    with pytest.raises(ParamError, match="first beat must be its SHAPE beat"):
        check_load(p, t)


@pytest.mark.parametrize("requants", [0, 2])  # none (the last layer's would be reused), two
def test_requant_count_is_checked(requants):
    """A load with no REQUANT beat or two survives the stream and is a bad load (ST_LOAD)."""
    p = CONFIGS["typical"]
    t = dataclasses.replace(random_layer(p, np.random.default_rng(7), 8, 6), requants=requants)
    beats = encode_load(p, t)
    assert sum(u & ((1 << KIND_BITS) - 1) == KIND_REQUANT for _, _, u in beats) == requants
    t2 = decode_load(p, beats)
    assert t2.requants == requants and load_faults(p, t2) == ST_LOAD
    assert eie_run(p, t2, np.ones(t.cols, dtype=np.int64)).status == ST_LOAD
    with pytest.raises(ParamError, match="exactly one REQUANT beat"):
        check_load(p, t)


def test_output_beats_round_trip():
    p = CONFIGS["typical"]
    rng = np.random.default_rng(4)
    t = random_layer(p, rng, 37, 20)
    want = vector_out(p, t, Vector(random_vector(p, rng, 20)))
    beats = [(int(sum((int(x) & 0xFFFF) << (16 * k) for k, x in enumerate(row))),
              i == len(want["b"]) - 1, int(want["status"][i]))
             for i, row in enumerate(want["b"])]
    got = decode_out(p, beats)
    assert np.array_equal(got["b"], want["b"]) and np.array_equal(got["status"],
                                                                  want["status"])
    assert want["b"].shape == (10, 4) and not want["b"].ravel()[37:].any()


def test_magnitude_pruning():
    w = np.array([[0.5, -3.0, 1.0], [2.0, -0.1, 1.0]])
    assert np.array_equal(prune_magnitude(w, 0.5), [[0, -3.0, 1.0], [2.0, 0, 0]])  # tie: lower
    assert np.count_nonzero(prune_magnitude(w, 0.0)) == 0
    assert np.array_equal(prune_magnitude(w, 1.0), w)
    with pytest.raises(ParamError, match="density"):
        prune_magnitude(w, 1.5)


def test_kmeans_codebook_deterministic_and_close():
    rng = np.random.default_rng(5)
    x = rng.normal(size=2000)
    c1, l1 = kmeans_codebook(x)
    c2, l2 = kmeans_codebook(x.copy())
    assert np.array_equal(c1, c2) and np.array_equal(l1, l2)
    assert len(c1) == 15 and np.all(np.diff(c1) > 0)
    # every value is assigned its nearest centroid, and centroids are their clusters' means
    assert np.array_equal(l1, np.argmin(np.abs(x[:, None] - c1[None, :]), axis=1))
    for i in range(15):
        assert np.isclose(c1[i], x[l1 == i].mean())
    w = prune_magnitude(rng.normal(size=(30, 20)), 0.2)
    idx, book = share_weights(w)
    assert book[0] == 0 and np.array_equal(idx != 0, w != 0)
    assert np.abs(book[idx] - w).max() < np.abs(w).max() / 4


def slice_of(ptr, v, z):
    return PeSlice(np.array(ptr), np.array(v), np.array(z))


@pytest.mark.parametrize("slc, rows, match", [
    (slice_of([0, 2, 1], [1, 1], [0, 0]), 4, r"PE 0 column 1: pointer p\[2\]=1 is below p\[1\]=2"),
    (slice_of([0, 1, 3], [1, 1], [0, 0]), 4, r"PE 0 column 1: pointer p\[2\]=3 is past the end"),
    (slice_of([0, 1, 2], [1, 1], [0, 4]), 4, r"column 1 entry 1: zero run 4 puts it at local "
                                               r"row 4, past the slice's 4 rows"),
    (slice_of([0, 2, 2], [1, 2], [0, 2]), 3, r"column 0 entry 1: zero run 2 puts it at local "
                                               r"row 3"),
    (slice_of([0, 1, 2], [1, 9], [0, 0]), 4, r"column 1 entry 1: index 9 is out of the "
                                               r"codebook of 9 entries"),
    (slice_of([0, 1], [1], [0]), 4, r"2 column pointers, a layer of 2 columns"),
    (slice_of([0, 1, 1], [1], [16]), 40, r"zero run 16 does not fit"),
])
def test_malformed_csc_is_refused_naming_the_entry(slc, rows, match):
    with pytest.raises(CscError, match=match):
        check_csc([slc], rows, 2, 9)


def one_pe() -> EieParams:
    return EieParams(num_pe=1, lanes=2, max_rows=4, max_cols=2, max_nnz=4, fifo_depth=2,
                     act_width=8, code_width=8, acc_width=18, scale_width=4)


@pytest.mark.parametrize("slc, a, want", [
    (slice_of([0, 2, 1], [1, 1], [0, 0]), [0, 5], ST_PTR_ORDER),
    (slice_of([0, 2, 1], [1, 1], [0, 0]), [5, 0], 0),  # the faulty column is never visited
    (slice_of([0, 1, 5], [1, 1], [0, 0]), [0, 5], ST_PTR_END),
    (slice_of([0, 1, 3], [1, 1, 9], [0, 0, 0]), [0, 5], ST_INDEX),
    (slice_of([0, 1, 3], [1, 1, 1], [0, 0, 5]), [0, 5], ST_ZRUN),
    (slice_of([0, 1, 3], [1, 1, 9], [0, 0, 5]), [0, 5], ST_ZRUN | ST_INDEX),
])
def test_rtl_faults_of_malformed_csc(slc, a, want):
    p = one_pe()
    t = EieLoad(4, 2, np.array([3, -2]), [slc], 1, 0, False)
    r = eie_run(p, t, np.array(a))
    assert r.status == want
    if want:
        assert not r.b.any()
        assert expected_out(p, r, 4)["status"].tolist() == [want] * 4  # 4 rows, 1 PE


def test_bad_loads_give_st_load():
    p = one_pe()
    good = layer_from_index(p, np.array([[1, 0], [0, 2], [1, 1]]), [3, -2])
    for kw in (dict(rows=0), dict(rows=5), dict(cols=3), dict(shift=p.max_shift + 1),
               dict(codes=np.arange(16)),
               dict(slices=[slice_of([0, 1, 2, 3], [1, 1, 1], [0, 0, 0])]),
               dict(slices=[slice_of([0, 1, 5], [1] * 5, [0] * 5)])):
        t = EieLoad(**{**good.__dict__, **kw})
        r = eie_run(p, t, np.array([1, 1]))
        assert r.status == ST_LOAD, kw
        out = expected_out(p, r, t.rows)
        assert out["b"].shape == (1, 1) and not out["b"].any()


@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_budget1_against_float64(cfg):
    p = CONFIGS[cfg]
    rng = np.random.default_rng(11)
    for i in range(N_CASES):
        t = random_layer(p, rng, int(rng.integers(1, p.max_rows + 1)),
                         int(rng.integers(1, p.max_cols + 1)), float(rng.uniform(0.05, 0.6)),
                         requant_kind="unit" if i % 5 == 0 else "random")
        a = random_vector(p, rng, t.cols, float(rng.uniform(0, 1)))
        got, x = eie_ref(p, t, a), eie_float(p, t, a)
        assert np.all(np.abs(got - x) <= budget1(p, t, a))


def test_activation_zero_skip():
    """Zero activations are never walked, and skipping them changes nothing."""
    p = CONFIGS["typical"]
    rng = np.random.default_rng(12)
    t = random_layer(p, rng, 60, 50, 0.3)
    a = random_vector(p, rng, 50, 0.3)
    r = eie_run(p, t, a)
    assert all(len(w) == np.count_nonzero(a) for w in r.walks)
    assert np.array_equal(r.acc, dense_weights(t) @ a)


def test_budget2_end_to_end():
    """Float weights pruned and shared, float activations, unit requantisation: the model
    against float64 W_s a_f within the derived budget (data-dependent <= closed form)."""
    p = CONFIGS["typical"]
    rng = np.random.default_rng(13)
    w_frac, a_frac = 13, 8  # |w| < 4 in Q3.13; activations in Q8.8
    worst = 0.0
    for _ in range(N_CASES):
        w = prune_magnitude(rng.normal(scale=0.5, size=(48, 40)), 0.25)
        idx, book = share_weights(w)
        relu = bool(rng.integers(2))
        t = quantise_layer(p, idx, book, w_frac, relu)
        a_f = np.where(rng.random(40) < 0.5, rng.normal(scale=4.0, size=40), 0.0)
        a = quantise(a_f, a_frac, p.act_width)
        err = np.abs(eie_ref(p, t, a) - e2e_float(idx, book, a_f, relu, p, a_frac))
        bound = e2e_budget(p, idx, book, w_frac, a_f, a_frac)
        assert np.all(err <= bound + 1e-9)
        assert np.all(bound <= e2e_closed_form(p, idx, book, w_frac, a_f, a_frac) + 1e-9)
        worst = max(worst, float((err / bound).max()))
    assert worst > 0.05  # the budget is not vacuous


def test_bad_params_and_inputs_get_one_sentence():
    with pytest.raises(ParamError, match="acc_width must be >= 38"):
        EieParams(acc_width=37)
    with pytest.raises(ParamError, match="num_pe must be in"):
        EieParams(num_pe=0)
    p = CONFIGS["typical"]
    t = random_layer(p, np.random.default_rng(0), 8, 8)
    with pytest.raises(ParamError, match="cols=8 values"):
        eie_ref(p, t, np.zeros(7, dtype=np.int64))
    with pytest.raises(ValueError, match="does not fit a 16-bit"):
        encode_act(p, Vector(np.array([1 << 16])))
    with pytest.raises(ParamError, match="more than max_nnz"):
        random_layer(p, np.random.default_rng(0), 128, 64, idx=np.ones((128, 64), np.int64))


# -- cycles ---------------------------------------------------------------------------------
def test_cycles_all_zero_vector():
    """K beats each accepted in one cycle, the idle check, then R write-back beats each one
    cycle after it is formed: K + R + 2 cycles."""
    p = CONFIGS["typical"]
    t = random_layer(p, np.random.default_rng(1), 37, 30)
    k_beats, r_beats = -(-30 // p.lanes), -(-37 // p.num_pe)
    assert simulate(p, t, [np.zeros(30, np.int64)]).cycles == k_beats + r_beats + 2


def test_cycles_single_pe_single_column():
    """One PE, one non-zero activation in a column of n entries of a 4-row layer: its beat is
    accepted with the push (cycle 0), the PE fetches pointers (1) and reads n entries
    (2..n+1), the idle check (n+2), the write-back forms its 4 beats (n+3..n+6), each leaving
    one cycle later: n + 8 cycles."""
    p = EieParams(num_pe=1, lanes=1, max_rows=4, max_cols=1, max_nnz=8, fifo_depth=2,
                  act_width=8, code_width=8, acc_width=16, scale_width=4)
    for n_entries in (1, 3, 4):
        idx = np.zeros((4, 1), dtype=np.int64)
        idx[:n_entries, 0] = 1
        t = layer_from_index(p, idx, [1])
        assert simulate(p, t, [np.array([1])]).cycles == n_entries + 8


@pytest.mark.parametrize("cfg", ["typical", "non_pow2", "max"])
def test_cycles_against_bounds(cfg):
    """The twin is never faster than the busiest PE nor than the ideal, and not far above the
    busiest PE when the FIFOs absorb the imbalance."""
    p = CONFIGS[cfg]
    rng = np.random.default_rng(21)
    for _ in range(10):
        t = random_layer(p, rng, p.max_rows, p.max_cols, 0.2)
        a = random_vector(p, rng, p.max_cols, 0.5)
        tm = simulate(p, t, [a])
        assert tm.cycles >= pe_bound(p, t, a) >= ideal_cycles(p, t, a)
        assert tm.cycles <= pe_bound(p, t, a) + -(-t.cols // p.lanes) + p.local_rows + 8


def test_fifo_depth_absorbs_imbalance():
    """All of column j's work in PE j mod 2: with a one-entry FIFO the LNZD stalls (queue
    stalls show in the twin), with a deep one the PEs overlap."""
    base = dict(num_pe=2, lanes=1, max_rows=32, max_cols=16, max_nnz=256, act_width=8,
                code_width=8, acc_width=24, scale_width=4)
    idx = np.zeros((32, 16), dtype=np.int64)
    for j in range(16):
        idx[(j % 2)::2, j] = 1
    a = np.ones(16, dtype=np.int64)
    shallow, deep = (simulate(EieParams(fifo_depth=d, **base),
                              layer_from_index(EieParams(fifo_depth=d, **base), idx, [1]), [a])
                     for d in (1, 16))
    assert shallow.fifo_full_cycles > 0 and deep.fifo_full_cycles == 0
    assert deep.cycles < shallow.cycles
    assert shallow.max_occupancy == 1 and deep.max_occupancy > 1
