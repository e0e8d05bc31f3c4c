"""Fixed-point and bit-packing helpers, written once and used by every model and codec.

All functions are bit-true: they work on Python ints or numpy ``int64`` arrays and never on
floats. The rounding rule of the project is **round half up** on an arithmetic right shift::

    round_shift(x, s) = (x + 2**(s-1)) >> s      (s > 0; s == 0 returns x)

which is what the RTL builds (one adder and a shift). Note that half-up is *not* symmetric:
-2.5 rounds to -2 and 2.5 rounds to 3 (``>>`` floors towards minus infinity).
"""

from __future__ import annotations

import numpy as np

from models.validate import float_array, int_array

INT64_SAFE_BITS = 62  # largest magnitude width we let an int64 intermediate reach


def smin(bits: int) -> int:
    """Smallest signed value of a ``bits``-wide two's-complement number."""
    return -(1 << (bits - 1))


def smax(bits: int) -> int:
    """Largest signed value of a ``bits``-wide two's-complement number."""
    return (1 << (bits - 1)) - 1


def wrap(x, bits: int):
    """Two's-complement wrap to ``bits`` (what a ``bits``-wide register does on overflow)."""
    mask = (1 << bits) - 1
    half = 1 << (bits - 1)
    if isinstance(x, np.ndarray):
        x = x.astype(np.int64)
        return ((x + half) & mask) - half
    return ((int(x) + half) & mask) - half


def saturate(x, bits: int):
    """Clamp to the signed range of ``bits`` bits."""
    if isinstance(x, np.ndarray):
        return np.clip(x.astype(np.int64), smin(bits), smax(bits))
    return max(smin(bits), min(smax(bits), int(x)))


def saturate_unsigned(x, bits: int):
    """Clamp to ``[0, 2**bits - 1]``."""
    if isinstance(x, np.ndarray):
        return np.clip(x.astype(np.int64), 0, (1 << bits) - 1)
    return max(0, min((1 << bits) - 1, int(x)))


def round_shift(x, s: int):
    """Arithmetic right shift by ``s`` with round half up (see module doc)."""
    if s < 0:
        raise ValueError(f"round_shift: shift must be >= 0 (got {s})")
    if isinstance(x, np.ndarray):
        x = x.astype(np.int64)
        return x if s == 0 else (x + (1 << (s - 1))) >> s
    x = int(x)
    return x if s == 0 else (x + (1 << (s - 1))) >> s


def fits_signed(x, bits: int) -> bool:
    """True when every value of ``x`` is representable in ``bits`` signed bits."""
    a = np.asarray(x, dtype=np.int64)
    return bool(a.size == 0 or (a.min() >= smin(bits) and a.max() <= smax(bits)))


def quantise(x, frac: int, bits: int) -> np.ndarray:
    """Float -> signed fixed point: ``saturate(floor(x * 2**frac + 0.5), bits)`` (half up)."""
    q = np.floor(float_array(x, "quantise: x") * float(1 << frac) + 0.5)
    return saturate(q.astype(np.int64), bits)


def n_saturated(x, frac: int, bits: int) -> int:
    """How many values :func:`quantise` saturates (rounded half up, then outside the signed
    ``bits`` range)."""
    q = np.floor(float_array(x, "n_saturated: x") * float(1 << frac) + 0.5)
    return int(np.count_nonzero((q > smax(bits)) | (q < smin(bits))))


def check_integer(x, what: str) -> None:
    """Raise ``ParamError`` (a ``ValueError``) naming ``what`` when ``x`` is not integer-valued
    data (a float array would otherwise be truncated silently on its way into a stream)."""
    int_array(x, what)


def check_signed(x, bits: int, what: str) -> None:
    """Raise ``ParamError`` naming ``what`` when a value is not an integer or does not fit
    ``bits`` signed bits (models.validate.int_array, the one validator)."""
    int_array(x, what, bits=bits)


# -- bit packing (element 0 in the least significant bits) ---------------------------------
def pack(values, bits: int) -> int:
    """Pack a sequence of signed or unsigned ints into one word, element 0 at bit 0.

    Each value is truncated to ``bits`` (two's complement), so callers must range-check first
    (:func:`check_signed`) when truncation would be a bug.
    """
    mask = (1 << bits) - 1
    word = 0
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * bits)
    return word


def unpack(word: int, n: int, bits: int, signed: bool = True) -> np.ndarray:
    """Inverse of :func:`pack`: ``n`` fields of ``bits`` bits as an int64 array."""
    mask = (1 << bits) - 1
    out = np.empty(n, dtype=np.int64)
    word = int(word)
    for i in range(n):
        f = (word >> (i * bits)) & mask
        if signed and f >> (bits - 1):
            f -= 1 << bits
        out[i] = f
    return out


#: widest field the vectorised packers take (numpy int64 shifts); wider ones use pack/unpack
ROWS_MAX_BITS = 62


def pack_rows(values, bits: int) -> list[int]:
    """:func:`pack` of every row of a 2-D array, vectorised: one word per row."""
    v = np.asarray(values)
    if v.ndim != 2:
        raise ValueError(f"pack_rows needs a 2-D array (got {v.ndim}-D)")
    if bits > ROWS_MAX_BITS or v.size == 0:
        return [pack(r, bits) for r in v]
    n_rows, n = v.shape
    u = v.astype(np.int64) & ((1 << bits) - 1)
    b = ((u[:, :, None] >> np.arange(bits, dtype=np.int64)) & 1).astype(np.uint8)
    by = np.packbits(b.reshape(n_rows, n * bits), axis=1, bitorder="little")
    return [int.from_bytes(r.tobytes(), "little") for r in by]


def unpack_rows(words, n: int, bits: int, signed: bool = True) -> np.ndarray:
    """:func:`unpack` of every word, vectorised: an (len(words), n) int64 array. Bits above
    the ``n`` fields are ignored."""
    words = [int(w) for w in words]
    if bits > ROWS_MAX_BITS or not words or n == 0:
        return np.array([unpack(w, n, bits, signed) for w in words],
                        dtype=np.int64).reshape(len(words), n)
    total = n * bits
    nbytes = (total + 7) // 8
    mask = (1 << total) - 1
    buf = b"".join((w & mask).to_bytes(nbytes, "little") for w in words)
    by = np.frombuffer(buf, dtype=np.uint8).reshape(len(words), nbytes)
    b = np.unpackbits(by, axis=1, bitorder="little")[:, :total].reshape(len(words), n, bits)
    vals = (b.astype(np.int64) << np.arange(bits, dtype=np.int64)).sum(axis=2)
    if signed:
        vals = np.where((vals >> (bits - 1)) & 1, vals - (1 << bits), vals)
    return vals
