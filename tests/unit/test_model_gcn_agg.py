"""gcn_agg's block model (models/gcn_agg.py): the pass model against models/gcn's aggregation
(an independent path: the COO, not the schedule), the H codec, the flags, the refusals and
the cycle model's interlock."""

import numpy as np
import pytest

from models.gcn.model import aggregate
from models.gcn.params import FLAG_HAZARD, FLAG_RANGE
from models.gcn.pcoo import pcoo_schedule
from models.gcn_agg import (
    CONFIGS,
    APass,
    HLoad,
    decode_a,
    decode_h,
    encode_a,
    encode_h,
    issue_cycles,
    pass_cycles,
    pass_out,
)
from tb.gcn_agg.sequences import hazard_schedule, power_law, random_h, useful_load

SMALL = [n for n in CONFIGS if n != "max"]
SEEDS = range(6)


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("mode", ["plain", "balanced"])
@pytest.mark.parametrize("seed", SEEDS)
def test_pass_equals_aggregation(name, mode, seed):
    """Through the streams (encode, decode), any PCOO schedule gives models.gcn's Y."""
    p = CONFIGS[name]
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, min(p.max_nodes, 40) + 1))
    a = power_law(p, rng, n)
    h = useful_load(p, rng, random_h(p, rng, n), a)
    s = pcoo_schedule(a, p.lanes, p.latency, mode)
    hd = decode_h(p, encode_h(p, h))
    ad = decode_a(p, encode_a(p, APass(s)))
    got = pass_out(p, hd, ad)
    want = aggregate(p, a, h.h, h.scale, h.shift, h.out_bits, h.relu)
    assert (got["y"] == want).all()
    assert (got["flags"] == 0).all()
    assert issue_cycles(p, ad.schedule, n) == s.cycles  # PCOO never holds a beat
    assert pass_cycles(p, hd, ad) == s.cycles + p.latency + n


def test_hazard_is_refused_by_the_encoder_and_flagged_by_the_model():
    p = CONFIGS["typical"]
    rng = np.random.default_rng(0)
    h = HLoad(random_h(p, rng, 4), 1, 0, False, p.out_width)
    clean = hazard_schedule(p, 4, p.latency, rng)
    bad = hazard_schedule(p, 4, p.latency - 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="hazard"):
        encode_a(p, APass(bad))
    ok = pass_out(p, h, decode_a(p, encode_a(p, APass(clean))))
    flagged = pass_out(p, h, decode_a(p, encode_a(p, APass(bad, checked=False))))
    assert (ok["flags"] == 0).all() and (flagged["flags"] == FLAG_HAZARD).all()
    # the interlock holds each of the two early repeats one cycle
    assert issue_cycles(p, bad, 4) == bad.cycles + 2
    assert issue_cycles(p, clean, 4) == clean.cycles


def test_out_of_range_tuples_are_dropped_and_flagged():
    p = CONFIGS["typical"]
    rng = np.random.default_rng(1)
    s = hazard_schedule(p, 4, p.latency, rng)
    s.col[0, 0] = 3
    h3 = HLoad(random_h(p, rng, 3), 1, 0, False, p.out_width)
    got = pass_out(p, h3, APass(s, checked=False))
    assert (got["flags"] == FLAG_RANGE).all()
    s.row[0, :] = np.where(s.row[0] >= 0, s.row[0], -1)
    keep = s.col[0] < 3
    want = int((s.val[0][keep & (s.row[0] == 0)] * h3.h[s.col[0][keep & (s.row[0] == 0)], 0])
               .sum())
    assert got["y"][0, 0] == min(max(want, -(1 << 15)), (1 << 15) - 1)


def test_bad_loads_are_refused_in_one_sentence():
    p = CONFIGS["typical"]
    with pytest.raises(ValueError, match=r"\(n, feat_lanes=16\)"):
        encode_h(p, HLoad(np.zeros((3, 4), dtype=np.int64)))
    with pytest.raises(ValueError, match="out_bits must be in"):
        encode_h(p, HLoad(np.zeros((3, 16), dtype=np.int64), out_bits=1))
    with pytest.raises(ValueError, match="does not fit"):
        encode_h(p, HLoad(np.full((3, 16), 200)))


def test_too_many_tuples_for_the_accumulator_are_refused():
    p = CONFIGS["min"]
    rng = np.random.default_rng(2)
    s = hazard_schedule(p, 2, 1, rng)  # row 0 three times > max_degree = 2
    with pytest.raises(ValueError, match="more than max_degree=2"):
        pass_out(p, HLoad(random_h(p, rng, 2)), APass(s))
