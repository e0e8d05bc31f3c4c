"""The committed area baseline (``tools/synth/baseline.json``) and the tolerance check.

A figure passes when ``|measured - baseline| <= TOLERANCE * baseline``; a zero baseline must
stay zero (a first DSP or BRAM is a change worth a look). The check is symmetric: an area that
dropped by more than the tolerance is also reported, so that the baseline follows a real
improvement (``--update-baseline``) instead of hiding the next regression behind it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# hls4ml's synthesis-report checks allow +-10 % per resource: wide enough for the small
# drifts of an unrelated RTL edit (abc's LUT mapping moves by a few %), narrow enough that a
# duplicated PE or a multiplier falling out of its DSP is caught
TOLERANCE = 0.10
REL_EPS = 1e-12  # 0.1 * 30 is 3.0000000000000004 in floats: a change of exactly 10 % passes
FIGURES = ("lut", "ff", "dsp", "bram", "lutram", "carry", "cells", "fmax_mhz")
LABELS = {"lut": "LUT", "ff": "FF", "dsp": "DSP", "bram": "BRAM", "lutram": "LUTRAM",
          "carry": "CARRY", "cells": "generic cells", "fmax_mhz": "iCE40 Fmax MHz"}
UPDATE_HINT = "python -m tools.synth --update-baseline (or make synth UPDATE=1)"


def figures(rec: dict) -> dict[str, float | int | None]:
    """The figures of one config record that the baseline holds."""
    x = rec.get("xilinx", {})
    out: dict[str, float | int | None] = {f: x.get(f) for f in FIGURES[:6]}
    out["cells"] = rec.get("generic", {}).get("cells")
    out["fmax_mhz"] = rec.get("ice40", {}).get("fmax_mhz")
    return out


def within(base: float, got: float, tolerance: float = TOLERANCE) -> bool:
    if base == 0:
        return got == 0
    return abs(got - base) <= tolerance * abs(base) * (1 + REL_EPS)


def delta(base: float | None, got: float | None) -> float | None:
    """Relative change, or None when either side is missing or the baseline is zero."""
    if base is None or got is None or base == 0:
        return None
    return (got - base) / base


@dataclass
class Verdict:
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    deltas: dict[tuple[str, str], dict[str, float | None]] = field(default_factory=dict)
    status: dict[tuple[str, str], str] = field(default_factory=dict)  # "ok" / "new" / "FAIL"


def load(path: Path) -> dict:
    if not path.exists():
        return {"configs": {}}
    return json.loads(path.read_text())


def _fmt(v: float | int | None) -> str:
    return "none" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))


def compare(records: list[dict], base: dict, complete: bool,
            tolerance: float = TOLERANCE) -> Verdict:
    """Lint failures, tool errors and figures outside the tolerance, one line each.

    ``complete`` (every named config ran) also reports baseline entries nothing measured.
    """
    v = Verdict()
    known = base.get("configs", {})
    for rec in records:
        blk, cfg = rec["block"], rec["config"]
        who = f"{blk} {cfg}"
        bad = len(v.violations)
        for err in rec.get("errors", []):
            v.violations.append(f"{who}: {err}")
        for lv in rec.get("lint", {}).get("violations", []):
            v.violations.append(f"{who}: lint {lv['rule']}: {lv['detail']}")
        b = known.get(blk, {}).get(cfg)
        got = figures(rec)
        if b is None:
            v.violations.append(f"{who}: not in the baseline; after review run {UPDATE_HINT}")
            v.status[(blk, cfg)] = "new"
            continue
        if b.get("tag") != rec["tag"]:
            v.notes.append(f"{who}: tag changed from {b.get('tag')} to {rec['tag']} "
                           "(the config's parameters changed)")
        v.deltas[(blk, cfg)] = {f: delta(b.get(f), got[f]) for f in FIGURES}
        for f in FIGURES:
            bf, gf = b.get(f), got[f]
            ok = (bf is None and gf is None) or (
                bf is not None and gf is not None and within(bf, gf, tolerance))
            if not ok:
                d = delta(bf, gf)
                rel = f" ({d:+.1%}, tolerance +-{tolerance:.0%})" if d is not None else ""
                why = rec.get("ice40", {}).get("reason") if f == "fmax_mhz" else None
                v.violations.append(f"{who}: {LABELS[f]}: baseline {_fmt(bf)}, measured "
                                    f"{_fmt(gf)}{rel}" + (f" ({why})" if why else ""))
        v.status[(blk, cfg)] = "ok" if len(v.violations) == bad else "FAIL"
    if complete:
        ran = {(r["block"], r["config"]) for r in records}
        for blk, cfgs in sorted(known.items()):
            for cfg in sorted(cfgs):
                if (blk, cfg) not in ran:
                    v.violations.append(f"{blk} {cfg}: in the baseline but not a config any "
                                        f"more; run {UPDATE_HINT}")
    if base.get("yosys") and records and base["yosys"] != records[0].get("yosys"):
        v.notes.append(f"baseline made with yosys {base['yosys']}, this run "
                       f"{records[0].get('yosys')}: figures may move with the tool")
    return v


def updated(base: dict, records: list[dict], versions: dict, complete: bool) -> dict:
    """The baseline with this run's figures; a partial run replaces only what it measured."""
    configs = {} if complete else {b: dict(c) for b, c in base.get("configs", {}).items()}
    for rec in records:
        configs.setdefault(rec["block"], {})[rec["config"]] = {"tag": rec["tag"],
                                                               **figures(rec)}
    return {"about": "make synth area baseline: synth_xilinx -flatten cells, generic synth "
                     f"cells, iCE40 Fmax; tolerance +-{TOLERANCE:.0%} per figure "
                     "(tools/synth/baseline.py)",
            **versions, "tolerance": TOLERANCE,
            "configs": {b: dict(sorted(c.items())) for b, c in sorted(configs.items())}}


def write(path: Path, data: dict) -> None:
    """JSON with one line per config, so that a baseline update reads as a short diff."""
    head = {k: v for k, v in data.items() if k != "configs"}
    lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    lines.append(' "configs": {')
    blocks = list(data["configs"].items())
    for i, (blk, cfgs) in enumerate(blocks):
        lines.append(f"  {json.dumps(blk)}: {{")
        items = list(cfgs.items())
        for j, (cfg, figs) in enumerate(items):
            lines.append(f"   {json.dumps(cfg)}: {json.dumps(figs)}"
                         + ("," if j < len(items) - 1 else ""))
        lines.append("  }" + ("," if i < len(blocks) - 1 else ""))
    path.write_text("\n".join(lines + [" }", "}"]) + "\n")
