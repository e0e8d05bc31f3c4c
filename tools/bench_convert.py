"""Conversion with and without rtl/myhdl_patch.py: per-config CPU time and byte-identity.

Converts every named config of every block (or those of ``--blocks``) twice per repetition,
once with plain MyHDL (``ZEROSKIP_MYHDL_PATCH=0``) and once patched, alternating which goes
first, each into its own fresh directory; the time is the conversion subprocess's CPU
(``RUSAGE_CHILDREN``, user + system), min over the repetitions. Every pair of files must be
equal below the header line (``rtl.convert._strip``); any difference is printed and the exit
status is 1.

    python -m tools.bench_convert [--reps 2] [--blocks gemm sparse_attn]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from pathlib import Path

from models.configs import CONFIGS
from rtl.convert import _strip, convert


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(p, out: Path, patched: bool) -> tuple[float, str]:
    os.environ["ZEROSKIP_MYHDL_PATCH"] = "1" if patched else "0"
    t0 = _child_cpu()
    text = convert(p, out).read_text()
    return _child_cpu() - t0, text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_convert", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--blocks", nargs="*", default=list(CONFIGS))
    a = ap.parse_args(argv)
    saved = os.environ.get("ZEROSKIP_MYHDL_PATCH")
    totals, bad, i = {False: 0.0, True: 0.0}, [], 0
    print(f"{'config':24s} {'plain s':>8s} {'patched s':>9s}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for blk in a.blocks:
                for name, p in CONFIGS[blk].items():
                    best, texts = {False: [], True: []}, {}
                    for r in range(a.reps):
                        for patched in ((False, True) if i % 2 == 0 else (True, False)):
                            out = Path(tmp) / f"{blk}-{name}-{r}-{int(patched)}"
                            t, texts[patched] = _timed(p, out, patched)
                            best[patched].append(t)
                        i += 1
                    if _strip(texts[False]) != _strip(texts[True]):
                        bad.append(f"{blk}/{name}")
                    lo = {k: min(v) for k, v in best.items()}
                    totals[False] += lo[False]
                    totals[True] += lo[True]
                    print(f"{blk + '/' + name:24s} {lo[False]:8.2f} {lo[True]:9.2f}", flush=True)
    finally:
        if saved is None:
            os.environ.pop("ZEROSKIP_MYHDL_PATCH", None)
        else:
            os.environ["ZEROSKIP_MYHDL_PATCH"] = saved
    print(f"{'total':24s} {totals[False]:8.2f} {totals[True]:9.2f}")
    print("byte-identical below the header" if not bad else f"DIFFERENT: {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
