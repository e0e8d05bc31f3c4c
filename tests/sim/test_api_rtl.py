"""The layer API on the RTL backends (fast mode), with real trained weights: the README's
worked example run exactly as written (its printed report compared line by line), a layer per
block on Icarus or Verilator (the RTL's own outputs equal the model's, measured cycles equal
the cycle model's), and a mutant that must make the API raise with the mismatch report."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest

from models.configs import get_config
from rtl.convert import convert
from tests.sim.runner import ROOT, setup_tools
from zeroskip import RtlMismatch, conv2d, delta_lstm, linear

README = ROOT / "README.md"
EXAMPLE_HEADING = "## Bring your own network"


def _textgen():
    pytest.importorskip("h5py")
    from models import textgenrnn_weights as tw

    if tw.package_dir() is None:
        pytest.skip("textgenrnn is not installed (ci/setup.sh installs it)")
    return tw, tw.load()


def readme_example() -> tuple[str, str]:
    """(code, printed output): the first ```python block after EXAMPLE_HEADING and the first
    ```text block after it."""
    text = README.read_text()
    sec = text[text.index(EXAMPLE_HEADING):]
    code = re.search(r"```python\n(.*?)```", sec, re.S).group(1)
    after = sec[sec.index(code) + len(code):]
    shown = re.search(r"```text\n(.*?)```", after, re.S).group(1)
    return code, shown


@pytest.mark.sim
def test_readme_example_runs_as_shown():
    _textgen()
    setup_tools("icarus")
    code, shown = readme_example()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    got = [ln for ln in out.getvalue().splitlines() if not ln.startswith("Skipping")]
    want = shown.rstrip("\n").splitlines()
    assert got == want, "README example printed:\n" + "\n".join(got)


@pytest.mark.sim
def test_nm_linear_real_layer_on_icarus(seed):
    """nm_gemm: textgenrnn's trained output layer pruned 2:4, through the RTL."""
    tw, net = _textgen()
    setup_tools("icarus")
    x = np.stack([tw.output_features(net, t) for t in ("Hello wor", "I lov")])
    w, b = net.out_kernel.T, net.out_bias
    r = linear(w, x, b, nm=(2, 4), backend="icarus", seed=seed)
    model = linear(w, x, b, nm=(2, 4))
    assert r.report.rtl_equals_model and np.array_equal(r.y_int, model.y_int)
    assert r.report.cycles_measured == r.report.cycles_model


@pytest.mark.sim
def test_delta_lstm_real_layer_on_icarus(seed):
    """delta_lstm: textgenrnn's trained first layer cropped to the typical config (8 -> 8,
    models.delta_lstm.crop_lstm), on a real sentence, threshold 0.1, CBTD keep 2 of 8."""
    _, net = _textgen()
    from models.delta_lstm import crop_lstm

    setup_tools("icarus")
    p = get_config("delta_lstm", "typical")
    layer = crop_lstm(p, *net.rnn[0].astuple())
    xs = net.embed("Skip the work.")[:, :p.input_size]
    kw = dict(num_pe=p.num_pe, keep=p.keep, act_lanes=p.act_lanes, theta=0.1)
    r = delta_lstm(*layer, xs, backend="icarus", seed=seed, **kw)
    model = delta_lstm(*layer, xs, **kw)
    assert r.report.rtl_equals_model and np.array_equal(r.y_int, model.y_int)
    assert r.report.cycles_measured == r.report.cycles_model
    assert r.report.extra["temporal sparsity"] > 0
    # another threshold is a run-time value (cfg ports): same build, nothing recompiled
    from tests.sim.runner import build_dir

    vvp = build_dir(r.extra["params"], "icarus", harness=True) / "sim.vvp"
    before = vvp.stat().st_mtime_ns
    kw["theta"] = 0.05
    r2 = delta_lstm(*layer, xs, backend="icarus", seed=seed, **kw)
    assert r2.extra["params"].theta_x != r.extra["params"].theta_x
    assert r2.report.rtl_equals_model and r2.report.cycles_measured == r2.report.cycles_model
    assert vvp.stat().st_mtime_ns == before, "a threshold change rebuilt the simulation"


@pytest.mark.sim
@pytest.mark.verilator
def test_conv2d_on_verilator(seed):
    """gemm: a conv layer (bias, stride 2, padding 1, ReLU, 2x2 max pool) on the typical
    config's Verilator fast build (the same build the block tests use)."""
    setup_tools("verilator")
    rng = np.random.default_rng(seed)
    w, x, b = rng.normal(0, .2, (6, 3, 3, 3)), rng.normal(0, 1, (3, 12, 12)), rng.normal(0, .1, 6)
    kw = dict(stride=2, padding=1, relu=True, pool="max")
    r = conv2d(w, x, b, backend="verilator", seed=seed, **kw)
    model = conv2d(w, x, b, **kw)
    assert r.report.rtl_equals_model and np.array_equal(r.y, model.y)
    assert r.report.cycles_measured == r.report.cycles_model


@pytest.mark.sim
def test_a_mismatch_raises_with_the_report(seed, tmp_path):
    """The adder of PE (1, 1) turned into a subtractor (tests/sim/test_mutation.py's
    gemm_pe_add_to_sub): the API call must raise RtlMismatch with the scoreboard's report."""
    setup_tools("icarus")
    p = get_config("gemm", "typical")
    text = convert(p).read_text()
    src = tmp_path / f"{p.module_name}.v"
    src.write_text(text.replace("(gemm_pe5_acc + (", "(gemm_pe5_acc - (", 1))
    rng = np.random.default_rng(seed)
    w, x = rng.normal(0, .1, (4, 16)), rng.normal(0, 1, (4, 16))
    with pytest.raises(RtlMismatch, match=r"(?s)UserTxnsTest.*first mismatch at element"):
        linear(w, x, backend="icarus", seed=seed,
               rtl_options=dict(source=src, variant="_mut_api"))
