"""The Verilator main of the fast-mode harness build: cocotb's own main, patched at build time
so that it also toggles the harness clock.

The harness's fast-mode clock (tests/sim/harness.py) is, on Icarus, ``always #5 hclk =
zs_hdl_clock ? !hclk : 1'b0``. Under Verilator that needs ``--timing``: a coroutine that the
timing scheduler resumes every half period (delta_lstm max: the simulation phase is 1.36x
faster without it, the median of 9 interleaved pairs on a shared machine; README "Fast
mode"). With ``HCLK_DEFINE`` the harness takes the clock as
an input port instead, and this main toggles it with the same rule at the same point of the time
step: after the timed (cocotb ``Timer``) callbacks of the new time, before its first eval, which
is where the timing scheduler resumed the always block. Everything else -- VPI start-up, the
callback regions, inertial writes, waves, coverage, the exit code -- stays cocotb's.

cocotb 2.1 has no hook for this: ``cocotb_tools.runner.Verilator`` always compiles
``share/lib/verilator/verilator.cpp`` (the Makefile flow sets it with ``:=``). So the runner's
harness build (``runner.harness_verilator``) swaps that path on its Verilator command line for
the file written here, which is generated from the installed one by exact-text patches. Each
patch names an anchor that must occur exactly once; if cocotb changes its main there, the build
stops with :class:`MainPatchError` (nothing is compiled from a half-patched copy), and the
patches must be checked against the new loop. Rejected: a copy of the main kept in the tree
(it would silently drift from the cocotb it runs with), and a VPI ``cbAfterDelay`` callback in C
toggling the clock through ``vpi_put_value`` (a callback object allocated and a put per edge,
and the --timing-free harness still needs a main that knows about it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.sim.harness import HALF_PERIOD_NS, HCLK_PORT

MAIN_NAME = "zs_verilator_main.cpp"
#: the cocotb release whose main the anchors below were read from
CHECKED_WITH = "cocotb 2.1.0"


class MainPatchError(RuntimeError):
    """cocotb's Verilator main no longer has the shape the patches expect."""


_STATE = f"""
// -- zeroskip (tests/sim/vlt_main.py): the fast-mode harness clock ----------------------------
// The harness top's input {HCLK_PORT} is toggled every half period ({HALF_PERIOD_NS} ns) by the
// rule of the always block Icarus runs (`{HCLK_PORT} = zs_hdl_clock ? !{HCLK_PORT} : 0`), right
// after the timed callbacks of the new time step and before its first eval.
#include <cstdlib>  // std::exit
static vluint64_t zs_half_period = 0;  // in time-precision units, set once the model exists
static vluint64_t zs_next_edge = 0;    // time of the next clock edge

static vluint64_t zs_half_period_units() {{
    int prec = Verilated::threadContextp()->timeprecision();  // e.g. -12 for 1 ps
    if (prec > -9) {{
        fprintf(stderr, "zeroskip: the harness clock needs a time precision of 1 ns or finer "
                        "(got 1e%d s)\\n", prec);
        std::exit(1);
    }}
    vluint64_t v = {HALF_PERIOD_NS};
    for (int p = prec; p < -9; ++p) v *= 10;
    return v;
}}
// -- end zeroskip ---------------------------------------------------------------------------
"""

_INIT = f"""
    // zeroskip: the harness clock starts low; its first edge is half a period in
    zs_half_period = zs_half_period_units();
    zs_next_edge = zs_half_period;
    top->{HCLK_PORT} = 0;
"""

_TOGGLE = f"""
        // zeroskip: the harness clock's edge, if this is its time (see the top of the file)
        if (main_time == zs_next_edge) {{
            top->{HCLK_PORT} = top->zs_hdl_clock ? !top->{HCLK_PORT} : 0;
            zs_next_edge += zs_half_period;
        }}
"""

#: (what the patch does, anchor, replacement): each anchor must occur exactly once
PATCHES: tuple[tuple[str, str, str], ...] = (
    ("the clock's state after the simulation time",
     "static vluint64_t main_time = 0;  // Current simulation time\n",
     "static vluint64_t main_time = 0;  // Current simulation time\n" + _STATE),
    ("the clock starts once the model is constructed",
     '    std::unique_ptr<Vtop> top(new Vtop(""));\n',
     '    std::unique_ptr<Vtop> top(new Vtop(""));\n' + _INIT),
    ("the next time step is also the clock's next edge",
     "        vluint64_t next_time = std::min(next_time_cocotb, next_time_timing);\n",
     "        vluint64_t next_time = std::min(next_time_cocotb, next_time_timing);\n"
     "        next_time = std::min(next_time, zs_next_edge);  // zeroskip: the harness clock\n"),
    ("the edge after the timed callbacks, before the time step's first eval",
     "        VerilatedVpi::callTimedCbs();\n"
     "        settle_value_callbacks();\n"
     "    }\n"
     "\n"
     "    top->final();\n",
     "        VerilatedVpi::callTimedCbs();\n"
     "        settle_value_callbacks();\n" + _TOGGLE +
     "    }\n"
     "\n"
     "    top->final();\n"),
    # the loop the edge sits in: one eval_step loop per time step, then the time advances
    ("the time step's eval loop (the edge must land before it)",
     "    while (!Verilated::gotFinish()) {\n"
     "        do {\n"
     "            // We must evaluate whole design until we process all 'events' for\n"
     "            // this time step\n"
     "            do {\n"
     "                top->eval_step();\n",
     None),
)


def cocotb_main() -> Path:
    """The installed cocotb's Verilator main (what its runner compiles)."""
    import cocotb_tools.config

    return Path(cocotb_tools.config.share_dir) / "lib" / "verilator" / "verilator.cpp"


def patch(text: str, origin: str = "cocotb's verilator.cpp") -> str:
    """``text`` (cocotb's main) with the harness clock; MainPatchError if an anchor is not
    there exactly once."""
    for what, anchor, new in PATCHES:
        n = text.count(anchor)
        if n != 1:
            raise MainPatchError(
                f"{origin}: the anchor for '{what}' occurs {n} times, not once "
                f"(checked with {CHECKED_WITH}); cocotb changed its Verilator main: check the "
                f"patches of tests/sim/vlt_main.py against the new main loop (the harness clock "
                f"must toggle after the timed callbacks of a time step, before its first eval) "
                f"and update them. Anchor:\n{anchor}")
        if new is not None:
            text = text.replace(anchor, new)
    return text


def write_main(out_dir: Path) -> Path:
    """Write ``out_dir/MAIN_NAME`` from the installed cocotb main (only when its text changed,
    so that make does not recompile it); returns its path."""
    src = cocotb_main()
    orig = src.read_text()
    digest = hashlib.sha256(orig.encode()).hexdigest()[:16]
    text = (f"// Generated by tests/sim/vlt_main.py from {src} (sha256 {digest}...): cocotb's\n"
            f"// Verilator main plus the fast-mode harness clock. Do not edit.\n"
            + patch(orig, str(src)))
    out = Path(out_dir) / MAIN_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    return out
