"""A test must be able to fail: break the generated RTL on purpose (an operator, a constant, a
handshake, a mux, a check) and check that the regression fails with a report naming the first
wrong element or field and the command that reproduces it. Icarus only: it builds in a fraction
of a second."""

from dataclasses import dataclass

import pytest

from models.configs import get_config
from rtl.convert import convert
from tests.sim.runner import run, setup_tools


@dataclass(frozen=True)
class Mutant:
    block: str
    orig: str  # text that must occur exactly once in the typical config's Verilog
    mutant: str
    test: str  # the test that must catch it
    expect: str  # what the failure report must say


MUTANTS = {
    "gemm_pe_add_to_sub": Mutant("gemm", "(gemm_pe5_acc + (", "(gemm_pe5_acc - (", "RandomTest",
                                 "first mismatch at element"),
    "gemm_sat_constant": Mutant("gemm", "out_stage0_gemm_requant0_y = 127;",
                                "out_stage0_gemm_requant0_y = 126;", "ExtremesTest",
                                "first mismatch at element"),
    "gemm_ready_always": Mutant("gemm", "assign s_axis_tready = (tile_ctrl0_state == 2'b00);",
                                "assign s_axis_tready = 1'b1;", "RandomTest",
                                "gemm[r4c4w8a32q1]"),
    "nm_mux_swap": Mutant("nm_gemm", "nm_gemm_pe5_act = nm_gemm_pe5_x_q[16-1:8];",
                          "nm_gemm_pe5_act = nm_gemm_pe5_x_q[24-1:16];", "PatternsTest",
                          "first mismatch at element"),
    "nm_repeat_unseen": Mutant("nm_gemm",
                               "assign nm_seen_mask0_dup = (nm_seen_mask0_seen[",
                               "assign nm_seen_mask0_dup = 1'b0 && (nm_seen_mask0_seen[",
                               "MalformedTest", "field 'flag'"),
    "dlstm_m_add_to_sub": Mutant(
        "delta_lstm", "dlstm_act_lane1_m_f[0] <= (dlstm_act_lane1_m_f[0] + dlstm_pe1_prod2);",
        "dlstm_act_lane1_m_f[0] <= (dlstm_act_lane1_m_f[0] - dlstm_pe1_prod2);", "RandomTest",
        "first mismatch at element"),
    "dlstm_x_fire_ge_to_gt": Mutant(
        "delta_lstm", "dlstm_x_lane2_fire = ((dlstm_x_lane2_d >= thr_x)",
        "dlstm_x_lane2_fire = ((dlstm_x_lane2_d > thr_x)", "ThresholdCycleTest",
        "delta_lstm["),
    "dlstm_o_lut_entry": Mutant(
        "delta_lstm", "131: dlstm_act_lane2_dlstm_gate_fn13_dlstm_lut13_yu = 8;",
        "131: dlstm_act_lane2_dlstm_gate_fn13_dlstm_lut13_yu = 9;", "LutSweepTest",
        "first mismatch at element"),
    "dlstm_h_tlast_always": Mutant(
        "delta_lstm", "    m_axis_h_tlast = out_last;", "    m_axis_h_tlast = 1'b1;",
        "RandomTest", "expected (8,), got (4,)"),
}


@pytest.mark.sim
@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_is_killed(name, seed, tmp_path):
    setup_tools("icarus")
    m = MUTANTS[name]
    p = get_config(m.block, "typical")
    text = convert(p).read_text()
    assert text.count(m.orig) == 1, f"mutation site {m.orig!r} not found once in the Verilog"
    src = tmp_path / f"{p.module_name}.v"
    src.write_text(text.replace(m.orig, m.mutant))
    res = run(p, "icarus", seed=seed, test=m.test, source=src, variant=f"_mut_{name}")
    assert not res.ok, f"mutant {name} survived {m.test}"
    report = "\n".join(res.failures)
    assert m.expect in report, report
    assert f"SEED={seed}" in report, "the failure must say how to reproduce it"
