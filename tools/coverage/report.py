"""Build the coverage report of a block and of a regression from data, then render it.

Everything here is a pure function of its inputs (no simulator, no files except where a
function says so), so the gate logic is unit-tested on synthetic data
(``tests/unit/test_coverage_report.py``).

A block **passes** when every gate its testplan declares holds (measured >= threshold), every
testpoint is closed, every test passed, and no exclusion is stale. Coverage counts only from
tests that passed: a failing test's run is reported, not merged.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections import defaultdict

from tb.common.testplan import Testplan
from tools.coverage import codecov, funccov

PASSED, FAILED, MISSING, NOT_RUN = "passed", "failed", "missing", "not run"
CODE_ORDER = ("line", "branch", "toggle", "expr", "user")


def test_record(name: str, *, passed: bool, cases: int, failures: list[str] | None = None,
                seconds: float = 0.0, test_dir: str = "", code: dict | None = None,
                functional: dict | None = None) -> dict:
    """One test's run as the report sees it (``code``/``functional``: that test alone)."""
    return dict(name=name, status=PASSED if passed else FAILED, cases=cases,
                failures=list(failures or []), seconds=round(seconds, 2), test_dir=test_dir,
                code=code or {}, functional=functional or {})


def testpoint_status(plan: Testplan, tests: dict[str, dict], discovered: list[str],
                     func: funccov.FuncDb) -> list[dict]:
    out = []
    for tp in plan.testpoints:
        t_status = {}
        for t in tp.tests:
            if t in tests:
                t_status[t] = tests[t]["status"]
            else:
                t_status[t] = NOT_RUN if t in discovered else MISSING
        c_status = {}
        for c in tp.coverpoints:
            cp = func.get(c)
            if cp is None:
                c_status[c] = dict(closed=False, hit=0, total=0, missed=["(coverpoint not found)"])
            else:
                c_status[c] = dict(closed=cp.closed, hit=cp.hit, total=cp.total,
                                   missed=cp.missed)
        why = [f"test {t} {s}" for t, s in t_status.items() if s != PASSED]
        why += [f"coverpoint {c} {v['hit']}/{v['total']} (missed: {', '.join(v['missed'])})"
                for c, v in c_status.items() if not v["closed"]]
        out.append(dict(name=tp.name, stage=tp.stage, desc=tp.desc, tests=t_status,
                        coverpoints=c_status, closed=not why, open_because=why))
    return out


def evaluate_gates(plan: Testplan, code_types: dict, func_summary: dict) -> list[dict]:
    gates = []
    for metric, thr in plan.gates.items():
        if metric == "functional":
            value, hit, total = (func_summary.get("pct"), func_summary.get("hit", 0),
                                 func_summary.get("total", 0))
        else:
            t = code_types.get(metric) or {}
            value, hit, total = t.get("pct"), t.get("hit", 0), t.get("total", 0)
        gates.append(dict(metric=metric, threshold=thr, value=value, hit=hit, total=total,
                          ok=value is not None and value >= thr))
    return gates


def block_report(plan: Testplan, *, discovered: list[str], tests: dict[str, dict],
                 code_counts: dict[str, int], func: funccov.FuncDb,
                 src: codecov.SourceCache | None = None, meta: dict | None = None) -> dict:
    """The whole report of one block as a JSON-ready dict; ``ok`` says whether it passes and
    ``failures`` why not.

    ``discovered``: tests that exist in the block's test module; ``tests``: records of the
    tests that ran (``test_record``); ``code_counts``/``func``: coverage merged over the
    tests that passed."""
    code = codecov.summarise(code_counts, plan.exclusions, src)
    fsum = funccov.summarise(func)
    tps = testpoint_status(plan, tests, discovered, func)
    gates = evaluate_gates(plan, code["types"], fsum)

    failures = []
    for g in gates:
        if not g["ok"]:
            val = "no data" if g["value"] is None else f"{g['value']:.2f} %"
            failures.append(f"gate {g['metric']}: {val} < {g['threshold']:g} %")
    for tp in tps:
        if not tp["closed"]:
            failures.append(f"testpoint {tp['name']} open: {'; '.join(tp['open_because'])}")
    for t in tests.values():
        if t["status"] != PASSED:
            first = t["failures"][0] if t["failures"] else "no detail"
            failures.append(f"test {t['name']} {t['status']}: {first}")
    for e in code["exclusions"]:
        if e["stale"]:
            failures.append(f"exclusion ({e['rule']}) matches no coverage point: stale, "
                            "review it against the RTL")

    warnings = []
    planned = set(plan.tests)
    for t in discovered:
        if t not in planned:
            warnings.append(f"test {t} is in no testpoint (unplanned)")
    used_cps = set(plan.coverpoints)
    for c in sorted(func):
        if c not in used_cps:
            warnings.append(f"coverpoint {c} is in no testpoint")

    order = list(discovered) + [t for t in tests if t not in discovered]
    return dict(block=plan.block, config=plan.config, **(meta or {}),
                ok=not failures, failures=failures, warnings=warnings, gates=gates,
                code=code, functional=fsum, testpoints=tps,
                testpoints_closed=sum(tp["closed"] for tp in tps),
                testpoints_total=len(tps),
                tests=[tests[t] for t in order if t in tests])


def regression_summary(reports: list[dict], meta: dict | None = None) -> dict:
    """The regression: every block's figures plus totals (what CI gates on: ``ok``)."""
    code_tot: dict[str, dict] = defaultdict(lambda: dict(hit=0, total=0, excluded=0))
    fh = ft = tpc = tpt = 0
    for r in reports:
        for typ, t in r["code"]["types"].items():
            for k in ("hit", "total", "excluded"):
                code_tot[typ][k] += t[k]
        fh += r["functional"]["hit"]
        ft += r["functional"]["total"]
        tpc += r["testpoints_closed"]
        tpt += r["testpoints_total"]
    for t in code_tot.values():
        t["pct"] = 100.0 * t["hit"] / t["total"] if t["total"] else None
    failures = [f"{r['block']}: {f}" for r in reports for f in r["failures"]]
    if not reports:
        failures.append("no block was run")
    code_tot = {t: code_tot[t] for t in sorted(code_tot, key=_type_rank)}
    return dict(schema=1, **(meta or {}), ok=not failures, failures=failures,
                blocks={r["block"]: _figures(r) for r in reports},
                total=dict(code=dict(code_tot),
                           functional=dict(hit=fh, total=ft, pct=100.0 * fh / ft if ft else None),
                           testpoints=dict(closed=tpc, total=tpt)))


def _figures(r: dict) -> dict:
    """A block's entry in summary.json: figures, gates, testpoints, failures (no HTML bits)."""
    keep = ("block", "config", "tag", "seed", "simulator", "ok", "failures", "warnings",
            "gates", "testpoints", "testpoints_closed", "testpoints_total")
    out = {k: r[k] for k in keep if k in r}
    out["code"] = dict(types=r["code"]["types"], exclusions=r["code"]["exclusions"],
                       missed=r["code"]["missed"])
    out["functional"] = r["functional"]
    out["tests"] = [{k: t[k] for k in ("name", "status", "cases", "failures", "seconds")}
                    for t in r["tests"]]
    return out


# -- HTML ------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:80em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.2em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f0} td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{background:#dff5df} .bad{background:#fbdcdc} .warn{background:#fff3cd}
code,.mono{font-family:ui-monospace,monospace;font-size:.92em}
.banner{padding:.6em 1em;font-weight:bold;margin:.5em 0}
small{color:#666}
"""


def _e(x) -> str:
    return html.escape(str(x))


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.2f} %"


def _cls(ok: bool) -> str:
    return "ok" if ok else "bad"


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for i, r in enumerate(rows):
        c = f" class='{classes[i]}'" if classes and classes[i] else ""
        out.append(f"<tr{c}>" + "".join(r) + "</tr>")
    return "".join(out) + "</table>"


def _td(x, num: bool = False, raw: bool = False) -> str:
    return f"<td{' class=num' if num else ''}>{x if raw else _e(x)}</td>"


def _type_rank(t: str) -> tuple[int, str]:
    return (CODE_ORDER.index(t) if t in CODE_ORDER else len(CODE_ORDER), t)


def _code_types(types: dict) -> list[str]:
    return sorted(types, key=_type_rank)


def render_block_html(r: dict) -> str:
    b = [f"<h1>Coverage: <code>{_e(r['block'])}</code></h1>",
         f"<p>config <b>{_e(r['config'])}</b> (<code>{_e(r.get('tag', ''))}</code>), "
         f"simulator {_e(r.get('simulator', ''))}, seed {_e(r.get('seed', ''))}, "
         f"{len(r['tests'])} tests, generated {_e(r.get('generated', ''))}. "
         f"Reproduce: <code>{_e(r.get('command', ''))}</code>. "
         "<a href='../index.html'>regression index</a></p>"]
    if r["ok"]:
        b.append("<div class='banner ok'>PASS: every gate holds and every testpoint is "
                 "closed</div>")
    else:
        b.append("<div class='banner bad'>FAIL<ul>"
                 + "".join(f"<li>{_e(f)}</li>" for f in r["failures"]) + "</ul></div>")

    b.append("<h2>Gates</h2><p><small>declared in the testplan; measured must be &gt;= "
             "threshold</small></p>")
    rows, cls = [], []
    for g in r["gates"]:
        rows.append([_td(g["metric"]), _td(_pct(g["value"]), True),
                     _td(f"{g['hit']}/{g['total']}", True), _td(f"{g['threshold']:g} %", True),
                     _td("pass" if g["ok"] else "FAIL")])
        cls.append(_cls(g["ok"]))
    tpc, tpt = r["testpoints_closed"], r["testpoints_total"]
    rows.append([_td("testpoints closed"), _td(f"{tpc}/{tpt}", True), _td(""), _td("all", True),
                 _td("pass" if tpc == tpt else "FAIL")])
    cls.append(_cls(tpc == tpt))
    b.append(_table(["metric", "measured", "covered/points", "threshold", ""], rows, cls))

    types = r["code"]["types"]
    b.append("<h2>Code coverage (Verilator, merged over passing tests)</h2>")
    links = []
    if r.get("source_html"):
        links.append(f"<a href='{_e(r['source_html'])}'>annotated source</a> (genhtml: "
                     "lines and branches)")
    if r.get("merged_dat"):
        links.append(f"merged data <a href='{_e(r['merged_dat'])}'><code>coverage.dat"
                     "</code></a>")
    if r.get("source_html_note"):
        links.append(_e(r["source_html_note"]))
    if links:
        b.append("<p>" + "; ".join(links) + "</p>")
    rows = [[_td(t), _td(types[t]["hit"], True), _td(types[t]["total"], True),
             _td(_pct(types[t]["pct"]), True), _td(types[t]["excluded"], True)]
            for t in _code_types(types)]
    b.append(_table(["type", "covered", "points", "%", "excluded"], rows) if rows
             else "<p class='bad'>no code coverage data</p>")

    b.append("<h2>Testpoints</h2>")
    rows, cls = [], []
    for tp in r["testpoints"]:
        tests = "<br>".join(f"{_e(t)}: {_e(s)}" for t, s in tp["tests"].items())
        cps = "<br>".join(
            f"{_e(c)}: {v['hit']}/{v['total']}"
            + ("" if v["closed"] else f" <b>missed</b> {_e(', '.join(v['missed']))}")
            for c, v in tp["coverpoints"].items()) or "-"
        rows.append([_td(tp["name"]), _td(tp["stage"]), _td(tp["desc"]), _td(tests, raw=True),
                     _td(cps, raw=True), _td("closed" if tp["closed"] else "OPEN")])
        cls.append(_cls(tp["closed"]))
    b.append(_table(["testpoint", "stage", "description", "tests", "coverpoints", "status"],
                    rows, cls))

    f = r["functional"]
    b.append(f"<h2>Functional coverage (cocotb-coverage): {f['hit']}/{f['total']} bins, "
             f"{_pct(f['pct'])}</h2>")
    rows, cls = [], []
    for name, c in f["coverpoints"].items():
        ok = c["hit"] == c["total"] and c["total"] > 0
        rows.append([_td(name), _td(f"{c['hit']}/{c['total']}", True),
                     _td(_pct(100.0 * c["hit"] / c["total"] if c["total"] else None), True),
                     _td(", ".join(c["missed"]) or "-"),
                     _td(", ".join(f"{k}: {v}" for k, v in c["bins"].items()))])
        cls.append(_cls(ok))
    b.append(_table(["coverpoint", "bins hit", "%", "missed bins", "hits per bin"], rows, cls)
             if rows else "<p class='bad'>no functional coverage data</p>")

    alone = r.get("per_test", True)
    b.append("<h2>Tests</h2><p><small>" + (
        "coverage columns: that test alone" if alone else
        "all tests ran in one simulator process, so there are no per-test coverage figures "
        "(<code>make coverage PER_TEST=1</code> runs each test alone)") + "</small></p>")
    tcols = _code_types(types) if alone else []
    rows, cls = [], []
    for t in r["tests"]:
        cc = [_td(_pct(t["code"].get(k, {}).get("pct")), True) for k in tcols]
        fn = t["functional"]
        rows.append([_td(t["name"]), _td(t["status"]), _td(t["cases"], True),
                     _td(f"{t['seconds']:.1f}", True), *cc,
                     *([_td(f"{fn.get('hit', 0)}/{fn.get('total', 0)}", True)] if alone else []),
                     _td("; ".join(t["failures"]))])
        cls.append(_cls(t["status"] == PASSED))
    b.append(_table(["test", "status", "cases", "s", *tcols, *(["bins"] if alone else []),
                     "failures"], rows, cls))

    missed = r["code"]["missed"]
    b.append(f"<h2>Missed code points ({len(missed)})</h2>")
    rows = [[_td(m["type"]), _td(m["where"]), _td(m["desc"]),
             _td(f"<code>{_e(m['code'])}</code>", raw=True)]
            for m in missed if m["type"] != "toggle"]
    if rows:
        b.append(_table(["type", "where", "point", "source line"], rows))
    tog: dict[str, list[str]] = defaultdict(list)
    for m in missed:
        if m["type"] == "toggle":
            tog[m["signal"]].append(m["desc"])
    if tog:
        rows = [[_td(s), _td(len(v), True), _td(", ".join(v[:8]) + (" ..." if len(v) > 8 else ""))]
                for s, v in sorted(tog.items())]
        b.append("<p>toggle, by signal:</p>" + _table(["signal", "missed edges", "edges"], rows))
    if not missed:
        b.append("<p>none</p>")

    b.append("<h2>Exclusions</h2>")
    ex = r["code"]["exclusions"]
    if ex:
        rows = [[_td(e["rule"]), _td(e["reason"]), _td(len(e["points"]), True),
                 _td(", ".join(f"{p['where']} {p['desc']}" for p in e["points"][:6])
                     + (" ..." if len(e["points"]) > 6 else "") or "STALE: matches nothing")]
                for e in ex]
        b.append(_table(["rule", "reason", "points", "excluded points"], rows,
                        ["bad" if e["stale"] else "" for e in ex]))
    else:
        b.append("<p>none: every point counts</p>")

    if r["warnings"]:
        b.append("<h2>Warnings</h2><ul class='warn'>"
                 + "".join(f"<li>{_e(w)}</li>" for w in r["warnings"]) + "</ul>")
    return _page(f"coverage {r['block']}", b)


def render_index_html(summary: dict, reports: list[dict]) -> str:
    types = _code_types({t: 1 for r in reports for t in r["code"]["types"]})
    b = ["<h1>zeroskip coverage regression</h1>",
         f"<p>seed {_e(summary.get('seed', ''))}, simulator {_e(summary.get('simulator', ''))}, "
         f"generated {_e(summary.get('generated', ''))}, {_e(summary.get('wall_s', ''))} s. "
         f"Reproduce: <code>{_e(summary.get('command', ''))}</code>. "
         "Machine-readable: <a href='summary.json'>summary.json</a></p>"]
    b.append(f"<div class='banner {_cls(summary['ok'])}'>"
             + ("PASS" if summary["ok"] else "FAIL") + "</div>")
    rows, cls = [], []
    for r in reports:
        t = r["code"]["types"]
        f = r["functional"]
        rows.append([_td(f"<a href='{_e(r['block'])}/index.html'>{_e(r['block'])}</a>", raw=True),
                     _td(f"{r['config']} ({r.get('tag', '')})"),
                     *[_td(_pct(t.get(k, {}).get("pct")), True) for k in types],
                     _td(f"{f['hit']}/{f['total']}", True),
                     _td(f"{r['testpoints_closed']}/{r['testpoints_total']}", True),
                     _td(f"{sum(x['status'] == PASSED for x in r['tests'])}/{len(r['tests'])}",
                         True),
                     _td("pass" if r["ok"] else f"FAIL ({len(r['failures'])})")])
        cls.append(_cls(r["ok"]))
    tot = summary["total"]
    rows.append([_td("<b>regression</b>", raw=True), _td(""),
                 *[_td(_pct(tot["code"].get(k, {}).get("pct")), True) for k in types],
                 _td(f"{tot['functional']['hit']}/{tot['functional']['total']}", True),
                 _td(f"{tot['testpoints']['closed']}/{tot['testpoints']['total']}", True),
                 _td(""), _td("pass" if summary["ok"] else "FAIL")])
    cls.append(_cls(summary["ok"]))
    b.append(_table(["block", "config", *types, "functional bins", "testpoints",
                     "tests passed", "gates"], rows, cls))
    for r in reports:
        if r["failures"]:
            b.append(f"<h3>{_e(r['block'])}: why it fails</h3><ul>"
                     + "".join(f"<li>{_e(x)}</li>" for x in r["failures"]) + "</ul>")
        missed = [f"{c}: {', '.join(v['missed'])}"
                  for c, v in r["functional"]["coverpoints"].items() if v["missed"]]
        if missed:
            b.append(f"<p>{_e(r['block'])} missed functional bins:</p><ul>"
                     + "".join(f"<li>{_e(m)}</li>" for m in missed) + "</ul>")
    return _page("zeroskip coverage", b)


def now() -> str:
    return _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
