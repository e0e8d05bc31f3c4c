"""What a layer call returns: float outputs, the integer outputs, the scales, and a report."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


def error_stats(got: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """max |err|, RMS err, and RMS err relative to the reference's RMS."""
    e = np.asarray(got, np.float64) - np.asarray(ref, np.float64)
    rms_ref = float(np.sqrt(np.mean(np.square(ref)))) if np.size(ref) else 0.0
    rms = float(np.sqrt(np.mean(np.square(e)))) if e.size else 0.0
    return {"max_abs": float(np.abs(e).max(initial=0.0)), "rms": rms,
            "rel_rms": rms / rms_ref if rms_ref else 0.0}


@dataclasses.dataclass
class LayerReport:
    layer: str
    block: str
    config: str                       # the params' tag
    backend: str
    shapes: dict[str, Any]
    scales: dict[str, Any]            # what the quantiser chose (summaries of per-channel ones)
    requant: dict[str, Any]           # scale, shift, multiplier, error and its bound
    error: dict[str, dict[str, float]]  # vs float references
    clipped: dict[str, int]
    cycles_model: int
    cycles_measured: int | None = None
    utilisation: float = 0.0
    transactions: int = 0
    rtl_equals_model: bool | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)

    def text(self) -> str:
        s = [f"{self.layer} on {self.block} [{self.config}], backend {self.backend}"]
        s.append("  shapes: " + ", ".join(f"{k} {v}" for k, v in self.shapes.items()))
        s.append("  scales: " + ", ".join(f"{k} {_fmt(v)}" for k, v in self.scales.items()))
        if self.requant:
            s.append("  requant: " + ", ".join(f"{k} {_fmt(v)}" for k, v in
                                                 self.requant.items()))
        for ref, st in self.error.items():
            s.append(f"  error vs {ref}: max |err| {st['max_abs']:.4g}, RMS {st['rms']:.4g} "
                     f"({100 * st['rel_rms']:.2f} % of the reference's RMS)")
        s.append("  clipped: " + ", ".join(f"{k} {v}" for k, v in self.clipped.items()))
        cyc = f"  cycles: {self.cycles_model} (cycle model, no stalls)"
        if self.cycles_measured is not None:
            cyc += f", {self.cycles_measured} measured on the RTL"
        s.append(cyc + f"; {self.transactions} transactions; utilisation "
                 f"{self.utilisation:.3f}")
        for k, v in self.extra.items():
            s.append(f"  {k}: {_fmt(v)}")
        if self.rtl_equals_model is not None:
            s.append(f"  RTL outputs == model outputs: {self.rtl_equals_model}")
        for w in self.warnings:
            s.append(f"  WARNING {w}")
        return "\n".join(s)

    __str__ = text


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, np.ndarray):
        if v.size == 1:
            return f"{float(v):.6g}"
        return f"per channel [{v.min():.4g} .. {v.max():.4g}] ({v.size})"
    return str(v)


@dataclasses.dataclass
class LayerResult:
    """``y``: float outputs (the framework's layout); ``y_int``: the integer outputs the block
    (or, with ``backend`` != "model", the RTL) produced, in the same layout, at scale
    ``out_scale``; ``report``: see :class:`LayerReport`."""

    y: np.ndarray
    y_int: np.ndarray
    out_scale: Any
    report: LayerReport
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
