"""Fast mode gives the same outputs as cycle mode (tests/sim/modes.py) for the blocks without
a testplan; a block with one is compared by tests/sim/test_coverage.py on its coverage run."""

import pytest

from models.blocks import REGISTRY
from models.configs import get_config
from tb.common.testplan import planned_blocks
from tests.sim.modes import CONFIG, SIM, mismatches
from tests.sim.runner import run, setup_tools

UNPLANNED = [b for b in REGISTRY if b not in planned_blocks()]


@pytest.mark.sim
@pytest.mark.parametrize("sim", [SIM])
@pytest.mark.parametrize("block", UNPLANNED)
def test_fast_mode_outputs_equal_cycle_mode(block, sim, seed):
    setup_tools(sim)
    p = get_config(block, CONFIG)
    cyc = run(p, sim, config=CONFIG, seed=seed, mode="cycle", harness=True)
    fast = run(p, sim, config=CONFIG, seed=seed, mode="fast")
    bad = mismatches(block, cyc, fast)
    assert not bad, "\n".join(bad)
