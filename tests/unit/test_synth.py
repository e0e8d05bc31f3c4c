"""make synth: parsers on captured yosys/nextpnr text, the baseline tolerance, the cost table,
one real yosys run (gemm min) and the synthesis lint on hand-written bad Verilog.

Yosys is a required tool of the project (ci/setup.sh installs it): when it is missing these
tests fail with the apt-get line, they never skip.
"""

from __future__ import annotations

import shutil

import pytest

from tools.synth import baseline, cost, flow, parse

# -- captured text (yosys 0.23, nextpnr-ice40 0.4) ------------------------------------------------
STAT_PARTIAL = """{
   "creator": "Yosys 0.23 (git sha1 7ce5011c24b)",
   "invocation": "stat -json i:* o:* ",
   "modules": {
      "\\\\gemm_r1c1w8a32q0": {
         "num_wires":         11,
         "num_wire_bits":     57,
         "num_cells":         0,
         "num_cells_by_type": {

         }
      }
   },

}
"""
STAT_DESIGN = """{"modules": {}, "design": {"num_wires": 3, "num_wire_bits": 1514,
  "num_cells": 1246, "num_cells_by_type": {"$_XOR_": 273, "$_SDFFE_PP0P_": 83}}}"""
CHECK_LOOP = """
7. Executing CHECK pass (checking for obvious problems).
Checking module loopy...
Warning: found logic loop in module loopy:
    cell $and$bad.v:7$3 ($and)
    cell $xor$bad.v:6$2 ($xor)
    wire $and$bad.v:7$3_Y
    wire \\b
Found and reported 1 problems.
"""
CHECK_MULTI_UNDRIVEN = """Checking module multi...
Warning: multiple conflicting drivers for multi.\\b:
    module input b[0]
    module input a[0]
Warning: Wire undrv.\\u is used but has no driver.
Found and reported 2 problems.
"""
CHECK_CLEAN = "Checking module gemm_r1c1w8a32q0...\nFound and reported 0 problems.\n"
PROC_LOG = """3.8. Executing PROC_DLATCH pass (convert process syncs to latches).
No latch inferred for signal `\\gemm.\\out_stage0_y_cat' from process `\\gemm.$proc$g.v:185$29'.
Latch inferred for signal `\\latchy.\\q' from process `\\latchy.$proc$bad.v:2$1': $auto$x
"""
NEXTPNR_LOG = """Info: Device utilisation:
Info: 	         ICESTORM_LC:   557/ 7680     7%
Info: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 75.92 MHz (PASS at 50.00 MHz)
Info: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 77.42 MHz (PASS at 50.00 MHz)
"""
NEXTPNR_FAIL = ("Info: 	         ICESTORM_LC: 15210/ 7680   198%\nERROR: Unable to place cell '"
                + "out_stage0_SB_LUT4_O" * 12 + "', no BELs remaining to implement cell type "
                "'ICESTORM_LC'\n")
XILINX_GEMM_TYPICAL = {"BUFG": 1, "CARRY4": 79, "DSP48E1": 24, "FDRE": 647, "IBUF": 92,
                       "INV": 10, "LUT1": 472, "LUT2": 40, "LUT3": 714, "LUT4": 208,
                       "LUT5": 497, "LUT6": 353, "MUXF7": 587, "MUXF8": 203, "OBUF": 35,
                       "RAM32M": 8, "RAMB18E1": 1, "SRLC32E": 2, "LDCE": 1}


def test_stat_json_design_and_partial_selection():
    d = parse.parse_stat_json(STAT_DESIGN)
    assert d["cells"] == 1246 and d["cells_by_type"]["$_XOR_"] == 273
    assert parse.parse_stat_json(STAT_PARTIAL)["wire_bits"] == 57  # yosys 0.23's "}," quirk


def test_check_rules_named():
    loop = parse.parse_check(CHECK_LOOP)
    assert loop == [("comb-loop", "loopy: $and$bad.v:7$3_Y, \\b")]
    rules = [r for r, _ in parse.parse_check(CHECK_MULTI_UNDRIVEN)]
    assert rules == ["multiple-drivers", "undriven"]
    assert parse.parse_check(CHECK_CLEAN) == []


def test_check_never_loses_a_problem():
    odd = "Warning: something new in yosys 0.99.\nFound and reported 3 problems.\n"
    found = parse.parse_check(odd)
    assert [r for r, _ in found] == ["check-other", "check-other"]
    assert "2 problem(s)" in found[1][1]


def test_latches_from_proc_log():
    assert parse.parse_latches(PROC_LOG) == ["\\latchy.\\q"]
    assert parse.latch_cells({"$_DLATCH_P_": 1, "$_DFF_P_": 3, "LDCE": 2}) == {
        "$_DLATCH_P_": 1, "LDCE": 2}


def test_nextpnr_log():
    ok = parse.parse_nextpnr(NEXTPNR_LOG)
    assert (ok["fmax_mhz"], ok["lc_used"], ok["lc_total"], ok["error"]) == (77.42, 557, 7680,
                                                                            None)
    bad = parse.parse_nextpnr(NEXTPNR_FAIL)
    assert bad["fmax_mhz"] is None and bad["lc_used"] == 15210
    assert bad["error"] == ("Unable to place cell '...', no BELs remaining to implement cell "
                            "type 'ICESTORM_LC'")


def test_xilinx_figures():
    assert parse.xilinx_figures(XILINX_GEMM_TYPICAL) == {
        "lut": 2284, "ff": 647, "dsp": 24, "bram": 1, "lutram": 10, "carry": 79}


# -- baseline tolerance ------------------------------------------------------------------------
def record(block="gemm", config="typical", lut=1000, fmax=50.0, tag="r4c4", lint=()):
    x = {"lut": lut, "ff": 500, "dsp": 24, "bram": 0, "lutram": 0, "carry": 79}
    return {"block": block, "config": config, "tag": tag, "xilinx": x, "errors": [],
            "generic": {"cells": 20000}, "ice40": {"fmax_mhz": fmax, "reason": None},
            "lint": {"violations": list(lint)}}


def base_of(*recs):
    return baseline.updated({}, list(recs), {"yosys": "0.23"}, complete=True)


def test_tolerance_11_percent_fails_9_passes():
    base = base_of(record(lut=1000))
    v = baseline.compare([record(lut=1110)], base, complete=True)
    assert v.violations == ["gemm typical: LUT: baseline 1000, measured 1110 (+11.0%, "
                            "tolerance +-10%)"]
    assert v.status[("gemm", "typical")] == "FAIL"
    assert baseline.compare([record(lut=1090)], base, complete=True).violations == []
    assert baseline.compare([record(lut=910)], base, complete=True).violations == []
    assert baseline.compare([record(lut=890)], base, complete=True).violations  # symmetric


def test_zero_baseline_and_lost_fmax():
    base = base_of(record())
    rec = record(fmax=None)
    rec["xilinx"]["bram"] = 1
    rec["ice40"]["reason"] = "140 IOs > 206"
    v = baseline.compare([rec], base, complete=True)
    assert any("BRAM: baseline 0, measured 1" in x for x in v.violations)
    assert any("Fmax MHz: baseline 50, measured none (140 IOs > 206)" in x for x in v.violations)


def test_missing_and_stale_configs_are_reported():
    base = base_of(record(config="typical"), record(config="old"))
    v = baseline.compare([record(config="typical"), record(config="new")], base, complete=True)
    assert any(x.startswith("gemm new: not in the baseline") for x in v.violations)
    assert any(x.startswith("gemm old: in the baseline but not a config") for x in v.violations)
    partial = baseline.compare([record(config="typical")], base, complete=False)
    assert partial.violations == []  # a --config run does not judge what it did not run


def test_lint_failure_fails_the_baseline_check():
    base = base_of(record())
    rec = record(lint=[{"rule": "latch", "detail": "\\g.\\q"}])
    assert baseline.compare([rec], base, complete=True).violations == [
        "gemm typical: lint latch: \\g.\\q"]


def test_partial_update_keeps_other_entries():
    base = base_of(record(config="typical"), record(block="nm_gemm", config="min"))
    new = baseline.updated(base, [record(config="typical", lut=7)], {"yosys": "0.23"}, False)
    assert new["configs"]["gemm"]["typical"]["lut"] == 7 and "nm_gemm" in new["configs"]


# -- cost of sparsity -------------------------------------------------------------------------
def pair(sparse_params, dense_params):
    s = {**record(block="nm_gemm", lut=1500), "params": sparse_params,
         "port_widths": {"s_axis_tdata": 168}}
    d = {**record(block="gemm", lut=1000), "params": dense_params,
         "port_widths": {"s_axis_tdata": 64}}
    return cost.rows([d, s])


def test_cost_row_ratios_and_quoted_speedup():
    (row,) = pair(dict(rows=4, cols=4, n=2, m=4, requant=True), dict(rows=4, cols=4,
                                                                      requant=True))
    assert row["lut"]["ratio"] == pytest.approx(1.5) and row["in_bits"]["ratio"] == 2.625
    assert row["speedup"] == cost.MEASURED_SPEEDUP[(4, 4, 2, 4)]
    assert row["speedup_per_lut"] == pytest.approx(1.982 / 1.5)


def test_cost_refuses_unequal_shapes():
    (row,) = pair(dict(rows=4, cols=4, n=2, m=4), dict(rows=3, cols=5))
    assert row["not_comparable"] == "cols 4 vs 5; rows 4 vs 3"


# -- real yosys ------------------------------------------------------------------------------
@pytest.fixture
def yosys():
    if shutil.which("yosys") is None or shutil.which("nextpnr-ice40") is None:
        pytest.fail(f"yosys/nextpnr-ice40 not installed: {flow.INSTALL_HINT} (ci/setup.sh)")


def test_too_many_ios_skips_ice40_without_running_it(tmp_path):
    out = flow.ice40(tmp_path, "absent.v", "absent", io_bits=flow.HX8K_CT256_IOS + 1)
    assert not out["fits"] and out["reason"] == "207 IOs > 206 on ct256"
    assert not (tmp_path / "ice40.ys").exists()


def test_missing_yosys_says_how_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _tool: None)
    with pytest.raises(flow.ToolError, match="apt-get install yosys"):
        flow.require_tools()


def test_gemm_min_synthesises_clean(yosys, tmp_path):
    from models.configs import CONFIGS
    from tools.synth.__main__ import synth_config

    p = CONFIGS["gemm"]["min"]
    rec = synth_config("gemm", "min", p, tmp_path, flow.require_tools())
    assert rec["errors"] == [] and rec["lint"]["violations"] == []
    figs = baseline.figures(rec)
    assert all(figs[f] > 0 for f in ("lut", "ff", "dsp", "carry", "cells", "fmax_mhz")), figs
    # every port bit is an IO: the data ports plus clk, rst and the handshakes
    assert rec["ice40"]["fits"] and rec["ice40"]["io_bits"] > sum(p.port_widths().values())


BAD = {  # module -> (Verilog, the rule the lint must name)
    "latchy": ("module latchy(input wire en, input wire d, output reg q);\n"
               "always @(*) if (en) q = d;\nendmodule\n", "latch"),
    "loopy": ("module loopy(input wire a, output wire y);\nwire b;\n"
              "assign b = a ^ y;\nassign y = b & a;\nendmodule\n", "comb-loop"),
    "multi": ("module multi(input wire a, input wire b, output wire y);\n"
              "assign y = a;\nassign y = b;\nendmodule\n", "multiple-drivers"),
    "undrv": ("module undrv(input wire a, output wire y);\nwire u;\n"
              "assign y = a & u;\nendmodule\n", "undriven"),
}


@pytest.mark.parametrize("top", sorted(BAD))
def test_lint_names_the_rule(yosys, tmp_path, top):
    src, rule = BAD[top]
    (tmp_path / f"{top}.v").write_text(src)
    out = flow.lint_and_generic(tmp_path, f"{top}.v", top)
    assert rule in {v["rule"] for v in out["violations"]}, out["violations"]
