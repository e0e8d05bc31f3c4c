"""The tables of ``make synth``: console, ``summary.md`` and ``index.html``."""

from __future__ import annotations

import html

from tools.synth import baseline, cost

COLUMNS = ("block", "config", "tag", "LUT", "FF", "DSP", "BRAM", "LUTRAM", "CARRY",
           "generic cells", "lint", "iCE40 (part: Fmax, or why not)", "vs baseline")
SHOWN_DELTA = 0.0005  # a change below 0.05 % prints as unchanged: it is rounding, not area


def _figure(rec: dict, fig: str, deltas: dict | None) -> str:
    v = baseline.figures(rec)[fig]
    if v is None:
        return "-"
    d = (deltas or {}).get(fig)
    return f"{v}" + (f" ({d:+.1%})" if d is not None and abs(d) >= SHOWN_DELTA else "")


def lint_cell(rec: dict) -> str:
    lint = rec.get("lint", {})
    vio = lint.get("violations", [])
    if vio:
        rules: dict[str, int] = {}
        for x in vio:
            rules[x["rule"]] = rules.get(x["rule"], 0) + 1
        return "FAIL: " + ", ".join(f"{r} ({n})" for r, n in rules.items())
    n = len(lint.get("warnings", []))
    return "clean" + (f" ({n} yosys warning{'s' * (n != 1)})" if n else "")


def ice40_cell(rec: dict) -> str:
    ic = rec.get("ice40", {})
    part = ic.get("part", "iCE40")
    if ic.get("fits"):
        return (f"{part}: {ic['fmax_mhz']:.1f} MHz ({ic['lc_used']}/{ic['lc_total']} LC, "
                f"{ic['io_bits']} IO)")
    return f"{part}: does not fit: {ic.get('reason')}"


def row(rec: dict, verdict: baseline.Verdict) -> list[str]:
    key = (rec["block"], rec["config"])
    deltas = verdict.deltas.get(key)
    figs = [_figure(rec, f, deltas) for f in ("lut", "ff", "dsp", "bram", "lutram", "carry",
                                              "cells")]
    fmax_d = (deltas or {}).get("fmax_mhz")
    ice = ice40_cell(rec) + (f" ({fmax_d:+.1%})" if fmax_d and abs(fmax_d) >= SHOWN_DELTA
                             else "")
    return [rec["block"], rec["config"], rec["tag"], *figs, lint_cell(rec), ice,
            verdict.status.get(key, "-")]


def markdown_table(records: list[dict], verdict: baseline.Verdict) -> list[str]:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row(r, verdict)) + " |" for r in records]
    return lines


def intro(summary: dict, records: list[dict]) -> str:
    t = summary["tools"]
    return (f"yosys {t['yosys']}, nextpnr-ice40 {t['nextpnr-ice40']}; {len(records)} config(s). "
            "LUT .. CARRY are synth_xilinx -flatten (xc7) cells, generic cells are synth + stat; "
            "deltas against tools/synth/baseline.json (tolerance "
            f"+-{baseline.TOLERANCE:.0%} per figure).")


def markdown(summary: dict, records: list[dict], verdict: baseline.Verdict) -> str:
    out = ["# make synth", "", intro(summary, records), ""]
    out += markdown_table(records, verdict)
    out += ["", "## Cost of sparsity (sparse vs dense at the same shape)", ""]
    out += cost.markdown(summary["cost_of_sparsity"]) or ["(no sparse/dense pair in this run)"]
    out += ["", "## Baseline", ""]
    out += [f"- FAIL {x}" for x in verdict.violations] or ["- every figure within tolerance, "
                                                           "lint clean"]
    out += [f"- note: {x}" for x in verdict.notes]
    out += ["", "## Seconds per config", "", "| block | config | total | generic + lint | "
            "xilinx | ice40 | nextpnr |", "|---|---|---|---|---|---|---|"]
    for r in records:
        s = r["seconds"]
        out.append(f"| {r['block']} | {r['config']} | {s['total']} | {s.get('generic', '-')} | "
                   f"{s.get('xilinx', '-')} | {s.get('ice40', '-')} | {s.get('nextpnr', '-')} |")
    return "\n".join(out) + "\n"


def _html_table(lines: list[str]) -> str:
    """A markdown pipe table (header, rule, rows) as an HTML table."""
    cells = [[c.strip() for c in ln.strip().strip("|").split(" | ")] for ln in lines
             if ln.startswith("|")]
    if not cells:
        return ""
    head, body = cells[0], cells[2:]
    th = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    trs = []
    for r in body:
        cls = ' class="bad"' if any(c.startswith("FAIL") for c in r) else ""
        trs.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
    return f"<table><tr>{th}</tr>\n" + "\n".join(trs) + "</table>"


CSS = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:1em 0}"
       "td,th{border:1px solid #bbb;padding:3px 7px;font-size:90%;text-align:left}"
       "th{background:#eee}tr.bad td{background:#fdd}.fail{color:#b00}")


def index_html(summary: dict, records: list[dict], verdict: baseline.Verdict) -> str:
    verdict_html = "".join(f'<li class="fail">{html.escape(x)}</li>'
                           for x in verdict.violations) or "<li>every figure within tolerance, " \
                                                           "lint clean</li>"
    verdict_html += "".join(f"<li>note: {html.escape(x)}</li>" for x in verdict.notes)
    cost_lines = cost.markdown(summary["cost_of_sparsity"])
    foot = html.escape(cost_lines[-1]) if cost_lines else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>make synth</title>"
            f"<style>{CSS}</style></head><body><h1>make synth</h1>"
            f"<p>{html.escape(intro(summary, records))}</p>"
            + _html_table(markdown_table(records, verdict))
            + "<h2>Cost of sparsity</h2>" + _html_table(cost_lines) + f"<p>{foot}</p>"
            + f"<h2>Baseline</h2><ul>{verdict_html}</ul></body></html>\n")


def console(records: list[dict], verdict: baseline.Verdict) -> str:
    """The summary table, aligned for a terminal."""
    rows = [list(COLUMNS)] + [row(r, verdict) for r in records]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
