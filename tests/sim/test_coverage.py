"""Coverage in make test: per block with a testplan, its Verilator coverage run (the plan's
config, cycle mode, every test in one process, the coverage seed) against the testplan's
gates and testpoints, and a fast-mode run at the same seed compared with it (fast mode gives
the same outputs: tests/sim/modes.py). The coverage run is the block's Verilator cycle-mode
run of that config, so tests/sim/test_blocks.py does not run it again.

Writes what ``make coverage`` writes (build/coverage/<blk>/, index.html, summary.json). The
seed is the coverage seed (tools/coverage/block.py DEFAULT_SEED, fixed so the gates are
reproducible), not make test's: every failure names ``make coverage BLOCK=<blk> SEED=1``.
"""

import pytest

from models.configs import get_config
from tb.common.testplan import planned_blocks
from tests.sim.modes import SIM, mismatches
from tests.sim.runner import ToolError, run, setup_tools
from tools.coverage import report
from tools.coverage.block import DEFAULT_SEED, OUT, block_lines, command, run_block, write_index


@pytest.mark.sim
@pytest.mark.parametrize("sim", [SIM])
@pytest.mark.parametrize("block", planned_blocks())
def test_coverage_gates_and_fast_mode(block, sim):
    try:
        setup_tools(sim)
        rep, (cyc,) = run_block(block, DEFAULT_SEED)
    except ToolError as e:
        pytest.fail(str(e), pytrace=False)
    write_index(OUT, dict(seed=DEFAULT_SEED, simulator=sim, generated=report.now(),
                          command=command(None, DEFAULT_SEED)))
    fast = run(get_config(block, rep["config"]), sim, config=rep["config"],
               seed=DEFAULT_SEED, mode="fast")
    bad = [] if rep["ok"] else block_lines(rep) + [
        f"report: build/coverage/{block}/index.html; reproduce: "
        f"{command([block], DEFAULT_SEED)}"]
    bad += mismatches(block, cyc, fast)
    assert not bad, "\n".join(bad)
