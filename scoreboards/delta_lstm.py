"""delta_lstm scoreboard binding: a stateful model of the layer, fed by two input streams.

The DUT keeps recurrent state (x̂, ĥ, h, c, M), so the expected output of an x step depends on
every step since the last weight load. :class:`DeltaLstmModel` mirrors that:

* ``write("s_axis_w", weights, cycle)`` -- a weight load the monitor saw: keep the weights and
  restart from :func:`models.delta_lstm.init_state` (the RTL resets its state on every load);
  it predicts no output;
* ``write("s_axis_x", x, cycle)`` -- one step: :func:`models.delta_lstm.delta_lstm_step`,
  predicts one ``{"h": h_t, "pad": zeros}`` (:func:`models.delta_lstm.expected_h_step`) on
  ``m_axis_h``;
* ``reset()`` -- the DUT was reset: it forgets the weights and waits for a load.

An x step with no weights loaded is a testbench or DUT error and raises
:class:`NoWeightsError` (a :class:`~scoreboards.base.ScoreboardError`) saying so.
Comparison is exact, field by field (no tolerance: the RTL and the model do the same integer
arithmetic).

:meth:`DeltaLstmModel.preview` runs a step without committing it (cached for the same ``x``
object), so that coverage sampling and utilisation counting, which the bench calls before
``expect``, see the step's statistics without a second model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from models.delta_lstm import (
    DeltaLstmParams,
    DeltaLstmState,
    LstmWeights,
    StepStats,
    delta_lstm_step,
    expected_h_step,
    init_state,
    stream_cycles,
)
from models.fixed import round_shift, saturate
from scoreboards.base import Expected, ScoreboardError
from scoreboards.compare import compare_exact

W_PREFIX = "s_axis_w"  # weight-load stream
X_PREFIX = "s_axis_x"  # x steps
H_PREFIX = "m_axis_h"  # hidden outputs

compare = compare_exact


class NoWeightsError(ScoreboardError):
    """An x step arrived while the model (and so the DUT) had no weights loaded."""


@dataclasses.dataclass(frozen=True)
class StepResult:
    """A step as the model computed it: output, next state, statistics and the Q8.8
    pre-activations (4H,) the gates were computed from, for coverage."""

    h: np.ndarray
    state: DeltaLstmState
    stats: StepStats
    pre: np.ndarray


def run_step(p: DeltaLstmParams, wt: LstmWeights, st: DeltaLstmState, x) -> StepResult:
    h, nst, stats = delta_lstm_step(p, wt, st, x)
    pre = saturate(round_shift(nst.m, p.w_frac), p.act_width)
    return StepResult(h, nst, stats, pre)


class DeltaLstmModel:
    """The layer as the scoreboard sees it (see the module doc)."""

    def __init__(self, p: DeltaLstmParams):
        self.p = p
        self.weights: LstmWeights | None = None
        self.state: DeltaLstmState | None = None
        self.steps = 0  # steps since the last load
        self.loads = 0
        self.resets = 0  # DUT resets seen (sequences reload weights when this changes)
        self._preview: tuple[Any, StepResult] | None = None

    def write(self, stream: str, txn: Any, cycle: int) -> list[Expected]:
        if stream == W_PREFIX:
            self.load(txn)
            return []
        if stream == X_PREFIX:
            return [Expected(H_PREFIX, self.expect(txn), describe(txn))]
        raise ValueError(f"delta_lstm model: no input stream {stream!r} "
                         f"(only {W_PREFIX!r}, {X_PREFIX!r})")

    def load(self, txn: LstmWeights) -> None:
        self.weights = txn
        self.state = init_state(self.p, txn)
        self.steps = 0
        self.loads += 1
        self._preview = None

    def preview(self, x) -> StepResult:
        """The step ``x`` would make from the current state; nothing is committed."""
        if self.weights is None or self.state is None:
            raise NoWeightsError(
                f"delta_lstm[{self.p.tag}]: an x step arrived before any weight load (after "
                f"reset the block waits for a load on {W_PREFIX}; {self.resets} reset(s), "
                f"{self.loads} load(s) so far)")
        if self._preview is None or self._preview[0] is not x:
            self._preview = (x, run_step(self.p, self.weights, self.state, x))
        return self._preview[1]

    def expect(self, x) -> dict[str, np.ndarray]:
        r = self.preview(x)
        self.state = r.state
        self.steps += 1
        self._preview = None
        return expected_h_step(self.p, r.h)

    def reset(self) -> None:
        self.weights = None
        self.state = None
        self.resets += 1
        self._preview = None


def is_load(txn: Any) -> bool:
    return isinstance(txn, LstmWeights)


def route(txn: Any) -> str:
    """Weight loads go to ``s_axis_w``, x steps to ``s_axis_x``."""
    return W_PREFIX if is_load(txn) else X_PREFIX


def fired_segments(p: DeltaLstmParams, txns: Sequence[Any]) -> list[list[int]]:
    """Fired columns per step, one list per weight load, by running the model over ``txns``
    (what the bench sent, in order). Steps before the first load are ignored (the DUT would
    not accept them)."""
    segs: list[list[int]] = []
    wt = st = None
    for t in txns:
        if is_load(t):
            wt, st = t, init_state(p, t)
            segs.append([])
        elif wt is not None:
            _, st, stats = delta_lstm_step(p, wt, st, t)
            segs[-1].append(stats.n_fired)
    return segs


def cycles(p: DeltaLstmParams, txns: Sequence[Any]) -> int:
    """No-stall cycles from the first x handshake to the last h handshake (exact for one load,
    see :func:`models.delta_lstm.stream_cycles`)."""
    return stream_cycles(p, fired_segments(p, txns))


def describe(x: Any) -> str:
    """Step context for mismatch reports."""
    x = np.asarray(x)
    return f"x_t min {int(x.min())} max {int(x.max())}" if x.size else ""
