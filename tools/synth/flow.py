"""Run yosys (lint + generic, xc7, iCE40) and nextpnr-ice40 on one config's Verilog.

Every tool runs in the config's own directory on a copy of the Verilog named after the module,
so the ``src`` attributes yosys puts in cell names (``$and$<file>:<line>``) are the same
wherever the tree lives. Scripts are written next to their logs (``<step>.ys``,
``<step>.log``) and every figure is read back from ``tee -q -o`` files, never from the console.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from tools.synth import INSTALL_HINT, parse

# a hung tool must not stall `make synth` for ever; the largest config (delta_lstm max) takes
# about 3 minutes in synth_xilinx on a busy 2-core machine, so 20 minutes is far beyond normal
YOSYS_TIMEOUT_S = 1200
# nextpnr places gemm min in about 1 s; a design near the 7680 LCs of an HX8K routes in one
# or two minutes here, and one still unrouted after 5 minutes is a "does not fit" in practice
NEXTPNR_TIMEOUT_S = 300

ICE40_PART = "iCE40HX8K-CT256"  # the largest iCE40 HX part, in its largest package
ICE40_NEXTPNR_ARGS = ("--hx8k", "--package", "ct256")
HX8K_LCS = 7680  # logic cells (one LUT4 + one DFF + carry each): nextpnr "ICESTORM_LC .../7680"
HX8K_RAM4K = 32  # SB_RAM40_4K blocks: nextpnr "ICESTORM_RAM .../32"
HX8K_CT256_IOS = 206  # bonded user IOs of ct256 (icebox.pinloc_db["8k-ct256"]; nextpnr's 256
#                       SB_IO sites include unbonded ones)
NEXTPNR_FREQ_MHZ = 50  # target for timing-driven placement only; Fmax is what was achieved
NEXTPNR_SEED = 1  # fixed: placement, and so Fmax, are reproducible run to run
NEXTPNR_THREADS = 1  # the 2 cores are shared with other work

LINT_SCRIPT = """\
read_verilog {src}
hierarchy -check -top {top}
proc
flatten
tee -q -o lint_check.txt check
tee -q -o ports_stat.json stat -json i:* o:*
synth -top {top}
tee -q -o generic_check.txt check
tee -q -o generic_stat.json stat -json
"""
XILINX_SCRIPT = """\
read_verilog {src}
synth_xilinx -flatten -top {top}
tee -q -o xilinx_stat.json stat -json
"""
ICE40_SCRIPT = """\
read_verilog {src}
synth_ice40 -top {top} -json ice40.json
tee -q -o ice40_stat.json stat -json
"""


class ToolError(RuntimeError):
    """A tool is missing or could not run; the message says which and how to fix it."""


def require_tools() -> dict[str, str]:
    """Versions of yosys and nextpnr-ice40, or a ToolError naming the apt packages."""
    missing = [t for t in ("yosys", "nextpnr-ice40") if shutil.which(t) is None]
    if missing:
        raise ToolError(f"{' and '.join(missing)} not found: {INSTALL_HINT}")
    yv = subprocess.run(["yosys", "-V"], capture_output=True, text=True, check=True).stdout
    nv = subprocess.run(["nextpnr-ice40", "--version"], capture_output=True, text=True)
    return {"yosys": parse.yosys_version(yv),
            "nextpnr-ice40": parse.nextpnr_version(nv.stdout + nv.stderr)}


def run_yosys(wd: Path, step: str, script: str) -> tuple[bool, str, float]:
    """Run ``script`` as ``<wd>/<step>.ys``; (ok, log text or the reason it failed, seconds)."""
    (wd / f"{step}.ys").write_text(script)
    t0 = time.monotonic()
    try:
        r = subprocess.run(["yosys", "-q", "-l", f"{step}.log", "-s", f"{step}.ys"], cwd=wd,
                           capture_output=True, text=True, timeout=YOSYS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False, f"{step}: yosys exceeded {YOSYS_TIMEOUT_S} s", time.monotonic() - t0
    dt = time.monotonic() - t0
    log = (wd / f"{step}.log").read_text() if (wd / f"{step}.log").exists() else ""
    if r.returncode != 0:
        why = parse.first_error(log) or (r.stderr.strip().splitlines() or ["no output"])[-1]
        return False, f"{step}: yosys failed: {why}", dt
    return True, log, dt


def lint_and_generic(wd: Path, src: str, top: str) -> dict:
    """Lint violations, yosys warnings, IO bits and the generic cell counts."""
    script = LINT_SCRIPT.format(src=src, top=top)
    ok, log, dt = run_yosys(wd, "generic", script)
    out: dict = {"script": script, "seconds": round(dt, 2)}
    if not ok:
        out["error"] = log
        out["violations"] = [{"rule": "yosys-error", "detail": log}]
        return out
    found = parse.parse_check((wd / "lint_check.txt").read_text())
    found += parse.parse_check((wd / "generic_check.txt").read_text())
    found += [("latch", sig) for sig in parse.parse_latches(log)]
    stat = parse.parse_stat_json((wd / "generic_stat.json").read_text())
    found += [("latch", f"{n} {t} cell(s)") for t, n in parse.latch_cells(
        stat["cells_by_type"]).items()]
    unique = list(dict.fromkeys(found))  # pre- and post-synth check may name the same net
    out["violations"] = [{"rule": r, "detail": d} for r, d in unique]
    out["warnings"] = parse.warnings(log)
    out["io_bits"] = parse.parse_stat_json((wd / "ports_stat.json").read_text())["wire_bits"]
    out["cells"], out["cells_by_type"] = stat["cells"], stat["cells_by_type"]
    return out


def xilinx(wd: Path, src: str, top: str) -> dict:
    script = XILINX_SCRIPT.format(src=src, top=top)
    ok, log, dt = run_yosys(wd, "xilinx", script)
    out: dict = {"script": script, "seconds": round(dt, 2)}
    if not ok:
        out["error"] = log
        return out
    cells = parse.parse_stat_json((wd / "xilinx_stat.json").read_text())["cells_by_type"]
    out.update(parse.xilinx_figures(cells))
    out["latch_cells"] = parse.latch_cells(cells)
    out["cells_by_type"] = cells
    return out


def ice40(wd: Path, src: str, top: str, io_bits: int) -> dict:
    """synth_ice40 + nextpnr-ice40 when the design can fit the part; else why it cannot."""
    out: dict = {"part": ICE40_PART, "fits": False, "reason": None, "fmax_mhz": None,
                 "io_bits": io_bits}
    if io_bits > HX8K_CT256_IOS:
        out["reason"] = f"{io_bits} IOs > {HX8K_CT256_IOS} on ct256"
        return out
    script = ICE40_SCRIPT.format(src=src, top=top)
    ok, log, dt = run_yosys(wd, "ice40", script)
    out.update(script=script, seconds=round(dt, 2))
    if not ok:
        out["reason"] = log
        return out
    cells = parse.parse_stat_json((wd / "ice40_stat.json").read_text())["cells_by_type"]
    fig = parse.ice40_figures(cells)
    out.update(fig, cells_by_type=cells)
    too_big = [f"{fig[k]} {name} > {cap}" for k, name, cap in (
        ("lut4", "SB_LUT4", HX8K_LCS), ("ff", "DFF", HX8K_LCS), ("carry", "SB_CARRY", HX8K_LCS),
        ("bram", "SB_RAM40_4K", HX8K_RAM4K)) if fig[k] > cap]
    if too_big:
        out["reason"] = "; ".join(too_big)
        return out
    return {**out, **nextpnr(wd)}


def nextpnr_command() -> list[str]:
    return ["nextpnr-ice40", *ICE40_NEXTPNR_ARGS, "--json", "ice40.json", "--asc", "ice40.asc",
            "--freq", str(NEXTPNR_FREQ_MHZ), "--seed", str(NEXTPNR_SEED), "--threads",
            str(NEXTPNR_THREADS), "--timing-allow-fail", "-q", "-l", "nextpnr.log"]


def nextpnr(wd: Path) -> dict:
    cmd = nextpnr_command()
    out: dict = {"nextpnr": " ".join(cmd)}
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=wd, capture_output=True, text=True,
                           timeout=NEXTPNR_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {**out, "reason": f"nextpnr-ice40 did not finish in {NEXTPNR_TIMEOUT_S} s",
                "nextpnr_seconds": NEXTPNR_TIMEOUT_S}
    out["nextpnr_seconds"] = round(time.monotonic() - t0, 2)
    log = (wd / "nextpnr.log").read_text() if (wd / "nextpnr.log").exists() else r.stderr
    res = parse.parse_nextpnr(log)
    out.update(lc_used=res["lc_used"], lc_total=res["lc_total"], clock=res["clock"])
    if r.returncode != 0 or res["fmax_mhz"] is None:
        out["reason"] = f"nextpnr-ice40: {res['error'] or 'no Fmax in its log'}"
        return out
    return {**out, "fits": True, "fmax_mhz": res["fmax_mhz"]}
