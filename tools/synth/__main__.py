"""CLI of ``make synth`` (see the package docstring)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from models.params import BlockParams, ParamError
from tools.synth import BASELINE, OUT, ROOT, baseline, cost, flow, report


def jobs(blocks: list[str] | None, configs: list[str] | None) -> list[tuple[str, str,
                                                                              BlockParams]]:
    """(block, config key, params) for the named configs asked for, each with its variants."""
    from models.configs import CONFIGS

    for b in blocks or ():
        if b not in CONFIGS:
            raise ParamError(f"unknown block {b!r}; known blocks: {', '.join(sorted(CONFIGS))}")
    out = []
    for blk in blocks or CONFIGS:
        for c in configs or ():
            if c not in CONFIGS[blk]:
                raise ParamError(f"{blk}: unknown config {c!r}; known configs: "
                                 f"{', '.join(CONFIGS[blk])}")
        for name, p in CONFIGS[blk].items():
            if configs and name not in configs:
                continue
            out.append((blk, name, p))
            out += [(blk, key, vp) for key, vp in cost.variants(blk, name, p)]
    return out


def synth_config(block: str, config: str, p: BlockParams, out_root: Path,
                 versions: dict) -> dict:
    """Every figure of one config; ``errors`` lists what could not run (never raises)."""
    from rtl.convert import convert

    t0 = time.monotonic()
    rec: dict = {"block": block, "config": config, "tag": p.tag, "module": p.module_name,
                 "params": p.to_dict(), "port_widths": p.port_widths(), "errors": [],
                 "yosys": versions["yosys"]}
    try:
        src = convert(p)
    except Exception as e:  # conversion reports its own one-sentence reason
        rec["errors"].append(f"conversion failed: {e}")
        rec["seconds"] = {"total": round(time.monotonic() - t0, 1)}
        return rec
    wd = out_root / block / config
    wd.mkdir(parents=True, exist_ok=True)
    local = f"{p.module_name}.v"
    shutil.copyfile(src, wd / local)
    rec["verilog"] = str((wd / local).relative_to(ROOT) if wd.is_relative_to(ROOT)
                         else wd / local)
    seconds: dict = {"convert": round(time.monotonic() - t0, 2)}

    gen = flow.lint_and_generic(wd, local, p.module_name)
    seconds["generic"] = gen["seconds"]
    rec["lint"] = {"ok": not gen["violations"], "violations": gen["violations"],
                   "warnings": gen.get("warnings", [])}
    rec["generic"] = {k: gen[k] for k in ("cells", "cells_by_type") if k in gen}
    rec["commands"] = {"generic": gen["script"]}

    x = flow.xilinx(wd, local, p.module_name)
    seconds["xilinx"] = x["seconds"]
    rec["commands"]["xilinx"] = x.pop("script")
    if "error" in x:
        rec["errors"].append(x["error"])
    for t, n in x.get("latch_cells", {}).items():
        rec["lint"]["violations"].append({"rule": "latch", "detail": f"{n} {t} cell(s) (xc7)"})
    rec["lint"]["ok"] = not rec["lint"]["violations"]
    rec["xilinx"] = x

    if "io_bits" in gen:
        ic = flow.ice40(wd, local, p.module_name, gen["io_bits"])
    else:
        ic = {"part": flow.ICE40_PART, "fits": False, "fmax_mhz": None,
              "reason": "not attempted: the lint run failed"}
    if "script" in ic:
        rec["commands"]["ice40"] = ic.pop("script")
        seconds["ice40"] = ic.pop("seconds")
    if "nextpnr" in ic:
        rec["commands"]["nextpnr"] = ic.pop("nextpnr")
        seconds["nextpnr"] = ic.pop("nextpnr_seconds")
    rec["ice40"] = ic
    seconds["total"] = round(time.monotonic() - t0, 1)
    rec["seconds"] = seconds
    return rec


def progress(i: int, n: int, rec: dict) -> str:
    x = rec.get("xilinx", {})
    figs = " ".join(f"{k.upper()} {x[k]}" for k in ("lut", "ff", "dsp") if k in x)
    return (f"synth: [{i}/{n}] {rec['block']} {rec['config']} [{rec['tag']}] "
            f"{rec['seconds']['total']:.1f} s  {figs}  lint {report.lint_cell(rec)}  "
            f"{report.ice40_cell(rec)}" + (f"  ERROR {'; '.join(rec['errors'])}"
                                           if rec["errors"] else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.synth", description=__doc__)
    ap.add_argument("--block", action="append", help="block(s) to synthesise (default: all)")
    ap.add_argument("--config", action="append",
                    help="named config(s), e.g. typical (default: all, with their variants)")
    ap.add_argument("--update-baseline", action="store_true",
                    help="rewrite tools/synth/baseline.json from this run")
    ap.add_argument("--out", type=Path, default=OUT, help="output directory")
    ap.add_argument("--baseline", type=Path, default=BASELINE, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    try:
        versions = flow.require_tools()
        todo = jobs(a.block, a.config)
    except (flow.ToolError, ParamError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    complete = not a.block and not a.config
    print(f"synth: yosys {versions['yosys']}, {len(todo)} config(s), one at a time", flush=True)
    records = []
    for i, (blk, cfg, p) in enumerate(todo, 1):
        print(f"synth: [{i}/{len(todo)}] {blk} {cfg} [{p.tag}] ...", flush=True)
        rec = synth_config(blk, cfg, p, a.out, versions)
        records.append(rec)
        print(progress(i, len(todo), rec), flush=True)

    base = baseline.load(a.baseline)
    if a.update_baseline:
        baseline.write(a.baseline, baseline.updated(base, records, versions, complete))
        print(f"synth: baseline written to {a.baseline}")
        base = baseline.load(a.baseline)
    verdict = baseline.compare(records, base, complete)
    summary = {"tools": versions, "tolerance": baseline.TOLERANCE, "complete": complete,
               "commands": {"generic": flow.LINT_SCRIPT, "xilinx": flow.XILINX_SCRIPT,
                            "ice40": flow.ICE40_SCRIPT,
                            "nextpnr": " ".join(flow.nextpnr_command()),
                            "cwd": "build/synth/<block>/<config>/ (src = <module>.v)"},
               "ice40_part": {"name": flow.ICE40_PART, "logic_cells": flow.HX8K_LCS,
                              "ios": flow.HX8K_CT256_IOS, "ram4k": flow.HX8K_RAM4K},
               "speedup_source": cost.SPEEDUP_SOURCE,
               "cost_of_sparsity": cost.rows(records), "configs": records,
               "violations": verdict.violations, "notes": verdict.notes}
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (a.out / "summary.md").write_text(report.markdown(summary, records, verdict))
    (a.out / "index.html").write_text(report.index_html(summary, records, verdict))

    print("\n" + report.console(records, verdict) + "\n")
    if summary["cost_of_sparsity"]:
        print("\n".join(cost.markdown(summary["cost_of_sparsity"])) + "\n")
    for n in verdict.notes:
        print(f"note: {n}")
    for v in verdict.violations:
        print(f"FAIL {v}")
    out = a.out.relative_to(ROOT) if a.out.is_relative_to(ROOT) else a.out
    print(f"synth: {len(records)} config(s), {len(verdict.violations)} violation(s); "
          f"{out}/summary.md, {out}/index.html, {out}/summary.json")
    return 1 if verdict.violations else 0


if __name__ == "__main__":
    sys.exit(main())
