"""The formal step of a survivor: is the mutant equivalent to the design?

Yosys ``equiv_make`` pairs the nets of the design and of the mutant by name,
``equiv_simple -seq EQUIV_SEQ`` proves pairs on their local cones and ``equiv_induct -seq
EQUIV_SEQ`` proves the rest together by temporal induction from equal initial states;
``equiv_status -assert`` passes only when every pair is proved, and then the outputs are equal
for all time (from the same reset state). The bound: two steps of sequential depth and
EQUIV_CAP_S of wall time; a check that does not finish, or leaves a pair unproved, decides
nothing (the mutant stays a survivor for the testplan or the report). A whole-design miter with
``sat -tempinduct`` was tried first and did not finish on gemm typical within 200 s, not even
for the unmutated round trip (the multiplier cones); ``equiv_*`` does that round trip in about
2.5 min on two busy cores.

The mutant is built first in the Yosys session: its command names cells by Yosys's running
index (``$add$design.v:1088$171``), which a second read of the same file would not reproduce.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tools.mutate.generate import DESIGN, Mutation

EQUIV_SEQ = 2  # sequential depth of the local proofs and of the induction step
EQUIV_CAP_S = 120  # wall time per survivor; past it the check decides nothing (a behavioural
#: survivor of delta_lstm typical took 300 s to end with 241 nets unproved)


def check(workdir: Path, module: str, m: Mutation) -> tuple[bool, str]:
    """(proved, what happened)."""
    script = (f"read_verilog {DESIGN}; prep -top {module}; {m.command}; opt_clean; "
              f"rename {module} gate; design -stash gate; "
              f"read_verilog {DESIGN}; prep -top {module}; rename {module} gold; "
              f"design -stash gold; design -copy-from gold -as gold gold; "
              f"design -copy-from gate -as gate gate; equiv_make gold gate equiv; "
              f"hierarchy -top equiv; async2sync; equiv_simple -seq {EQUIV_SEQ}; "
              f"equiv_induct -seq {EQUIV_SEQ}; equiv_status -assert")
    try:
        r = subprocess.run(["yosys", "-q", "-p", script], cwd=workdir, capture_output=True,
                           text=True, timeout=EQUIV_CAP_S)
    except subprocess.TimeoutExpired:
        return False, f"equiv_* did not finish in {EQUIV_CAP_S} s"
    if r.returncode == 0:
        return True, f"equiv_simple + equiv_induct (-seq {EQUIV_SEQ}) proved every net pair"
    err = [ln for ln in (r.stderr + r.stdout).splitlines() if "ERROR" in ln]
    return False, (err[-1].strip() if err else f"yosys exit {r.returncode}")
