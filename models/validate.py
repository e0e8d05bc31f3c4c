"""One validator for the arrays that enter a model function (issue 11, "bad input").

Every check raises :class:`models.params.ParamError` (a ``ValueError``) with one sentence:
what the argument is, the rule it broke, what it was, and how to fix it. Model entry points
(``conv2d_int``, ``gemm_ref``, ``prune_nm``, ``compress``, ``delta_lstm_seq``,
``quantise_lstm``, the cycle models ...) call these instead of ``np.asarray(x, dtype=int64)``,
which truncates a float array without a word (conv2d on float inputs in [0, 1) returned all
zeros; ``prune_nm`` on float weights kept 34 of 270).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.params import ParamError

#: the fix named when a float array arrives where integers are required
QUANTISE_FIX = ("quantise float data first (zeroskip.quant.quantise_symmetric, or "
                "models.fixed.quantise for a fixed-point format)")


class ClipWarning(UserWarning):
    """Values were clipped at a format's limits (the message names the count and a format that
    would not clip)."""


def fail(what: str, rule: str, got: object = None, fix: str = "") -> None:
    got_s = "" if got is None else f" (got {got})"
    fix_s = f"; {fix}" if fix else ""
    raise ParamError(f"{what}: {rule}{got_s}{fix_s}")


def _describe(a: np.ndarray) -> str:
    return f"a {a.dtype} array of shape {a.shape}"


def check_shape(a: np.ndarray, what: str, shape: Sequence[int | None] | None = None,
                ndim: int | None = None, names: str = "") -> None:
    """``a`` has ``ndim`` dimensions and, where ``shape`` gives a number, that size; ``names``
    spells the layout in the message (e.g. ``"(C_in, H, W)"``)."""
    want_nd = len(shape) if shape is not None else ndim
    layout = f" {names}" if names else ""
    if want_nd is not None and a.ndim != want_nd:
        fail(what, f"must be {want_nd}-D{layout}", f"shape {a.shape}",
             "reshape it to the documented layout")
    if shape is not None:
        for i, (n, want) in enumerate(zip(a.shape, shape)):
            if want is not None and n != want:
                spelled = "(" + ", ".join("*" if s is None else str(s) for s in shape) + (
                    ",)" if len(shape) == 1 else ")")
                fail(what, f"must have shape {spelled}{layout}: dimension {i} is {n}, not "
                     f"{want}", f"shape {a.shape}", "pass an array of the matching size")


def int_array(x, what: str, *, bits: int | None = None, signed: bool = True,
              shape: Sequence[int | None] | None = None, ndim: int | None = None,
              names: str = "") -> np.ndarray:
    """``x`` as an int64 array after checking: integer dtype (never a silent float cast),
    shape, and (with ``bits``) the signed or unsigned range of the format."""
    a = np.asarray(x)
    check_shape(a, what, shape, ndim, names)  # shape first: it names the layout
    if a.dtype.kind not in "iub":
        if a.dtype.kind == "f" and a.size and not np.all(np.isfinite(a)):
            fail(what, "values must be finite integers", f"{_describe(a)} with NaN or inf",
                 QUANTISE_FIX)
        fail(what, "values must be integers", _describe(a), QUANTISE_FIX)
    a = a.astype(np.int64)
    if bits is not None and a.size:
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        bad = (a < lo) | (a > hi)
        if bad.any():
            v = int(a.flat[int(np.argmax(bad))])
            kind = "signed" if signed else "unsigned"
            fail(what, f"value {v} does not fit a {bits}-bit {kind} field [{lo}, {hi}]",
                 f"{int(bad.sum())} of {a.size} values outside",
                 "requantise it into the format (or pick a wider format)")
    return a


def float_array(x, what: str, *, shape: Sequence[int | None] | None = None,
                ndim: int | None = None, names: str = "") -> np.ndarray:
    """``x`` as a finite float64 array (real-valued weights or data before quantisation)."""
    a = np.asarray(x)
    if a.dtype.kind not in "iubf":
        fail(what, "values must be real numbers", _describe(a), "pass a numeric array")
    check_shape(a, what, shape, ndim, names)
    a = a.astype(np.float64)
    if a.size and not np.all(np.isfinite(a)):
        n = int(np.count_nonzero(~np.isfinite(a)))
        fail(what, "values must be finite", f"{n} NaN or inf of {a.size}",
             "clean the data (np.nan_to_num) or fix what produced it")
    return a


def int_scalar(x, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """An integer (Python or numpy, not bool or float) in ``[lo, hi]``."""
    if isinstance(x, bool) or not isinstance(x, int | np.integer):
        fail(what, "must be an integer", repr(x), "pass a whole number")
    v = int(x)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = (f">= {lo}" if hi is None else f"<= {hi}" if lo is None
               else f"in [{lo}, {hi}]")
        fail(what, f"must be {rng}", v)
    return v


def int_list(xs, what: str, lo: int | None = None, hi: int | None = None) -> list[int]:
    """A sequence of integers, each in ``[lo, hi]`` (cycle-model inputs: K per tile, fired
    columns per step)."""
    if isinstance(xs, np.ndarray):
        xs = int_array(xs, what, ndim=1).tolist()
    return [int_scalar(x, f"{what}[{i}]", lo, hi) for i, x in enumerate(xs)]


def choice(x, what: str, known: Sequence[str]) -> str:
    """``x`` is one of ``known`` (a layout, a mode, a backend)."""
    if x not in known:
        fail(what, f"unknown value {x!r}", None, f"choose one of {', '.join(map(str, known))}")
    return x


__all__ = ["QUANTISE_FIX", "ClipWarning", "check_shape", "choice", "fail", "float_array",
           "int_array", "int_list", "int_scalar"]
