"""eie scoreboard binding: a load sets the layer (a reset forgets it; ``resets`` counts the
resets, for the sequences' reload); every activation vector predicts one output vector
(values and status bits, :func:`models.eie.vector_out`), compared exactly; the float64
budgets are tested in tests/unit/test_model_eie.py."""

from __future__ import annotations

from typing import Any

from models.eie import (
    EieLoad,
    EieParams,
    Vector,
    a_beats,
    eie_run,
    encode_load,
    simulate,
    vector_out,
)
from scoreboards.base import Expected, ScoreboardError
from scoreboards.compare import compare_exact

W_PREFIX, A_PREFIX, B_PREFIX = "s_axis_w", "s_axis_a", "m_axis_b"
compare = compare_exact


class NoLoadError(ScoreboardError):
    """An activation vector arrived with no layer loaded since the last reset."""


class EieModel:
    def __init__(self, p: EieParams):
        self.p = p
        self.layer: EieLoad | None = None
        self.resets = 0
        self.loads = 0

    def write(self, stream: str, txn: Any, cycle: int) -> list[Expected]:
        if stream == W_PREFIX:
            self.layer = txn
            self.loads += 1
            return []
        if stream != A_PREFIX:
            raise ValueError(f"eie model: no input stream {stream!r}")
        t = self.require()
        out = vector_out(self.p, t, txn)
        return [Expected(B_PREFIX, out, f"layer {t.rows}x{t.cols}, "
                         f"{int((txn.a[:t.cols] != 0).sum())} non-zero activations, status "
                         f"{int(out['status'][0])}")]

    def require(self) -> EieLoad:
        if self.layer is None:
            raise NoLoadError(f"eie[{self.p.tag}]: an activation vector arrived before any "
                              f"load (after reset the block waits for one on {W_PREFIX}; "
                              f"{self.resets} reset(s), {self.loads} load(s) so far)")
        return self.layer

    def reset(self) -> None:
        self.layer = None
        self.resets += 1


def is_load(txn: Any) -> bool:
    return isinstance(txn, EieLoad)


def route(txn: Any) -> str:
    return W_PREFIX if is_load(txn) else A_PREFIX


#: cycles a load costs beyond its beats in the timeout budget (the load check cycle and the
#: hand-over to the activation stream)
LOAD_OVERHEAD_CYCLES = 2


def segments(txns) -> list[tuple[EieLoad, list]]:
    """The transactions sent, split per load: (layer, its vectors' activations)."""
    segs: list[tuple[EieLoad, list]] = []
    for t in txns:
        if is_load(t):
            segs.append((t, []))
        elif segs:
            segs[-1][1].append(t.a)
    return segs


def run_cycles(p: EieParams, txns) -> int:
    """Exact no-stall cycles of the vectors after each load (models.eie.simulate: from a
    load's first activation handshake to its last output handshake), summed over the loads:
    what CycleTest measures with its one load."""
    return sum(simulate(p, t, vecs).cycles for t, vecs in segments(txns) if vecs)


def cycles(p: EieParams, txns) -> int:
    """No-stall cycles of everything sent (the timeout budget): the vectors' exact cycles
    plus one cycle per load beat and the load's hand-over."""
    return run_cycles(p, txns) + sum(len(encode_load(p, t)) + LOAD_OVERHEAD_CYCLES
                                     for t, _ in segments(txns))


def useful_macs(model: EieModel, p: EieParams, v: Vector) -> int:
    """Real (non-padding) weights at the vector's non-zero activations: ideal_cycles * N."""
    t = model.layer
    if t is None:
        return 0
    r = eie_run(p, t, v.a[:t.cols])
    return sum(1 for wk in r.walks for w in wk for (_, code) in w.hits if code != 0)


def a_beats_of(p: EieParams, t: EieLoad) -> int:
    return a_beats(p, t.cols)
