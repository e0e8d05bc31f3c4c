"""Cora (and CiteSeer's aggregation) through the ``gcn_agg`` RTL in fast mode on Verilator
(typical config: 8 lanes, L = 4): per layer and schedule (plain and balanced PCOO) one run of
CoraTest on the whole graph, every output element bit-exact against the model (the
scoreboard), the measured cycles equal to the cycle model, and the figures:

* test accuracy of the float GCN, the integer model and the RTL's own logits (layer 2);
* per pass the measured cycles, the aggregation's share (measured - n: the drain sends one row a
  cycle after it) against nnz / P, and the issue's gate (nnz / P) / aggregation >= 0.8.

Run: ``make gcn-rtl`` (a slow test). Writes ``build/bench/gcn_rtl.{csv,json}``.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.configs import get_config
from models.gcn.train import accuracy
from models.gcn_agg import pass_cycles, pass_out
from tb.gcn_agg.cora import CORA_ENV, OUT_ENV, cora_layers, cora_passes
from tests.sim.runner import ROOT, report, run, setup_tools

SIM = "verilator"
TEST = "CoraTest"
FLOOR = 0.8  # the gate on (nnz / P) / aggregation cycles (target 0.9)
CORA_CLASSES = 7


def _run(p, seed, choice: str, tmp_path):
    import os

    out = tmp_path / f"{choice.replace(':', '_').replace(',', '_')}.npz"
    old = os.environ.get(CORA_ENV)
    os.environ[CORA_ENV] = choice  # cora_passes reads it here too (the expected figures)
    try:
        res = run(p, SIM, seed=seed, test=TEST, mode="fast",
                  env={CORA_ENV: choice, OUT_ENV: str(out)})
        assert res.ok, report(res)
        passes = cora_passes(p)
    finally:
        if old is None:
            os.environ.pop(CORA_ENV, None)
        else:
            os.environ[CORA_ENV] = old
    got = np.load(out)
    return res, passes, got


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_cora_through_the_rtl(seed, tmp_path):
    setup_tools(SIM)
    p = get_config("gcn_agg", "typical")
    c = cora_layers(p)
    rows, figures = [], {}
    for mode in ("plain", "balanced"):
        for choice in (f"1:{mode}", f"2:{mode}", f"citeseer:{mode}"):
            res, passes, got = _run(p, seed, choice, tmp_path)
            (h, a), = passes
            want = pass_out(p, h, a)
            assert (got["y0"] == want["y"]).all() and (got["flags0"] == 0).all()
            cyc = int(got["cycles"])
            assert cyc == pass_cycles(p, h, a), (choice, cyc, pass_cycles(p, h, a))
            agg = cyc - h.n
            ideal = a.schedule.nnz / p.lanes
            row = dict(graph="CiteSeer" if choice.startswith("c") else "Cora",
                       layer=choice.split(":")[0], mode=mode, nodes=h.n, nnz=a.schedule.nnz,
                       T=a.schedule.cycles, measured=cyc, aggregation=agg, ideal=ideal,
                       ratio=round(ideal / agg, 4), wall_s=round(res.wall_s, 1))
            rows.append(row)
            assert ideal / agg >= FLOOR, row
            if choice.startswith("2"):
                figures[mode] = accuracy(got["y0"][:, :CORA_CLASSES], c.labels, c.test_idx)
                assert (got["y0"][:, :CORA_CLASSES] == c.logits_int).all()
    acc_f = accuracy(c.logits_float, c.labels, c.test_idx)
    acc_i = accuracy(c.logits_int, c.labels, c.test_idx)
    from tools.plots import write_rows

    write_rows(rows, ROOT / "build" / "bench" / "gcn_rtl")
    print(f"\nCora test accuracy ({c.test_idx.size} nodes): float {acc_f:.3f}, integer model "
          f"{acc_i:.3f}, RTL plain {figures['plain']:.3f}, RTL balanced "
          f"{figures['balanced']:.3f}")
    for r in rows:
        print(f"  {r['graph']:8s} layer {r['layer']:8s} {r['mode']:8s} n={r['nodes']} "
              f"nnz={r['nnz']} T={r['T']} measured {r['measured']} cycles, aggregation "
              f"{r['aggregation']} vs nnz/P {r['ideal']:.1f}: {r['ratio']:.3f} "
              f"({r['wall_s']} s)")
    assert figures["plain"] == figures["balanced"] == acc_i
