"""Root conftest: seed option, simulator selection, the skip policy and the regression table."""

from __future__ import annotations

import os
import re
import secrets

import pytest

#: the only skips that may pass: node-id regex -> reason. Everything else that skips (a
#: missing package, a missing tool) FAILS, so that CI cannot count a test it never ran; a
#: skip has to be listed here with its reason. Today there are none.
ALLOWED_SKIPS: dict[str, str] = {}


def pytest_addoption(parser):
    parser.addoption("--seed", type=int, default=None,
                     help="regression seed (default: $SEED or a fresh random one, printed)")
    parser.addoption("--sim", action="append", default=None,
                     help="simulator(s) for sim tests (default: icarus and verilator); "
                          "repeat to select several")


def pytest_configure(config):
    seed = config.getoption("--seed")
    if seed is None:
        seed = int(os.environ["SEED"]) if os.environ.get("SEED") else secrets.randbelow(2**31)
    config._zs_seed = seed
    if not hasattr(config, "workerinput"):
        os.environ["SEED"] = str(seed)  # pytest-xdist workers inherit it: one seed per run
    config._zs_sim_results = []


def pytest_collection_modifyitems(config, items):
    """``--sim NAME``: keep only the simulation nodes of those simulators."""
    sims = config.getoption("--sim")
    if not sims:
        return
    from tests.sim.runner import SIMS

    unknown = sorted(set(sims) - set(SIMS))
    if unknown:
        raise pytest.UsageError(f"--sim {unknown[0]!r} is not a simulator; choose from "
                                f"{', '.join(SIMS)}")
    keep, drop = [], []
    for it in items:
        sim = getattr(it, "callspec", None) and it.callspec.params.get("sim")
        (drop if sim is not None and sim not in sims else keep).append(it)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip that ALLOWED_SKIPS does not list becomes a failure naming its reason."""
    outcome = yield
    rep = outcome.get_result()
    if not rep.skipped or hasattr(rep, "wasxfail"):
        return
    if any(re.search(pat, item.nodeid) for pat in ALLOWED_SKIPS):
        return
    reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
    rep.outcome = "failed"
    rep.longrepr = (f"{item.nodeid} skipped ({reason}), and a skip is a failure here: install "
                    f"what it needs (`make setup` does) or list it in conftest.ALLOWED_SKIPS "
                    f"with its reason")


def pytest_report_header(config):
    return f"zeroskip seed: {config._zs_seed} (reproduce: make test SEED={config._zs_seed})"


@pytest.fixture(scope="session")
def seed(request) -> int:
    return request.config._zs_seed


@pytest.fixture(autouse=True)
def _bench_builds(request, monkeypatch):
    """A ``slow`` test (benchmarks, real-size runs) builds Verilator's C++ at the ``bench``
    optimisation level unless ZS_OPT says otherwise: its runs are long, so a slower compile
    pays (tests/sim/runner.OPT_LEVELS)."""
    if request.node.get_closest_marker("slow") and "ZS_OPT" not in os.environ:
        monkeypatch.setenv("ZS_OPT", "bench")


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
