"""The RTL backends: stream a layer's transactions through a block on Icarus or Verilator and
return the RTL's own outputs (decoded from what the output monitor captured), the measured
cycles, and the scoreboard's verdict (a mismatch raises :class:`RtlMismatch` with the usual
report).

It runs ``tb/common/user_tests.py`` (one cocotb test, ``UserTxnsTest``, over the block's own
env, predictor and scoreboards, no idle cycles and no backpressure so that the cycles measured
are the block's) through ``tests.sim.runner.run``; the transactions go in and the captured
outputs come back as pickles in the test directory. Fast mode (HDL-side agents) by default.
Run-time values (delta_lstm's thresholds) ride in the params: the Verilog is built from
``p.build_params()``, so changing them never rebuilds.
"""

from __future__ import annotations

import dataclasses
import pickle
import tempfile
from pathlib import Path
from typing import Any

from models.params import BlockParams
from models.validate import choice

BACKENDS = ("model", "icarus", "verilator")
USER_TEST = "UserTxnsTest"
USER_MODULE = "tb.common.user_tests"
TXNS_ENV, OUT_ENV = "ZS_USER_TXNS", "ZS_USER_OUT"


class RtlMismatch(AssertionError):
    """The RTL disagreed with the model (or broke a protocol rule, or timed out)."""


@dataclasses.dataclass
class RtlRun:
    outputs: dict[str, list[Any]]      # per output stream, decoded transactions in order
    cycles: int                        # measured busy cycles (first input to last output)
    row: dict                          # the test's summary row
    wall_s: float
    test_dir: Path | None


def check_backend(backend: str) -> str:
    return choice(backend, "backend", BACKENDS)


def _depth(n_beats: int) -> int:
    from tests.sim.harness import DEFAULT_DEPTH

    d = DEFAULT_DEPTH
    while d < n_beats:
        d *= 2
    return d


def run_block(p: BlockParams, txns: list[Any], sim: str, *, seed: int | None = None,
              mode: str = "fast", source: Path | None = None, variant: str = "") -> RtlRun:
    """Send ``txns`` (in order, each on the stream its block routes it to) through ``p``'s RTL
    on ``sim``; raise :class:`RtlMismatch` with the runner's report when the test fails.
    ``source``/``variant``: another Verilog file of the module (a mutant, to see it fail)."""
    from tests.sim.runner import report, run, setup_tools

    check_backend(sim)
    setup_tools(sim)
    spec = _spec(p.BLOCK)
    n_beats: dict[str, int] = {}
    for t in txns:
        s = spec.stream(spec.route_of(t))
        n_beats[s.prefix] = n_beats.get(s.prefix, 0) + len(s.encode(p, t))
    with tempfile.TemporaryDirectory(prefix="zs_user_") as tmp:
        tin, tout = Path(tmp) / "txns.pkl", Path(tmp) / "outputs.pkl"
        tin.write_bytes(pickle.dumps(list(txns)))
        res = run(p, sim, seed=seed, test=USER_TEST, mode=mode, test_module=USER_MODULE,
                  source=source, variant=variant,
                  fast_depth=_depth(max(n_beats.values(), default=1)),
                  env={TXNS_ENV: str(tin), OUT_ENV: str(tout)})
        if not res.ok:
            raise RtlMismatch(report(res))
        outputs = pickle.loads(tout.read_bytes())
    row = res.rows[0] if res.rows else {}
    return RtlRun(outputs, int(row.get("cycles", 0)), row, res.wall_s, res.test_dir)


def _spec(block: str):
    from tb.common.user_tests import block_test

    return block_test(block).SPEC
