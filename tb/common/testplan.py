"""Testplans as data (OpenTitan style): ``tb/<blk>/testplan.yaml`` says what a block's
verification must show, which tests and coverpoints show it, and the coverage each block
must keep. ``make coverage`` (``tools.coverage``) reports against it; ``tests/unit/
test_testplan.py`` fails when a listed test or coverpoint does not exist.

Format (every key below is checked; an unknown key is an error, so a typo such as ``gate:``
cannot switch a gate off silently)::

    block: gemm                 # must equal the folder name tb/<block>/
    config: typical             # named config (models/configs.py) the coverage run uses;
                                # optional, default "typical"
    gates:                      # minimum percentages; `make coverage` fails below any of them.
      line: 99                  #   code coverage (Verilator): line, branch, toggle, expr, user
      branch: 99                #   (a gated type with no points at all fails too)
      toggle: 99
      expr: 99
      functional: 96            #   cocotb-coverage bins hit / bins, over all the block's
                                #   coverpoints and crosses
                                # Start each gate at the figure measured, rounded down a
                                # little; raise it as coverage improves, never lower it to get
                                # green. Every testpoint must be closed too (always gated).
    exclusions:                 # code-coverage points left out of the figures; optional
      - type: branch            #   line | branch | toggle | expr | user
        point: "^else$"         #   regex (re.search) on the point's description: the signal
                                #   and edge for toggle ("acc[3]:0->1"), if/else/case/block
                                #   for line and branch, the term for expr; optional
        code: "default:"        #   regex on the text of the Verilog line it sits on; optional
        reason: "why it cannot or need not be covered"   # required, a sentence
                                #   (at least one of point/code; an exclusion that matches no
                                #   point is stale and fails the gate: the RTL changed)
    mutation:                   # the `make mutate` campaign (tools/mutate); optional
      gate: 95                  #   minimum kill score in % of the non-equivalent mutants, on
                                #   every campaign config (default 95)
      configs: [typical, max]   #   named configs the campaign runs on (default: typical and
                                #   max); at least one
      equivalent:               #   survivors judged equivalent by reading, each with a reason
        - config: typical       #     a campaign config
          mutation: "mutate -mode inv -module ... -cell ... -port A -portbit 3"
                                #     the mutant's command without its -src tags, as the
                                #     report prints it (the list depends only on the Verilog,
                                #     N and SEED; an entry the campaign never met is reported)
          reason: "why no test can tell it apart"   # required, a sentence
    testpoints:                 # what must be shown, each closed by tests and coverpoints
      - name: random_tiles      #   lower_snake, unique in the plan
        stage: V1               #   V1 (basic), V2 (complete), V3 (stretch): shown in the report
        desc: >                 #   what is checked, in a sentence or two
          Uniform random operands ...
        tests: [RandomTest]     #   >= 1; pyuvm test classes (@pyuvm.test()) or cocotb test
                                #   functions (@cocotb.test(); a parametrized test by its
                                #   function name) in tb/<block>/<block>_tests.py
        coverpoints: [gemm.k]   #   optional; CoverPoint / CoverCross names from
                                #   tb/<block>/coverage.py (names start with "<block>.")

A testpoint is **closed** when every one of its tests ran and passed and every one of its
coverpoints has all its bins hit (at least ``at_least`` times) in the block's merged functional
coverage, whichever tests hit them. A test that exists but is in no testpoint is reported as
unplanned (a warning, not a gate).

This module is plain Python + PyYAML (no cocotb): the report tool and the guard test share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TB = ROOT / "tb"
PLAN_FILE = "testplan.yaml"
STAGES = ("V1", "V2", "V3")
CODE_TYPES = ("line", "branch", "toggle", "expr", "user")  # Verilator point types we gate
GATE_METRICS = CODE_TYPES + ("functional",)
DEFAULT_CONFIG = "typical"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class TestplanError(ValueError):
    """A testplan file breaks the format; the message names the file and the rule."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class Testpoint:
    __test__ = False

    name: str
    stage: str
    desc: str
    tests: tuple[str, ...]
    coverpoints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exclusion:
    type: str
    reason: str
    point: str | None = None  # regex on the point's description
    code: str | None = None  # regex on the Verilog source line

    def describe(self) -> str:
        parts = [f"{self.type}"]
        if self.point:
            parts.append(f"point ~ /{self.point}/")
        if self.code:
            parts.append(f"code ~ /{self.code}/")
        return ", ".join(parts)


@dataclass(frozen=True)
class Equivalent:
    config: str
    mutation: str  # the mutate command without its -src tags
    reason: str


DEFAULT_MUTATION_GATE = 95.0  # issue 12: >= 95 % of the non-equivalent mutants killed
DEFAULT_MUTATION_CONFIGS = ("typical", "max")  # issue 12: typical + the most parallel one


@dataclass(frozen=True)
class MutationPlan:
    gate: float = DEFAULT_MUTATION_GATE
    configs: tuple[str, ...] = DEFAULT_MUTATION_CONFIGS
    equivalent: tuple[Equivalent, ...] = ()


@dataclass(frozen=True)
class Testplan:
    __test__ = False

    block: str
    config: str
    gates: dict[str, float]
    testpoints: tuple[Testpoint, ...]
    exclusions: tuple[Exclusion, ...] = ()
    path: Path | None = field(default=None, compare=False)
    mutation: MutationPlan = field(default_factory=MutationPlan)

    @property
    def tests(self) -> list[str]:
        """Every test named by a testpoint, in plan order, once."""
        return list(dict.fromkeys(t for tp in self.testpoints for t in tp.tests))

    @property
    def coverpoints(self) -> list[str]:
        return list(dict.fromkeys(c for tp in self.testpoints for c in tp.coverpoints))


def _req(d: dict, key: str, where: str):
    if key not in d:
        raise TestplanError(f"{where}: missing required key {key!r}")
    return d[key]


def _check_keys(d, allowed: set[str], where: str) -> None:
    if not isinstance(d, dict):
        raise TestplanError(f"{where}: expected a mapping, got {type(d).__name__}")
    extra = set(d) - allowed
    if extra:
        raise TestplanError(f"{where}: unknown key(s) {sorted(extra)}; allowed: "
                            f"{sorted(allowed)}")


def _str_list(v, where: str, min_len: int = 0) -> tuple[str, ...]:
    if v is None:
        v = []
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise TestplanError(f"{where}: expected a list of names, got {v!r}")
    if len(v) < min_len:
        raise TestplanError(f"{where}: needs at least {min_len} entry")
    if len(set(v)) != len(v):
        raise TestplanError(f"{where}: lists a name twice: {v}")
    return tuple(v)


def parse_testplan(data: dict, where: str = "testplan") -> Testplan:
    """Validate a testplan mapping (what ``yaml.safe_load`` returns) and build the object."""
    _check_keys(data, {"block", "config", "gates", "exclusions", "testpoints", "mutation"},
                where)
    block = _req(data, "block", where)
    if not isinstance(block, str) or not _NAME.match(block):
        raise TestplanError(f"{where}: block must be a lower_snake block id, got {block!r}")
    config = data.get("config", DEFAULT_CONFIG)
    if not isinstance(config, str) or not config:
        raise TestplanError(f"{where}: config must be a config name, got {config!r}")

    gates_in = data.get("gates") or {}
    _check_keys(gates_in, set(GATE_METRICS), f"{where}: gates")
    gates: dict[str, float] = {}
    for k, v in gates_in.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 100:
            raise TestplanError(f"{where}: gates.{k} must be a percentage in [0, 100], got {v!r}")
        gates[k] = float(v)

    excl: list[Exclusion] = []
    for i, e in enumerate(data.get("exclusions") or []):
        w = f"{where}: exclusions[{i}]"
        _check_keys(e, {"type", "point", "code", "reason"}, w)
        typ = _req(e, "type", w)
        if typ not in CODE_TYPES:
            raise TestplanError(f"{w}: type must be one of {list(CODE_TYPES)}, got {typ!r}")
        reason = e.get("reason")
        if not isinstance(reason, str) or len(reason.split()) < 3:
            raise TestplanError(f"{w}: every exclusion needs a reason (a sentence), got "
                                f"{reason!r}")
        if not e.get("point") and not e.get("code"):
            raise TestplanError(f"{w}: give `point` and/or `code` (a regex) to say which "
                                "points it excludes")
        for k in ("point", "code"):
            if e.get(k) is not None:
                try:
                    re.compile(e[k])
                except (re.error, TypeError) as err:
                    raise TestplanError(f"{w}: {k} is not a valid regex: {err}") from None
        excl.append(Exclusion(typ, reason.strip(), e.get("point"), e.get("code")))

    tps: list[Testpoint] = []
    raw_tps = _req(data, "testpoints", where)
    if not isinstance(raw_tps, list) or not raw_tps:
        raise TestplanError(f"{where}: testpoints must be a non-empty list")
    for i, t in enumerate(raw_tps):
        w = f"{where}: testpoints[{i}]"
        _check_keys(t, {"name", "stage", "desc", "tests", "coverpoints"}, w)
        name = _req(t, "name", w)
        if not isinstance(name, str) or not _NAME.match(name):
            raise TestplanError(f"{w}: name must be lower_snake, got {name!r}")
        w = f"{where}: testpoint {name}"
        stage = _req(t, "stage", w)
        if stage not in STAGES:
            raise TestplanError(f"{w}: stage must be one of {list(STAGES)}, got {stage!r}")
        desc = _req(t, "desc", w)
        if not isinstance(desc, str) or not desc.strip():
            raise TestplanError(f"{w}: desc must say what is checked")
        tps.append(Testpoint(name, stage, " ".join(desc.split()),
                             _str_list(_req(t, "tests", w), f"{w}: tests", 1),
                             _str_list(t.get("coverpoints"), f"{w}: coverpoints")))
    names = [t.name for t in tps]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise TestplanError(f"{where}: testpoint name(s) used twice: {dup}")
    return Testplan(block, config, gates, tuple(tps), tuple(excl),
                    mutation=_parse_mutation(data.get("mutation"), f"{where}: mutation"))


def _parse_mutation(m, where: str) -> MutationPlan:
    if m is None:
        return MutationPlan()
    _check_keys(m, {"gate", "configs", "equivalent"}, where)
    gate = m.get("gate", DEFAULT_MUTATION_GATE)
    if isinstance(gate, bool) or not isinstance(gate, (int, float)) or not 0 <= gate <= 100:
        raise TestplanError(f"{where}: gate must be a percentage in [0, 100], got {gate!r}")
    configs = _str_list(m.get("configs", list(DEFAULT_MUTATION_CONFIGS)), f"{where}: configs",
                        1)
    eq: list[Equivalent] = []
    for i, e in enumerate(m.get("equivalent") or []):
        w = f"{where}: equivalent[{i}]"
        _check_keys(e, {"config", "mutation", "reason"}, w)
        cfg, mut, reason = (_req(e, k, w) for k in ("config", "mutation", "reason"))
        if cfg not in configs:
            raise TestplanError(f"{w}: config {cfg!r} is not a campaign config {list(configs)}")
        if not isinstance(mut, str) or not mut.startswith("mutate -mode ") or "-src" in mut:
            raise TestplanError(f"{w}: mutation must be the report's mutate command without "
                                f"-src tags, got {mut!r}")
        if not isinstance(reason, str) or len(reason.split()) < 3:
            raise TestplanError(f"{w}: every equivalent mutant needs a reason (a sentence), "
                                f"got {reason!r}")
        eq.append(Equivalent(cfg, " ".join(mut.split()), " ".join(reason.split())))
    return MutationPlan(float(gate), configs, tuple(eq))


def plan_path(block: str) -> Path:
    return TB / block / PLAN_FILE


def load_testplan(block: str, path: Path | None = None) -> Testplan:
    """Load and validate ``tb/<block>/testplan.yaml``."""
    import yaml

    path = path or plan_path(block)
    if not path.is_file():
        raise TestplanError(f"{block}: no testplan at {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise TestplanError(f"{path}: not valid YAML: {e}") from None
    plan = parse_testplan(data, str(path.relative_to(ROOT) if path.is_relative_to(ROOT)
                                    else path))
    if plan.block != block:
        raise TestplanError(f"{path}: block is {plan.block!r} but the file is under tb/{block}/")
    return Testplan(plan.block, plan.config, plan.gates, plan.testpoints, plan.exclusions, path,
                    plan.mutation)


def planned_blocks() -> list[str]:
    """Blocks that have a testplan (what ``make coverage`` runs without ``BLOCK=``)."""
    return sorted(p.parent.name for p in TB.glob(f"*/{PLAN_FILE}"))


def discover_tests(block: str, source: str | None = None) -> list[str]:
    """Test names of the block's cocotb test module (``tb/<block>/<block>_tests.py``, or what
    the registry names) in definition order: every cocotb test it holds, whether written with
    ``@pyuvm.test()``, ``@cocotb.test()`` or made by tb/common/tests.py. A parametrized cocotb
    test is one name (its variants are ``name/knob=value``). The module is imported (cocotb
    and pyuvm import without a simulator); ``source`` runs that text instead."""
    import importlib
    import importlib.util
    import sys
    import tempfile

    from cocotb.regression import Test, TestGenerator

    from models.blocks import REGISTRY

    if source is None:
        if block not in REGISTRY:
            return []
        ns = vars(importlib.import_module(REGISTRY[block].tests))
    else:  # a real file and module, so that pyuvm.test() finds its caller's module
        name = f"_zs_discover_{block}"
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"{name}.py"
            path.write_text(source)
            spec = importlib.util.spec_from_file_location(name, path)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            try:
                spec.loader.exec_module(mod)
            finally:
                del sys.modules[name]
        ns = vars(mod)
    return [o.name for o in ns.values() if isinstance(o, (Test, TestGenerator))]


def defined_coverpoints(block: str) -> list[str]:
    """Coverpoint and cross names the block's ``tb/<block>/coverage.py`` defines (it is
    imported: cocotb-coverage registers them in ``coverage_db`` at import)."""
    import importlib

    from cocotb_coverage.coverage import CoverCheck, CoverCross, CoverPoint, coverage_db

    if not (TB / block / "coverage.py").is_file():
        return []
    importlib.import_module(f"tb.{block}.coverage")
    return sorted(k for k, v in coverage_db.items()
                  if (k == block or k.startswith(block + "."))
                  and isinstance(v, (CoverPoint, CoverCross, CoverCheck)))
