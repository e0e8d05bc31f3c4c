"""Yosys ``mutate``: the mutant list of a design and one mutant written back to Verilog."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

#: the design is copied to this name before Yosys reads it: cell names embed the source path
#: (``$add$design.v:1088$171``), so the list would otherwise change with the build directory
DESIGN = "design.v"
#: one Yosys call (read + prep + mutate or write) on the largest configs takes a few seconds;
#: far beyond this it is stuck
YOSYS_CAP_S = 600


class MutateError(RuntimeError):
    """A campaign step could not run; the message says which and why."""


@dataclass(frozen=True)
class Mutation:
    index: int  # 0 is the unmutated design ("mutate -mode none")
    command: str  # the mutate command without its -src tags: the mutant's id
    mode: str
    cell: str
    port: str
    portbit: int | None
    wire: str  # the wire the mutated port drives, when Yosys names one
    lines: tuple[int, ...]  # design.v lines of its -src tags

    def to_dict(self) -> dict:
        return asdict(self)


def _yosys(script: str, cwd: Path) -> str:
    if shutil.which("yosys") is None:
        raise MutateError("yosys is not installed: `apt-get install yosys` (Debian's 0.23 has "
                          "the mutate command)")
    r = subprocess.run(["yosys", "-q", "-p", script], cwd=cwd, capture_output=True, text=True,
                       timeout=YOSYS_CAP_S)
    if r.returncode != 0:
        raise MutateError(f"yosys failed in {cwd} on `{script[:200]}`:\n{r.stderr[-2000:]}"
                          f"{r.stdout[-2000:]}")
    return r.stdout


def _opt(line: str, name: str) -> str:
    m = re.search(rf"(?:^|\s)-{name}\s+(\S+)", line)
    return m.group(1) if m else ""


def parse_line(index: int, line: str) -> Mutation:
    """One line of ``mutate -list``'s output."""
    srcs = re.findall(r"-src\s+(\S+)", line)
    command = " ".join(re.sub(r"\s-src\s+\S+", "", line).split())
    lines = tuple(sorted({int(m.group(1)) for s in srcs
                          if (m := re.match(rf"{re.escape(DESIGN)}:(\d+)", s))}))
    pb = _opt(line, "portbit")
    return Mutation(index, command, _opt(line, "mode"), _opt(line, "cell"), _opt(line, "port"),
                    int(pb) if pb else None, _opt(line, "wire"), lines)


def prepare(vfile: Path, workdir: Path) -> Path:
    """Copy the converted Verilog to ``workdir/DESIGN``; returns that path."""
    workdir.mkdir(parents=True, exist_ok=True)
    dst = workdir / DESIGN
    shutil.copyfile(vfile, dst)
    return dst


def mutant_list(workdir: Path, module: str, n: int, seed: int) -> list[Mutation]:
    """``mutate -list n+1 -seed seed -none``: the unmutated design first, then n mutants."""
    _yosys(f"read_verilog {DESIGN}; prep -top {module}; "
           f"mutate -list {n + 1} -seed {seed} -none -o list.ys", workdir)
    out = [ln.strip() for ln in (workdir / "list.ys").read_text().splitlines() if ln.strip()]
    muts = [parse_line(i, ln) for i, ln in enumerate(out)]
    if not muts or muts[0].mode != "none":
        raise MutateError(f"{workdir / 'list.ys'}: expected the 'none' mutation first")
    return muts


def write_mutant(workdir: Path, module: str, m: Mutation) -> Path:
    """The design with mutation ``m`` applied, written back to Verilog by Yosys."""
    out = workdir / f"m{m.index:03d}.v"
    _yosys(f"read_verilog {DESIGN}; prep -top {module}; {m.command}; opt_clean; "
           f"write_verilog -noattr {out.name}", workdir)
    return out


def source_line(workdir: Path, m: Mutation) -> str:
    """The first Verilog line the mutation's -src tags name, stripped (for the report)."""
    if not m.lines:
        return ""
    text = (workdir / DESIGN).read_text().splitlines()
    k = m.lines[0] - 1
    return text[k].strip() if 0 <= k < len(text) else ""
