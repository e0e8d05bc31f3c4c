"""Parameter objects shared by RTL, model, scoreboard and testbench.

Every block has one frozen dataclass derived from :class:`BlockParams`. It validates itself
on construction and raises :class:`ParamError` (a ``ValueError``) whose message names the block,
the broken rule and the offending value, so a user never sees a traceback from deep inside the
converter or the simulator.

The ``tag`` (built from ``TAG_FIELDS``) names the generated Verilog module ``<block>_<tag>``,
its build directory and the pytest id. ``to_json``/``from_json`` carry the object into the
simulator process (environment variable ``ZS_PARAMS``).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from typing import Any, ClassVar


class ParamError(ValueError):
    """A parameter broke a documented rule. The message is one sentence naming the rule."""


@dataclasses.dataclass(frozen=True)
class BlockParams:
    #: block id, identical in rtl/, models/, scoreboards/, tb/ and tests/
    BLOCK: ClassVar[str] = ""
    #: (abbreviation, field) pairs that build the config tag, e.g. (("r", "rows"), ("c", "cols"))
    TAG_FIELDS: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: (abbreviation, field) pairs appended to the tag only when the field is not at its
    #: default (build-time options added later: existing configs keep their module names)
    TAG_SUFFIX_FIELDS: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: fields that are run-time values (driven on cfg ports), not part of the Verilog: the
    #: conversion sees them at their defaults, so changing one never re-converts or rebuilds
    RUNTIME_FIELDS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.type in ("int", int) and not (isinstance(v, int) and not isinstance(v, bool)):
                self.fail(f"{f.name} must be an integer", v)
            if f.type in ("bool", bool) and not isinstance(v, bool):
                self.fail(f"{f.name} must be true or false", v)
        self.validate()

    # -- validation helpers -------------------------------------------------------------
    def validate(self) -> None:
        """Override: call :meth:`fail` for the first broken rule."""

    def fail(self, rule: str, got: Any) -> None:
        raise ParamError(f"{self.BLOCK}: {rule} (got {got!r})")

    def require(self, ok: bool, rule: str, got: Any) -> None:
        if not ok:
            self.fail(rule, got)

    def require_range(self, name: str, lo: int, hi: int | None = None) -> None:
        v = getattr(self, name)
        if v < lo or (hi is not None and v > hi):
            rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
            self.fail(f"{name} must be {rng}", v)

    # -- identity -------------------------------------------------------------------------
    @property
    def tag(self) -> str:
        parts = []
        for abbrev, name in self.TAG_FIELDS:
            v = getattr(self, name)
            parts.append(f"{abbrev}{int(v)}")
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        for abbrev, name in self.TAG_SUFFIX_FIELDS:
            v = getattr(self, name)
            if v != defaults[name]:
                parts.append(f"{abbrev}{int(v)}")
        return "".join(parts)

    @property
    def module_name(self) -> str:
        return f"{self.BLOCK}_{self.tag}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps({"block": self.BLOCK, **self.to_dict()}, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BlockParams:
        d = dict(d)
        d.pop("block", None)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ParamError(f"{cls.BLOCK}: unknown parameter(s) {unknown}; known: {sorted(names)}")
        return cls(**d)

    @classmethod
    def from_json(cls, s: str) -> BlockParams:
        return cls.from_dict(json.loads(s))

    def build_params(self) -> BlockParams:
        """These params with every run-time field at its default: what the Verilog is built
        from (and what its header records)."""
        if not self.RUNTIME_FIELDS:
            return self
        defaults = {f.name: f.default for f in dataclasses.fields(self)
                    if f.name in self.RUNTIME_FIELDS}
        return self.replace(**defaults)

    def replace(self, **kw: Any) -> BlockParams:
        return self.from_dict({**self.to_dict(), **kw})


def params_class(block: str) -> type[BlockParams]:
    """The Params class of ``block`` (in its registered model module), without MyHDL."""
    from models.blocks import entry

    mod = importlib.import_module(entry(block).model)
    for v in vars(mod).values():
        if isinstance(v, type) and issubclass(v, BlockParams) and v.BLOCK == block:
            return v
    raise ParamError(f"block {block!r}: {entry(block).model} defines no Params class")


def params_from_json(s: str) -> BlockParams:
    """Rebuild any block's Params from :meth:`BlockParams.to_json` output."""
    d = json.loads(s)
    if "block" not in d:
        raise ParamError("params JSON has no 'block' field")
    return params_class(d["block"]).from_dict(d)
