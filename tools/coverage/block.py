"""One block's coverage run: the coverage build, the tests, the merge, the report.

Used by ``make coverage`` (``python -m tools.coverage``) and by ``make test``
(``tests/sim/test_coverage.py``), so both gate the same way.

Two ways to run the tests:

* **one process** (the default): every test of the block's module in one simulator process,
  as ``make test`` runs them. One coverage file; functional coverage is cumulative within the
  process, so its exports merge as a per-bin maximum. Per-test figures are not available (the
  report says so); a crash loses the whole block's data, and the block fails.
* **per test** (``per_test=True``, ``make coverage PER_TEST=1``): each test in its own process,
  so the report has each test's own coverage and a crash loses one test's data. It pays one
  simulator start per test (~120 starts over the suite).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tb.common.testplan import discover_tests, load_testplan
from tests.sim.runner import COVERAGE_FILE, ROOT, RunResult, ToolError, build, build_dir, run
from tools.coverage import codecov, funccov, report

SIM = "verilator"  # the only simulator with code coverage here (Icarus has none)
DEFAULT_SEED = 1  # fixed, so the figures and the gates are reproducible; SEED=n explores
OUT = ROOT / "build" / "coverage"
FUNCCOV_DIR = "funccov"  # tb.common.uvm.FUNCCOV_DIR (not imported: it needs cocotb)
REPORT_JSON = "report.json"  # a block's whole report, read back to write the regression index


def command(blocks: list[str] | None, seed: int, per_test: bool = False) -> str:
    blk = f" BLOCK={blocks[0]}" if blocks and len(blocks) == 1 else ""
    return f"make coverage{blk} SEED={seed}{' PER_TEST=1' if per_test else ''}"


def _testcases(res: RunResult) -> dict[str, dict]:
    """Per test of a whole-module run: cases, failures, seconds (cocotb's results file; a
    parametrized test's variants are ``name/knob=value``)."""
    out: dict[str, dict] = {}
    xml = res.test_dir / "results.xml" if res.test_dir else None
    if xml is None or not xml.is_file():
        return out
    for tc in ET.parse(xml).getroot().iter("testcase"):
        name = (tc.get("name") or "").split("/")[0]
        t = out.setdefault(name, dict(cases=0, failures=[], seconds=0.0))
        t["cases"] += 1
        t["seconds"] += float(tc.get("time") or 0.0)
        bad = tc.find("failure")
        if bad is None:
            bad = tc.find("error")
        if bad is not None:
            t["failures"].append((bad.get("message") or bad.text or "").strip())
    return out


def run_block(block: str, seed: int = DEFAULT_SEED, jobs: int = 1, out: Path = OUT,
              cmd: str = "", per_test: bool = False) -> tuple[dict, list[RunResult]]:
    """Run ``block``'s tests on its coverage build and write its report into ``out/<block>``;
    returns the report (``ok``: every gate, testpoint and test) and the runs behind it."""
    from models.configs import get_config

    plan = load_testplan(block)
    p = get_config(block, plan.config)
    discovered = discover_tests(block)
    cmd = cmd or command([block], seed, per_test)
    how = "one process per test" if per_test else "one process"
    print(f"coverage: {block} [{p.tag}] {len(discovered)} tests, seed {seed}, {how}", flush=True)
    try:
        build(p, SIM, coverage=True)  # once, before the tests
    except RuntimeError as e:
        raise ToolError(f"{block}: the Verilator coverage build failed ({e}); see "
                        f"{build_dir(p, SIM, coverage=True) / 'build.log'}") from None

    tests: dict[str, dict] = {}
    code_runs, func_runs = [], []
    if per_test:
        def one(test: str):
            return run(p, SIM, config=plan.config, seed=seed, test=test, coverage=True)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            runs = list(ex.map(one, discovered))
        for test, res in zip(discovered, runs, strict=True):
            counts, fdb = _read(res)
            failures = list(res.failures)
            if res.ok and not counts:
                failures.append(f"no {COVERAGE_FILE} written (see {res.test_dir / 'sim.log'})")
            passed = res.ok and bool(counts)
            f_alone = funccov.summarise(fdb)
            tests[test] = report.test_record(
                test, passed=passed, cases=res.n_tests, failures=failures, seconds=res.wall_s,
                test_dir=_rel(res), code=codecov.summarise(counts)["types"] if counts else {},
                functional=dict(hit=f_alone["hit"], total=f_alone["total"]))
            _print(test, passed, res.n_tests, res.wall_s)
            if passed:  # coverage counts only from tests that passed
                code_runs.append(counts)
                func_runs.append(fdb)
    else:
        res = run(p, SIM, config=plan.config, seed=seed, coverage=True)
        runs = [res]
        counts, fdb = _read(res)
        cases = _testcases(res)
        if not cases:
            print(f"  FAIL no test ran: {'; '.join(res.failures) or 'see ' + _rel(res)}")
        for test, c in cases.items():
            passed = not c["failures"]
            tests[test] = report.test_record(
                test, passed=passed, cases=c["cases"], failures=c["failures"],
                seconds=c["seconds"], test_dir=_rel(res))
            _print(test, passed, c["cases"], c["seconds"])
        if res.ok and not counts:
            for t in tests.values():
                t["status"] = report.FAILED
                t["failures"].append(f"no {COVERAGE_FILE} written (see {_rel(res)}/sim.log)")
        if res.ok and counts:  # coverage counts only from a run whose every test passed
            code_runs.append(counts)
            func_runs.append(fdb)
        print(f"  {res.wall_s:.1f} s in one process", flush=True)

    merged = codecov.merge(*code_runs)
    func = funccov.merge_independent(func_runs)
    bdir = out / block
    if bdir.exists():
        shutil.rmtree(bdir)
    bdir.mkdir(parents=True)
    codecov.write_dat(merged, bdir / COVERAGE_FILE)
    src = codecov.SourceCache()
    meta = dict(tag=p.tag, seed=seed, simulator=SIM, generated=report.now(), command=cmd,
                merged_dat=COVERAGE_FILE, per_test=per_test)
    meta.update(_genhtml(block, merged, plan, src, bdir))
    rep = report.block_report(plan, discovered=discovered, tests=tests, code_counts=merged,
                              func=func, src=src, meta=meta)
    (bdir / "index.html").write_text(report.render_block_html(rep))
    (bdir / REPORT_JSON).write_text(json.dumps(rep, indent=1, default=str) + "\n")
    return rep, runs


def _read(res: RunResult) -> tuple[dict, funccov.FuncDb]:
    dat = res.test_dir / COVERAGE_FILE if res.test_dir else None
    counts = codecov.read_dat(dat) if dat and dat.is_file() else {}
    fdb = funccov.read_test_dir(res.test_dir / FUNCCOV_DIR) if res.test_dir else {}
    return counts, fdb


def _rel(res: RunResult) -> str:
    if not res.test_dir:
        return ""
    d = res.test_dir
    return str(d.relative_to(ROOT)) if d.is_relative_to(ROOT) else str(d)


def _print(test: str, passed: bool, cases: int, seconds: float) -> None:
    mark = "ok  " if passed else "FAIL"
    print(f"  {mark} {test:<28} {cases} case(s) {seconds:5.1f} s", flush=True)


def _genhtml(block: str, merged: dict, plan, src, bdir: Path) -> dict:
    """Annotated source with lcov's genhtml (lines and branches)."""
    info = bdir / f"{block}.info"
    info.write_text(codecov.to_lcov(merged, plan.exclusions, src, test_name=block))
    genhtml = shutil.which("genhtml")
    if genhtml is None:
        return dict(source_html_note="annotated source not generated: genhtml not found "
                                     "(apt-get install lcov)")
    r = subprocess.run([genhtml, "-q", "--branch-coverage", "--title", f"zeroskip {block}",
                        "-o", str(bdir / "source"), str(info)], capture_output=True, text=True)
    if r.returncode != 0:
        return dict(source_html_note=f"genhtml failed: {r.stderr.strip()[:300]}")
    return dict(source_html="source/index.html")


def write_index(out: Path, meta: dict, blocks: list[str] | None = None) -> dict:
    """The regression index (index.html, summary.json) from the block reports in ``out`` (the
    ``blocks`` given, else every one there); written atomically, so that make test's parallel
    workers can each call it after their block."""
    names = blocks if blocks is not None else sorted(
        d.name for d in out.iterdir() if (d / REPORT_JSON).is_file()) if out.is_dir() else []
    reports = [json.loads((out / b / REPORT_JSON).read_text()) for b in names
               if (out / b / REPORT_JSON).is_file()]
    summary = report.regression_summary(reports, meta)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (("summary.json", json.dumps(summary, indent=1) + "\n"),
                       ("index.html", report.render_index_html(summary, reports))):
        tmp = out / f".{name}.{os.getpid()}"
        tmp.write_text(text)
        tmp.replace(out / name)
    return summary


def block_lines(rep: dict) -> list[str]:
    """A block's figures in one line, then its failures and warnings."""
    t = rep["code"]["types"]
    figs = "  ".join(f"{k} {t[k]['pct']:.1f}%" for k in report.CODE_ORDER
                     if k in t and t[k]["pct"] is not None)
    f = rep["functional"]
    lines = [f"{rep['block']}: {figs}  functional {f['hit']}/{f['total']} bins  testpoints "
             f"{rep['testpoints_closed']}/{rep['testpoints_total']} closed  "
             f"{'PASS' if rep['ok'] else 'FAIL'}"]
    lines += [f"  FAIL {x}" for x in rep["failures"]]
    lines += [f"  warning: {w}" for w in rep["warnings"]]
    return lines
