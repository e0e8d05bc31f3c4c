"""Functional coverage: read cocotb-coverage XML exports and merge them.

The pyuvm ``BlockTest.report_phase`` exports ``coverage_db`` to ``funccov/<test>.xml`` in the
test directory after every test. The database lives for the whole simulator process, so the
files of one process are cumulative: merging them is a per-bin maximum. Separate processes
(one per test in ``make coverage``) are independent: merging them is a per-bin sum.

XML shape (cocotb-coverage 2.0)::

    <top abs_name="top" ...>
      <gemm abs_name="top.gemm" ...>
        <k abs_name="top.gemm.k" size="4" coverage="3" at_least="1" ...>
          <bin0 bin="1" hits="1" abs_name="top.gemm.k.bin0" />
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Coverpoint:
    name: str  # "gemm.k" (abs_name without the leading "top.")
    at_least: int = 1
    bins: dict[str, int] = field(default_factory=dict)  # bin label -> hits, in XML order

    @property
    def total(self) -> int:
        return len(self.bins)

    @property
    def hit(self) -> int:
        return sum(h >= self.at_least for h in self.bins.values())

    @property
    def missed(self) -> list[str]:
        return [b for b, h in self.bins.items() if h < self.at_least]

    @property
    def closed(self) -> bool:
        return self.total > 0 and self.hit == self.total


FuncDb = dict[str, Coverpoint]


def _name(abs_name: str) -> str:
    parts = abs_name.split(".")
    return ".".join(parts[1:] if parts and parts[0] == "top" else parts)


def parse_xml(text: str) -> FuncDb:
    db: FuncDb = {}
    for el in ET.fromstring(text).iter():
        bins = [c for c in el if "bin" in c.attrib]
        if not bins:
            continue
        cp = Coverpoint(_name(el.get("abs_name", el.tag)), int(el.get("at_least", "1") or 1))
        for b in bins:
            cp.bins[b.get("bin", "")] = int(b.get("hits", "0") or 0)
        db[cp.name] = cp
    return db


def read_xml(path: Path) -> FuncDb:
    return parse_xml(path.read_text())


def _combine(dbs, op) -> FuncDb:
    out: FuncDb = {}
    for db in dbs:
        for name, cp in db.items():
            m = out.setdefault(name, Coverpoint(name, cp.at_least))
            m.at_least = max(m.at_least, cp.at_least)
            for b, h in cp.bins.items():
                m.bins[b] = op(m.bins[b], h) if b in m.bins else h
    return out


def merge_cumulative(dbs) -> FuncDb:
    """Exports of one simulator process (each contains the ones before it): per-bin max."""
    return _combine(dbs, max)


def merge_independent(dbs) -> FuncDb:
    """Exports of separate processes: per-bin sum."""
    return _combine(dbs, lambda a, b: a + b)


def read_test_dir(funccov_dir: Path) -> FuncDb:
    """All exports one simulator process wrote."""
    if not funccov_dir.is_dir():
        return {}
    return merge_cumulative(read_xml(f) for f in sorted(funccov_dir.glob("*.xml")))


def summarise(db: FuncDb) -> dict:
    cps = {n: dict(hit=cp.hit, total=cp.total, at_least=cp.at_least, missed=cp.missed,
                   bins=dict(cp.bins)) for n, cp in sorted(db.items())}
    hit = sum(c["hit"] for c in cps.values())
    total = sum(c["total"] for c in cps.values())
    return dict(hit=hit, total=total, pct=100.0 * hit / total if total else None,
                coverpoints=cps)
