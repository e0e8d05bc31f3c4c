"""delta_lstm: every named config on both simulators (one cocotb module run per node)."""

import pytest

from models.configs import CONFIGS
from tests.sim.runner import SIMS, run_for_pytest

BLOCK = "delta_lstm"


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMS)  # axis: simulator
@pytest.mark.parametrize("config", list(CONFIGS[BLOCK]))  # axis: named corner config
def test_delta_lstm(config, sim, seed, record_property):
    run_for_pytest(BLOCK, config, sim, seed, record_property)
