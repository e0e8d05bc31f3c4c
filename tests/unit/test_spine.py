"""The spine's pure parts: keyed scoreboard, predictors, stall patterns, the stall matrix, the
skip policy and the block registry (no simulator)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scoreboards.base import (
    Expected,
    InOrderScoreboard,
    KeyedScoreboard,
    PerTxnPredictor,
    RunContext,
    ScoreboardError,
)
from tb.common import stall
from tests.spine.spine_ref_model import (
    CONFIGS,
    IN_A,
    IN_B,
    OUT_EVEN,
    OUT_ODD,
    Packet,
    SpineRefPredictor,
    decode_in,
    decode_out,
    encode,
)

ROOT = Path(__file__).resolve().parents[2]
CTX = RunContext("spine_ref", "k4v8", 3, "ConcurrentTest", "make sim BLOCK=spine_ref SEED=3")


def keyed(**kw):
    return KeyedScoreboard(CTX, "m_axis_even", key=lambda d: d["src"], **kw)


def item(src, key, value):
    return {"key": key, "value": value, "src": src}


def test_keyed_accepts_any_order_across_keys():
    s = keyed()
    for e in (item(0, 2, 5), item(0, 4, 6), item(1, 2, 7)):
        s.add_expected(e)
    for a in (item(1, 2, 7), item(0, 2, 5), item(0, 4, 6)):
        s.add_actual(a)
    s.check_drained()
    assert s.n_checked == 3 and s.key_switches == 1


def test_keyed_keeps_order_within_a_key():
    s = keyed()
    s.add_expected(item(0, 2, 5))
    s.add_expected(item(0, 4, 6))
    with pytest.raises(ScoreboardError) as e:
        s.add_actual(item(0, 4, 6))
    msg = str(e.value)
    for part in ("spine_ref[k4v8]", "seed=3", "stream m_axis_even", "transaction 0",
                 "(key 0)", "field 'key'", "expected 2, got 4", "make sim BLOCK=spine_ref"):
        assert part in msg, (part, msg)


def test_keyed_reports_missing_and_extra_per_key():
    s = keyed(fail_on_error=False)
    s.add_expected(item(0, 2, 5))
    s.add_actual(item(1, 2, 7))
    with pytest.raises(ScoreboardError) as e:
        s.check_drained()
    msg = str(e.value)
    assert "1 output transaction(s) missing, per key {0: 1}" in msg
    assert "1 extra output transaction(s)" in msg and "per key {1: 1}" in msg


def test_keyed_names_an_unreadable_key():
    s = keyed()
    with pytest.raises(ScoreboardError, match="cannot read its key"):
        s.add_actual({"key": 1})


def test_in_order_names_its_stream():
    s = InOrderScoreboard(CTX, "m_axis")
    s.add_expected(np.arange(3))
    with pytest.raises(ScoreboardError, match="stream m_axis transaction 0"):
        s.add_actual(np.array([0, 1, 3]))


def test_per_txn_predictor_refuses_another_stream():
    pr = PerTxnPredictor(lambda p, t: t * 2, None, "s_axis", "m_axis")
    assert pr.write("s_axis", 3, 0) == [Expected("m_axis", 6, "")]
    with pytest.raises(ValueError, match="no input stream 's_axis_w'"):
        pr.write("s_axis_w", 3, 0)


def test_spine_ref_predictor_emits_zero_one_or_many():
    p = CONFIGS["typical"]
    pr = SpineRefPredictor(p)
    zeros = Packet(IN_A, np.array([1, 2, 3]), np.array([0, 0, 0]))
    assert list(pr.write(IN_A, zeros, 0)) == []
    mixed = Packet(IN_B, np.array([1, 2, 3, 4]), np.array([5, 0, -6, 7]))
    out = list(pr.write(IN_B, mixed, 9))
    assert [e.stream for e in out] == [OUT_ODD, OUT_ODD, OUT_EVEN]
    assert out[0].item == item(1, 1, 5) and out[2].item == item(1, 4, 7)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_spine_ref_stream_round_trip(name):
    p = CONFIGS[name]
    rng = np.random.default_rng(1)
    kmax = (1 << p.key_width) - 1
    t = Packet(IN_B, rng.integers(0, kmax + 1, 20),
               rng.integers(-(1 << (p.value_width - 1)), 1 << (p.value_width - 1), 20))
    beats = encode(p, t)
    assert [b[1] for b in beats] == [False] * 19 + [True]
    back = decode_in(IN_B)(p, beats)
    assert (back.keys == t.keys).all() and (back.values == t.values).all()
    d, _, _ = beats[3]
    assert decode_out(p, [(d, False, 1)]) == item(1, int(t.keys[3]), int(t.values[3]))


def test_spine_ref_refuses_bad_packets():
    p = CONFIGS["typical"]
    with pytest.raises(ValueError, match="keys must be in"):
        encode(p, Packet(IN_A, np.array([16]), np.array([1])))
    with pytest.raises(ValueError, match="at least one beat"):
        encode(p, Packet(IN_A, np.array([], dtype=int), np.array([], dtype=int)))


# -- stall patterns -------------------------------------------------------------------------
def _run(spec, n, seed=0):
    s = stall.parse(spec, np.random.default_rng(seed))
    return s, [s.stall() for _ in range(n)]


@pytest.mark.parametrize("spec, first, rate", [
    ("none", [False] * 6, 0.0),
    ("every_other", [False, True] * 3, 0.5),
    ("burst:2", [False, False, True, True, False, False], 0.5),
    ("long:3", [False] * 3 + [True] * 3, 0.5),
])
def test_deterministic_patterns(spec, first, rate):
    s, got = _run(spec, 6)
    assert got == first and s.rate == rate and stall.parse(s.spec, None).spec == s.spec


def test_random_pattern_hits_its_rate_and_is_seeded():
    s, got = _run("random:0.3", 20000)
    assert abs(np.mean(got) - 0.3) < 0.02
    assert got == _run(0.3, 20000)[1]  # a bare probability is the same pattern
    assert s.spec == "random:0.3"


def test_long_default_outlasts_every_pipeline():
    assert stall.parse("long", None).stop == stall.DEFAULT_LONG >= 100


@pytest.mark.parametrize("spec, rule", [
    ("sometimes", "unknown stall pattern 'sometimes'"),
    ("random:1.5", "must be in [0, 1)"),
    ("burst:0", "at least one cycle on and off"),
])
def test_bad_patterns_get_one_sentence(spec, rule):
    with pytest.raises(ValueError) as e:
        stall.parse(spec, np.random.default_rng(0))
    assert rule in str(e.value)


def test_matrix_puts_every_pattern_on_every_port_and_differs_per_case():
    from tb.common.tests import STALL_PATTERNS, matrix_knobs

    ins, outs = ["s_axis_a", "s_axis_b"], ["m_axis_even", "m_axis_odd"]
    cases = matrix_knobs(ins, outs)
    assert {"none", "random"} <= set(cases)
    per_case = [k.ports for k in cases.values() if k.ports]
    for port in ins + outs:
        assert {c[port] for c in per_case} == set(STALL_PATTERNS), port
    for c in per_case:  # two inputs (two outputs) of one case never share a pattern
        assert c["s_axis_a"] != c["s_axis_b"] and c["m_axis_even"] != c["m_axis_odd"]


def test_knobs_stall_class_reads_the_port_pattern():
    from tb.common.bench import Knobs

    k = Knobs("none", "none", {"m_axis": "burst:4"})
    assert k.stall_class("s_axis", True) == "none"
    assert k.stall_class("m_axis", False) == "some"
    assert Knobs(0.0, 0.5).stall_class("x", True) == "none"


# -- registry and the block spec ------------------------------------------------------------
def test_block_spec_rules():
    from tb.common.bench import BlockSpec, StreamSpec

    s = StreamSpec("s_axis", lambda p, b: b, lambda p, t: [])
    kw = dict(predictor=None, cycles=None, n_pe=None, latency=None)
    with pytest.raises(ValueError, match="needs route"):
        BlockSpec("x", [s, StreamSpec("s_axis_w", s.decode, s.encode)], [], **kw)
    with pytest.raises(ValueError, match="prefixes must be unique"):
        BlockSpec("x", [s], [StreamSpec("s_axis", s.decode)], **kw)
    with pytest.raises(ValueError, match="needs encode"):
        BlockSpec("x", [StreamSpec("s_axis", s.decode)], [], **kw)


def test_unknown_block_is_one_sentence():
    from models.configs import get_config
    from models.params import ParamError

    with pytest.raises(ParamError, match="unknown block 'nope'; known blocks: "):
        get_config("nope")


# -- skips are failures -----------------------------------------------------------------------
def test_an_unlisted_skip_fails(tmp_path):
    t = tmp_path / "test_skipper.py"
    t.write_text("import pytest\n\ndef test_x():\n    pytest.importorskip('no_such_pkg_zs')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p",
                        "no:cacheprovider", str(t)], cwd=ROOT, env=env, capture_output=True,
                       text=True)
    assert r.returncode == 1, r.stdout
    assert "1 failed" in r.stdout and "a skip is a failure here" in r.stdout, r.stdout
