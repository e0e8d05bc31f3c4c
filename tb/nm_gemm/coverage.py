"""Functional coverage of ``nm_gemm`` input tiles (cocotb-coverage), sampled by the bench.

The names are the same for every configuration, the bins are not (the C(m, n) index patterns
of a group, the 0..n fill levels), so the points are registered at import, as every block's
are, with the bins of the params the simulator runs (``$ZS_PARAMS``, the ones the bench loads;
outside the simulator, where only the names matter, the ``typical`` config's). Points that see
many groups in one tile (patterns, fill levels, value classes) hit every bin the tile contains
(``inj=False`` with a membership relation).

Points (``nm_gemm.<name>``):

* ``ratio`` -- the config's n:m (one bin; merged across configs it lists the ratios run)
* ``pattern`` -- the sorted slot indices of a well-formed group: all C(m, n) patterns
* ``fill`` -- non-zero slots in a group, 0 (all-zero group) .. n
* ``a_values`` / ``b_values`` -- zero, negative, positive, the minimum, the maximum
* ``k`` -- tile edges: one group (K = m), short, long (K >= the sequences' LONG_K)
* ``malformed`` -- the tile repeats an index in some group (only ``False`` when n == 1)
* ``relu``, ``shift`` (with requant), ``idle``, ``backpressure`` -- the test's knobs
* crosses of ``pattern``, ``k`` and ``malformed`` with ``backpressure``
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_section

from models.configs import get_config
from models.fixed import smax, smin
from models.nm_gemm import NmGemmParams, NmGemmTile, malformed_groups
from models.params import params_from_json
from tb.common.params import PARAMS_ENV
from tb.nm_gemm.sequences import long_k

PREFIX = "nm_gemm"
VALUE_BINS = ["zero", "negative", "positive", "min", "max"]
K_BINS = ["one_group", "short", "long"]
STALL_BINS = ["none", "some"]
SHIFT_BINS = ["none", "some"]


def pattern_label(indices) -> str:
    return "+".join(str(int(i)) for i in indices)


def pattern_bins(p: NmGemmParams) -> list[str]:
    return [pattern_label(c) for c in itertools.combinations(range(p.m), p.n)]


def value_classes(x: np.ndarray, bits: int) -> set[str]:
    x = np.asarray(x)
    out = set()
    for name, hit in (("zero", x == 0), ("negative", x < 0), ("positive", x > 0),
                      ("min", x == smin(bits)), ("max", x == smax(bits))):
        if hit.any():
            out.add(name)
    return out


def k_class(p: NmGemmParams, k: int) -> str:
    return "one_group" if k == p.m else "long" if k >= long_k(p) else "short"


def features(p: NmGemmParams, t: NmGemmTile, knobs) -> dict[str, Any]:
    """Everything the coverpoints look at, computed once per tile."""
    idx = np.sort(t.a.indices.reshape(-1, p.n), axis=-1)
    distinct = (np.diff(idx, axis=-1) != 0).all(axis=-1)
    # label each distinct sorted pattern once (a long tile repeats few of them many times)
    uniq = np.unique(idx[distinct], axis=0) if distinct.any() else idx[:0]
    patterns = {pattern_label(g) for g in uniq.tolist()}
    fills = set((t.a.values != 0).sum(axis=-1).ravel().tolist())
    return dict(ratio=f"{p.n}:{p.m}", pattern=patterns, fill=fills,
                a_values=value_classes(t.a.values, p.data_width),
                b_values=value_classes(t.b, p.data_width), k=k_class(p, t.k),
                malformed=bool(malformed_groups(t)), relu=bool(t.relu),
                shift="some" if t.shift else "none",
                idle=knobs.stall_class("s_axis", True),
                backpressure=knobs.stall_class("m_axis", False))


def _member(value, b) -> bool:
    return b in value


def _build(p: NmGemmParams):
    def point(name, bins, multi=False):
        return CoverPoint(f"{PREFIX}.{name}", xf=lambda f: f[name], bins=bins,
                          rel=_member if multi else None, inj=not multi)

    malformed_bins = [False, True] if p.n >= 2 else [False]
    items = [
        point("ratio", [f"{p.n}:{p.m}"]),
        point("pattern", pattern_bins(p), multi=True),
        point("fill", list(range(p.n + 1)), multi=True),
        point("a_values", VALUE_BINS, multi=True),
        point("b_values", VALUE_BINS, multi=True),
        point("k", K_BINS),
        point("malformed", malformed_bins),
        point("relu", [False, True]),
        point("idle", STALL_BINS),
        point("backpressure", STALL_BINS),
    ]
    if p.requant:
        items.append(point("shift", SHIFT_BINS))
    items += [CoverCross(f"{PREFIX}.{x}_x_backpressure", items=[f"{PREFIX}.{x}",
                                                                f"{PREFIX}.backpressure"])
              for x in ("pattern", "k", "malformed")]

    @coverage_section(*items)
    def sample_features(f):
        pass

    return sample_features


def _params() -> NmGemmParams:
    js = os.environ.get(PARAMS_ENV)
    p = params_from_json(js) if js else None
    return p if isinstance(p, NmGemmParams) else get_config(PREFIX, "typical")


_PARAMS = _params()
_sample_features = _build(_PARAMS)


def sample(p: NmGemmParams, tile: NmGemmTile, knobs) -> None:
    """Called by the bench for every tile the input monitor saw."""
    if p != _PARAMS:
        raise RuntimeError(f"{PREFIX} coverage bins were built for {_PARAMS.tag} (from "
                           f"${PARAMS_ENV}), but the bench samples {p.tag}")
    _sample_features(features(p, tile, knobs))


def pattern_coverage() -> tuple[int, int]:
    """(patterns hit, patterns in the config) so far in this process."""
    from cocotb_coverage.coverage import coverage_db

    cp = coverage_db[f"{PREFIX}.pattern"]
    return sum(1 for n in cp.detailed_coverage.values() if n > 0), cp.size
