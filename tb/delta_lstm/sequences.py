"""Stimulus for ``delta_lstm``: every sequence starts with a weight load, then x steps.

A transaction is either :class:`models.delta_lstm.LstmWeights` (a load, driven on
``s_axis_w``) or an x step, an (I,) int64 array of Q8.8 values (driven on ``s_axis_x``).
Every sequence draws from the bench's seeded generator.

Temporal sparsity is controlled on the input side: an element *moves* in a step with a given
probability, by at least the threshold (so it fires) and otherwise stays put (so it cannot
fire). Hidden columns fire as the layer's dynamics decide; the coverage counts what happened.

The DUT forgets its weights on reset and waits for a load, so :class:`DeltaLstmSeq` reloads
the last weights before the next x step whenever the bench has reset the DUT since that load
(this is what :class:`tb.common.uvm.ResetMidStreamTest` needs: its first sequence carries on
after the reset).
"""

from __future__ import annotations

import functools

import numpy as np

from models.delta_lstm import (
    DeltaLstmParams,
    LstmWeights,
    crop_lstm,
    quantise_act,
    quantise_lstm,
    random_float_lstm,
)
from models.fixed import smax, smin
from scoreboards.delta_lstm import is_load
from tb.common.stream import in_reset
from tb.common.uvm import TxnSequence, cycle_scale

#: float weight range of random layers: |w| < 0.9 uses most of Q1.7 without clipping
W_SCALE = 0.9
#: float bias range: |b_ih + b_hh| < 1 puts the gates' pre-activations around the LUT middle
B_SCALE = 1.0
#: x random walks live in [-X_RANGE, X_RANGE] (float): past the LUT range (+-4) after a few
#: weighted sums, so every LUT region is visited, and far from the Q8.8 limits
X_RANGE = 3.0
#: largest extra move beyond the threshold, in floats: moves of 0.5 change the gates visibly
MOVE_EXTRA = 0.5
N_STEPS = 24  # steps of an ordinary sequence: enough for h to feed back many times
N_LONG_STEPS = 160  # a long run (state errors would accumulate); Icarus does it in seconds
#: saturation run: c grows by i*g = 1.0 per step with saturated gates, so Q8.8's 128.0 is
#: reached after 128 steps; 140 leaves a dozen saturated steps
N_SATURATION_STEPS = 140
SAT_BIAS = 8.0  # float bias that drives every gate's pre-activation far past +4
N_CONSTANT_STEPS = 30  # constant input: x fires once, h settles, then nothing fires
N_RELOADS = 3  # loads in the reload sequence (a new layer, another, the first again)
#: fraction of x elements that move per step: ~all, half, a tenth (temporal sparsity ~0 %,
#: ~50 %, ~90 % on the input columns)
MOVE_DENSE, MOVE_HALF, MOVE_SPARSE = 1.0, 0.5, 0.1
N_CYCLE_STEPS = 20  # cycle test steps: every firing level occurs, exact cycles per step
#: real text for textgenrnn's first layer: ordinary English the net predicts well (the same
#: sentence as the model's real-weights test)
REAL_SENTENCE = "Sparse accelerators skip the work that does not change the answer."
#: LUT sweep: gate pre-activations step by LUT_SWEEP_LSB from -LUT_SWEEP_RANGE to +..., so
#: every entry of every gate LUT (step 2**-5 = 8 LSB) is read in every lane at least once
LUT_SWEEP_LSB = 4
LUT_SWEEP_RANGE = 4.25  # just past the LUT input range (+-4): both saturated ends too
#: visit order: stride through the sweep so that consecutive inputs differ by at least
#: LUT_SWEEP_STRIDE * LUT_SWEEP_LSB = 64 LSB (> the default threshold of 26: every step fires)
LUT_SWEEP_STRIDE = 16
#: cell sweep: c moves by exactly 2**-5 (one tanh(c) LUT entry) per step, up to +C_SWEEP_RANGE,
#: down to -C_SWEEP_RANGE and back to 0 (see LutSweepSeq)
C_SWEEP_RANGE = 4.25


def random_weights(p: DeltaLstmParams, rng, w_scale: float = W_SCALE,
                   b_scale: float = B_SCALE) -> LstmWeights:
    """A random float layer, CBTD-pruned to ``p.keep`` and quantised."""
    return quantise_lstm(p, *random_float_lstm(p, rng, w_scale, b_scale))


def walk(p: DeltaLstmParams, rng, n_steps: int, move: float, start=None) -> np.ndarray:
    """(n_steps, I) Q8.8 random walk: each element moves with probability ``move`` by
    ``max(theta_x, 1)`` LSBs plus up to ``MOVE_EXTRA``, in a random direction (reflected at
    +-X_RANGE), otherwise it keeps its value exactly."""
    lim = int(quantise_act(p, X_RANGE))
    thr = max(p.theta_x, 1)
    extra = int(quantise_act(p, MOVE_EXTRA))
    x = (np.zeros(p.input_size, dtype=np.int64) if start is None
         else np.asarray(start, dtype=np.int64).copy())
    out = np.empty((n_steps, p.input_size), dtype=np.int64)
    for t in range(n_steps):
        moving = rng.random(p.input_size) < move
        step = (thr + rng.integers(0, extra + 1, p.input_size)) * rng.choice([-1, 1],
                                                                              p.input_size)
        nxt = x + step
        nxt = np.where(np.abs(nxt) > lim, x - step, nxt)  # reflect at the range edge
        x = np.where(moving, np.clip(nxt, smin(p.act_width), smax(p.act_width)), x)
        out[t] = x
    return out


def moves_exactly(p: DeltaLstmParams, rng, n_steps: int, n_move: int) -> np.ndarray:
    """(n_steps, I) walk where exactly ``n_move`` random elements move (and fire) per step."""
    lim = int(quantise_act(p, X_RANGE))
    thr = max(p.theta_x, 1)
    x = np.zeros(p.input_size, dtype=np.int64)
    out = np.empty((n_steps, p.input_size), dtype=np.int64)
    for t in range(n_steps):
        idx = rng.choice(p.input_size, size=n_move, replace=False)
        for i in idx:
            d = thr + int(rng.integers(0, thr + 1))
            x[i] = x[i] + d if x[i] + d <= lim else x[i] - d
        out[t] = x
    return out


class DeltaLstmSeq(TxnSequence):
    """Base: sends :meth:`txns`; before an x step, reloads the last weights if the DUT was
    reset since they were loaded (or is in reset now: the step would be dropped anyway)."""

    async def body(self):
        bench = self.bench
        self._seen_resets = None  # model.resets when the last load completed outside reset
        loaded: LstmWeights | None = None
        for txn in self.txns(bench.p, bench.rng):
            if is_load(txn):
                loaded = txn
                await self._load(txn)
                continue
            if loaded is not None and (bench.model.resets != self._seen_resets
                                       or in_reset(bench.dut.rst)):
                await self._load(loaded)
            await self.send(txn)

    async def _load(self, wt: LstmWeights) -> None:
        """Send a load until one completes with no reset during or after it."""
        b = self.bench
        while True:
            before = b.model.resets
            await self.send(wt)
            if b.model.resets == before and not in_reset(b.dut.rst):
                self._seen_resets = before
                return


class RandomWalkSeq(DeltaLstmSeq):
    """Random layer, random walk with half the inputs moving per step (~50 % sparsity)."""

    move = MOVE_HALF
    n_steps = N_STEPS

    def txns(self, p, rng):
        yield random_weights(p, rng)
        yield from walk(p, rng, self.n_steps, self.move)


class DenseWalkSeq(RandomWalkSeq):
    """Every input moves every step: ~0 % temporal sparsity on x."""

    move = MOVE_DENSE


class SparseWalkSeq(RandomWalkSeq):
    """A tenth of the inputs move per step: ~90 % temporal sparsity on x."""

    move = MOVE_SPARSE


class LongSeq(RandomWalkSeq):
    """A long random walk: an error in x̂, ĥ, c or M would accumulate and show."""

    n_steps = N_LONG_STEPS


class MixedWalkSeq(DeltaLstmSeq):
    """One walk through every firing level: all inputs moving, half, a tenth, then still
    (N_STEPS // 3 steps each, continuing from where the last part ended)."""

    def txns(self, p, rng):
        yield random_weights(p, rng)
        x = None
        for move in (MOVE_DENSE, MOVE_HALF, MOVE_SPARSE, 0.0):
            xs = walk(p, rng, N_STEPS // 3, move, start=x)
            yield from xs
            x = xs[-1]


class ConstantSeq(DeltaLstmSeq):
    """A random constant input: x fires in step 1 only; h settles and stops firing, leaving
    steps where no column fires (the MAC phase is only its drain)."""

    def txns(self, p, rng):
        yield random_weights(p, rng)
        x = walk(p, rng, 1, MOVE_DENSE)[0]
        for _ in range(N_CONSTANT_STEPS):
            yield x.copy()


class StepChangeSeq(DeltaLstmSeq):
    """Constant input, then a step in a random half of the elements (and the largest step:
    from -X_RANGE to +X_RANGE in one element), then constant again."""

    def txns(self, p, rng):
        yield random_weights(p, rng)
        lim = int(quantise_act(p, X_RANGE))
        x = walk(p, rng, 1, MOVE_DENSE)[0]
        for _ in range(N_STEPS // 3):
            yield x.copy()
        x = x.copy()
        moved = rng.random(p.input_size) < MOVE_HALF
        x[moved] = -x[moved] + np.sign(x[moved] + 1) * max(p.theta_x, 1)
        x[int(rng.integers(p.input_size))] = lim
        for _ in range(N_STEPS // 3):
            yield x.copy()
        x[int(rng.integers(p.input_size))] = -lim
        for _ in range(N_STEPS // 3):
            yield x.copy()


class ReloadSeq(DeltaLstmSeq):
    """Layer A, steps; layer B mid-run, steps; layer A again, the same steps as first: the
    state restarts on every load (the third run repeats the first run's outputs)."""

    def txns(self, p, rng):
        a, b = random_weights(p, rng), random_weights(p, rng)
        xs = walk(p, rng, N_STEPS // 2, MOVE_HALF)
        for wt in (a, b, a)[:N_RELOADS]:
            yield wt
            yield from (x.copy() for x in xs)


class ExtremesSeq(DeltaLstmSeq):
    """Inputs at the Q8.8 extremes and zero (the largest deltas, |d| = 2**16 - 1, and
    saturated pre-activations), with the largest weights."""

    def txns(self, p, rng):
        yield random_weights(p, rng, w_scale=1.0, b_scale=2.0)
        lo, hi = smin(p.act_width), smax(p.act_width)
        for _ in range(N_STEPS):
            yield rng.choice([lo, 0, hi], size=p.input_size).astype(np.int64)


class SaturationSeq(DeltaLstmSeq):
    """Gates i, f, o driven to 1 and g to +-1 (large biases, small weights) under a constant
    input: c moves by 1.0 per step until it saturates at the Q8.8 maximum or minimum (g's
    sign alternates with the unit's group, ``u // act_lanes``, so every lane whose units span
    two groups sees both ends)."""

    def txns(self, p, rng):
        w_ih, w_hh, b_ih, b_hh = random_float_lstm(p, rng, 0.05, 0.0)
        h = p.hidden_size
        sign = np.ones(p.rows)
        sign[2 * h:3 * h] = np.where((np.arange(h) // p.act_lanes) % 2, -1.0, 1.0)
        b_ih[:] = sign * SAT_BIAS / 2
        b_hh[:] = sign * SAT_BIAS / 2
        yield quantise_lstm(p, w_ih, w_hh, b_ih, b_hh)
        x = walk(p, rng, 1, MOVE_DENSE)[0]
        for _ in range(N_SATURATION_STEPS):
            yield x.copy()


class ThresholdExtremesSeq(DeltaLstmSeq):
    """For the threshold corners: inputs that jump between the extremes and moves of one LSB
    (which fire with threshold 0 only) and of exactly the threshold."""

    def txns(self, p, rng):
        yield random_weights(p, rng)
        lo, hi = smin(p.act_width), smax(p.act_width)
        x = np.zeros(p.input_size, dtype=np.int64)
        for t in range(N_STEPS):
            kind = t % 3
            if kind == 0:  # full-scale jumps: fire at any threshold
                x = rng.choice([lo, hi], size=p.input_size).astype(np.int64)
            elif kind == 1:  # one LSB
                x = np.clip(x + rng.choice([-1, 1], size=p.input_size), lo, hi)
            else:  # exactly the threshold (clipped into range)
                d = min(max(p.theta_x, 1), hi)
                x = np.where(x > 0, x - d, x + d)
            yield x.copy()


#: dense drive: |x| = 1.0, g weights |w| in [0.5, 1.0) (ranked at random, so CBTD keeps a
#: different subset per column), i/f/o weights below 0.01 (never kept over a g weight)
DRIVE_X = 1.0
DRIVE_W = (0.5, 1.0)
DRIVE_SMALL = 0.01


class DenseDriveSeq(DeltaLstmSeq):
    """Every column fires every step from step 2 on (step 1: every x column; h_0 = 0 cannot
    fire), whatever keep is: x alternates between +DRIVE_X and -DRIVE_X in every element;
    i and o are saturated at 1 and f at 0 by their biases, and g = tanh(+-sum w x) flips sign
    with x (every g row holds large weights on the x columns), so c = i*g = g and
    h = o * tanh(c) flip sign every step, far beyond any threshold below 1.0."""

    def txns(self, p, rng):
        h = p.hidden_size
        w = rng.uniform(-DRIVE_SMALL, DRIVE_SMALL, (p.rows, p.cols))
        w[2 * h:3 * h, :p.input_size] = rng.uniform(*DRIVE_W, (h, p.input_size))
        bias = np.full(p.rows, SAT_BIAS)
        bias[h:2 * h] = -SAT_BIAS  # f = 0: c forgets, so c = g exactly every step
        bias[2 * h:3 * h] = 0.0
        yield quantise_lstm(p, w[:, :p.input_size], w[:, p.input_size:], bias / 2, bias / 2)
        v = int(quantise_act(p, DRIVE_X))
        for t in range(N_CYCLE_STEPS * cycle_scale()):
            yield np.full(p.input_size, v if t % 2 == 0 else -v, dtype=np.int64)


def cycle_seq(fire_fraction: float, quiet_steps: int = 0) -> type[DeltaLstmSeq]:
    """A sequence class for the cycle tests: ``round(fire_fraction * cols)`` columns should
    fire per step. Above I, :class:`DenseDriveSeq` (every column fires); otherwise exactly
    that many x elements move by at least theta_x per step (the test sets theta_h so that no
    h column fires), then ``quiet_steps`` repeats of the last x (no x column fires)."""

    class CycleSeq(DeltaLstmSeq):
        def txns(self, p, rng):
            if round(fire_fraction * p.cols) > p.input_size:
                yield from DenseDriveSeq.txns(self, p, rng)
                return
            yield random_weights(p, rng)
            n = round(fire_fraction * p.cols)
            xs = moves_exactly(p, rng, N_CYCLE_STEPS * cycle_scale(), n)
            yield from xs
            for _ in range(quiet_steps):
                yield xs[-1].copy()

    CycleSeq.__name__ = CycleSeq.__qualname__ = f"CycleSeq_{int(fire_fraction * 100)}"
    return CycleSeq


def spread(p: DeltaLstmParams, rows, weight: float) -> tuple[np.ndarray, int]:
    """(W (4H, I+H) float, x columns used): ``weight`` on each row in ``rows``, in x column
    ``local_row // keep`` so that no (PE, column) holds more than ``keep`` weights (CBTD keeps
    them all). Rows whose column would be past I are left at 0 (too few inputs to reach them:
    the ``min`` config)."""
    w = np.zeros((p.rows, p.cols))
    used = 0
    for r in rows:
        j = (r // p.num_pe) // p.keep
        if j < p.input_size:
            w[r, j] = weight
            used = max(used, j + 1)
    return w, used


class LutSweepSeq(DeltaLstmSeq):
    """Every LUT entry through the RTL (the ROM contents are only checked where read):

    1. Gate sweep: every row of W reads the same value v with weight 127/128 (spread over as
       many x columns as CBTD needs), bias 0, so all gate pre-activations equal ~v; v visits
       -4.25..4.25 in 4-LSB steps (in a strided order, so every step fires): every address of
       the i, f, g, o LUTs in every lane.
    2. o sweep: the same for the o rows alone, with i, f, g saturated at 1: tanh(c) = 1, so
       h = o exactly and every o LUT entry is checked bit for bit. (In the gate sweep an entry
       of the i, f or g table reaches h only through c and tanh(c), whose quantisation can
       hide a one-LSB error: those tables are read but not every entry is observable.)
    3. Cell sweep: f saturated at 1 (bias +8), i = sigmoid(0) = 1/2 and g = +-1/16 (W_g = 1/2
       on inputs of +-1/8), so c moves by exactly i*g = +-2**-5 (one tanh LUT entry) per step:
       up to +C_SWEEP_RANGE, down to -C_SWEEP_RANGE, back up to 0; h = o tanh(c) with
       o = 1/2 exactly, so every tanh(c) entry is checked bit for bit.
    """

    def txns(self, p, rng):
        one = 1 << p.act_frac
        zeros = np.zeros(p.rows)
        w, used = spread(p, range(p.rows), 127 / 128)
        yield quantise_lstm(p, w[:, :p.input_size], w[:, p.input_size:], zeros, zeros)
        lim = int(LUT_SWEEP_RANGE * one)
        vals = np.arange(-lim, lim + 1, LUT_SWEEP_LSB)
        order = sorted(range(len(vals)), key=lambda k: (k % LUT_SWEEP_STRIDE, k))
        for k in order:
            x = np.zeros(p.input_size, dtype=np.int64)
            x[:used] = vals[k]
            yield x
        h = p.hidden_size  # rows g*H + u are gate g
        # o sweep: i, f, g saturated at 1 by their biases, so c grows to tanh(c) = 1 within a
        # few steps and h = o exactly: every o LUT entry is visible bit for bit in h
        w, used = spread(p, range(3 * h, 4 * h), 127 / 128)
        bias = np.full(p.rows, SAT_BIAS)
        bias[3 * h:] = 0.0
        yield quantise_lstm(p, w[:, :p.input_size], w[:, p.input_size:], bias / 2, bias / 2)
        for k in order:
            x = np.zeros(p.input_size, dtype=np.int64)
            x[:used] = vals[k]
            yield x
        w, used = spread(p, range(2 * h, 3 * h), 0.5)
        bias = np.zeros(p.rows)
        bias[h:2 * h] = SAT_BIAS
        yield quantise_lstm(p, w[:, :p.input_size], w[:, p.input_size:], bias / 2, bias / 2)
        n_up = int(C_SWEEP_RANGE * 32)  # steps of 2**-5
        for sign, n in ((1, n_up), (-1, 2 * n_up), (1, n_up)):
            x = np.zeros(p.input_size, dtype=np.int64)
            x[:used] = sign * (one // 8)
            for _ in range(n):
                yield x.copy()


@functools.lru_cache(maxsize=1)
def textgen_layer():
    """textgenrnn's first LSTM layer (100 -> 128, trained) and its network, read once."""
    from models import textgenrnn_weights

    net = textgenrnn_weights.load()
    return net, net.rnn[0]


def real_case(p: DeltaLstmParams, text: str = REAL_SENTENCE):
    """(weights, xs (T, I)): textgenrnn's first layer cropped to p's I x H
    (:func:`models.delta_lstm.crop_lstm`; the whole layer when p is 100 -> 128), CBTD-pruned
    to p.keep and quantised to p's formats, and the embedded characters of ``text``."""
    net, layer = textgen_layer()
    wt = quantise_lstm(p, *crop_lstm(p, *layer.astuple()))
    return wt, quantise_act(p, net.embed(text)[:, :p.input_size])


class RealWeightsSeq(DeltaLstmSeq):
    """Trained weights (textgenrnn's first layer, cropped to the config) on a real sentence."""

    def txns(self, p, rng):
        wt, xs = real_case(p)
        yield wt
        yield from xs
