"""Fixed-point helpers against independent definitions (Python ints, fractions)."""

import math
from fractions import Fraction

import numpy as np
import pytest

from models.fixed import (
    check_signed,
    pack,
    round_shift,
    saturate,
    smax,
    smin,
    unpack,
    wrap,
)


def test_round_shift_is_half_up_on_every_value():
    for s in range(0, 6):
        for x in range(-300, 300):
            want = math.floor(Fraction(x, 2**s) + Fraction(1, 2)) if s else x
            assert round_shift(x, s) == want
            assert int(round_shift(np.array([x]), s)[0]) == want


def test_round_shift_ties_go_up_for_both_signs():
    assert round_shift(5, 1) == 3  # 2.5 -> 3
    assert round_shift(-5, 1) == -2  # -2.5 -> -2
    with pytest.raises(ValueError, match="shift must be >= 0"):
        round_shift(1, -1)


def test_saturate_and_wrap_match_their_definitions():
    for bits in (2, 8, 13):
        for x in range(-2**bits, 2**bits):
            assert saturate(x, bits) == min(max(x, smin(bits)), smax(bits))
            assert wrap(x, bits) == ((x - smin(bits)) % 2**bits) + smin(bits)


def test_pack_unpack_round_trip(seed):
    rng = np.random.default_rng(seed)
    for bits in (1, 4, 8, 17):
        for n in (1, 3, 8):
            v = rng.integers(smin(bits) if bits > 1 else 0, smax(bits) + 1 if bits > 1 else 2,
                             size=n)
            assert np.array_equal(unpack(pack(v, bits), n, bits, signed=bits > 1), v)


def test_check_signed_names_the_value():
    with pytest.raises(ValueError, match="value 128 does not fit a 8-bit"):
        check_signed([1, 128], 8, "A")


def test_float_data_is_refused_not_truncated():
    """A float array where integers are needed gets the rule, never a silent truncation."""
    from models.fixed import check_signed

    with pytest.raises(ValueError, match="values must be integers .*float64"):
        check_signed(np.array([1.7, 2.0]), 8, "gemm: A")
    check_signed(np.array([1, 2], dtype=np.int16), 8, "gemm: A")  # any integer dtype is fine
