"""Pure parsers of yosys and nextpnr output, and the figures taken from cell counts.

Nothing here runs a tool, so every function is tested on captured text
(``tests/unit/test_synth.py``). Yosys 0.23 formats relied on:

- ``stat -json`` (written with ``tee -q -o``): ``{"design": {"num_cells": N,
  "num_cells_by_type": {...}, "num_wire_bits": N}, "modules": {...}}``;
- ``check`` (written with ``tee -q -o``): one ``Warning:`` line per problem (a logic loop is
  followed by indented ``cell``/``wire`` lines), then ``Found and reported N problems.``;
- ``proc_dlatch`` in the log: ``Latch inferred for signal `\\m.\\q' from process ...``;
- nextpnr 0.4's log: ``ICESTORM_LC:   557/ 7680`` and
  ``Max frequency for clock 'clk': 77.42 MHz`` (first after placement, last after routing).
"""

from __future__ import annotations

import json
import re

# -- figures from synth_xilinx cells (7-series primitives) ---------------------------------
XILINX_LUT = re.compile(r"^LUT[1-6]$")
XILINX_FF = re.compile(r"^FD[A-Z]*(_1)?$")  # FDRE, FDSE, FDCE, FDPE (and inverted-clock _1)
XILINX_DSP = re.compile(r"^DSP48E1$")
XILINX_BRAM = re.compile(r"^RAMB(18|36)")  # cells, not 36K tiles: a RAMB18E1 is half a tile
# distributed RAM and shift registers: Vivado's "LUT as Memory" (cells, not LUTs: a RAM32M
# occupies the four LUTs of one SLICEM)
XILINX_LUTRAM = re.compile(r"^(RAM\d+(M|M\d+|X\d+[SD])|SRL(C)?(16|32)E)$")
XILINX_CARRY = re.compile(r"^CARRY4$")
XILINX_FIGURES = {"lut": XILINX_LUT, "ff": XILINX_FF, "dsp": XILINX_DSP, "bram": XILINX_BRAM,
                  "lutram": XILINX_LUTRAM, "carry": XILINX_CARRY}

# -- latches, by cell type, in each flow ---------------------------------------------------
LATCH_CELL = re.compile(r"^(\$_DLATCH|\$_DLATCHSR|\$dlatch|\$adlatch|\$dlatchsr|"
                        r"\$_SR_|\$sr$|LD[CP]E$)")  # xc7 latches: LDCE, LDPE

# -- iCE40 cells -----------------------------------------------------------------------------
ICE40_FF = re.compile(r"^SB_DFF")


def count(cells: dict[str, int], pattern: re.Pattern) -> int:
    return sum(n for t, n in cells.items() if pattern.search(t))


def xilinx_figures(cells: dict[str, int]) -> dict[str, int]:
    return {name: count(cells, pat) for name, pat in XILINX_FIGURES.items()}


def ice40_figures(cells: dict[str, int]) -> dict[str, int]:
    return {"lut4": cells.get("SB_LUT4", 0), "carry": cells.get("SB_CARRY", 0),
            "ff": count(cells, ICE40_FF), "bram": cells.get("SB_RAM40_4K", 0)}


def latch_cells(cells: dict[str, int]) -> dict[str, int]:
    return {t: n for t, n in cells.items() if LATCH_CELL.search(t)}


TRAILING_COMMA = re.compile(r",\s*}")


# -- stat -json --------------------------------------------------------------------------------
def parse_stat_json(text: str) -> dict:
    """``{"cells": N, "cells_by_type": {...}, "wire_bits": N}`` of the whole design.

    Yosys 0.23 writes ``},`` and no ``design`` entry when the selection is partial
    (``stat -json i:* o:*``): the trailing comma is dropped before parsing.
    """
    d = json.loads(TRAILING_COMMA.sub("}", text))
    des = d.get("design")
    if des is None:  # one module and no hierarchy summary: that module is the design
        mods = list(d.get("modules", {}).values())
        if len(mods) != 1:
            raise ValueError(f"stat -json has no 'design' entry and {len(mods)} modules")
        des = mods[0]
    return {"cells": int(des["num_cells"]),
            "cells_by_type": {t: int(n) for t, n in sorted(des["num_cells_by_type"].items())},
            "wire_bits": int(des["num_wire_bits"])}


# -- check -------------------------------------------------------------------------------------
# (rule, regex on the Warning line; group 1 names the net or module): the three messages of
# yosys 0.23's check pass without -mapped/-noinit/-initdrv
CHECK_RULES = (
    ("comb-loop", re.compile(r"^Warning: found logic loop in module (\S+?):?$")),
    ("multiple-drivers", re.compile(r"^Warning: multiple conflicting drivers for (\S+?):?$")),
    ("undriven", re.compile(r"^Warning: Wire (\S+) is used but has no driver\.$")),
)
CHECK_TOTAL = re.compile(r"^Found and reported (\d+) problems\.$")
LOOP_MEMBERS_SHOWN = 4  # wires listed per loop in a violation line: enough to find it


def parse_check(text: str) -> list[tuple[str, str]]:
    """``[(rule, detail)]`` for every problem ``check`` reported.

    A problem that matches no known rule becomes ``check-other`` with its Warning line, and
    a total larger than the warnings found adds a ``check-other`` saying how many are unnamed,
    so that a format change in yosys can never turn a failure into a pass.
    """
    found: list[tuple[str, str]] = []
    total = 0
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        ln = ln.rstrip()
        m = CHECK_TOTAL.match(ln)
        if m:
            total += int(m.group(1))
            continue
        if not ln.startswith("Warning:"):
            continue
        for rule, pat in CHECK_RULES:
            m = pat.match(ln)
            if m:
                detail = m.group(1)
                if rule == "comb-loop":
                    detail += ": " + ", ".join(_loop_wires(lines[i + 1:]))
                found.append((rule, detail))
                break
        else:
            found.append(("check-other", ln.removeprefix("Warning: ")))
    if total > len(found):
        found.append(("check-other", f"{total - len(found)} problem(s) reported without a "
                                     "Warning line"))
    return found


def _loop_wires(rest: list[str]) -> list[str]:
    wires = []
    for ln in rest:
        if not ln.startswith("    "):
            break
        if ln.strip().startswith("wire "):
            wires.append(ln.strip().removeprefix("wire "))
    return wires[:LOOP_MEMBERS_SHOWN] + (["..."] if len(wires) > LOOP_MEMBERS_SHOWN else [])


# -- yosys log ---------------------------------------------------------------------------------
LATCH_INFERRED = re.compile(r"^Latch inferred for signal `(.+?)' from process")
WARNING = re.compile(r"^Warning: (.*)$")
ERROR = re.compile(r"^ERROR: (.*)$")


def parse_latches(log: str) -> list[str]:
    """Signals ``proc_dlatch`` turned into latches (its "No latch inferred" lines excluded)."""
    return [m.group(1) for ln in log.splitlines() if (m := LATCH_INFERRED.match(ln))]


def warnings(log: str) -> list[str]:
    """Every distinct yosys warning, in order (informational: not a lint rule by itself)."""
    seen: dict[str, None] = {}
    for ln in log.splitlines():
        m = WARNING.match(ln)
        if m:
            seen.setdefault(m.group(1).strip(), None)
    return list(seen)


NAME_CHARS = 40  # nextpnr names packed cells after their whole driver chain (300+ characters)
LONG_NAME = re.compile(rf"'[^']{{{NAME_CHARS},}}'")


def first_error(log: str) -> str | None:
    """The first ``ERROR:`` line, with over-long quoted cell names elided."""
    for ln in log.splitlines():
        m = ERROR.match(ln)
        if m:
            return LONG_NAME.sub("'...'", m.group(1).strip())
    return None


def yosys_version(text: str) -> str:
    m = re.search(r"Yosys (\S+)", text)
    if not m:
        raise ValueError(f"not a yosys version line: {text.strip()!r}")
    return m.group(1)


def nextpnr_version(text: str) -> str:
    """``0.4-1+b1`` from ``nextpnr-ice40 -- Next Generation Place and Route (Version 0.4-1+b1)``."""
    m = re.search(r"\(Version ([^)]+)\)", text)
    return m.group(1) if m else text.strip()


# -- nextpnr -----------------------------------------------------------------------------------
FMAX = re.compile(r"Max frequency for clock +'([^']+)': ([\d.]+) MHz")
LC_USE = re.compile(r"ICESTORM_LC:\s+(\d+)/\s*(\d+)")


def parse_nextpnr(log: str) -> dict:
    """Fmax after routing (the last report), logic cells used and the first error, if any."""
    out: dict = {"fmax_mhz": None, "clock": None, "lc_used": None, "lc_total": None,
                 "error": first_error(log)}
    fm = FMAX.findall(log)
    if fm:
        out["clock"], out["fmax_mhz"] = fm[-1][0], float(fm[-1][1])
    lc = LC_USE.findall(log)
    if lc:
        out["lc_used"], out["lc_total"] = int(lc[-1][0]), int(lc[-1][1])
    return out
