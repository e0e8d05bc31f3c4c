"""``make regress [SEEDS=n] [SEED=s] [JOBS=2]``: the full matrix -- every registered block x
named config x simulator x mode -- for n seeds (s, s+1, ...), with a progress line per run and
one table at the end (pass/fail, seeds, elements checked, wall time). Exit 1 when a run
failed, with its report and the command that reproduces it.

Then a CI-sized mutation campaign (issue 12): REGRESS_MUTANTS Yosys mutants of each product
block's typical config against its regression (tools/mutate; ``--mutants 0`` skips it), with
its own table; a config below its testplan's kill-score gate fails the run like a failed node.
The full campaign (30 mutants, two configs per block) is ``make mutate``.

``make test`` runs a tier of this matrix with one seed (tests/sim/test_blocks.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from models.blocks import REGISTRY
from models.configs import CONFIGS, get_config
from tests.sim.runner import MODES, SIMS, report, run, setup_tools

DEFAULT_SEEDS = 3  # a few seeds per node: more than make test's one, minutes not hours
DEFAULT_JOBS = 2  # this machine's cores; each run is one simulator process
#: mutants per block in the regression's campaign: enough to catch a block whose tests stopped
#: observing an output (most mutants are killed in seconds), few enough for minutes per block
REGRESS_MUTANTS = 4


def nodes(blocks: list[str]) -> list[tuple[str, str, str, str]]:
    return [(b, c, s, m) for b in blocks for c in CONFIGS[b] for s in SIMS for m in MODES]


def one(block: str, config: str, sim: str, mode: str, seed: int):
    t0 = time.monotonic()
    res = run(get_config(block, config), sim, config=config, seed=seed, mode=mode,
              harness=True)
    return res, time.monotonic() - t0


def table(results: dict) -> str:
    head = ("block", "config", "sim", "mode", "result", "seeds", "elements", "wall s")
    lines = [head]
    for (b, c, s, m), runs in sorted(results.items()):
        ok = sum(r.ok for r, _ in runs)
        lines.append((b, c, s, m, "pass" if ok == len(runs) else "FAIL", f"{ok}/{len(runs)}",
                      str(sum(sum(row["elements"] for row in r.rows) for r, _ in runs)),
                      f"{sum(w for _, w in runs):.1f}"))
    w = [max(len(ln[i]) for ln in lines) for i in range(len(head))]
    out = ["  ".join(x.ljust(w[i]) for i, x in enumerate(ln)) for ln in lines]
    out.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.regress", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    ap.add_argument("--seed", type=int, default=1, help="first seed")
    ap.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    ap.add_argument("--block", action="append", default=None, help="only these blocks")
    ap.add_argument("--mutants", type=int, default=REGRESS_MUTANTS,
                    help="mutants per block in the typical-config campaign (0: none)")
    a = ap.parse_args(argv)
    for s in SIMS:
        setup_tools(s)
    blocks = a.block or list(REGISTRY)
    todo = [(n, a.seed + k) for n in nodes(blocks) for k in range(a.seeds)]
    print(f"regress: {len(todo)} runs ({len(todo) // a.seeds} nodes x {a.seeds} seeds from "
          f"{a.seed}), {a.jobs} at a time", flush=True)
    results: dict = {}
    failures = []
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        futs = {pool.submit(one, *n, seed): (n, seed) for n, seed in todo}
        for i, f in enumerate(as_completed(futs), 1):
            n, seed = futs[f]
            res, wall = f.result()
            results.setdefault(n, []).append((res, wall))
            mark = "ok  " if res.ok else "FAIL"
            print(f"[{i}/{len(todo)}] {mark} {'-'.join(n)} seed {seed} ({wall:.1f} s)",
                  flush=True)
            if not res.ok:
                failures.append(report(res))
    print(table(results))
    n_bad = sum(not r.ok for runs in results.values() for r, _ in runs)
    print(f"regress: {len(todo) - n_bad} passed, {n_bad} failed in "
          f"{time.monotonic() - t0:.0f} s")
    for rep in failures:
        print(rep)
    camps_ok = True
    if a.mutants > 0:
        from models.blocks import PRODUCT_BLOCKS
        from tools.mutate.campaign import run_campaign
        from tools.mutate.report import survivors
        from tools.mutate.report import table as mutate_table
        from tools.mutate.report import write as write_mutate

        camps = [run_campaign(b, "typical", a.mutants, a.seed) for b in blocks
                 if b in PRODUCT_BLOCKS]
        print(mutate_table(camps))
        for line in survivors(camps):
            print(line)
        print(f"mutation report: {write_mutate(camps)}")
        camps_ok = all(c.passed for c in camps)
    return 1 if failures or not camps_ok else 0


if __name__ == "__main__":
    sys.exit(main())
