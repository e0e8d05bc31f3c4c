"""Fast mode gives the same outputs as cycle mode: the comparison, and which test runs it.

Per test of a block's module, run at one seed in both modes: the same number of checked
transactions and elements and the same digest of every output transaction
(tb/common/bench.py outputs_digest: per stream in order, per key on a keyed stream). Stall
timing differs between the modes (an HDL LFSR against numpy), values must not.

Who compares: a block with a testplan in tests/sim/test_coverage.py (its Verilator
coverage run *is* the cycle-mode run, at the coverage seed), any other block in
tests/sim/test_fast_equal.py (at make test's seed). Either way the Verilator runs of that
config in both modes happen there, so tests/sim/test_blocks.py leaves them out
(``elsewhere``).
"""

from __future__ import annotations

from tests.sim.runner import RunResult, report

SIM = "verilator"
#: the config compared for a block without a testplan
CONFIG = "typical"


def compared_config(block: str) -> str:
    """The config whose Verilator runs in both modes the comparison makes."""
    from tb.common.testplan import load_testplan, planned_blocks

    return load_testplan(block).config if block in planned_blocks() else CONFIG


def mismatches(block: str, cyc: RunResult, fast: RunResult) -> list[str]:
    """Why the two runs differ ([] when they agree); a failing run is itself a difference."""
    out = [f"{m} mode failed:\n{report(r)}" for m, r in (("cycle", cyc), ("fast", fast))
           if not r.ok]
    if out:
        return out
    by_test = {r["test"]: r for r in cyc.rows}
    # every test but a timing-dependent one (a reset at a fixed cycle in the HDL harness may
    # drop other outputs per mode); a cycle-only test ran with the Python agents in both runs,
    # so it must give the same outputs too
    eligible = [r for r in fast.rows if not r["timing_dependent"]]
    compared = 0
    for r in eligible:
        c = by_test.get(r["test"])
        if c is None:
            out.append(f"{block} {r['test']}: ran in fast mode only")
            continue
        if (r["txns"], r["elements"], r["outputs"]) != (c["txns"], c["elements"], c["outputs"]):
            out.append(f"{block} {r['test']} seed {fast.seed}: fast mode checked {r['txns']} "
                       f"txns / {r['elements']} elements, digest {r['outputs']}; cycle mode "
                       f"{c['txns']} / {c['elements']}, digest {c['outputs']}")
        compared += 1
    if not (compared == len(eligible) and compared >= len(fast.rows) - 2):
        out.append(f"{block}: only {compared} of {len(fast.rows)} tests compared")
    return out
