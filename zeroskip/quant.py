"""Float -> integer: symmetric quantisation calibrated from the data, and the requantisation
(scale, shift) of a real multiplier, with its error bound.

Symmetric INT-b quantisation of a tensor ``x`` with scale ``s`` (per tensor, or per output
channel = per row of a weight matrix)::

    q = clip(round_half_up(x / s), -(2**(b-1) - 1), 2**(b-1) - 1)        x ~ q * s

calibrated so that the largest magnitude maps to ``2**(b-1) - 1`` (max calibration: nothing of
the calibration data clips; the symmetric range leaves ``-2**(b-1)`` unused, so that negation
is exact). An all-zero tensor (or channel) gets scale 1.0.

Requantisation: an integer accumulator ``acc`` whose real value is ``acc * s_x * s_w`` becomes
an output ``y`` of scale ``s_y`` by the real multiplier ``M = s_x * s_w / s_y``, which the block
applies as ``round_shift(acc * scale, shift)`` (models.gemm.requantise). :func:`requant_params`
picks the largest ``shift`` whose ``scale = round(M * 2**shift)`` still fits ``scale_width``
bits, so ``|scale / 2**shift - M| <= 2**-(shift+1)``, and before saturation::

    |y - acc * M| <= 1/2 + |acc| * 2**-(shift + 1)                       (output LSBs)

(the 1/2 is the final round half up; the second term the multiplier's own rounding).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from models.fixed import round_shift
from models.validate import ClipWarning, fail, float_array

#: the layer API's integer format: symmetric INT8, the gemm/nm_gemm blocks' data_width
INT8 = 8


def qmax(bits: int) -> int:
    return (1 << (bits - 1)) - 1


def calibrate(x, bits: int = 8, axis: int | None = None) -> np.ndarray:
    """Symmetric scale(s): ``max|x| / qmax`` over the tensor (``axis=None``, a 0-d array) or
    per slice along ``axis`` (e.g. axis 0 of a (C_out, ...) weight: per output channel)."""
    a = np.abs(float_array(x, "calibrate: x"))
    if axis is None:
        m = np.asarray(a.max() if a.size else 0.0)
    else:
        m = a.reshape(a.shape[axis], -1).max(axis=1) if axis == 0 else a.max(
            axis=tuple(i for i in range(a.ndim) if i != axis))
    return np.where(m > 0, m / qmax(bits), 1.0)


def _round_half_up(v: np.ndarray) -> np.ndarray:
    return np.floor(v + 0.5)


def quantise_symmetric(x, scale, bits: int = 8, axis: int | None = None,
                       what: str = "x") -> tuple[np.ndarray, int]:
    """``(q, n_clipped)``: ``x / scale`` rounded half up and clipped to the symmetric range;
    ``scale`` is a scalar or (with ``axis``) one per slice along ``axis``."""
    a = float_array(x, f"quantise {what}")
    s = np.asarray(scale, dtype=np.float64)
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        fail(f"quantise {what}", "scales must be finite and > 0", s.min(initial=0.0),
             "calibrate them from the data (zeroskip.quant.calibrate)")
    if axis is not None and s.ndim:
        shape = [1] * a.ndim
        shape[axis] = -1
        s = s.reshape(shape)
    v = _round_half_up(a / s)
    hi = qmax(bits)
    n_clipped = int(np.count_nonzero(np.abs(v) > hi))
    return np.clip(v, -hi, hi).astype(np.int64), n_clipped


@dataclasses.dataclass(frozen=True)
class Requant:
    """One requantiser setting for the real multiplier ``multiplier``."""

    multiplier: float
    scale: int
    shift: int

    @property
    def effective(self) -> float:
        return self.scale / float(1 << self.shift)

    @property
    def rel_error(self) -> float:
        """|effective - M| / M: the multiplier's own rounding error (<= 2**-(shift+1) / M)."""
        return abs(self.effective - self.multiplier) / self.multiplier

    def bound(self, acc_max: float) -> float:
        """Largest |y - acc * M| in output LSBs for |acc| <= acc_max, before saturation."""
        return 0.5 + acc_max * abs(self.effective - self.multiplier)


def requant_params(multiplier: float, scale_width: int, max_shift: int) -> Requant:
    """The (scale, shift) closest to ``multiplier`` the block's requantiser can hold: the
    largest shift <= ``max_shift`` with ``round(M * 2**shift) < 2**scale_width``."""
    m = float(multiplier)
    if not np.isfinite(m) or m <= 0:
        fail("requantisation", "the real multiplier s_x * s_w / s_y must be finite and > 0", m,
             "check the scales (an all-zero layer has nothing to requantise)")
    top = (1 << scale_width) - 1
    shift = max_shift
    while shift > 0 and _round_half_up(m * 2.0 ** shift) > top:
        shift -= 1
    scale = int(_round_half_up(m * 2.0 ** shift))
    if scale > top:
        fail("requantisation", f"multiplier {m:.4g} needs a scale above 2**{scale_width} - 1 "
             "even with shift 0", scale, "use a wider scale_width, or let the output scale "
             "grow (out_scale=None calibrates it)")
    if scale == 0:
        fail("requantisation", f"multiplier {m:.3g} rounds to scale 0 even at the largest "
             f"shift {max_shift}", m, "use a smaller output scale or a requant=False config")
    return Requant(m, scale, shift)


def requantise_rows(acc: np.ndarray, rq: list[Requant], out_bits: int) -> np.ndarray:
    """Per-row requantisation (per output channel) on the host: row r of ``acc`` with
    ``rq[r]``, the block's rule (models.gemm.requantise) applied row by row."""
    from models.gemm import requantise

    out = np.empty(acc.shape, dtype=np.int64)
    for r, q in enumerate(rq):
        out[r] = requantise(acc[r], q.scale, q.shift, out_bits)
    return out


def warn_clipped(what: str, n: int, total: int, remedy: str) -> str | None:
    """Warn (``ClipWarning``) when ``n`` > 0 values of ``what`` clipped; returns the message."""
    if n <= 0:
        return None
    msg = f"{what}: {n} of {total} values clipped ({100.0 * n / total:.2f} %); {remedy}"
    warnings.warn(msg, ClipWarning, stacklevel=3)
    return msg


__all__ = ["INT8", "ClipWarning", "Requant", "calibrate", "qmax", "quantise_symmetric",
           "requant_params", "requantise_rows", "round_shift", "warn_clipped"]
