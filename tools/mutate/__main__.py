"""``python -m tools.mutate [--block B] [--config C] [--n N] [--seed S]`` (``make mutate``)."""

from __future__ import annotations

import argparse
import sys

DEFAULT_N = 30  # mutants per (block, config): issue 12's campaign size


def main(argv: list[str] | None = None) -> int:
    from models.blocks import PRODUCT_BLOCKS
    from models.params import ParamError
    from tb.common.testplan import load_testplan
    from tools.mutate.campaign import run_campaign
    from tools.mutate.generate import MutateError
    from tools.mutate.report import survivors, table, write

    ap = argparse.ArgumentParser(prog="python -m tools.mutate", description=__doc__)
    ap.add_argument("--block", action="append", help="default: every product block")
    ap.add_argument("--config", action="append",
                    help="default: the configs of the block's testplan `mutation:` section")
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="mutants per config")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sim", default="icarus",
                    help="icarus (default: sub-second builds, X/Z visible) or verilator")
    ap.add_argument("--no-formal", action="store_true",
                    help="skip the equivalence check of survivors")
    a = ap.parse_args(argv)
    if a.n < 1:
        print("error: --n must be at least 1 mutant", file=sys.stderr)
        return 2
    from tests.sim.runner import ToolError, setup_tools

    camps = []
    try:
        setup_tools(a.sim)
        for b in a.block or PRODUCT_BLOCKS:
            if b not in PRODUCT_BLOCKS:
                raise ParamError(f"unknown block {b!r}; known: {', '.join(PRODUCT_BLOCKS)}")
            for c in a.config or load_testplan(b).mutation.configs:
                camps.append(run_campaign(b, c, a.n, a.seed, a.sim, not a.no_formal))
                write(camps)
    except (ParamError, ToolError, MutateError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    page = write(camps)
    print()
    print(table(camps))
    for s in survivors(camps):
        print(s)
    print(f"report: {page}, {page.with_name('summary.json')}")
    return 0 if all(c.passed for c in camps) else 1


if __name__ == "__main__":
    sys.exit(main())
