"""The coverage report on synthetic data: parsing, merging, exclusions, gates, rendering."""

import json

import pytest

from tb.common.testplan import parse_testplan
from tools.coverage import codecov, funccov, report

VFILE = "/src/blk_t1.v"


def key(typ: str, line: int, desc: str, lines: str = "", col: int = 1) -> str:
    """A Verilator coverage key as 5.048 writes it."""
    k = (f"\x01f\x02{VFILE}\x01l\x02{line}\x01n\x02{col}\x01t\x02{typ}"
         f"\x01page\x02v_{typ}/blk_t1\x01o\x02{desc}")
    if lines:
        k += f"\x01S\x02{lines}"
    return k + "\x01h\x02blk_t1"


def dat(points: dict[str, int]) -> str:
    return codecov.HEADER + "\n" + "".join(f"C '{k}' {c}\n" for k, c in points.items())


LINE_A, LINE_B = key("line", 10, "block", "10-11"), key("line", 20, "elsif", "20")
BR_IF, BR_ELSE = key("branch", 12, "if", "12", 5), key("branch", 12, "else", "14", 6)
TOG0, TOG1 = key("toggle", 3, "acc[0]:0->1"), key("toggle", 3, "acc[0]:1->0")
EXPR = key("expr", 30, "((y < 32'sh0)==1) => 1")  # descriptions can contain quotes

SOURCE = {VFILE: [""] * 40}
SOURCE[VFILE][11] = "        if (obuf_free) begin"
SOURCE[VFILE][19] = "            default: begin"


def plan(gates=None, exclusions=(), testpoints=None):
    return parse_testplan(dict(
        block="blk", gates=gates if gates is not None else {"line": 50, "functional": 50},
        exclusions=list(exclusions),
        testpoints=testpoints or [
            dict(name="tp_a", stage="V1", desc="does a", tests=["ATest"],
                 coverpoints=["blk.x"]),
            dict(name="tp_b", stage="V2", desc="does b", tests=["BTest", "test_m"])]))


def func_db(x_bins=None) -> funccov.FuncDb:
    return {"blk.x": funccov.Coverpoint("blk.x", 1, x_bins or {"lo": 2, "hi": 1}),
            "blk.y": funccov.Coverpoint("blk.y", 1, {"a": 1, "b": 0})}


def passing(names=("ATest", "BTest", "test_m")):
    return {n: report.test_record(n, passed=True, cases=1) for n in names}


def build(p=None, counts=None, func=None, tests=None, discovered=("ATest", "BTest", "test_m")):
    counts = counts if counts is not None else {LINE_A: 3, LINE_B: 0, BR_IF: 1, BR_ELSE: 2,
                                                TOG0: 1, TOG1: 0, EXPR: 4}
    return report.block_report(p or plan(), discovered=list(discovered),
                               tests=tests if tests is not None else passing(),
                               code_counts=counts, func=func or func_db(),
                               src=codecov.SourceCache(SOURCE), meta=dict(tag="t1", seed=7))


# -- code coverage -----------------------------------------------------------------------
def test_parse_and_merge_sum_counts_per_point():
    a = codecov.parse_dat(dat({LINE_A: 2, EXPR: 0}))
    b = codecov.parse_dat(dat({LINE_A: 3, EXPR: 1, LINE_B: 0}))
    assert a[EXPR] == 0 and codecov.parse_key(EXPR).desc == "((y < 32'sh0)==1) => 1"
    m = codecov.merge(a, b)
    assert m == {LINE_A: 5, EXPR: 1, LINE_B: 0}


def test_parse_a_line_as_verilator_writes_it(tmp_path):
    raw = ("# SystemC::Coverage-3\nC '\x01f\x02/w/gemm.v\x01l\x021032\x01n\x025\x01t\x02line"
           "\x01page\x02v_line/gemm\x01o\x02elsif\x01S\x021032-1033\x01h\x02gemm' 1\n")
    (tmp_path / "coverage.dat").write_text(raw, encoding="latin-1")
    (k, c), = codecov.read_dat(tmp_path / "coverage.dat").items()
    pt = codecov.parse_key(k)
    assert (pt.type, pt.line, pt.desc, pt.lines, c) == ("line", 1032, "elsif", (1032, 1033), 1)
    out = tmp_path / "merged.dat"
    codecov.write_dat({k: 4}, out)
    assert codecov.read_dat(out) == {k: 4}


def test_summary_counts_a_point_covered_at_one_hit():
    s = codecov.summarise({LINE_A: 1, LINE_B: 0, TOG0: 7, TOG1: 0})
    assert s["types"]["line"] == dict(total=2, hit=1, excluded=0, pct=50.0)
    assert s["types"]["toggle"]["pct"] == 50.0
    assert {m["desc"] for m in s["missed"]} == {"elsif", "acc[0]:1->0"}
    assert next(m for m in s["missed"] if m["type"] == "toggle")["signal"] == "acc"


def test_lcov_has_lines_and_branches():
    info = codecov.to_lcov({LINE_A: 3, LINE_B: 0, BR_IF: 0, BR_ELSE: 2, TOG0: 1},
                           test_name="blk")
    assert f"SF:{VFILE}" in info
    assert "DA:10,3" in info and "DA:11,3" in info and "DA:20,0" in info
    assert "BRDA:12,0,0,0" in info and "BRDA:12,0,1,2" in info
    assert "LF:3" in info and "LH:2" in info and "BRF:2" in info and "BRH:1" in info
    assert "acc" not in info  # toggles have no lcov form


def test_lcov_line_shared_by_two_points_shows_the_smaller_count():
    other = key("line", 11, "if", "11")
    info = codecov.to_lcov({LINE_A: 3, other: 0})
    assert "DA:11,0" in info and "DA:10,3" in info


# -- functional coverage --------------------------------------------------------------------
XML = """<top abs_name="top" size="6" coverage="3" cover_percentage="50.0">
  <blk size="6" coverage="3" cover_percentage="50.0" abs_name="top.blk">
    <k size="2" coverage="1" cover_percentage="50.0" abs_name="top.blk.k" weight="1" at_least="1">
      <bin0 bin="1" hits="{k1}" abs_name="top.blk.k.bin0" />
      <bin1 bin="2-8" hits="0" abs_name="top.blk.k.bin1" />
    </k>
    <k_x_bp size="2" coverage="1" abs_name="top.blk.k_x_bp" weight="1" at_least="2">
      <bin0 bin="('1', 'none')" hits="{kx}" abs_name="top.blk.k_x_bp.bin0" />
      <bin1 bin="('1', 'some')" hits="2" abs_name="top.blk.k_x_bp.bin1" />
    </k_x_bp>
  </blk>
</top>"""


def test_functional_parse_and_merges():
    first = funccov.parse_xml(XML.format(k1=1, kx=0))
    later = funccov.parse_xml(XML.format(k1=3, kx=1))  # same process, after another test
    assert set(first) == {"blk.k", "blk.k_x_bp"}
    assert first["blk.k"].bins == {"1": 1, "2-8": 0}
    assert first["blk.k_x_bp"].missed == ["('1', 'none')"]  # at_least=2
    one_process = funccov.merge_cumulative([first, later])
    assert one_process["blk.k"].bins["1"] == 3 and one_process["blk.k_x_bp"].hit == 1
    two_processes = funccov.merge_independent([first, later])
    assert two_processes["blk.k_x_bp"].bins["('1', 'none')"] == 1
    assert two_processes["blk.k"].bins["1"] == 4
    s = funccov.summarise(two_processes)
    assert (s["hit"], s["total"]) == (2, 4) and s["pct"] == 50.0
    assert s["coverpoints"]["blk.k"]["missed"] == ["2-8"]


def test_read_test_dir_is_cumulative(tmp_path):
    (tmp_path / "A.xml").write_text(XML.format(k1=1, kx=0))
    (tmp_path / "B.xml").write_text(XML.format(k1=2, kx=2))
    db = funccov.read_test_dir(tmp_path)
    assert db["blk.k"].bins["1"] == 2 and db["blk.k_x_bp"].closed is True
    assert funccov.read_test_dir(tmp_path / "absent") == {}


# -- gates and testpoints --------------------------------------------------------------------
def test_a_passing_block():
    r = build(plan(testpoints=[dict(name="tp_b", stage="V2", desc="b", tests=["BTest"])]))
    assert r["ok"], r["failures"]
    assert r["testpoints_closed"] == 1
    g = {x["metric"]: x for x in r["gates"]}
    assert g["line"]["value"] == 50.0 and g["line"]["ok"]  # equal to the threshold passes
    assert g["functional"]["hit"] == 3 and g["functional"]["total"] == 4
    assert "test ATest is in no testpoint (unplanned)" in r["warnings"]
    assert "coverpoint blk.y is in no testpoint" in r["warnings"]


def test_a_gate_below_its_threshold_fails():
    r = build(plan(gates={"line": 51, "toggle": 50}))
    assert not r["ok"]
    assert "gate line: 50.00 % < 51 %" in r["failures"]
    assert not any("toggle" in f for f in r["failures"])


def test_a_gated_type_without_data_fails():
    r = build(plan(gates={"expr": 10}), counts={LINE_A: 1})
    assert "gate expr: no data < 10 %" in r["failures"]


def test_open_coverpoint_opens_the_testpoint():
    r = build(func=func_db({"lo": 2, "hi": 0}))
    tp = next(t for t in r["testpoints"] if t["name"] == "tp_a")
    assert not tp["closed"] and tp["coverpoints"]["blk.x"]["missed"] == ["hi"]
    assert any("testpoint tp_a open" in f and "missed: hi" in f for f in r["failures"])


def test_missing_test_and_failed_test_open_testpoints():
    tests = passing(("ATest", "test_m"))
    tests["test_m"] = report.test_record("test_m", passed=False, cases=4,
                                         failures=["test_m/x=1: mismatch"])
    r = build(tests=tests, discovered=("ATest", "test_m"))
    tp = next(t for t in r["testpoints"] if t["name"] == "tp_b")
    assert tp["tests"] == {"BTest": report.MISSING, "test_m": report.FAILED}
    assert "test test_m failed: test_m/x=1: mismatch" in r["failures"]
    assert not r["ok"]


def test_a_discovered_test_that_did_not_run_is_not_run():
    r = build(tests=passing(("ATest", "test_m")))
    tp = next(t for t in r["testpoints"] if t["name"] == "tp_b")
    assert tp["tests"]["BTest"] == report.NOT_RUN


def test_exclusions_need_a_match_and_are_listed():
    ex = [dict(type="line", point="^elsif$", code="default:",
               reason="unreachable default arm of a full case"),
          dict(type="toggle", point=r"^nothing\[", reason="no such signal any more")]
    r = build(plan(gates={"line": 100}, exclusions=ex))
    line = r["code"]["types"]["line"]
    assert (line["hit"], line["total"], line["excluded"]) == (1, 1, 1)
    assert {x["rule"]: len(x["points"]) for x in r["code"]["exclusions"]} == {
        "line, point ~ /^elsif$/, code ~ /default:/": 1, r"toggle, point ~ /^nothing\[/": 0}
    assert r["code"]["exclusions"][1]["stale"]
    assert any("stale" in f for f in r["failures"])
    assert not any(f.startswith("gate line") for f in r["failures"])
    html = report.render_block_html(r)
    assert "unreachable default arm of a full case" in html and "STALE" in html


def test_exclusion_code_regex_must_match_the_source_line():
    ex = [dict(type="branch", point="^else$", code="never_there", reason="not this line at all")]
    r = build(plan(exclusions=ex))
    assert r["code"]["types"]["branch"]["excluded"] == 0


# -- outputs ---------------------------------------------------------------------------------
def test_rendering_and_summary():
    good = build(plan(testpoints=[dict(name="tp_b", stage="V2", desc="b", tests=["BTest"])]))
    bad = dict(build(plan(gates={"line": 99})), block="other")
    s = report.regression_summary([good, bad], dict(seed=7))
    assert s["ok"] is False and s["blocks"]["blk"]["ok"] is True
    assert s["failures"] == [f"other: {f}" for f in bad["failures"]]
    assert s["total"]["code"]["line"]["total"] == 4 and s["total"]["functional"]["total"] == 8
    assert s["total"]["testpoints"] == dict(closed=3, total=3)
    json.dumps(s)  # machine-readable as is
    page = report.render_block_html(bad)
    assert "FAIL" in page and "gate line: 50.00 % &lt; 99 %" in page
    assert "toggle, by signal" in page and "<td>acc</td>" in page  # grouped by signal
    assert "y &lt; 32&#x27;sh0" not in page  # the expression point was hit: not listed
    index = report.render_index_html(s, [good, bad])
    assert "href='other/index.html'" in index and "FAIL" in index
    assert "blk.y: b" in index  # missed functional bins are listed on the index


def test_no_block_is_not_a_pass():
    s = report.regression_summary([])
    assert s["ok"] is False and s["failures"] == ["no block was run"]


@pytest.mark.parametrize("pct, thr, ok", [(95.0, 95, True), (94.99, 95, False)])
def test_gate_boundary(pct, thr, ok):
    g = report.evaluate_gates(plan(gates={"functional": thr}), {}, {"pct": pct})
    assert g[0]["ok"] is ok


def test_the_tool_reads_the_directory_the_bench_writes():
    from tb.common.uvm import FUNCCOV_DIR
    from tools.coverage.__main__ import FUNCCOV_DIR as read_from

    assert read_from == FUNCCOV_DIR
