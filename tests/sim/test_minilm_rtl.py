"""The real-activation run through the RTL: all 12 MiniLM-L6 heads of the fixture
(data/minilm_heads), each with its DeiT mask and with every key kept, through the composed
``sparse_attn`` head (typical config; Q/K/V zero-padded from d = 32 to 64) in fast mode on
Verilator, bit-exact against the model -- which equals the fixture's stored pipeline outputs
(tests/unit/test_minilm.py), so the error figures of ``make minilm`` are the RTL's.

Run: ``make minilm-rtl`` (a slow test). Writes ``build/bench/minilm_rtl.{csv,json}``.
"""

from __future__ import annotations

import pytest

from models.configs import get_config
from tb.sparse_attn.sequences import MINILM_ENV, MINILM_MASK_ENV
from tests.sim.runner import ROOT, report, run, setup_tools

SIM = "verilator"
TEST = "MinilmTest"
#: harness memory per stream: 12 dense heads are 12 x 197 x 197 = 466 k mask beats
DEPTH = 1 << 19


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_minilm_heads_through_the_rtl(seed):
    setup_tools(SIM)
    p = get_config("sparse_attn", "typical")
    res = run(p, SIM, seed=seed, test=TEST, mode="fast", fast_depth=DEPTH,
              env={MINILM_ENV: "all", MINILM_MASK_ENV: "both"})
    assert res.ok, report(res)
    row = next(r for r in res.rows if r["test"] == TEST)
    from tools.plots import write_rows

    write_rows([dict(test=TEST, config=p.tag, heads=12, masks="sparse+dense", txns=row["txns"],
                     elements=row["elements"], cycles=row["cycles"],
                     wall_s=round(res.wall_s, 1))], ROOT / "build" / "bench" / "minilm_rtl")
    print(f"\nMiniLM-L6 layer-3 heads through sparse_attn {p.tag} (fast mode): {row['txns']} "
          f"rows, {row['elements']} elements bit-exact, {row['cycles']} cycles, "
          f"{res.wall_s:.1f} s with build")
    assert row["txns"] == 12 * 2 * 197
