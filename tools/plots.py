"""Plots a person would rather look at than read: written as PNG under ``build/plots/``.

matplotlib runs headless (Agg); every plot says in its title what was measured and where.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLOTS = ROOT / "build" / "plots"
FIGSIZE_IN, DPI = (6.4, 4.2), 120  # 768 x 504 px: readable in a README or a terminal viewer


def _figure(panels: int = 1):
    """A figure of ``panels`` axes side by side (each FIGSIZE_IN), headless."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if panels == 1:
        return plt.subplots(figsize=FIGSIZE_IN, dpi=DPI)
    return plt.subplots(1, panels, figsize=(panels * FIGSIZE_IN[0], FIGSIZE_IN[1]), dpi=DPI)


def _save_panels(fig, title: str, name: str) -> Path:
    """A multi-panel figure under one title into PLOTS/<name>.png."""
    import matplotlib.pyplot as plt

    fig.suptitle(title, fontsize=9)
    PLOTS.mkdir(parents=True, exist_ok=True)
    path = PLOTS / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _save(fig, ax, title: str, name: str, legend_size: int) -> Path:
    import matplotlib.pyplot as plt

    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=legend_size)
    PLOTS.mkdir(parents=True, exist_ok=True)
    path = PLOTS / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def speedup_vs_sparsity(series: dict[str, list[tuple[float, float]]],
                        ideal: list[tuple[float, float]], floor_share: float, title: str,
                        name: str) -> Path:
    """Measured speed-up against weight sparsity, one line per array shape, beside the ideal
    1 / (1 - sparsity) and the floor ``floor_share`` x ideal. Points are (sparsity, speed-up)."""
    fig, ax = _figure()
    xs = [x for x, _ in ideal]
    ax.plot(xs, [y for _, y in ideal], "k--", label="ideal m/n")
    ax.plot(xs, [floor_share * y for _, y in ideal], ":", color="grey",
            label=f"floor {floor_share} x m/n")
    for i, (label, pts) in enumerate(series.items()):
        line, = ax.plot([x for x, _ in pts], [y for _, y in pts], "o-", label=label)
        for x, y in pts:  # labels alternate above/below the points so that they do not collide
            ax.annotate(f"{y:.2f}", (x, y), textcoords="offset points",
                        xytext=(-28, 8) if i % 2 == 0 else (6, -14), fontsize=8,
                        color=line.get_color())
    ax.set_xlabel("weight sparsity (1 - n/m)")
    ax.set_ylabel("speed-up over dense gemm (cycles)")
    ax.grid(True, alpha=0.3)
    return _save(fig, ax, title, name, legend_size=8)


def speedup_vs_temporal_sparsity(series: dict[str, list[tuple[float, float, float]]],
                                 floor_share: float, title: str, name: str) -> Path:
    """Measured speed-up against temporal sparsity, one line per weight sparsity (gamma),
    each beside its ideal 1 / ((1 - gamma)(1 - s)) (dashed). Points are (s, measured, ideal);
    log scale, since the ideal spans 1x to 100x."""
    fig, ax = _figure()
    for label, pts in series.items():
        xs = [s for s, _, _ in pts]
        line, = ax.plot(xs, [m for _, m, _ in pts], "o-", label=f"{label} measured")
        ax.plot(xs, [i for _, _, i in pts], "--", color=line.get_color(), alpha=0.6,
                label=f"{label} ideal")
        ax.plot(xs, [floor_share * i for _, _, i in pts], ":", color=line.get_color(),
                alpha=0.4)
        for s, m, _ in pts:
            ax.annotate(f"{m:.1f}", (s, m), textcoords="offset points", xytext=(6, -12),
                        fontsize=8, color=line.get_color())
    ax.set_yscale("log")
    ax.set_xlabel("temporal sparsity s (share of columns not firing)")
    ax.set_ylabel("speed-up over the dense schedule (cycles)")
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, ax, title, name, legend_size=7)


def throughput_bars(rates: dict[str, dict[str, float]], path: Path) -> Path:
    """Simulated cycles per second, one group of bars per block (log scale)."""
    import matplotlib.pyplot as plt

    fig, ax = _figure()
    blocks = list(rates)
    modes = list(next(iter(rates.values())))
    width = 0.8 / len(modes)
    for i, m in enumerate(modes):
        ax.bar([b + i * width for b in range(len(blocks))], [rates[k][m] for k in blocks],
               width, label=m)
    ax.set_xticks([b + width * (len(modes) - 1) / 2 for b in range(len(blocks))], blocks)
    ax.set_yscale("log")
    ax.set_ylabel("simulated cycles / s (measured)")
    ax.set_title("make bench-sim: max configs, one machine (tests/sim/test_bench_sim.py)",
                 fontsize=9)
    ax.legend(fontsize=7)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_rows(rows: list[dict], path_stem: Path) -> tuple[Path, Path]:
    """Benchmark figures as ``<stem>.json`` and ``<stem>.csv`` (one row per dict)."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    js, cs = stem.with_suffix(".json"), stem.with_suffix(".csv")
    js.write_text(json.dumps(rows, indent=1))
    with cs.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return js, cs


def attn_speedup(heads: list[dict], layers: list[dict], tag: str) -> Path:
    """Measured speed-up of sparse over dense attention per DeiT-Tiny layer (each head a
    point: steady state filled, isolated head hollow; each layer's three heads together a
    line) against the ideal n**2 / nnz."""
    fig, ax = _figure()
    for h in sorted({r["head"] for r in heads}):
        pts = [r for r in heads if r["head"] == h]
        dots = ax.scatter([r["layer"] for r in pts], [r["steady_speedup"] for r in pts], s=14,
                          label=f"head {h}, steady state, measured")
        ax.scatter([r["layer"] for r in pts], [r["speedup"] for r in pts], s=14,
                   facecolors="none", edgecolors=dots.get_facecolor(),
                   label=f"head {h}, isolated, measured")
        ax.scatter([r["layer"] for r in pts], [r["ideal_speedup"] for r in pts], s=30,
                   marker="_", color="grey")
    ax.plot([r["layer"] for r in layers], [r["speedup"] for r in layers], "k-",
            label="whole layer, measured")
    ax.plot([r["layer"] for r in layers], [r["ideal_speedup"] for r in layers], "k:",
            label="whole layer, ideal n²/nnz (formula)")
    ax.set_xlabel("DeiT-Tiny layer")
    ax.set_ylabel("speed-up over dense attention (same PEs)")
    ax.set_yscale("log")
    return _save(fig, ax, f"sparse_attn {tag}: RTL cycles (Verilator fast mode), real masks; "
                 "grey ticks: per-head ideal", "attn_speedup", 6)


def tile_bench_plot(rows: list[dict], title: str, name: str) -> Path:
    """Overlapped tiles (tests/sim/test_bench_tiles.py): gemm utilisation and nm_gemm's
    speed-up against K, one colour per array; solid measured, dashed the "before" formula,
    dotted the port-bound ideal speed-up."""
    fig, (ax_u, ax_s) = _figure(2)
    for array in dict.fromkeys(r["array"] for r in rows):
        pts = [r for r in rows if r["array"] == array]
        ks = [r["k"] for r in pts]
        line, = ax_u.plot(ks, [r["gemm_util"] for r in pts], "o-", label=f"{array} measured")
        ax_u.plot(ks, [r["gemm_util_before_formula"] for r in pts], "--",
                  color=line.get_color(), label=f"{array} before (formula)")
        ax_s.plot(ks, [r["speedup"] for r in pts], "o-", color=line.get_color(),
                  label=f"{array} measured")
        ax_s.plot(ks, [r["speedup_before_formula"] for r in pts], "--",
                  color=line.get_color(), label=f"{array} before (formula)")
        ax_s.plot(ks, [r["speedup_ideal"] for r in pts], ":", color=line.get_color(),
                  label=f"{array} port-bound ideal")
    for ax, ylabel in ((ax_u, "gemm utilisation (useful MACs / PE-cycles)"),
                       (ax_s, "nm_gemm 2:4 speed-up over gemm (cycles)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("dense reduction K per tile")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6)
    return _save_panels(fig, title, name)


def eie_bench_plot(rows: list[dict], title: str, name: str) -> Path:
    """make bench-eie: against activation density, one colour per weight density; left the
    share of the ideal reached (ideal / measured cycles), right the speed-up over dense gemm
    at equal PEs (solid measured eie over the gemm formula, dashed the ideal's)."""
    fig, (ax_r, ax_s) = _figure(2)
    for wd in dict.fromkeys(r["w_density"] for r in rows):
        pts = [r for r in rows if r["w_density"] == wd]
        xs = [r["act_density_measured"] for r in pts]
        line, = ax_r.plot(xs, [r["ratio"] for r in pts], "o-", label=f"weights {wd:.0%}")
        ax_s.plot(xs, [r["speedup"] for r in pts], "o-", color=line.get_color(),
                  label=f"weights {wd:.0%} measured")
        ax_s.plot(xs, [r["ideal_speedup"] for r in pts], "--", color=line.get_color(),
                  alpha=0.6, label=f"weights {wd:.0%} ideal")
    ax_r.axhline(0.8, color="grey", linestyle=":", label="issue 16 floor 0.8")
    ax_r.set_ylabel("ideal / measured eie cycles")
    ax_r.set_ylim(0, 1.05)
    ax_s.set_yscale("log")
    ax_s.set_ylabel("speed-up over gemm 2 x 2 (formula)")
    for ax in (ax_r, ax_s):
        ax.set_xlabel("activation density (measured)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    return _save_panels(fig, title, name)


def conv_bench_plot(rows: list[dict], title: str, name: str) -> Path:
    """``make bench-conv``: measured cycles per tile of gemm and nm_gemm per real conv layer,
    bars, with the port-bound ideal of each as a black tick on its bar and the array before
    overlapped tiles (a FORMULA, models.gemm.old_expected_cycles) as a hollow bar behind it."""
    fig, ax = _figure()
    layers = [f"{r['layer']} (K={r['k']})" for r in rows]
    width = 0.38
    for i, (blk, key, ideal) in enumerate((("gemm", "gemm_cycles_per_tile", "gemm_ideal"),
                                           ("nm_gemm 2:4", "nm_cycles_per_tile", "nm_ideal"))):
        xs = [j + (i - 0.5) * width for j in range(len(rows))]
        ax.bar(xs, [r[f"{key}_before_formula"] for r in rows], width, fill=False,
               edgecolor=f"C{i}", linestyle="--", label=f"{blk}: before (formula)")
        ax.bar(xs, [r[key] for r in rows], width, color=f"C{i}", label=f"{blk}: measured")
        ax.scatter(xs, [r[ideal] for r in rows], marker="_", s=400, color="black",
                   label="port-bound ideal" if i == 0 else None, zorder=3)
        for x, r in zip(xs, rows, strict=True):
            if blk != "gemm":
                ax.annotate(f"{r['speedup']:.2f}x", (x, r[key]), ha="center", va="bottom",
                            fontsize=7)
    ax.set_xticks(range(len(rows)), layers)
    ax.set_ylabel("cycles per tile (filled: measured, Verilator fast mode; dashed: formula)")
    return _save(fig, ax, title, name, legend_size=7)
