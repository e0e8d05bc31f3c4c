"""The pure scoreboard: exact matches pass, and every failure mode is reported with context."""

import numpy as np
import pytest

from scoreboards.base import InOrderScoreboard, RunContext, ScoreboardError
from scoreboards.compare import compare_exact


def sb(**kw):
    return InOrderScoreboard(RunContext("gemm", "r4c4", 7, "RandomTest",
                                        "make sim BLOCK=gemm SEED=7"), **kw)


def test_matching_transactions_are_counted():
    s = sb()
    for i in range(3):
        s.add_expected(np.full((2, 2), i))
        s.add_actual(np.full((2, 2), i))
    s.check_drained()
    assert (s.n_checked, s.n_elements) == (3, 12)


def test_actual_before_expected_is_fine():
    s = sb()
    s.add_actual(np.arange(4))
    s.add_expected(np.arange(4))
    s.check_drained()
    assert s.n_checked == 1


def test_mismatch_report_names_everything_needed_to_reproduce():
    s = sb()
    s.add_expected(np.arange(6).reshape(2, 3), "K=3")
    with pytest.raises(ScoreboardError) as e:
        s.add_actual(np.array([[0, 1, 2], [3, 9, 5]]))
    msg = str(e.value)
    for part in ("gemm[r4c4]", "seed=7", "RandomTest", "transaction 0", "K=3",
                 "element (1, 1)", "expected 4, got 9", "1 of 6 elements differ",
                 "make sim BLOCK=gemm SEED=7"):
        assert part in msg


def test_missing_and_extra_outputs_fail():
    s = sb()
    s.add_expected(np.zeros(2))
    with pytest.raises(ScoreboardError, match="1 output transaction\\(s\\) missing"):
        s.check_drained()
    s = sb()
    s.add_actual(np.zeros(2))
    with pytest.raises(ScoreboardError, match="1 extra output"):
        s.check_drained()


def test_wrong_shape_is_a_mismatch():
    assert compare_exact(np.zeros((2, 2)), np.zeros((1, 2))) is not None


def test_counting_mode_collects_all_errors():
    s = sb(fail_on_error=False)
    for i in range(2):
        s.add_expected(np.array([i]))
        s.add_actual(np.array([i + 1]))
    with pytest.raises(ScoreboardError) as e:
        s.check_drained()
    assert str(e.value).count("first mismatch") == 2


def test_flush_forgets_in_flight():
    s = sb()
    s.add_expected(np.zeros(1))
    s.flush()
    s.check_drained()
