"""A test must be able to fail: break the generated RTL on purpose (an operator, a constant, a
handshake) and check that the regression fails with a mismatch report naming the first wrong
element, or with a missing-output report. Icarus only: it builds in a fraction of a second."""

import pytest

from models.configs import get_config
from rtl.convert import convert
from tests.sim.runner import run, setup_tools

MUTANTS = {
    # name: (original text, mutant text, test that must catch it, what the report must say)
    "pe_add_to_sub": ("(gemm_pe5_acc + (", "(gemm_pe5_acc - (", "RandomTest",
                      "first mismatch at element"),
    "sat_constant": ("gemm_requant0_y = 127;", "gemm_requant0_y = 126;", "ExtremesTest",
                     "first mismatch at element"),
    "ready_always": ("assign s_axis_tready = (state == 2'b00);", "assign s_axis_tready = 1'b1;",
                     "RandomTest", "gemm[r4c4w8a32q1]"),
}


@pytest.mark.sim
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_mutant_is_killed(mutant, seed, tmp_path):
    setup_tools("icarus")
    p = get_config("gemm", "typical")
    orig, mut, test, expect = MUTANTS[mutant]
    text = convert(p).read_text()
    assert text.count(orig) == 1, f"mutation site {orig!r} not found once in the Verilog"
    src = tmp_path / f"{p.module_name}.v"
    src.write_text(text.replace(orig, mut))
    res = run(p, "icarus", seed=seed, test=test, source=src, variant=f"_mut_{mutant}")
    assert not res.ok, f"mutant {mutant} survived {test}"
    report = "\n".join(res.failures)
    assert expect in report, report
    assert f"SEED={seed}" in report, "the failure must say how to reproduce it"
