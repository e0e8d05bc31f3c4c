"""Guard tests for the testplans (tb/<blk>/testplan.yaml): every listed test and coverpoint
exists, the format is enforced, and a test removed from a block opens its testpoint and fails
the coverage gate."""

import re

import pytest

from models.configs import CONFIGS
from tb.common.testplan import (
    TB,
    TestplanError,
    defined_coverpoints,
    discover_tests,
    load_testplan,
    parse_testplan,
    planned_blocks,
)
from tools.coverage import funccov, report

PLANNED = planned_blocks()


def test_the_spine_block_has_a_testplan():
    assert "gemm" in PLANNED


@pytest.mark.parametrize("blk", PLANNED)
def test_every_planned_test_exists(blk):
    plan = load_testplan(blk)
    have = discover_tests(blk)
    missing = [t for t in plan.tests if t not in have]
    assert not missing, (f"tb/{blk}/testplan.yaml names test(s) {missing} that "
                         f"tb/{blk}/{blk}_tests.py does not define (it has {have})")


@pytest.mark.parametrize("blk", PLANNED)
def test_every_planned_coverpoint_exists(blk):
    plan = load_testplan(blk)
    have = defined_coverpoints(blk)
    missing = [c for c in plan.coverpoints if c not in have]
    assert not missing, (f"tb/{blk}/testplan.yaml names coverpoint(s) {missing} that "
                         f"tb/{blk}/coverage.py does not define (it has {have})")


@pytest.mark.parametrize("blk", PLANNED)
def test_plan_config_and_gates(blk):
    plan = load_testplan(blk)
    assert plan.config in CONFIGS[blk], f"{blk}: testplan config {plan.config!r} is not named"
    assert plan.gates, f"tb/{blk}/testplan.yaml declares no coverage gates"


def test_discover_tests_finds_pyuvm_classes_and_cocotb_functions():
    src = '''
import cocotb, pyuvm
Base = object
@pyuvm.test()
class ATest(Base):
    pass
class NotATest(Base):  # no decorator: a base class
    pass
@pyuvm.test(skip=False)
class BTest(Base):
    pass
@cocotb.test()
@cocotb.parametrize(x=[1, 2])
async def test_matrix(dut, x):
    pass
@cocotb.test
async def test_plain(dut):
    pass
async def helper(dut):
    pass
'''
    assert discover_tests("x", source=src) == ["ATest", "BTest", "test_matrix", "test_plain"]


GOOD = dict(block="blk", gates={"line": 90, "functional": 100},
            testpoints=[dict(name="tp_a", stage="V1", desc="does a", tests=["ATest"],
                             coverpoints=["blk.x"])])


def _with(**kw):
    d = {k: (list(v) if isinstance(v, list) else v) for k, v in GOOD.items()}
    d.update(kw)
    return d


@pytest.mark.parametrize("data, rule", [
    (_with(gate={"line": 90}), "unknown key(s) ['gate']"),
    (_with(gates={"lines": 90}), "unknown key(s) ['lines']"),
    (_with(gates={"line": 120}), "percentage in [0, 100]"),
    (_with(testpoints=[]), "non-empty list"),
    (_with(testpoints=[dict(name="tp", stage="V1", desc="d", tests=[])]), "at least 1"),
    (_with(testpoints=[dict(name="tp", stage="V9", desc="d", tests=["A"])]), "stage must be"),
    (_with(testpoints=[dict(name="tp", stage="V1", desc="d", tests=["A"])] * 2), "used twice"),
    (_with(exclusions=[dict(type="toggle", point="x")]), "needs a reason"),
    (_with(exclusions=[dict(type="toggle", reason="it is unreachable")]), "`point` and/or"),
    (_with(exclusions=[dict(type="fsm", point="x", reason="it is unreachable")]), "type must"),
])
def test_format_is_enforced(data, rule):
    with pytest.raises(TestplanError) as e:
        parse_testplan(data)
    assert rule in str(e.value)


def test_plan_defaults():
    plan = parse_testplan(_with())
    assert plan.config == "typical" and plan.tests == ["ATest"] and plan.exclusions == ()


def _all_covered_code() -> dict[str, int]:
    def key(typ, line, desc):
        return (f"\x01f\x02/x/blk.v\x01l\x02{line}\x01t\x02{typ}\x01page\x02v_{typ}/blk"
                f"\x01o\x02{desc}\x01h\x02blk")
    return {key(t, n, f"{t}{n}"): 5 for t in ("line", "branch", "toggle", "expr")
            for n in range(1, 4)}


def _gemm_report(discovered: list[str]) -> dict:
    """The gemm plan against synthetic, fully covered data where every test that exists
    passed."""
    plan = load_testplan("gemm")
    tests = {t: report.test_record(t, passed=True, cases=1) for t in discovered}
    func = {c: funccov.Coverpoint(c, 1, {"b0": 3, "b1": 1}) for c in plan.coverpoints}
    return report.block_report(plan, discovered=discovered, tests=tests,
                               code_counts=_all_covered_code(), func=func)


def test_removed_test_opens_its_testpoint_and_fails_the_gate():
    source = (TB / "gemm" / "gemm_tests.py").read_text()
    full = discover_tests("gemm", source=source)
    control = _gemm_report(full)
    assert control["ok"], control["failures"]  # everything present: the gate passes

    # remove K1Test from the test module, as a careless edit would
    cut = re.sub(r"test_class\(globals\(\), GemmTest, \"K1Test\", K1Seq\)\n", "", source)
    assert cut != source
    fewer = discover_tests("gemm", source=cut)
    assert "K1Test" not in fewer and len(fewer) == len(full) - 1

    rep = _gemm_report(fewer)
    tp = next(t for t in rep["testpoints"] if t["name"] == "k_corners")
    assert not tp["closed"]
    assert tp["tests"]["K1Test"] == report.MISSING
    assert not rep["ok"]
    assert any(f.startswith("testpoint k_corners open") and "K1Test missing" in f
               for f in rep["failures"]), rep["failures"]
    summary = report.regression_summary([rep])
    assert summary["ok"] is False
    assert summary["blocks"]["gemm"]["testpoints_closed"] == len(rep["testpoints"]) - 1
    assert "OPEN" in report.render_block_html(rep)
