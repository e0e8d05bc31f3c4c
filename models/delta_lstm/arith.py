"""Fixed-point and LUT arithmetic of the DeltaLSTM: float <-> fixed conversion and the
Q8.8 -> Q2.G nonlinearities (lookup tables or hard sigmoid/tanh)."""

from __future__ import annotations

import functools

import numpy as np

from models.delta_lstm.params import DeltaLstmParams
from models.fixed import quantise, round_shift, saturate


# -- float <-> fixed ----------------------------------------------------------------------------
def to_float(q, frac: int) -> np.ndarray:
    return np.asarray(q, dtype=np.float64) / float(1 << frac)


def quantise_act(p: DeltaLstmParams, x) -> np.ndarray:
    return quantise(x, p.act_frac, p.act_width)


def quantise_weights(p: DeltaLstmParams, w) -> np.ndarray:
    return quantise(w, p.w_frac, p.w_width)


# -- nonlinearities -----------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


_LUT_FUNCS = {"sigmoid": _sigmoid, "tanh": np.tanh}


@functools.lru_cache(maxsize=64)
def build_lut(p: DeltaLstmParams, func: str) -> np.ndarray:
    """Read-only table of ``2**lut_addr_bits`` Q2.G entries for ``func`` ("sigmoid" or "tanh").

    Entry ``a`` covers ``[lo, lo + step)`` with ``lo = (a - 2**(addr-1)) * step`` and holds
    ``f(lo + step/2)`` rounded half up (the midpoint halves the worst-case slope error).
    """
    n = 1 << p.lut_addr_bits
    step = 2.0 ** (p.lut_range_log2 + 1 - p.lut_addr_bits)
    mid = (np.arange(n, dtype=np.float64) - n // 2) * step + step / 2
    lut = quantise(_LUT_FUNCS[func](mid), p.gate_frac, p.gate_width)
    lut.flags.writeable = False
    return lut


def lut_address(p: DeltaLstmParams, x) -> np.ndarray:
    """Saturate to ``lut_in_width`` bits, keep the top ``lut_addr_bits`` bits, invert the MSB."""
    xs = saturate(np.asarray(x, dtype=np.int64), p.lut_in_width)
    return (xs >> p.lut_shift) + (1 << (p.lut_addr_bits - 1))


def sigmoid_q(p: DeltaLstmParams, x) -> np.ndarray:
    """Q8.8 -> Q2.G sigmoid (LUT, or hardsigmoid when ``p.hard``)."""
    x = np.asarray(x, dtype=np.int64)
    g = p.gate_frac
    if p.hard:
        return np.clip(round_shift(x, p.act_frac + 2 - g) + (1 << (g - 1)), 0, 1 << g)
    return build_lut(p, "sigmoid")[lut_address(p, x)]


def tanh_q(p: DeltaLstmParams, x) -> np.ndarray:
    """Q8.8 -> Q2.G tanh (LUT, or hardtanh when ``p.hard``)."""
    x = np.asarray(x, dtype=np.int64)
    g = p.gate_frac
    if p.hard:
        return np.clip(round_shift(x, p.act_frac - g), -(1 << g), 1 << g)
    return build_lut(p, "tanh")[lut_address(p, x)]
