"""Bad input gets one clear sentence naming the broken rule, never a deep traceback."""

import os
import subprocess
import sys

import pytest

from models.configs import get_config
from tests.sim.runner import ROOT, ToolError, run, setup_tools


def test_missing_icarus_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match="apt-get install iverilog"):
        setup_tools("icarus")


def test_unknown_simulator():
    with pytest.raises(ToolError, match="unknown simulator 'questa'"):
        setup_tools("questa")


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)


@pytest.mark.parametrize("args, rule", [
    (["-m", "tests.sim.runner", "--block", "nope"], "unknown block 'nope'"),
    (["-m", "tests.sim.runner", "--config", "huge"], "unknown config 'huge'"),
    (["-m", "rtl.convert", "gemm", "--set", "rows=0"], "rows must be in [1, 16] (got 0)"),
    (["-m", "rtl.convert", "gemm", "--set", "acc_width=16"], "acc_width must be >= 28"),
    (["-m", "rtl.convert", "gemm", "--set", "colour=3"], "unknown parameter(s) ['colour']"),
])
def test_cli_rejects_bad_input_with_the_rule(args, rule):
    r = _cli(*args)
    assert r.returncode == 2
    assert rule in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.sim
def test_testbench_refuses_verilog_built_from_other_params(seed):
    setup_tools("icarus")
    built = get_config("gemm", "typical")
    res = run(built, "icarus", seed=seed, test="RandomTest", sim_params=get_config("gemm", "min"))
    assert not res.ok
    assert "bits wide but the params say" in "\n".join(res.failures)
