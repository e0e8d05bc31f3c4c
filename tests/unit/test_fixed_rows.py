"""The vectorised packers equal the per-word ones, for every width the blocks use and more."""

import numpy as np
import pytest

from models.fixed import ROWS_MAX_BITS, pack, pack_rows, smax, smin, unpack, unpack_rows


@pytest.mark.parametrize("bits", [1, 2, 3, 5, 8, 13, 16, 31, 32, 48, ROWS_MAX_BITS, 70])
@pytest.mark.parametrize("n", [1, 3, 16])
def test_rows_equal_per_word(bits, n):
    rng = np.random.default_rng(bits * 100 + n)
    lo, hi = (smin(bits), smax(bits)) if bits < 64 else (-(2**62), 2**62)
    v = rng.integers(lo, hi + 1, size=(7, n), dtype=np.int64)
    words = pack_rows(v, bits)
    assert words == [pack(r, bits) for r in v]
    back = unpack_rows(words, n, bits)
    assert (back == np.stack([unpack(w, n, bits) for w in words])).all()
    assert (back == v).all()
    if bits >= 64:
        return  # unsigned fields that wide do not fit unpack's int64 result
    u = unpack_rows(words, n, bits, signed=False)
    assert (u == np.stack([unpack(w, n, bits, signed=False) for w in words])).all()


def test_unpack_rows_ignores_high_bits_and_empty_input():
    w = pack([1, -1], 4) | (0b1011 << 8)
    assert unpack_rows([w], 2, 4).tolist() == [[1, -1]]
    assert unpack_rows([], 3, 8).shape == (0, 3)
    with pytest.raises(ValueError, match="2-D"):
        pack_rows([1, 2], 8)
