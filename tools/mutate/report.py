"""The campaign's outputs: ``build/mutate/summary.json``, ``report.html`` and a text table."""

from __future__ import annotations

import html
import json
from pathlib import Path

from tools.mutate.campaign import OUT, Campaign

COLS = ("block", "config", "mutants", "killed", "hang", "proved eq", "judged eq", "live",
        "score %", "gate %", "result", "wall s")


def _row(c: Campaign) -> tuple[str, ...]:
    return (c.block, c.config, str(len(c.outcomes)), str(c.count("killed")),
            str(c.count("hang")), str(c.count("proved_equivalent")),
            str(c.count("judged_equivalent")), str(c.count("live")), f"{c.score:.1f}",
            f"{c.gate:.0f}", "pass" if c.passed else "FAIL", f"{c.wall_s:.0f}")


def table(camps: list[Campaign]) -> str:
    lines = [COLS] + [_row(c) for c in camps]
    w = [max(len(ln[i]) for ln in lines) for i in range(len(COLS))]
    out = ["  ".join(x.ljust(w[i]) for i, x in enumerate(ln)).rstrip() for ln in lines]
    out.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(out)


def survivors(camps: list[Campaign]) -> list[str]:
    """One line per live survivor: where it is and what it does."""
    return [f"LIVE {c.block} {c.config}: {o.mutation.command} | line "
            f"{o.mutation.lines[0] if o.mutation.lines else '?'}: {o.line} | "
            f"{o.note or 'no formal check'}"
            for c in camps for o in c.outcomes if o.status == "live"]


def write(camps: list[Campaign], out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps([c.to_dict() for c in camps], indent=1))
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in _row(c)) + "</tr>"
                   for c in camps)
    detail = []
    for c in camps:
        detail.append(f"<h2>{html.escape(c.block)} {html.escape(c.config)} "
                      f"({html.escape(c.tag)}, yosys mutate -list {c.n} -seed {c.seed}, "
                      f"{html.escape(c.sim)})</h2><table><tr><th>#</th><th>status</th>"
                      "<th>mode</th><th>signal / cell</th><th>line</th><th>Verilog</th>"
                      "<th>killed by / note</th></tr>")
        for o in c.outcomes:
            m = o.mutation
            cls = "live" if o.status == "live" else ""
            detail.append(
                f"<tr class='{cls}'><td>{m.index}</td><td>{o.status}</td><td>{m.mode}</td>"
                f"<td>{html.escape(m.wire or m.cell)}</td>"
                f"<td>{m.lines[0] if m.lines else ''}</td><td><code>{html.escape(o.line)}"
                f"</code></td><td>{html.escape(o.by + ': ' + o.first if o.by else o.note)}"
                f"</td></tr>")
        detail.append("</table>")
        if c.stale:
            detail.append("<p>testplan equivalents no survivor of this campaign matched: "
                          + "; ".join(html.escape(s) for s in c.stale) + "</p>")
    page = ("<!doctype html><meta charset='utf-8'><title>zeroskip mutation campaign</title>"
            "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px;"
            "font-size:13px}table{border-collapse:collapse}tr.live{background:#fdd}</style>"
            "<h1>Mutation campaign</h1><p>Score: killed (incl. hangs) / (mutants - "
            "equivalent). Command: <code>make mutate</code>; see tools/mutate.</p><table><tr>"
            + "".join(f"<th>{h}</th>" for h in COLS) + "</tr>" + rows + "</table>"
            + "".join(detail))
    (out / "report.html").write_text(page)
    return out / "report.html"
