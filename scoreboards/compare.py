"""Comparators and mismatch formatting shared by every scoreboard."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Mismatch:
    """Where and how an actual output differs from the expected one."""

    index: tuple  # first differing element (numpy index) or () for a shape/field difference
    expected: object
    got: object
    detail: str  # one line: how many elements differ, max |error|, or the shape difference

    def describe(self) -> str:
        where = f"element {self.index}" if self.index != () else "shape"
        return (f"first mismatch at {where}: expected {self.expected}, got {self.got} "
                f"({self.detail})")


def compare_exact(expected, got) -> Mismatch | None:
    """Bit-exact comparison of integer arrays (or dicts of arrays/scalars, field by field)."""
    if isinstance(expected, dict):
        for k in expected:
            if k not in got:
                return Mismatch((), f"field {k!r}", "no such field", "output lacks a field")
            m = compare_exact(expected[k], got[k])
            if m is not None:
                m.detail = f"field {k!r}: {m.detail}"
                return m
        return None
    e = np.asarray(expected)
    g = np.asarray(got)
    if e.shape != g.shape:
        return Mismatch((), e.shape, g.shape, "output has the wrong number of elements")
    diff = e != g
    if not diff.any():
        return None
    first = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), e.shape))
    err = np.abs(e.astype(np.int64) - g.astype(np.int64))
    return Mismatch(first, int(e[first]), int(g[first]),
                    f"{int(diff.sum())} of {e.size} elements differ, max |error| {int(err.max())}")
