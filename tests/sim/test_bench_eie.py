"""The ``eie`` density benchmark: a weight-density x activation-density sweep of measured RTL
cycles (typical config: 4 PEs, 4 lanes, FIFO 8; fast mode on Verilator; one SweepTest run a
point, tb/eie/bench_tests.py) of a random 64 x 64 layer (the digits MLP's first layer's shape)
and N_VECTORS vectors, every output bit-exact (the scoreboard) and the cycles equal to the
twin (models.eie.simulate, asserted), against

* the ideal: the non-zero weights at non-zero activations / N (models.eie.ideal_cycles);
* dense gemm at equal PEs: a 2 x 2 output-stationary array (4 PEs) computing the same
  W (64 x 64) times the N_VECTORS vectors as 2-row x 2-vector tiles of K = 64. Its cycles are
  **computed from a formula**, models.gemm.expected_cycles (the formula gemm's CycleTest
  asserts against its RTL with tolerance 0), not simulated here. The ideal speed-up is that
  gemm's cycles over eie's ideal.

Printed and written, not gated (issue 16's gate is on the real layers: make eie-digits): the
share of the ideal falls where a vector has little work, since every vector pays its beats
with no non-zero activation, each empty column slice one pointer-fetch cycle, and its
write-back (16 beats for 64 rows on 4 PEs).

Run: ``make bench-eie`` (a slow test). Writes ``build/bench/eie_sweep.{csv,json}`` and
``build/plots/eie_sweep.png``.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.configs import get_config
from models.eie import ideal_cycles, simulate
from models.gemm import GemmParams
from models.gemm import expected_cycles as gemm_cycles
from tb.eie.sequences import DIGITS_OUT_ENV, SWEEP_ENV, sweep_point
from tests.sim.runner import ROOT, report, run, setup_tools

SIM = "verilator"
TEST, MODULE = "SweepTest", "tb.eie.bench_tests"
#: EIE's pruned FC layers keep 4-25 % of their weights; 40 % is about as much as typical's 512
#: entries a PE hold for a 64 x 64 layer leave room for (random_layer thins a layer that
#: overflows them: the measured density is reported)
W_DENSITIES = (0.05, 0.1, 0.2, 0.3, 0.4)
A_DENSITIES = (0.1, 0.3, 0.5, 0.7, 1.0)  # ReLU outputs: sparse to dense
N_VECTORS = 16
GEMM = GemmParams(rows=2, cols=2)  # 4 PEs, as eie typical's num_pe
OUT = ROOT / "build" / "bench"


def gemm_dense_cycles(rows: int, cols: int, n_vec: int) -> int:
    tiles = -(-rows // GEMM.rows) * -(-n_vec // GEMM.cols)
    return gemm_cycles(GEMM, [cols] * tiles)


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_bench_eie(seed, tmp_path):
    setup_tools(SIM)
    p = get_config("eie", "typical")
    assert GEMM.rows * GEMM.cols == p.num_pe
    rows = []
    for i, wd in enumerate(W_DENSITIES):
        for j, ad in enumerate(A_DENSITIES):
            point_seed = seed * 100 + i * 10 + j
            t, vecs = sweep_point(p, wd, ad, N_VECTORS, point_seed)
            path = tmp_path / f"p{i}{j}.npz"
            res = run(p, SIM, seed=seed, test=TEST, mode="fast", test_module=MODULE,
                      env={SWEEP_ENV: f"{wd}:{ad}:{N_VECTORS}:{point_seed}",
                           DIGITS_OUT_ENV: str(path)})
            assert res.ok, report(res)
            measured = int(np.load(path)["cycles"])
            twin = simulate(p, t, vecs).cycles
            assert measured == twin, (wd, ad, measured, twin)
            ideal = float(sum(ideal_cycles(p, t, a) for a in vecs))
            nnz = int(sum(np.count_nonzero(s.v) for s in t.slices))
            dense = gemm_dense_cycles(t.rows, t.cols, len(vecs))
            rows.append(dict(w_density=wd, w_density_measured=round(nnz / (t.rows * t.cols), 4),
                             act_density=ad,
                             act_density_measured=round(float(np.count_nonzero(vecs))
                                                        / (len(vecs) * t.cols), 4),
                             vectors=len(vecs), eie_cycles=measured, ideal_cycles=ideal,
                             ratio=round(ideal / measured, 4) if ideal else 0.0,
                             gemm_cycles_formula=dense, speedup=round(dense / measured, 3),
                             ideal_speedup=round(dense / ideal, 3) if ideal else 0.0,
                             wall_s=round(res.wall_s, 1)))
    from tools.plots import eie_bench_plot, write_rows

    write_rows(rows, OUT / "eie_sweep")
    plot = eie_bench_plot(rows, f"eie {p.tag}: 64 x 64 random layer, {N_VECTORS} vectors a "
                          f"point, RTL cycles (Verilator fast mode) vs ideal and vs gemm 2 x 2 "
                          f"(formula), seed {seed}", "eie_sweep")
    print(f"\neie {p.tag} vs dense gemm 2x2 (models.gemm.expected_cycles, a formula), 64 x 64 "
          f"layer, {N_VECTORS} vectors a point, seed {seed}")
    print(f"{'w dens':>6} {'a dens':>6} {'eie':>6} {'ideal':>8} {'ratio':>6} {'gemm':>6} "
          f"{'speed-up':>8} {'ideal s-u':>9}")
    for r in rows:
        print(f"{r['w_density_measured']:>6.3f} {r['act_density_measured']:>6.3f} "
              f"{r['eie_cycles']:>6} {r['ideal_cycles']:>8.1f} {r['ratio']:>6.3f} "
              f"{r['gemm_cycles_formula']:>6} {r['speedup']:>8.2f} {r['ideal_speedup']:>9.2f}")
    print(f"wrote {OUT / 'eie_sweep.csv'} (+ .json), plot {plot}")
