"""Root conftest: seed option, seed logging and the regression summary table."""

from __future__ import annotations

import os
import secrets

import pytest


def pytest_addoption(parser):
    parser.addoption("--seed", type=int, default=None,
                     help="regression seed (default: $SEED or a fresh random one, printed)")
    parser.addoption("--sim", action="append", default=None,
                     help="simulator(s) for sim tests (default: icarus and verilator)")


def pytest_configure(config):
    seed = config.getoption("--seed")
    if seed is None:
        seed = int(os.environ["SEED"]) if os.environ.get("SEED") else secrets.randbelow(2**31)
    config._zs_seed = seed
    if not hasattr(config, "workerinput"):
        os.environ["SEED"] = str(seed)  # pytest-xdist workers inherit it: one seed per run
    config._zs_sim_results = []


def pytest_report_header(config):
    return f"zeroskip seed: {config._zs_seed} (reproduce: make test SEED={config._zs_seed})"


@pytest.fixture(scope="session")
def seed(request) -> int:
    return request.config._zs_seed


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests.sim.runner import format_table

    rows = []
    for rep in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        for name, content in rep.user_properties:
            if name == "zs_rows":
                rows.extend(content)
    if rows:
        terminalreporter.section("simulation summary")
        by_sim: dict[str, list] = {}
        for r in rows:
            by_sim.setdefault(r["sim"], []).append(r)
        for sim, rs in sorted(by_sim.items()):
            terminalreporter.write_line(format_table(rs, sim, with_config=True))
    terminalreporter.write_line(f"zeroskip seed: {config._zs_seed}")
