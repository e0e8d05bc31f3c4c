"""Every registered block (models/blocks.py), every named config, both simulators, both modes:
one cocotb module run per node, all on the block's harness build (tests/sim/harness.py), which
runs cycle mode through its pass-through ports and fast mode on its HDL agents. Adding a block
adds its nodes here without a new file.

The tiers (``make test``; ``make regress`` runs the full matrix with many seeds):

* Verilator (what a user's CI runs): every config, cycle and fast mode;
* Icarus (4-state: X/Z on an output shows): the typical config in both modes, every other
  config in fast mode (seconds, and X/Z-checked by the HDL checkers).
"""

import pytest

from models.blocks import REGISTRY
from models.configs import CONFIGS
from tests.sim.runner import run_for_pytest

#: (simulator, mode, configs: None for every config)
TIERS = [("verilator", "cycle", None), ("verilator", "fast", None),
         ("icarus", "cycle", ("typical",)), ("icarus", "fast", None)]
NODES = [(blk, cfg, sim, mode) for blk in REGISTRY for sim, mode, only in TIERS
         for cfg in CONFIGS[blk] if only is None or cfg in only]


@pytest.mark.sim
@pytest.mark.parametrize("block, config, sim, mode", NODES,
                         ids=[f"{b}-{c}-{s}-{m}" for b, c, s, m in NODES])
def test_block(block, config, sim, mode, seed, record_property):
    run_for_pytest(block, config, sim, seed, record_property, mode=mode, harness=True)
