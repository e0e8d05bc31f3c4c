"""Benchmark (issue 13): overlapped tiles -- measured cycles per tile, utilisation and the
nm_gemm (2:4) speed-up over gemm, for K in SWEEP_K and the 1 x 1, 4 x 4 and 8 x 8 arrays, on
Verilator in fast mode (HDL-side agents, no idle cycles, no backpressure).

Measured, not modelled: each point runs the block's ``TileBenchTest`` twice, with
``FEW_TILES`` and ``MANY_TILES`` tiles of the same K back to back, and the steady-state
cycles per tile are the difference of the two runs' busy cycles over the difference of tile
counts (the fill and drain of one run cancel). Each run also asserts its cycles against the
block's cycle model with tolerance 0 (CycleCheckTest).

"Before" is a FORMULA, not a measurement: ``models.gemm.old_expected_cycles``, the no-stall
timeline of the array of main at d006d22 (K + R + C cycles per long tile: flush and hand-off),
which that tree's CycleTests asserted with tolerance 0.

Port-bound ideal per tile: max(input beats, output beats) = max(K, R) for gemm and
max(K*n/m, R) for nm_gemm (R output rows of one beat each). The gate of the issue: for
K >= GATE_MIN_K, measured cycles per tile within GATE_SHARE of that ideal on every array.

Fair comparison: the input bits per cycle of each configuration (its s_axis_tdata width) stand
next to its speed-up, and ``speedup_per_bit`` is the speed-up at equal input bandwidth (the
speed-up x gemm's bits / nm_gemm's bits): nm_gemm's beat carries m activations per column, so
a port-bound system sees that figure, not the cycle ratio.

Run: ``make bench-tiles`` (a slow test). Writes ``build/bench/tiles.{csv,json}`` and
``build/plots/tiles_speedup.png``; prints the table.
"""

from __future__ import annotations

import pytest

from models.configs import get_config
from models.gemm import old_expected_cycles
from tests.sim.runner import report, run, setup_tools
from tools.plots import ROOT, tile_bench_plot, write_rows

SIM = "verilator"
MODE = "fast"
SWEEP_K = (1, 4, 16, 28, 64, 91, 256, 1024)  # the reductions (28, 91: a real conv layer)
SHAPES = ("min", "typical", "max")  # 1 x 1, 4 x 4, 8 x 8 (named configs of both blocks)
NM = (2, 4)  # n, m: nm_gemm at 2:4 on every shape (STA's main pattern)
FEW_TILES, MANY_TILES = 2, 6  # two runs per point: their difference is the steady state
GATE_MIN_K = 16  # the gate: for K >= 16 ...
GATE_SHARE = 0.9  # ... measured cycles per tile within 10 % of the port-bound ideal
#: harness memory: MANY_TILES tiles of the longest K, one beat per word
DEPTH = 1 << 13


def measure(p, k: int, tiles: int, seed) -> dict:
    res = run(p, SIM, seed=seed, test="TileBenchTest", mode=MODE, fast_depth=DEPTH,
              env={"ZS_TILE_K": str(k), "ZS_TILE_COUNT": str(tiles)})
    assert res.ok, report(res)
    assert len(res.rows) == 1, res.rows
    row = res.rows[0]
    assert row["txns"] == tiles, row
    return row


def per_tile(p, k: int, seed) -> tuple[float, int, int]:
    """(steady-state cycles per tile, input beats per tile, busy cycles of the long run)."""
    few, many = measure(p, k, FEW_TILES, seed), measure(p, k, MANY_TILES, seed)
    beats = (many["beats_in"] - few["beats_in"]) // (MANY_TILES - FEW_TILES)
    return (many["cycles"] - few["cycles"]) / (MANY_TILES - FEW_TILES), beats, many["cycles"]


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_bench_tiles(seed):
    setup_tools(SIM)
    rows, failures = [], []
    for shape in SHAPES:
        dense_p = get_config("gemm", shape)
        nm_p = get_config("nm_gemm", shape).replace(n=NM[0], m=NM[1])
        R, C = dense_p.rows, dense_p.cols
        assert (nm_p.rows, nm_p.cols) == (R, C), "unequal PE counts"
        for k in SWEEP_K:
            d_cyc, d_beats, d_total = per_tile(dense_p, k, seed)
            assert d_beats == k, f"gemm: {d_beats} beats per tile, expected K = {k}"
            k_nm = NM[1] * -(-k // NM[1])  # whole groups; the same for every K of the sweep but 1
            s_cyc, s_beats, s_total = per_tile(nm_p, k_nm, seed)
            d_ideal, s_ideal = max(d_beats, R), max(s_beats, R)
            old = (old_expected_cycles(dense_p, [k] * MANY_TILES)
                   - old_expected_cycles(dense_p, [k] * FEW_TILES)) / (MANY_TILES - FEW_TILES)
            old_nm = (old_expected_cycles(dense_p, [s_beats] * MANY_TILES)
                      - old_expected_cycles(dense_p, [s_beats] * FEW_TILES)) / (
                MANY_TILES - FEW_TILES)
            speedup = d_cyc / s_cyc
            row = dict(
                array=f"{R}x{C}", k=k, k_nm=k_nm,
                gemm_cycles_per_tile=d_cyc, gemm_ideal=d_ideal,
                gemm_util=round(k / d_cyc, 4), gemm_util_before_formula=round(k / old, 4),
                nm_beats=s_beats, nm_cycles_per_tile=s_cyc, nm_ideal=s_ideal,
                speedup=round(speedup, 4), speedup_ideal=round(d_ideal / s_ideal, 4),
                speedup_before_formula=round(old / old_nm, 4),
                gemm_in_bits=dense_p.in_width, nm_in_bits=nm_p.in_width,
                speedup_per_bit=round(speedup * dense_p.in_width / nm_p.in_width, 4),
                gemm_cycles_many=d_total, nm_cycles_many=s_total)
            rows.append(row)
            if k >= GATE_MIN_K:
                for name, cyc, ideal in (("gemm", d_cyc, d_ideal), ("nm_gemm", s_cyc, s_ideal)):
                    if ideal / cyc < GATE_SHARE:
                        failures.append(f"{name} {R}x{C} K={k}: {cyc:.2f} cycles per tile, "
                                        f"ideal {ideal}: {ideal / cyc:.3f} < {GATE_SHARE}")
    head = ("array     K  gemm c/t  ideal  util  util_before*  nm beats  nm c/t  ideal  "
            "speed-up  ideal  before*  bits g/nm  per-bit\n" + "-" * 118)
    lines = [f"{r['array']:<5} {r['k']:>5}  {r['gemm_cycles_per_tile']:>8.2f} {r['gemm_ideal']:>6} "
             f"{r['gemm_util']:>5.3f} {r['gemm_util_before_formula']:>13.3f}  "
             f"{r['nm_beats']:>8} {r['nm_cycles_per_tile']:>7.2f} {r['nm_ideal']:>6} "
             f"{r['speedup']:>9.3f} {r['speedup_ideal']:>6.2f} {r['speedup_before_formula']:>8.3f}"
             f"  {r['gemm_in_bits']:>4}/{r['nm_in_bits']:<4} {r['speedup_per_bit']:>8.3f}"
             for r in rows]
    print(f"\noverlapped tiles, {SIM} {MODE} mode, no idle/backpressure, seed {seed}; "
          f"c/t = measured cycles per tile ({MANY_TILES} - {FEW_TILES} tiles); "
          f"* = FORMULA (main d006d22 timeline), not measured\n{head}\n" + "\n".join(lines))
    js, cs = write_rows(rows, ROOT / "build" / "bench" / "tiles")
    png = tile_bench_plot(rows, f"overlapped tiles, measured on {SIM} ({MODE} mode), seed {seed}"
                                "; before = formula", "tiles_speedup")
    print(f"rows: {js}, {cs}\nplot: {png}")
    assert not failures, "\n".join(failures)
