"""A new threshold runs on the existing build: the simulator is not rebuilt (measured by the
build's mtime) and the DUT gets the value on its cfg ports (the run checks bit-exactly
against the model at that threshold, and its outputs differ from the first run's)."""

import pytest

from models.configs import get_config
from tests.sim.runner import build_dir, report, run, setup_tools

SIM = "icarus"  # builds in well under a second: the test is about whether it builds at all
TEST = "RandomTest"


@pytest.mark.sim
def test_new_threshold_does_not_rebuild(seed):
    setup_tools(SIM)
    p = get_config("delta_lstm", "typical")
    first = run(p, SIM, seed=seed, test=TEST, mode="fast")
    assert first.ok, report(first)
    exe = build_dir(p, SIM, harness=True) / "sim.vvp"
    before = exe.stat().st_mtime_ns
    q = p.replace(theta_x=p.theta_x * 2, theta_h=3)
    second = run(q, SIM, seed=seed, test=TEST, mode="fast")
    assert second.ok, report(second)
    assert exe.stat().st_mtime_ns == before, "a new threshold rebuilt the simulator"
    # bit-exact against the model at the new thresholds, and other outputs than at the old
    assert second.rows[0]["outputs"] != first.rows[0]["outputs"], (
        "the outputs did not change with the threshold: was it driven?")
