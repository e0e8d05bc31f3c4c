"""CLI of ``make coverage`` (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from models.params import ParamError
from tb.common.testplan import TestplanError, planned_blocks
from tests.sim.runner import ROOT, ToolError, setup_tools
from tools.coverage import report
from tools.coverage.block import (
    DEFAULT_SEED,
    FUNCCOV_DIR,
    OUT,
    SIM,
    block_lines,
    command,
    run_block,
    write_index,
)

__all__ = ["FUNCCOV_DIR", "main"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.coverage",
                                 description="code + functional coverage against testplans")
    ap.add_argument("--block", action="append", default=None,
                    help="block(s) to run (default: every block with tb/<blk>/testplan.yaml)")
    ap.add_argument("--seed", type=int, default=None, help=f"regression seed "
                    f"(default {DEFAULT_SEED}: fixed so the gates are reproducible)")
    ap.add_argument("--jobs", type=int, default=1, help="tests run in parallel (default 1)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--per-test", action="store_true",
                    help="each test in its own simulator process (per-test figures; slower)")
    a = ap.parse_args(argv)
    seed = DEFAULT_SEED if a.seed is None else a.seed
    blocks = a.block or planned_blocks()
    t0 = time.monotonic()
    try:
        if not blocks:
            raise TestplanError("no block has a tb/<blk>/testplan.yaml")
        setup_tools(SIM)
        cmd = command(a.block, seed, a.per_test)
        reports = [run_block(b, seed, a.jobs, a.out, cmd, a.per_test)[0] for b in blocks]
    except (TestplanError, ToolError, ParamError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    wall = round(time.monotonic() - t0, 1)
    summary = write_index(a.out, dict(seed=seed, simulator=SIM, generated=report.now(),
                                      command=cmd, wall_s=wall), blocks)
    for r in reports:
        print("\n".join(block_lines(r)))
    print(f"coverage report: {a.out.relative_to(ROOT) if a.out.is_relative_to(ROOT) else a.out}"
          f"/index.html, summary.json ({wall} s)")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
