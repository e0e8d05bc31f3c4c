"""Cost of sparsity: each sparse block against its dense baseline at the same shape.

Pairs are made by named config (``nm_gemm typical`` against ``gemm typical``) and accepted only
when every parameter the two Params classes share (rows, cols, widths, max_k, requant ...)
is equal, so the PE grid and the output side are the same and only the sparse datapath differs.

The named sparse configs were not chosen for the speed-up benchmark, so only ``typical``
(4x4 2:4) has a measured speed-up. To put an area beside every measured speed-up, the run also
synthesises ``VARIANTS``: the same config with n and m replaced (``min-n1m4`` is ``min`` at
1:4). Speed-ups are not measured here: they are quoted from ``MEASURED_SPEEDUP`` with their
source; everything else in the table comes from this run.
"""

from __future__ import annotations

from models.params import BlockParams

DENSE_OF = {"nm_gemm": "gemm"}  # sparse block -> the dense block it must beat

# n:m of the README benchmark at the shapes of these configs (1x1 = min, 4x4 = typical), so
# that every measured speed-up has a synthesised area beside it
VARIANTS: dict[str, dict[str, tuple[tuple[int, int], ...]]] = {
    "nm_gemm": {"min": ((2, 4), (1, 4), (1, 8)), "typical": ((1, 4), (1, 8))},
}

# (rows, cols, n, m) -> speed-up over dense gemm, from README.md "nm_gemm" benchmark: three
# back-to-back tiles of dense K = 1024, Verilator, no stalls, seed 1
# (.venv/bin/python -m pytest -m slow -s tests/sim/test_bench_nm_gemm.py --seed 1)
MEASURED_SPEEDUP: dict[tuple[int, int, int, int], float] = {
    (1, 1, 2, 4): 1.995, (1, 1, 1, 4): 3.973, (1, 1, 1, 8): 7.875,
    (4, 4, 2, 4): 1.982, (4, 4, 1, 4): 3.894, (4, 4, 1, 8): 7.524,
}
SPEEDUP_SOURCE = ("README.md nm_gemm benchmark (tests/sim/test_bench_nm_gemm.py, 3 tiles of "
                  "K = 1024, Verilator, seed 1)")
IN_PORT = "s_axis_tdata"  # input bandwidth = its width, one beat per cycle at full rate
AREA_FIGURES = ("lut", "ff", "dsp")


def variant_name(config: str, n: int, m: int) -> str:
    return f"{config}-n{n}m{m}"


def variants(block: str, config: str, p: BlockParams) -> list[tuple[str, BlockParams]]:
    """Extra (config key, params) runs for ``config`` of ``block`` (none for most)."""
    return [(variant_name(config, n, m), p.replace(n=n, m=m))
            for n, m in VARIANTS.get(block, {}).get(config, ())]


def base_config(key: str) -> str:
    return key.split("-", 1)[0]


def mismatch(sparse: dict, dense: dict) -> str | None:
    """Why two parameter dicts are not the same shape, or None when they are."""
    diff = [f"{k} {sparse[k]} vs {dense[k]}" for k in sorted(set(sparse) & set(dense))
            if sparse[k] != dense[k]]
    return "; ".join(diff) or None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def rows(records: list[dict]) -> list[dict]:
    """One row per sparse config (named or variant) that has its dense pair in ``records``."""
    by_key = {(r["block"], r["config"]): r for r in records}
    out = []
    for r in records:
        dense_blk = DENSE_OF.get(r["block"])
        if dense_blk is None:
            continue
        d = by_key.get((dense_blk, base_config(r["config"])))
        if d is None:
            continue
        row: dict = {"block": r["block"], "config": r["config"], "dense": dense_blk,
                     "dense_config": d["config"], "tag": r["tag"], "dense_tag": d["tag"]}
        why = mismatch(r["params"], d["params"])
        if why:
            out.append({**row, "not_comparable": why})
            continue
        p = r["params"]
        row.update(shape=f"{p['rows']}x{p['cols']}", nm=f"{p['n']}:{p['m']}",
                   ideal=p["m"] / p["n"], not_comparable=None)
        for f in AREA_FIGURES:
            s, dd = r["xilinx"].get(f), d["xilinx"].get(f)
            row[f] = {"sparse": s, "dense": dd, "ratio": _ratio(s, dd)}
        bw_s, bw_d = r["port_widths"][IN_PORT], d["port_widths"][IN_PORT]
        row["in_bits"] = {"sparse": bw_s, "dense": bw_d, "ratio": bw_s / bw_d}
        sp = MEASURED_SPEEDUP.get((p["rows"], p["cols"], p["n"], p["m"]))
        row["speedup"] = sp
        row["speedup_per_lut"] = _ratio(sp, row["lut"]["ratio"])
        row["speedup_per_in_bit"] = _ratio(sp, row["in_bits"]["ratio"])
        out.append(row)
    return out


def _num(x: float | None, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


def markdown(cost: list[dict]) -> list[str]:
    """The side-by-side table as markdown lines (empty when no pair ran)."""
    if not cost:
        return []
    head = ("| sparse | dense | shape | n:m | LUT s/d (x) | FF s/d (x) | DSP s/d (x) | "
            "in bits/cycle s/d (x) | speed-up (measured*) | speed-up / LUT ratio | "
            "speed-up / in-bit ratio |")
    ncol = head.count("|") - 1
    lines = [head, "|" + "---|" * ncol]
    for c in cost:
        name = f"{c['block']} {c['config']}"
        if c["not_comparable"]:
            lines.append(f"| {name} | {c['dense']} {c['dense_config']} | not comparable: "
                         f"{c['not_comparable']} |" + " |" * (ncol - 3))
            continue
        cells = [f"{c[f]['sparse']}/{c[f]['dense']} ({_num(c[f]['ratio'])})"
                 for f in (*AREA_FIGURES, "in_bits")]
        sp = (_num(c["speedup"], ".3f") if c["speedup"] is not None
              else f"not measured (ideal {c['ideal']:g})")
        lines.append(f"| {name} | {c['dense']} {c['dense_config']} | {c['shape']} | {c['nm']} | "
                     + " | ".join(cells) + f" | {sp} | {_num(c['speedup_per_lut'])} | "
                     f"{_num(c['speedup_per_in_bit'])} |")
    lines += ["", f"\\* speed-ups are not measured by `make synth`: quoted from {SPEEDUP_SOURCE}. "
              "Area (synth_xilinx cells) and port widths (`port_widths()`) are from this run; "
              "`-nXmY` rows are the named config with n and m replaced."]
    return lines
