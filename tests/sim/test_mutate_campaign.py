"""The full mutation campaign of issue 12 (``make mutate``: 30 Yosys mutants on each product
block's testplan configs, against its regression on Icarus), as a ``make slow`` test: it fails
when any campaign config's kill score is under its testplan's gate, and prints the table and
every live survivor. Hours on two cores; ``make regress`` runs a CI-sized campaign."""

import pytest


@pytest.mark.slow
@pytest.mark.sim
def test_full_mutation_campaign(seed):
    from tools.mutate.__main__ import main

    assert main(["--seed", str(seed)]) == 0, "a campaign config is under its kill-score gate"
