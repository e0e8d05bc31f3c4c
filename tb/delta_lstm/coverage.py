"""Functional coverage of ``delta_lstm`` steps (cocotb-coverage), sampled by the bench.

The bench calls :func:`sample` for every x step its monitor saw, before the scoreboard model
commits the step; env.py hands it the model's preview of that step
(:class:`scoreboards.delta_lstm.StepResult`: fired columns, pre-activations, next state), so
every figure comes from what the golden model computed for the stimulus the DUT really got.
The bins do not depend on the configuration. Points that see many elements per step (fired
indices, LUT regions) hit every bin the step contains (``inj=False`` with a membership
relation).

Points (``delta_lstm.<name>``):

* ``fire_rate`` -- fired columns / (I + H) of the step: ``zero``, ``low`` (<= 1/3), ``mid``
  (<= 2/3), ``high`` (< 1), ``all``
* ``x_index`` / ``h_index`` -- fired indices of the x part / h part: ``first`` (0), ``low``
  (below half), ``high`` (half and above), ``last`` (I-1 / H-1)
* ``lut_sigmoid`` / ``lut_tanh_g`` / ``lut_tanh_c`` -- region of the nonlinearity inputs:
  the i, f, o pre-activations, the g pre-activation and the new cell value c: ``sat_low``
  (below the LUT's input range, or hard sigmoid/tanh clamped low), ``linear`` (inside),
  ``sat_high``
* ``pre_saturated`` / ``c_saturated`` -- a pre-activation (M) or c was clipped to Q8.8 in the
  step
* ``theta`` -- the thresholds of the run: ``zero``, ``typical``, ``large`` (>= 2**(act_width-1))
* ``idle``, ``backpressure`` -- the test's knobs
* ``fire_rate_x_backpressure`` -- every firing level with and without a stalling sink
"""

from __future__ import annotations

from typing import Any

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_section

from models.delta_lstm import DeltaLstmParams
from scoreboards.delta_lstm import StepResult

PREFIX = "delta_lstm"
RATE_BINS = ["zero", "low", "mid", "high", "all"]
INDEX_BINS = ["first", "low", "high", "last"]
REGION_BINS = ["sat_low", "linear", "sat_high"]
THETA_BINS = ["zero", "typical", "large"]
STALL_BINS = ["none", "some"]


def rate_class(n: int, cols: int) -> str:
    f = n / cols
    if n == 0:
        return "zero"
    if n == cols:
        return "all"
    return "low" if f <= 1 / 3 else "mid" if f <= 2 / 3 else "high"


def index_classes(idx, size: int) -> set[str]:
    out = set()
    for i in np.asarray(idx).tolist():
        out.add("low" if 2 * i < size else "high")
        if i == 0:
            out.add("first")
        if i == size - 1:
            out.add("last")
    return out


def region_bounds(p: DeltaLstmParams, fn: str) -> tuple[int, int]:
    """(lo, hi) in act LSBs: inputs below lo / above hi are in a saturated region."""
    one = 1 << p.act_frac
    if p.hard:  # hardsigmoid clamps outside +-2, hardtanh outside +-1
        k = 2 * one if fn == "sigmoid" else one
        return -k, k
    r = 1 << (p.lut_range_log2 + p.act_frac)  # LUT input range [-r, r - 1]
    return -r, r - 1


def region_classes(p: DeltaLstmParams, x, fn: str) -> set[str]:
    lo, hi = region_bounds(p, fn)
    x = np.asarray(x)
    out = set()
    if (x < lo).any():
        out.add("sat_low")
    if ((x >= lo) & (x <= hi)).any():
        out.add("linear")
    if (x > hi).any():
        out.add("sat_high")
    return out


def theta_classes(p: DeltaLstmParams) -> set[str]:
    large = 1 << (p.act_width - 1)
    return {"zero" if t == 0 else "large" if t >= large else "typical"
            for t in (p.theta_x, p.theta_h)}


def features(p: DeltaLstmParams, r: StepResult, knobs) -> dict[str, Any]:
    """Everything the coverpoints look at, computed once per step."""
    h = p.hidden_size
    gi, gf, gg, go = (r.pre[k * h:(k + 1) * h] for k in range(4))
    return dict(
        fire_rate=rate_class(r.stats.n_fired, p.cols),
        x_index=index_classes(r.stats.fired_x, p.input_size),
        h_index=index_classes(r.stats.fired_h, h),
        lut_sigmoid=region_classes(p, np.concatenate([gi, gf, go]), "sigmoid"),
        lut_tanh_g=region_classes(p, gg, "tanh"),
        lut_tanh_c=region_classes(p, r.state.c, "tanh"),
        pre_saturated=r.stats.pre_saturated > 0,
        c_saturated=r.stats.c_saturated > 0,
        theta=theta_classes(p),
        idle=knobs.stall_class("s_axis_x", True),
        backpressure=knobs.stall_class("m_axis_h", False))


def _member(value, b) -> bool:
    return b in value


def _point(name, bins, multi=False):
    return CoverPoint(f"{PREFIX}.{name}", xf=lambda f: f[name], bins=bins,
                      rel=_member if multi else None, inj=not multi)


_ITEMS = [
    _point("fire_rate", RATE_BINS),
    _point("x_index", INDEX_BINS, multi=True),
    _point("h_index", INDEX_BINS, multi=True),
    _point("lut_sigmoid", REGION_BINS, multi=True),
    _point("lut_tanh_g", REGION_BINS, multi=True),
    _point("lut_tanh_c", REGION_BINS, multi=True),
    _point("pre_saturated", [False, True]),
    _point("c_saturated", [False, True]),
    _point("theta", THETA_BINS, multi=True),
    _point("idle", STALL_BINS),
    _point("backpressure", STALL_BINS),
    CoverCross(f"{PREFIX}.fire_rate_x_backpressure",
               items=[f"{PREFIX}.fire_rate", f"{PREFIX}.backpressure"]),
]


@coverage_section(*_ITEMS)
def _sample_features(f):
    pass


def sample(p: DeltaLstmParams, step: StepResult, knobs) -> None:
    """Called (through env.py) for every x step the input monitor saw."""
    _sample_features(features(p, step, knobs))
