"""CLI of ``make coverage`` (see the package docstring)."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from models.params import ParamError
from tb.common.testplan import TestplanError, discover_tests, load_testplan, planned_blocks
from tests.sim.runner import (
    COVERAGE_FILE,
    ROOT,
    ToolError,
    build,
    build_dir,
    run,
    setup_tools,
)
from tools.coverage import codecov, funccov, report

SIM = "verilator"  # the only simulator with code coverage here (Icarus has none)
DEFAULT_SEED = 1  # fixed, so the figures and the gates are reproducible; SEED=n explores
OUT = ROOT / "build" / "coverage"
FUNCCOV_DIR = "funccov"  # tb.common.uvm.FUNCCOV_DIR (not imported: it needs cocotb)


def _command(blocks: list[str] | None, seed: int) -> str:
    blk = f" BLOCK={blocks[0]}" if blocks and len(blocks) == 1 else ""
    return f"make coverage{blk} SEED={seed}"


def run_block(block: str, seed: int, jobs: int, out: Path, command: str) -> dict:
    from models.configs import get_config

    plan = load_testplan(block)
    p = get_config(block, plan.config)
    discovered = discover_tests(block)
    print(f"coverage: {block} [{p.tag}] {len(discovered)} tests, seed {seed}", flush=True)
    try:
        build(p, SIM, coverage=True)  # once, before the tests
    except RuntimeError as e:
        raise ToolError(f"{block}: the Verilator coverage build failed ({e}); see "
                        f"{build_dir(p, SIM, coverage=True) / 'build.log'}") from None

    def one(test: str):
        return test, run(p, SIM, config=plan.config, seed=seed, test=test, coverage=True)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        results = list(ex.map(one, discovered))

    tests: dict[str, dict] = {}
    code_runs, func_runs = [], []
    for test, res in results:
        dat = res.test_dir / COVERAGE_FILE if res.test_dir else None
        counts = codecov.read_dat(dat) if dat and dat.is_file() else {}
        fdb = funccov.read_test_dir(res.test_dir / FUNCCOV_DIR) if res.test_dir else {}
        failures = list(res.failures)
        if res.ok and not counts:
            failures.append(f"no {COVERAGE_FILE} written (see {res.test_dir / 'sim.log'})")
        passed = res.ok and bool(counts)
        code_alone = codecov.summarise(counts)["types"] if counts else {}
        f_alone = funccov.summarise(fdb)
        tests[test] = report.test_record(
            test, passed=passed, cases=res.n_tests, failures=failures, seconds=res.wall_s,
            test_dir=str(res.test_dir.relative_to(ROOT)) if res.test_dir else "",
            code=code_alone, functional=dict(hit=f_alone["hit"], total=f_alone["total"]))
        mark = "ok  " if passed else "FAIL"
        print(f"  {mark} {test:<28} {res.n_tests} case(s) {res.wall_s:5.1f} s", flush=True)
        if passed:  # coverage counts only from tests that passed
            code_runs.append(counts)
            func_runs.append(fdb)

    merged = codecov.merge(*code_runs)
    func = funccov.merge_independent(func_runs)
    bdir = out / block
    if bdir.exists():
        shutil.rmtree(bdir)
    bdir.mkdir(parents=True)
    codecov.write_dat(merged, bdir / COVERAGE_FILE)
    src = codecov.SourceCache()
    meta = dict(tag=p.tag, seed=seed, simulator=SIM, generated=report.now(), command=command,
                merged_dat=COVERAGE_FILE)
    meta.update(_genhtml(block, merged, plan, src, bdir))
    rep = report.block_report(plan, discovered=discovered, tests=tests, code_counts=merged,
                              func=func, src=src, meta=meta)
    (bdir / "index.html").write_text(report.render_block_html(rep))
    return rep


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.coverage",
                                 description="code + functional coverage against testplans")
    ap.add_argument("--block", action="append", default=None,
                    help="block(s) to run (default: every block with tb/<blk>/testplan.yaml)")
    ap.add_argument("--seed", type=int, default=None, help=f"regression seed "
                    f"(default {DEFAULT_SEED}: fixed so the gates are reproducible)")
    ap.add_argument("--jobs", type=int, default=1, help="tests run in parallel (default 1)")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    seed = DEFAULT_SEED if a.seed is None else a.seed
    blocks = a.block or planned_blocks()
    t0 = time.monotonic()
    try:
        if not blocks:
            raise TestplanError("no block has a tb/<blk>/testplan.yaml")
        setup_tools(SIM)
        command = _command(a.block, seed)
        reports = [run_block(b, seed, a.jobs, a.out, command) for b in blocks]
    except (TestplanError, ToolError, ParamError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    wall = round(time.monotonic() - t0, 1)
    summary = report.regression_summary(
        reports, dict(seed=seed, simulator=SIM, generated=report.now(), command=command,
                      wall_s=wall))
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (a.out / "index.html").write_text(report.render_index_html(summary, reports))

    for r in reports:
        t = r["code"]["types"]
        figs = "  ".join(f"{k} {t[k]['pct']:.1f}%" for k in report.CODE_ORDER
                         if k in t and t[k]["pct"] is not None)
        f = r["functional"]
        print(f"{r['block']}: {figs}  functional {f['hit']}/{f['total']} bins  testpoints "
              f"{r['testpoints_closed']}/{r['testpoints_total']} closed  "
              f"{'PASS' if r['ok'] else 'FAIL'}")
        for x in r["failures"]:
            print(f"  FAIL {x}")
        for w in r["warnings"]:
            print(f"  warning: {w}")
    print(f"coverage report: {a.out.relative_to(ROOT) if a.out.is_relative_to(ROOT) else a.out}"
          f"/index.html, summary.json ({wall} s)")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
