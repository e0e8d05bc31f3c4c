"""Every registered block (models/blocks.py), every named config, both simulators: one cocotb
module run per node. Adding a block adds its nodes here without a new file."""

import pytest

from models.blocks import REGISTRY
from models.configs import CONFIGS
from tests.sim.runner import SIMS, run_for_pytest

NODES = [(blk, cfg) for blk in REGISTRY for cfg in CONFIGS[blk]]


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMS)  # axis: simulator (select with --sim)
@pytest.mark.parametrize("block, config", NODES,
                         ids=[f"{b}-{c}" for b, c in NODES])  # axis: block x named config
def test_block(block, config, sim, seed, record_property):
    run_for_pytest(block, config, sim, seed, record_property)
