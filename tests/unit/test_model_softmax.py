"""The integer softmax model against an independent float64 softmax, with the derived budget
(models.softmax.error_bound), on random rows and on real LeViT-128 attention rows."""

import numpy as np
import pytest

from models import softmax as sm
from models.attn_mask import load_levit_probs
from models.configs import CONFIGS
from models.params import ParamError

N_ROWS = 300  # random rows per config
#: the derived budget must stay useful: on the typical config no element may be allowed more
#: than this many output LSBs (it is ~1.5 LSB at a probability near 1, 0.5 LSB near 0)
TYPICAL_BOUND_CEILING = 2.0


def configs():
    return list(CONFIGS["softmax"].items())


@pytest.mark.parametrize("name, p", configs())
def test_reciprocal_within_its_bound_for_every_sum(name, p):
    """Exhaustive over every sum the unit can see: 2**E .. max_len * 2**E."""
    s = np.arange(1 << p.exp_bits, (p.max_len << p.exp_bits) + 1, dtype=np.int64)
    z, r1 = sm.reciprocal(p, s)
    assert r1.max() < 1 << p.norm_bits  # fits the RTL's Q bits (SoftmaxParams.validate)
    exact = np.exp2(z.astype(np.float64)) / s * (1 << p.norm_bits)
    rel = (exact - r1) / exact
    assert np.abs(rel).max() <= sm.recip_error(p), (name, rel.min(), rel.max(),
                                                     sm.recip_error(p))


@pytest.mark.parametrize("name, p", configs())
def test_exponential_within_lut_bound_for_every_difference(name, p):
    """e = 2**E * 2**(-d / 2**F) within the relative LUT terms and one floor step, every d."""
    d = np.arange(0, 1 << p.in_width, dtype=np.int64)
    e = sm.exp2_neg(p, d)
    exact = np.exp2(p.exp_bits - d / float(1 << p.frac_bits))
    alpha = 2.0 ** ((2 ** (p.frac_bits - p.lut_bits) - 1) / 2 ** p.frac_bits) - 1.0
    hi = exact * (1 + alpha + 2.0 ** -p.exp_bits)
    lo = exact * (1 - 2.0 ** -p.exp_bits) - 1.0
    assert (e <= hi + 1e-9).all() and (e >= lo - 1e-9).all(), name
    assert e[0] == 1 << p.exp_bits  # the row max is exactly 1.0


def _check_rows(p, rows):
    worst = 0.0
    for row in rows:
        got = sm.softmax_ref(p, row)
        f = sm.softmax_float(p, row.x)
        err = np.abs(got["p"] - f * (1 << p.prob_width))
        bound = sm.error_bound(p, f)
        assert (err <= bound).all(), (row.x, got["p"], f, err, bound)
        worst = max(worst, float((err / bound).max()))
    return worst


@pytest.mark.parametrize("name, p", configs())
def test_random_rows_within_derived_bound(name, p, seed):
    rng = np.random.default_rng(seed)
    rows = [sm.random_row(p, rng, int(rng.integers(1, p.max_len + 1))) for _ in range(N_ROWS)]
    worst = _check_rows(p, rows)
    print(f"{name}: worst error / bound = {worst:.3f}")


def test_typical_bound_is_not_vacuous():
    p = CONFIGS["softmax"]["typical"]
    for probs in (np.full(16, 1 / 16), np.array([0.999] + [0.001 / 15] * 15), np.array([1.0])):
        assert sm.error_bound(p, probs).max() <= TYPICAL_BOUND_CEILING


@pytest.mark.parametrize("depth, config", [(2, "typical"), (1, "max")])
def test_real_levit_rows_within_derived_bound(depth, config):
    """LeViT-128 softmax maps (data/vitcod_levit_softmax): logits = log p, so the float
    reference reproduces p; the integer unit must be within the budget on every row."""
    p = CONFIGS["softmax"][config]
    probs = load_levit_probs(depth).astype(np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    worst, n = 0.0, 0
    for r in rows:
        keep = r > 0
        if not keep.any():
            continue
        row = sm.from_probs(p, r[keep])
        worst = max(worst, _check_rows(p, [row]))
        n += 1
    assert n == rows.shape[0]
    print(f"LeViT dpt{depth} on {config}: {n} rows, worst error / bound = {worst:.3f}")


def test_a_perturbed_lut_breaks_the_budget(monkeypatch):
    """The budget can fail: an exp LUT 3 % high on odd entries is caught on random rows."""
    p = CONFIGS["softmax"]["typical"]
    good = sm.exp_lut(p)
    bad = good.copy()
    bad[1::2] = (bad[1::2] * 1.03).astype(np.int64)
    monkeypatch.setattr(sm, "exp_lut", lambda _p: bad)
    rng = np.random.default_rng(1)
    rows = [sm.random_row(p, rng, 16, spread_bits=2.0) for _ in range(50)]
    with pytest.raises(AssertionError):
        _check_rows(p, rows)


def test_empty_row_and_single_score():
    p = CONFIGS["softmax"]["typical"]
    e = sm.softmax_ref(p, sm.SoftmaxRow(np.zeros(0, dtype=np.int64)))
    assert int(e["empty"]) == 1 and e["p"].tolist() == [0]
    one = sm.softmax_ref(p, sm.SoftmaxRow(np.array([123])))
    assert int(one["empty"]) == 0 and one["p"].tolist() == [(1 << p.prob_width) - 1]


def test_ties_give_equal_probabilities():
    p = CONFIGS["softmax"]["typical"]
    out = sm.softmax_ref(p, sm.SoftmaxRow(np.full(8, -300)))["p"]
    assert len(set(out.tolist())) == 1 and abs(int(out[0]) - 32) <= 1


@pytest.mark.parametrize("name, p", configs())
def test_stream_round_trip(name, p, seed):
    rng = np.random.default_rng(seed)
    for n in range(0, p.max_len + 1):
        row = sm.random_row(p, rng, n)
        back = sm.decode_row(p, sm.encode_row(p, row))
        assert np.array_equal(back.x, row.x)
    assert sm.encode_row(p, sm.SoftmaxRow(np.zeros(0, dtype=np.int64))) == [(0, True, sm.EMPTY)]


@pytest.mark.parametrize("x, rule", [
    (np.array([1.5, 2.0]), "values must be integers"),
    (np.arange(17), "at most max_len=16"),
    (np.array([1 << 15]), "does not fit a 16-bit signed field"),
    (np.zeros((2, 2), dtype=np.int64), "1-D array"),
])
def test_bad_rows_are_refused_with_the_rule(x, rule):
    p = CONFIGS["softmax"]["typical"]
    with pytest.raises(ValueError, match=rule):
        sm.encode_row(p, sm.SoftmaxRow(x))


def test_malformed_empty_flag_is_refused():
    p = CONFIGS["softmax"]["typical"]
    with pytest.raises(ValueError, match="EMPTY flag is set on a row with 2 beats"):
        sm.decode_row(p, [(0, False, 0), (0, True, sm.EMPTY)])


@pytest.mark.parametrize("kw, rule", [
    (dict(lut_bits=9), "lut_bits must be in"),
    (dict(recip_bits=1, norm_bits=5, exp_bits=2, prob_width=8), "must exceed prob_width"),
    (dict(norm_bits=14), "norm_bits must be in \\[15, 24\\]"),
    (dict(max_len=0), "max_len must be in"),
])
def test_bad_params_are_refused(kw, rule):
    with pytest.raises(ParamError, match=rule):
        sm.SoftmaxParams(**kw)


def test_cycle_model_of_one_row():
    p = CONFIGS["softmax"]["typical"]
    row = sm.SoftmaxRow(np.arange(5))
    # 5 beats (edges 0-4), sum issue 5-9, row sum registered at 11, reciprocal written at 15,
    # emit issue 16-20, output register loads 19-23, last output handshake in cycle 24
    assert sm.RING_SLACK == sm.SUM_PIPE + sm.RECIP_PIPE + 1 == 7
    assert sm.row_times(p, [5]) == [(0, 4, 23)]
    assert sm.expected_cycles(p, [row]) == 25


def _rows(p, lens):
    return [sm.SoftmaxRow(np.zeros(n, dtype=np.int64)) for n in lens]


def _mixes(p, rng):
    """Row-length mixes that break a fixed-bank design: alternating 1 and max_len, short runs
    after long ones, empty rows, random lengths."""
    n = p.max_len
    yield "alternating 1, max_len", [1, n] * 20
    yield "1, max_len, 1, 2, ...", [(1, n, 1, min(2, n))[i % 4] for i in range(40)]
    yield "long then short", [n] * 6 + [1] * 40 + [n] * 6 + [0] * 20
    yield "empty, 1, max_len", [(0, 1, n)[i % 3] for i in range(45)]
    yield "random", [int(v) for v in rng.integers(0, n + 1, size=60)]


@pytest.mark.parametrize("name, p", configs())
def test_streaming_throughput_is_one_slot_per_cycle_for_any_row_mix(name, p, seed):
    """Steady state: appending a mix of rows costs exactly its beats (one per kept score, one
    per empty row), i.e. 0 cycles per row, within the brief's ceiling of beats + 1 per row;
    the first copy of the mix fills the pipelines."""
    rng = np.random.default_rng(seed)
    for mix, lens in _mixes(p, rng):
        once = sm.expected_cycles(p, _rows(p, lens))
        twice = sm.expected_cycles(p, _rows(p, lens + lens))
        beats = sum(max(n, 1) for n in lens)
        assert twice - once == beats, (name, mix, twice - once, beats)
        assert twice - once <= beats + len(lens)
        # and the fill is bounded: two rows of max_len plus the pipelines
        assert once - beats <= 2 * p.max_len + sm.RING_SLACK + sm.EMIT_PIPE + 2, (name, mix)


@pytest.mark.parametrize("name, p", configs())
def test_default_ring_never_stalls_the_input_and_one_slot_less_does(name, p, seed):
    rng = np.random.default_rng(seed)
    for mix, lens in _mixes(p, rng):
        loads = [t[0] for t in sm.slot_times(p, lens)]
        assert loads == list(range(len(loads))), (name, mix)
    n = p.max_len
    small = p.replace(ring_depth=p.ring_slots - 1)
    loads = [t[0] for t in sm.slot_times(small, [n] * 20)]
    assert loads[-1] > len(loads) - 1  # the input waited for the ring


def test_fixed_banks_would_run_at_the_pace_of_the_longer_row():
    """What the streaming unit replaced: two banks at 2n + 2 per row made alternating rows of
    1 and 20 cost about (2 * 20 + 2) per pair; the ring costs 21 per pair."""
    p = sm.SoftmaxParams(max_len=20)
    lens = [1, 20] * 10
    per_pair = (sm.expected_cycles(p, _rows(p, lens + lens))
                - sm.expected_cycles(p, _rows(p, lens))) / 10
    assert per_pair == 21


@pytest.mark.parametrize("kw, rule", [
    (dict(max_len=16, ring_depth=15), "ring_depth must be in \\[16, 1024\\]"),
    (dict(ring_depth=2000), "ring_depth must be in"),
])
def test_bad_ring_depth_is_refused(kw, rule):
    with pytest.raises(ParamError, match=rule):
        sm.SoftmaxParams(**kw)


def test_ring_depth_is_in_the_tag():
    p = CONFIGS["softmax"]["typical"]
    assert p.ring_slots == 2 * p.max_len + sm.RING_SLACK and p.tag.endswith("c39")
    assert p.replace(ring_depth=20).tag.endswith("c20")
