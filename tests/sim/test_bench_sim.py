"""Simulation throughput (``make bench-sim``): cycles/s and checked elements/s of the same
test in cycle mode (Python agents every cycle), in fast mode (HDL agents, tb/common/fast.py),
in a plain C++ Verilator loop over the same harness Verilog replaying the same hex files (the
limit: no cocotb, no checking), and fast mode on Icarus -- for gemm, nm_gemm and delta_lstm at
their max configs, in one run on one machine.

Fast mode is reported twice: its simulation phase (from the run strobe to ``zs_done``: the
harness running under cocotb with no Python in between; the issue's floors are asserted on
it) and the whole test (stimulus generation, encoding, the model and the scoreboard too, which
run once per transaction in Python and bound it for long-K tiles).

The workload is each block's ``CycleTest`` (back-to-back tiles / steps, no stalls), scaled by
``ZS_CYCLE_SCALE`` so that fast mode runs long enough to time (the test still asserts its
cycles equal the block's cycle model); cycle mode runs it unscaled. Rates come from cocotb's
own per-test wall time (results.xml); the plain loop times its cycle loop with a steady clock.

Run: ``make bench-sim`` (or ``.venv/bin/python -m pytest -m slow -s tests/sim/test_bench_sim.py``).
Writes ``build/bench/sim_throughput.{csv,json,png}``.
"""

from __future__ import annotations

import pytest

from models.configs import get_config
from tests.sim import plain_loop
from tests.sim.runner import ROOT, build_dir, report, run, setup_tools

BLOCKS = ("gemm", "nm_gemm", "delta_lstm")
CONFIG = "max"
TEST = "CycleTest"
#: fast-mode scale per block: enough cycles (10^5 - 10^6) that fixed costs (process start, the
#: load and dump strobes, the replay) do not dominate the rate
FAST_SCALE = {"gemm": 100, "nm_gemm": 100, "delta_lstm": 200}
ICARUS_SCALE_DIV = 10  # Icarus is slower: a tenth of the Verilator workload
MIN_OF_PLAIN = 0.20  # issue 9: fast mode >= 20 % of the plain loop (target 50 %)
MIN_OVER_CYCLE = 100  # issue 9: fast mode >= 100x cycle mode
#: blocks that do not reach MIN_OVER_CYCLE today, each with the floor asserted instead (so
#: that a regression still fails) and the reason; printed on every run
BELOW_TARGET: dict[str, tuple[int, str]] = {
    # empty since 2026-12-02: delta_lstm, the last entry (50x asserted), measured 109x, 115x and
    # 117x over cycle mode in three `make bench-sim SEED=1|2|3` runs on an idle machine (load
    # 0.1 at the start); on a machine shared with other jobs it had ranged 87-194x (median 108x,
    # 9 runs), so a loaded machine can still push it under 100x: the ratio's noise is its cycle
    # mode, 7-13 k cycles/s in those three runs
}
PLAIN_MAX_CYCLES = 10**8  # the plain loop's safety stop
#: the plain loop ends after this many cycles without an output beat once its sources are
#: empty (the fast bench's quiet window for these blocks is of the same order): only the tail
PLAIN_QUIET = 16
OUT = ROOT / "build" / "bench"
#: harness memory for the scaled runs: 300 tiles of K = 1024 are 307 k beats on one stream
BENCH_DEPTH = 1 << 19


def _timed(res, test: str) -> tuple[float, float, dict]:
    """(wall seconds, simulated cycles, summary row) of ``test`` in a run."""
    import xml.etree.ElementTree as ET

    row = next(r for r in res.rows if r["test"] == test)
    tc = next(t for t in ET.parse(res.test_dir / "results.xml").getroot().iter("testcase")
              if t.get("name") == test)
    props = {p.get("name"): p.get("value") for p in tc.iter("property")}
    return float(tc.get("time")), float(props["sim_time_duration"]) / 10.0, row


def measure(block: str, seed: int) -> dict:
    p = get_config(block, CONFIG)
    out = dict(block=block, config=CONFIG, tag=p.tag)
    # cycle mode as `make sim` runs it (the block's own build, Python agents every cycle)
    cyc = run(p, "verilator", config=CONFIG, seed=seed, test=TEST, mode="cycle")
    assert cyc.ok, report(cyc)
    t, n, row = _timed(cyc, TEST)
    out.update(cycle_cycles=n, cycle_s=t, cycle_cps=n / t, cycle_eps=row["elements"] / t)
    scale = FAST_SCALE[block]
    fast = run(p, "verilator", config=CONFIG, seed=seed, test=TEST, mode="fast",
               fast_depth=BENCH_DEPTH, env={"ZS_CYCLE_SCALE": str(scale)})
    assert fast.ok, report(fast)
    t, n, row = _timed(fast, TEST)
    out.update(fast_scale=scale, fast_cycles=n, fast_s=t, fast_cps=n / t,
               fast_eps=row["elements"] / t, busy_cycles=row["cycles"],
               fast_sim_cycles=row["sim_cycles"], fast_sim_s=row["sim_seconds"],
               fast_sim_cps=row["sim_cycles"] / row["sim_seconds"])
    exe = plain_loop.build(ROOT / "build" / "rtl" / f"{p.module_name}.v", p.module_name,
                           build_dir(p, "verilator").parent / "plain", BENCH_DEPTH)
    pl = plain_loop.run(exe, fast.test_dir, PLAIN_QUIET, PLAIN_MAX_CYCLES)
    out.update(plain_cycles=pl["cycles"], plain_s=pl["seconds"], plain_cps=pl["cycles_per_s"])
    ic = run(p, "icarus", config=CONFIG, seed=seed, test=TEST, mode="fast",
             fast_depth=BENCH_DEPTH, env={"ZS_CYCLE_SCALE": str(max(1, scale // ICARUS_SCALE_DIV))})
    assert ic.ok, report(ic)
    t, n, row = _timed(ic, TEST)
    out.update(icarus_fast_cycles=n, icarus_fast_s=t, icarus_fast_cps=n / t)
    # "sim": the fast run's simulation phase (run strobe to zs_done, no Python in between);
    # "test": the whole fast test (stimulus generation, encoding, model, scoreboard included)
    out["sim_over_cycle"] = out["fast_sim_cps"] / out["cycle_cps"]
    out["sim_of_plain"] = out["fast_sim_cps"] / out["plain_cps"]
    out["test_over_cycle"] = out["fast_cps"] / out["cycle_cps"]
    out["test_of_plain"] = out["fast_cps"] / out["plain_cps"]
    out["verilator_over_icarus_fast"] = out["fast_cps"] / out["icarus_fast_cps"]
    return out


def table(rows: list[dict]) -> str:
    head = ("block", "config", "cycle c/s", "fast sim c/s", "fast test c/s", "plain c/s",
            "icarus fast c/s", "sim/cycle", "sim/plain", "test/cycle", "test/plain",
            "limit/cycle", "cycle el/s", "fast el/s")
    lines = [head] + [(r["block"], r["config"], f"{r['cycle_cps']:.0f}",
                       f"{r['fast_sim_cps']:.0f}", f"{r['fast_cps']:.0f}",
                       f"{r['plain_cps']:.0f}", f"{r['icarus_fast_cps']:.0f}",
                       f"{r['sim_over_cycle']:.0f}x", f"{r['sim_of_plain']:.2f}",
                       f"{r['test_over_cycle']:.0f}x", f"{r['test_of_plain']:.3f}",
                       f"{r['plain_cps'] / r['cycle_cps']:.0f}x",
                       f"{r['cycle_eps']:.0f}", f"{r['fast_eps']:.0f}") for r in rows]
    w = [max(len(ln[i]) for ln in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w[i]) for i, c in enumerate(ln)) for ln in lines)


def write(rows: list[dict]) -> None:
    from tools.plots import throughput_bars, write_rows

    write_rows(rows, OUT / "sim_throughput")

    throughput_bars({r["block"]: {"cycle mode": r["cycle_cps"], "fast, Icarus (test)":
                                  r["icarus_fast_cps"], "fast (whole test)": r["fast_cps"],
                                  "fast (simulation phase)": r["fast_sim_cps"],
                                  "plain C++ loop": r["plain_cps"]} for r in rows},
                    OUT / "sim_throughput.png")


@pytest.mark.slow
@pytest.mark.sim
@pytest.mark.verilator
def test_bench_sim(seed):
    setup_tools("verilator")
    setup_tools("icarus")
    rows = [measure(b, seed) for b in BLOCKS]
    write(rows)
    print("\n" + table(rows))
    print(f"figures: {OUT / 'sim_throughput.csv'}, .json, .png")
    for r in rows:  # the floors, on the simulation phase (see the module doc)
        assert r["sim_of_plain"] >= MIN_OF_PLAIN, (r["block"], r["sim_of_plain"])
        need = BELOW_TARGET.get(r["block"], (MIN_OVER_CYCLE, ""))[0]
        assert r["sim_over_cycle"] >= need, (r["block"], r["sim_over_cycle"], need)
    short = [f"{b}: {r['sim_over_cycle']:.0f}x cycle mode in this run; the {MIN_OVER_CYCLE}x "
             f"target is not asserted for it, {BELOW_TARGET[b][0]}x is ({BELOW_TARGET[b][1]})"
             for b, r in ((r["block"], r) for r in rows) if b in BELOW_TARGET]
    for line in short:
        print("BELOW TARGET " + line)
