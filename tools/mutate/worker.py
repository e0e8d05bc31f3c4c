"""One regression run of a (mutant) Verilog file, in its own process so that the campaign can
kill a hung simulator: ``python -m tools.mutate.worker BLOCK CONFIG SIM MODE SEED SOURCE
VARIANT``; prints one JSON line (ok, tests, failed, the first failure, wall seconds)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    block, config, sim, mode, seed, source, variant = argv
    from models.configs import get_config
    from tests.sim.runner import run

    res = run(get_config(block, config), sim, config=config, seed=int(seed),
              source=Path(source), variant=variant, mode=mode)
    print("ZS_MUTATE " + json.dumps(dict(ok=res.ok, tests=res.n_tests, failed=res.n_failed,
                                         first=(res.failures[0][:400] if res.failures else ""),
                                         wall_s=round(res.wall_s, 2))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
