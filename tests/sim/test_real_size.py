"""Real-size runs in fast mode, bit-exact against the model, with the wall time next to what
cycle mode would have taken (measured on a slice of the same run and extrapolated linearly --
labelled as such in the output).

* gemm (typical 4 x 4): every tile of a VGG-style 3x3 conv layer at CIFAR size
  (models.conv.CONV_LAYER: 32 -> 64 channels on 32 x 32, K = 288): 4096 tiles, 1.18 M beats;
* nm_gemm (typical 4 x 4, 2:4): the same layer with its weights pruned 2:4;
* delta_lstm (I = H = 64, 8 PEs, half of every (PE, column) kept): 1000 steps;
* delta_lstm at the size issue 9 names (I = H = 256, 16 PEs, a quarter of every (PE, column)
  kept, 33-bit accumulators: the narrowest that holds 512 columns' largest sum): 200 steps.

Run: ``.venv/bin/python -m pytest -m slow -s tests/sim/test_real_size.py`` (or ``make slow``).
Writes ``build/bench/real_size.{csv,json}``.
"""

from __future__ import annotations

import pytest

from models.configs import get_config
from tests.sim.runner import ROOT, report, run, setup_tools

SIM = "verilator"
DEPTH = 1 << 21  # harness memory: the conv layer is 1.18 M beats on one stream
N_CONV_TILES = 4096  # models.conv.CONV_LAYER on a 4 x 4 array
SLICE_TILES = 16  # conv tiles in the cycle-mode slice
DLSTM = dict(input_size=64, hidden_size=64, num_pe=8, keep=16, act_lanes=8)
DLSTM_SCALE = 50  # CycleTest's 20 steps x 50 = 1000 steps
#: issue 9's "256 x 256 layer over 200+ steps": 4H = 1024 gate rows over 16 PEs is 64 rows per
#: PE, 16 of them kept per column; acc_width 33 is DeltaLstmParams' own minimum for I + H = 512
DLSTM_256 = dict(input_size=256, hidden_size=256, num_pe=16, keep=16, act_lanes=8, acc_width=33)
DLSTM_256_SCALE = 10  # 20 steps x 10 = 200 steps
OUT = ROOT / "build" / "bench"
#: (name, block, params, test, env of the whole run, env of the cycle-mode slice, slice share)
RUNS = [
    ("gemm conv layer", "gemm", get_config("gemm", "typical"), "ConvLayerTest",
     {"ZS_CONV_TILES": "0"}, {"ZS_CONV_TILES": str(SLICE_TILES)}, SLICE_TILES / N_CONV_TILES),
    ("nm_gemm 2:4 conv layer", "nm_gemm", get_config("nm_gemm", "typical"), "ConvLayerTest",
     {"ZS_CONV_TILES": "0"}, {"ZS_CONV_TILES": str(SLICE_TILES)}, SLICE_TILES / N_CONV_TILES),
    ("delta_lstm 64x64, 1000 steps", "delta_lstm",
     get_config("delta_lstm", "typical").replace(**DLSTM), "CycleTest",
     {"ZS_CYCLE_SCALE": str(DLSTM_SCALE)}, {"ZS_CYCLE_SCALE": "1"}, 1 / DLSTM_SCALE),
    ("delta_lstm 256x256, 200 steps", "delta_lstm",
     get_config("delta_lstm", "typical").replace(**DLSTM_256), "CycleTest",
     {"ZS_CYCLE_SCALE": str(DLSTM_256_SCALE)}, {"ZS_CYCLE_SCALE": "1"}, 1 / DLSTM_256_SCALE),
]


def _row(res, test):
    return next(r for r in res.rows if r["test"] == test)


def _test_seconds(res, test) -> float:
    """cocotb's own wall time of the test (the simulator run, not the build)."""
    import xml.etree.ElementTree as ET

    return float(next(t for t in ET.parse(res.test_dir / "results.xml").getroot().iter(
        "testcase") if t.get("name") == test).get("time"))


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_real_size_runs(seed):
    setup_tools(SIM)
    out = []
    for name, block, p, test, env, slice_env, share in RUNS:
        fast = run(p, SIM, seed=seed, test=test, mode="fast", fast_depth=DEPTH, env=env)
        assert fast.ok, report(fast)
        f = _row(fast, test)
        cyc = run(p, SIM, seed=seed, test=test, mode="cycle", env=slice_env)
        assert cyc.ok, report(cyc)
        c = _row(cyc, test)
        out.append(dict(run=name, block=block, tag=p.tag, txns=f["txns"],
                        elements=f["elements"], beats_in=f["beats_in"], cycles=f["cycles"],
                        fast_test_s=round(_test_seconds(fast, test), 1),
                        fast_wall_s=round(fast.wall_s, 1),
                        cycle_slice_txns=c["txns"],
                        cycle_slice_s=round(_test_seconds(cyc, test), 2),
                        cycle_extrapolated_s=round(_test_seconds(cyc, test) / share, 0)))
    from tools.plots import write_rows

    write_rows(out, OUT / "real_size")
    print()
    for r in out:
        print(f"{r['run']}: {r['txns']} txns, {r['elements']} elements bit-exact, "
              f"{r['cycles']} cycles; fast mode {r['fast_test_s']} s ({r['fast_wall_s']} s with "
              f"conversion and build); cycle mode measured {r['cycle_slice_s']} s on "
              f"{r['cycle_slice_txns']} txns, extrapolated {r['cycle_extrapolated_s']:.0f} s for "
              f"the whole run")
