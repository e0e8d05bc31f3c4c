"""Benchmark: measured cycles of the dense ``gemm`` vs ``nm_gemm`` at 2:4, 1:4 and 1:8 (STA's
patterns) on equal PE counts, on Verilator, with no idle cycles and no backpressure.

Both sides run their block's ``CycleTest``: back-to-back tiles of the same dense reduction length
K and tile count (``tb.common.uvm.CYCLE_K`` = 1024, ``N_CYCLE_TILES`` = 3; checked below from
what the monitors saw, not from constants), and each of those tests already asserts that its
measured cycles equal its block's cycle model exactly. Here we only take the ratio.

Which shape: a tile costs ``max(beats, R)`` cycles on both engines (overlapped tiles,
rtl/common/array.py; before issue 13 it was ``beats + R + C``), and only the beats shrink by
n/m, so the speed-up is m/n once K*n/m >= R. At K = 1024, 1:8 gives 128 beats per tile: long
against both the 1 x 1 (``min``) and the 4 x 4 (``typical``) array's R, and the floor
``SPEEDUP_FLOOR * m/n`` is asserted on both.

Run: ``.venv/bin/python -m pytest -m slow -s tests/sim/test_bench_nm_gemm.py``
"""

from __future__ import annotations

import pytest

from models.configs import get_config
from models.gemm import expected_cycles
from models.nm_gemm import expected_cycles_nm
from tests.sim.runner import report, run, setup_tools
from tools.plots import speedup_vs_sparsity

SIM = "verilator"  # the faster simulator; cycle counts are simulator-independent
RATIOS = [(2, 4), (1, 4), (1, 8)]  # (n, m): the patterns STA reports
#: measured speed-up must reach this share of the ideal m/n where K is long against R + C
SPEEDUP_FLOOR = 0.9
#: (named config of both blocks, whether the floor is asserted there): see the module doc
SHAPES = [("min", True), ("typical", True)]


def measure(p, seed) -> dict:
    """Run the block's CycleTest on ``p``; its one summary row (cycles, beats, tiles)."""
    res = run(p, SIM, seed=seed, test="CycleTest")
    assert res.ok, report(res)
    assert len(res.rows) == 1, res.rows
    return res.rows[0]


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_bench_nm_gemm_speedup(seed):
    setup_tools(SIM)
    lines = []
    failures = []
    series: dict[str, list[tuple[float, float]]] = {}
    for shape, assert_floor in SHAPES:
        dense_p = get_config("gemm", shape)
        dense = measure(dense_p, seed)
        k = dense["beats_in"] // dense["txns"]  # gemm: one beat per reduction element
        for n, m in RATIOS:
            nm_p = get_config("nm_gemm", shape).replace(n=n, m=m)
            sparse = measure(nm_p, seed)
            assert (nm_p.rows, nm_p.cols) == (dense_p.rows, dense_p.cols), "unequal PE counts"
            assert sparse["txns"] == dense["txns"], "unequal tile counts: not equal work"
            assert sparse["beats_in"] * m == dense["beats_in"] * n, (
                f"{n}:{m}: {sparse['beats_in']} sparse beats are not {n}/{m} of "
                f"{dense['beats_in']} dense beats: not equal work")
            speedup = dense["cycles"] / sparse["cycles"]
            ideal = m / n
            # what the cycle models predict for this work (the CycleTests assert equality)
            model = (expected_cycles(dense_p, [k] * dense["txns"])
                     / expected_cycles_nm(nm_p, [k] * sparse["txns"]))
            lines.append(f"{dense_p.rows}x{dense_p.cols:<3} {n}:{m}  {k:>5} {dense['txns']:>5} "
                         f"{dense['cycles']:>7} {sparse['cycles']:>7} {speedup:>8.3f} "
                         f"{ideal:>6.2f} {SPEEDUP_FLOOR * ideal:>6.2f} {model:>8.3f}  "
                         f"{'floor' if assert_floor else 'model'}")
            series.setdefault(f"{dense_p.rows}x{dense_p.cols} ({shape})", []).append(
                (1 - n / m, speedup))
            if assert_floor and speedup < SPEEDUP_FLOOR * ideal:
                failures.append(f"{shape} {n}:{m}: speed-up {speedup:.3f} < "
                                f"{SPEEDUP_FLOOR} x {ideal:.2f}")
    head = ("shape  n:m      K tiles   dense  sparse  speedup  ideal  floor    model  check\n"
            "-----  ---  ----- -----  ------  ------  -------  -----  -----  -------  -----")
    print(f"\nnm_gemm vs gemm, {SIM}, no idle/backpressure, seed {seed}\n{head}\n"
          + "\n".join(lines))
    ideal = sorted((1 - n / m, m / n) for n, m in RATIOS)
    png = speedup_vs_sparsity(series, ideal, SPEEDUP_FLOOR,
                              f"nm_gemm vs gemm, measured on {SIM}, dense K = {k} x "
                              f"{dense['txns']} tiles, seed {seed}", "nm_gemm_speedup")
    print(f"plot: {png}")
    assert not failures, "\n".join(failures)
