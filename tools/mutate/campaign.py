"""The campaign loop of one (block, config): list, baseline, mutants, classification."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.mutate import equiv
from tools.mutate.generate import (
    MutateError,
    Mutation,
    mutant_list,
    prepare,
    source_line,
    write_mutant,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "mutate"
#: a mutant's run may take this many times the unmutated run's wall time before it counts as
#: a hang (a stuck state machine waits for the testbench's own watchdog, a combinational loop
#: never returns); the floor covers the build and a slow machine
HANG_FACTOR = 5
HANG_FLOOR_S = 60
ALT_SEED_OFFSET = 1000003  # the second seed: SEED + this (any other seed would do)
KILLED = ("killed", "hang")
EQUIVALENT = ("proved_equivalent", "judged_equivalent")


@dataclass
class Outcome:
    mutation: Mutation
    status: str  # killed | hang | live | proved_equivalent | judged_equivalent
    by: str = ""  # the run that killed it ("fast seed 1")
    first: str = ""  # its first failure
    line: str = ""  # the Verilog line of its first -src tag
    note: str = ""  # the formal check's or the testplan's word
    wall_s: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.mutation.to_dict(), status=self.status, by=self.by, first=self.first,
                    line=self.line, note=self.note, wall_s=round(self.wall_s, 1))


@dataclass
class Campaign:
    block: str
    config: str
    tag: str
    n: int
    seed: int
    sim: str
    gate: float
    outcomes: list[Outcome] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # testplan entries no survivor matched
    wall_s: float = 0.0

    def count(self, *status: str) -> int:
        return sum(o.status in status for o in self.outcomes)

    @property
    def score(self) -> float:
        """Killed share of the non-equivalent mutants, in %."""
        live = self.count("live")
        killed = self.count(*KILLED)
        return 100.0 * killed / (killed + live) if killed + live else 100.0

    @property
    def passed(self) -> bool:
        return self.score >= self.gate

    def to_dict(self) -> dict:
        return dict(block=self.block, config=self.config, tag=self.tag, n=self.n,
                    seed=self.seed, sim=self.sim, gate=self.gate, score=round(self.score, 1),
                    passed=self.passed, killed=self.count("killed"), hang=self.count("hang"),
                    live=self.count("live"), proved=self.count("proved_equivalent"),
                    judged=self.count("judged_equivalent"), stale=self.stale,
                    wall_s=round(self.wall_s, 1),
                    outcomes=[o.to_dict() for o in self.outcomes])


def _attempts(seed: int) -> list[tuple[str, int]]:
    """(mode, seed) of the runs a mutant must survive, in order."""
    return [("fast", seed), ("fast", seed + ALT_SEED_OFFSET), ("cycle", seed)]


def _run(block: str, config: str, sim: str, mode: str, seed: int, source: Path, variant: str,
         cap: float | None) -> dict:
    """One regression run in a worker process; {"hang": True} when it outlives ``cap``."""
    cmd = [sys.executable, "-m", "tools.mutate.worker", block, config, sim, mode, str(seed),
           str(source), variant]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return dict(hang=True, ok=False, wall_s=time.monotonic() - t0,
                    first=f"no result within the {cap:.0f} s cap (a hang)")
    line = next((ln for ln in out.splitlines() if ln.startswith("ZS_MUTATE ")), None)
    if line is None:
        return dict(hang=False, ok=False, wall_s=time.monotonic() - t0,
                    first="the run ended without a result: " + " | ".join(out.splitlines()[-3:]))
    return dict(json.loads(line[len("ZS_MUTATE "):]), hang=False)


def _clean(block: str, config: str, variant: str) -> None:
    from models.configs import get_config
    from tests.sim.runner import BUILD_SIM

    p = get_config(block, config)
    shutil.rmtree(BUILD_SIM / block / (p.tag + variant), ignore_errors=True)


def run_campaign(block: str, config: str, n: int, seed: int, sim: str = "icarus",
                 formal: bool = True, progress=print) -> Campaign:
    from models.configs import get_config
    from rtl.convert import convert
    from tb.common.testplan import load_testplan

    t_start = time.monotonic()
    plan = load_testplan(block)
    p = get_config(block, config)
    work = OUT / block / p.tag / f"n{n}_s{seed}"
    shutil.rmtree(work, ignore_errors=True)
    prepare(convert(p), work)
    muts = mutant_list(work, p.module_name, n, seed)
    camp = Campaign(block, config, p.tag, n, seed, sim, plan.mutation.gate)
    judged = {e.mutation: e.reason for e in plan.mutation.equivalent if e.config == config}

    # the unmutated design, through Yosys like every mutant, must pass every run: it also
    # gives each run's wall time, from which its hang cap follows
    base = write_mutant(work, p.module_name, muts[0])
    caps = {}
    for mode, s in _attempts(seed):
        r = _run(block, config, sim, mode, s, base, "_mut000", None)
        if not r["ok"]:
            raise MutateError(f"{block} {config}: the unmutated design written back by Yosys "
                              f"fails the {mode}-mode regression at seed {s}, so no mutant "
                              f"can be judged: {r['first']}")
        caps[(mode, s)] = max(HANG_FLOOR_S, HANG_FACTOR * r["wall_s"])
    _clean(block, config, "_mut000")
    # the formal step can only decide on a design whose own round trip it proves in time
    formal_off = ""
    if formal:
        proved, why = equiv.check(work, p.module_name, muts[0])
        if not proved:
            formal_off = (f"not checked: equiv_* does not prove even the unmutated round trip of "
                          f"this config ({why})")
            progress(f"{block} {config}: survivors get no formal check, {formal_off}")
    progress(f"{block} {config}: {len(muts) - 1} mutants (yosys mutate -list {n + 1} -none -seed "
             f"{seed}); the unmutated round trip passes; hang caps "
             + ", ".join(f"{m} seed {s}: {c:.0f} s" for (m, s), c in caps.items()))

    for m in muts[1:]:
        t0 = time.monotonic()
        src = write_mutant(work, p.module_name, m)
        variant = f"_mut{m.index:03d}"
        o = Outcome(m, "live", line=source_line(work, m))
        for mode, s in _attempts(seed):
            r = _run(block, config, sim, mode, s, src, variant, caps[(mode, s)])
            if not r["ok"]:
                o.status = "hang" if r["hang"] else "killed"
                o.by, o.first = f"{mode} seed {s}", r["first"]
                break
        _clean(block, config, variant)
        if o.status == "live" and m.command in judged:
            o.status, o.note = "judged_equivalent", judged[m.command]
        if o.status == "live" and formal and not formal_off:
            proved, o.note = equiv.check(work, p.module_name, m)
            if proved:
                o.status = "proved_equivalent"
        elif o.status == "live":
            o.note = formal_off or "not checked (--no-formal)"
        o.wall_s = time.monotonic() - t0
        camp.outcomes.append(o)
        progress(f"  [{m.index:3d}/{len(muts) - 1}] {o.status:17s} {m.mode:6s} "
                 f"{m.wire or m.cell} (line {m.lines[0] if m.lines else '?'})"
                 f"{' by ' + o.by if o.by else ''} {o.wall_s:.0f} s"
                 + (f": {o.first[:100]}" if o.first else "")
                 + (f" [{o.note[:100]}]" if o.note else ""))
    used = {o.mutation.command for o in camp.outcomes if o.status == "judged_equivalent"}
    camp.stale = sorted(c for c in judged if c not in used)  # informational: N, SEED differ
    camp.wall_s = time.monotonic() - t_start
    return camp
