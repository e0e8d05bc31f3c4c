"""Every registered block (models/blocks.py), every named config, both simulators, both modes:
one cocotb module run per node, all on the block's harness build (tests/sim/harness.py), which
runs cycle mode through its pass-through ports and fast mode on its HDL agents. Adding a block
adds its nodes here without a new file.

The tiers (``make test``; ``make regress`` runs the full matrix with many seeds), sized so that
``.ci/run`` stays under 15 minutes on 2 cores with room for more blocks:

* Verilator (what a user's CI runs): every config in fast mode, ``min`` and ``typical`` in
  cycle mode (cycle mode's runs are Python-bound; ``non_pow2`` and ``max`` run the same tests
  in fast mode here and in cycle mode in ``make regress``; cutting the Verilator cycle-mode
  ``non_pow2`` tier saved 87 s of the 1108 s of test time of the 2026-12-02 CI, the largest
  tier of all); the typical config (a testplan's config) through tests/sim/test_coverage.py
  (its coverage run is the cycle-mode run) or tests/sim/test_fast_equal.py, which run
  exactly those two runs, assert that both pass and compare their outputs (so they are not
  run twice);
* Icarus (4-state: X/Z on an output shows): the typical config in both modes, ``min`` and
  ``non_pow2`` in fast mode (seconds, and X/Z-checked by the HDL checkers).

``REGRESS_ONLY`` names the (block, config) pairs that only ``make regress`` runs, and
``TIER_OVERRIDES`` the (block, simulator, mode) tiers that run other configs, each with its
reason.
"""

import pytest

from models.blocks import REGISTRY
from models.configs import CONFIGS
from tests.sim.modes import SIM as BOTH_MODES_SIM
from tests.sim.modes import compared_config
from tests.sim.runner import run_for_pytest

#: (simulator, mode, configs: None for every config)
SMALL = ("min", "typical", "non_pow2")
TIERS = [("verilator", "cycle", ("min", "typical")), ("verilator", "fast", None),
         ("icarus", "cycle", ("typical",)), ("icarus", "fast", SMALL)]
#: (block, simulator, config) another test runs in both modes and compares
#: (tests/sim/test_coverage.py for a block with a testplan, else test_fast_equal.py)
ELSEWHERE = {(blk, BOTH_MODES_SIM, compared_config(blk)) for blk in REGISTRY}
#: (block, config) -> why it runs only in `make regress` (the full matrix)
REGRESS_ONLY = {
    ("sparse_attn", "max"): "the composition of three engines whose own max configs run here "
                            "(sddmm, softmax, spmm), at the widths typical and non_pow2 already "
                            "chain; its Verilator build alone is the longest of the suite (~45 s)",
    ("gcn_agg", "max"): "16 lanes x 16 features x 4096 accumulator words: its Verilator fast "
                        "build and run took 110 s (measured, -n 1 on the shared machine); "
                        "typical and non_pow2 run the same RTL at 8 and 6 lanes",
}
#: (block, simulator, mode) -> the configs that tier runs instead of TIERS' own, with why
TIER_OVERRIDES = {
    ("sparse_attn", "icarus", "cycle"): (
        ("min",), "typical's cycle-mode Icarus run is the longest node of the suite (40-90 s of "
                  "simulation: whole 197-query heads and a layer through Python agents on a "
                  "4-state simulator); Icarus still runs typical in fast mode (X/Z-checked in "
                  "the harness) and the cycle-mode agents on min"),
    ("eie", "icarus", "cycle"): (
        ("min",), "typical's cycle-mode Icarus run is eie's longest node (55-90 s on the shared "
                  "2-core machine: its malformed-load and extremes tests stream thousands of load "
                  "beats through Python agents on a 4-state simulator); Icarus still runs typical "
                  "in fast mode (X/Z-checked in the harness) and the cycle-mode agents on min"),
    ("gcn_agg", "icarus", "cycle"): (
        ("min",), "typical's cycle-mode Icarus run took 61 s (measured): every test starts with "
                  "the 4096-cycle accumulator clear sweep through Python agents on a 4-state "
                  "simulator; Icarus still runs typical in fast mode"),
    ("gcn_agg", "icarus", "fast"): (
        ("min", "non_pow2"), "typical's fast-mode Icarus run took 32-94 s (measured, shared "
                             "machine: 8 lanes x 4096 accumulator words on a 4-state "
                             "simulator); non_pow2 runs the same RTL at 6 lanes on Icarus"),
    ("sparse_attn", "icarus", "fast"): (
        ("min", "non_pow2"), "typical's fast-mode Icarus run was 55 s of the 2026-12-02 CI's "
                             "test time (49 s of simulation, loaded machine: whole 197-query "
                             "heads and a DeiT layer on a 4-state simulator); non_pow2 runs "
                             "the same RTL at other widths on Icarus, and typical runs in both "
                             "modes on Verilator (tests/sim/test_coverage.py)"),
    ("delta_lstm", "icarus", "cycle"): (
        ("min",), "typical's cycle-mode Icarus run was 81 s of the 2026-12-02 CI's test time "
                  "(74 s of simulation, loaded machine; LutSweepTest alone 40 s: every LUT "
                  "entry of both activations through Python agents on a 4-state simulator); "
                  "Icarus still runs typical in fast mode (X/Z-checked in the harness) and "
                  "the cycle-mode agents on min"),
    ("gcn_agg", "verilator", "cycle"): (
        ("min",), "non_pow2's cycle-mode Verilator run took 79 s (measured); typical runs in "
                  "cycle mode in tests/sim/test_fast_equal.py, non_pow2 in fast mode on both "
                  "simulators"),
}


def _configs(blk: str, sim: str, mode: str, only):
    if (blk, sim, mode) in TIER_OVERRIDES:
        return TIER_OVERRIDES[(blk, sim, mode)][0]
    return only


NODES = [(blk, cfg, sim, mode) for blk in REGISTRY for sim, mode, only in TIERS
         for cfg in CONFIGS[blk]
         if (_configs(blk, sim, mode, only) is None or cfg in _configs(blk, sim, mode, only))
         and (blk, sim, cfg) not in ELSEWHERE and (blk, cfg) not in REGRESS_ONLY]


@pytest.mark.sim
@pytest.mark.parametrize("block, config, sim, mode", NODES,
                         ids=[f"{b}-{c}-{s}-{m}" for b, c, s, m in NODES])
def test_block(block, config, sim, mode, seed, record_property):
    run_for_pytest(block, config, sim, seed, record_property, mode=mode, harness=True)
