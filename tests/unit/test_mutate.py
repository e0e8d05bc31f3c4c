"""tools/mutate: the mutant list is a function of the Verilog, N and SEED; a line of it parses
into the id the testplan uses; the testplan's `mutation:` section is checked like the rest."""

import shutil

import pytest

from tb.common.testplan import (
    DEFAULT_MUTATION_CONFIGS,
    DEFAULT_MUTATION_GATE,
    TestplanError,
    parse_testplan,
)
from tools.mutate.generate import DESIGN, mutant_list, parse_line, prepare, write_mutant

LINE = ("mutate -mode cnot1 -module gemm_r4c4w8a32q1 -cell $procmux$279 -port Y -portbit 10 "
        "-ctrlbit 0 -wire out_stage0_gemm_requant0_halved -wirebit 10 -src design.v:137.19-137.50 "
        "-src design.v:1027.9-1027.34 -src design.v:1027.5-1032.8")

TINY = """`timescale 1ns/1ps
module tiny (clk, a, b, y);
input clk;
input [3:0] a;
input [3:0] b;
output [4:0] y;
reg [4:0] y;
always @(posedge clk) begin
    y <= a + b;
end
endmodule
"""


def test_line_parses_into_its_id_and_location():
    m = parse_line(7, LINE)
    assert m.command == ("mutate -mode cnot1 -module gemm_r4c4w8a32q1 -cell $procmux$279 -port Y "
                         "-portbit 10 -ctrlbit 0 -wire out_stage0_gemm_requant0_halved "
                         "-wirebit 10")
    assert (m.index, m.mode, m.cell, m.port, m.portbit) == (7, "cnot1", "$procmux$279", "Y", 10)
    assert m.wire == "out_stage0_gemm_requant0_halved"
    assert m.lines == (137, 1027)


@pytest.mark.skipif(shutil.which("yosys") is None, reason="needs yosys (ci/setup.sh installs it)")
def test_list_depends_only_on_verilog_n_and_seed(tmp_path):
    src = tmp_path / "tiny.v"
    src.write_text(TINY)
    lists = []
    for d in ("a", "b"):  # two directories: the list must not depend on the path
        w = prepare(src, tmp_path / d)
        assert w.name == DESIGN
        lists.append([m.command for m in mutant_list(w.parent, "tiny", 5, 3)])
    assert lists[0] == lists[1]
    assert lists[0][0] == "mutate -mode none" and len(lists[0]) == 6
    other = [m.command for m in mutant_list(tmp_path / "a", "tiny", 5, 4)]
    assert other != lists[0]
    muts = mutant_list(tmp_path / "a", "tiny", 5, 3)
    base = write_mutant(tmp_path / "a", "tiny", muts[0]).read_text()
    mutated = write_mutant(tmp_path / "a", "tiny", muts[1]).read_text()
    assert "module tiny(" in base and base != mutated


PLAN = {"block": "gemm", "testpoints": [{"name": "t", "stage": "V1", "desc": "d",
                                         "tests": ["RandomTest"]}]}


def _plan(mutation):
    return parse_testplan(dict(PLAN, mutation=mutation))


def test_mutation_section_defaults_and_entries():
    plan = parse_testplan(PLAN)
    assert plan.mutation.gate == DEFAULT_MUTATION_GATE
    assert plan.mutation.configs == DEFAULT_MUTATION_CONFIGS
    m = _plan({"gate": 100, "configs": ["typical"], "equivalent": [
        {"config": "typical", "mutation": "mutate -mode inv -module x -cell c -port A",
         "reason": "the bit is masked by the saturation two lines below"}]}).mutation
    assert m.gate == 100 and m.equivalent[0].mutation.endswith("-port A")


@pytest.mark.parametrize("bad, says", [
    ({"gate": 120}, "gate must be a percentage"),
    ({"configs": []}, "needs at least 1"),
    ({"gaet": 95}, "unknown key"),
    ({"equivalent": [{"config": "min", "mutation": "mutate -mode inv", "reason": "a b c"}]},
     "is not a campaign config"),
    ({"equivalent": [{"config": "typical", "mutation": "mutate -mode inv -src design.v:3",
                      "reason": "a b c"}]}, "without -src tags"),
    ({"equivalent": [{"config": "typical", "mutation": "mutate -mode inv", "reason": "ok"}]},
     "needs a reason"),
])
def test_mutation_section_refuses(bad, says):
    with pytest.raises(TestplanError, match=says):
        _plan(bad)
