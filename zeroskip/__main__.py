"""Command line over the layer API (what ``make run`` and ``make blocks`` call).

    python -m zeroskip blocks
    python -m zeroskip run --block gemm --in layer.npz [--out out.npz]
                           [--sim model|icarus|verilator] [--config typical]
                           [--relu] [--per-channel] [--nm 2:4] [--theta 0.1]

The input file (.npz or .safetensors) holds PyTorch state-dict names and the input ``x``:

* gemm / nm_gemm: ``weight`` (out, in) -> linear, or (C_out, C_in, kh, kw) -> conv2d (then
  optional scalars ``stride``, ``padding``); optional ``bias``; ``x`` (batch, in) or (C_in, H, W);
* delta_lstm: ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``x`` (T, I).

It prints the report and writes ``y`` (float), ``y_int`` and ``out_scale`` to ``--out``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from models.params import ParamError

LAYER_BLOCKS = ("gemm", "nm_gemm", "delta_lstm")


def blocks_text() -> str:
    import dataclasses

    from models.blocks import PRODUCT_BLOCKS
    from models.configs import block_configs

    out = []
    for b in PRODUCT_BLOCKS:
        cfgs = block_configs(b)
        first = next(iter(cfgs.values()))
        layer = "layer API: yes" if b in LAYER_BLOCKS else "layer API: not yet"
        out.append(f"{b}  ({layer}; run-time fields: "
                   f"{', '.join(first.RUNTIME_FIELDS) or 'none'})")
        for name, p in cfgs.items():
            fields = ", ".join(f"{f.name}={getattr(p, f.name)}" for f in dataclasses.fields(p))
            out.append(f"  {name:<9} {p.tag}: {fields}")
    return "\n".join(out)


def _scalar(d, key, default):
    return int(np.asarray(d[key]).item()) if key in d else default


def run_file(block: str, path: str, *, sim: str = "model", config: str | None = None,
             relu: bool = False, per_channel: bool = False, nm: str | None = None,
             theta: float | None = None, seed: int | None = None):
    from models.validate import choice
    from zeroskip.layers import conv2d, linear
    from zeroskip.loaders import load, lstm_weights, pick
    from zeroskip.lstm import DEFAULT_THETA, delta_lstm

    choice(block, "--block", LAYER_BLOCKS)
    sd = load(path)
    x = pick(sd, "x")
    if block == "delta_lstm":
        return delta_lstm(*lstm_weights(sd), x, backend=sim, seed=seed,
                          theta=DEFAULT_THETA if theta is None else theta)
    pair = None
    if nm:
        try:
            pair = tuple(int(v) for v in nm.split(":"))
        except ValueError:
            pair = None
        if pair is None or len(pair) != 2:
            raise ParamError(f"--nm: must be n:m, e.g. 2:4 (got {nm!r})")
    w = pick(sd, "weight")
    kw = dict(block=block, config=config, nm=pair, per_channel=per_channel, relu=relu,
              backend=sim, seed=seed)
    if np.ndim(w) == 4:
        return conv2d(w, x, sd.get("bias"), stride=_scalar(sd, "stride", 1),
                      padding=_scalar(sd, "padding", 0), **kw)
    return linear(w, x, sd.get("bias"), **kw)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m zeroskip", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("blocks", help="blocks, named configs and their parameters")
    r = sub.add_parser("run", help="run a layer from a file")
    r.add_argument("--block", required=True)
    r.add_argument("--in", dest="inp", required=True)
    r.add_argument("--out", default=None)
    r.add_argument("--sim", default="model", help="model (default), icarus or verilator")
    r.add_argument("--config", default=None)
    r.add_argument("--relu", action="store_true")
    r.add_argument("--per-channel", action="store_true")
    r.add_argument("--nm", default=None, help="n:m pruning (nm_gemm)")
    r.add_argument("--theta", type=float, default=None, help="delta threshold (delta_lstm)")
    r.add_argument("--seed", type=int, default=None)
    a = ap.parse_args(argv)
    if a.cmd == "blocks":
        print(blocks_text())
        return 0
    from tests.sim.runner import ToolError
    from zeroskip.rtl import RtlMismatch

    try:
        res = run_file(a.block, a.inp, sim=a.sim, config=a.config, relu=a.relu,
                       per_channel=a.per_channel, nm=a.nm, theta=a.theta, seed=a.seed)
    except (ParamError, ToolError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RtlMismatch as e:
        print(f"RTL mismatch:\n{e}", file=sys.stderr)
        return 1
    print(res.report)
    if a.out:
        np.savez(a.out, y=res.y, y_int=res.y_int, out_scale=np.asarray(res.out_scale))
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
