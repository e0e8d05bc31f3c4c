"""The bit-exact DeltaLSTM step (delta encoders, memory M, gates, cell, hidden output), runs
of steps, and the independent float64 reference cell."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from models.delta_lstm.arith import _sigmoid, sigmoid_q, tanh_q
from models.delta_lstm.params import DeltaLstmParams
from models.delta_lstm.weights import LstmWeights, check_weights
from models.fixed import round_shift, saturate, wrap
from models.validate import int_array


# -- the DeltaLSTM step -------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DeltaLstmState:
    """All int64: x_hat (I,), h_hat (H,), h (H,) = h_{t-1}, c (H,), m (4H,) the memory M."""

    x_hat: np.ndarray
    h_hat: np.ndarray
    h: np.ndarray
    c: np.ndarray
    m: np.ndarray


@dataclasses.dataclass(frozen=True)
class StepStats:
    """What one step did: fired x indices, fired h indices (both ascending), saturations."""

    fired_x: np.ndarray
    fired_h: np.ndarray
    pre_saturated: int     # pre-activations clipped to the act range
    c_saturated: int       # cell values clipped to the act range

    @property
    def n_fired(self) -> int:
        return int(self.fired_x.size + self.fired_h.size)


def fired_columns(p: DeltaLstmParams, st: StepStats) -> np.ndarray:
    """Fired column indices of W in MAC order: x columns, then ``I + j`` for hidden unit j."""
    return np.concatenate([st.fired_x, p.input_size + st.fired_h]).astype(np.int64)


def init_state(p: DeltaLstmParams, wt: LstmWeights) -> DeltaLstmState:
    """x̂ = ĥ = h = c = 0 and M = bias << w_frac."""
    check_weights(p, wt)
    z_i = np.zeros(p.input_size, dtype=np.int64)
    z_h = np.zeros(p.hidden_size, dtype=np.int64)
    m = wt.bias.astype(np.int64) << p.w_frac
    return DeltaLstmState(x_hat=z_i, h_hat=z_h.copy(), h=z_h.copy(), c=z_h.copy(), m=m)


def delta_encode(v, v_hat, theta: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(delta, fired_indices, new_hat)``: fire where ``|v - v_hat| >= max(theta, 1)``."""
    v = np.asarray(v, dtype=np.int64)
    v_hat = np.asarray(v_hat, dtype=np.int64)
    d = v - v_hat
    fire = np.abs(d) >= max(int(theta), 1)
    return np.where(fire, d, 0), np.flatnonzero(fire), np.where(fire, v, v_hat)


def delta_lstm_step(p: DeltaLstmParams, wt: LstmWeights, state: DeltaLstmState, x_t
                    ) -> tuple[np.ndarray, DeltaLstmState, StepStats]:
    """One step: ``(h_t, new_state, stats)``; ``x_t`` is (I,) Q8.8 ints. Nothing is mutated."""
    x_t = int_array(x_t, "delta_lstm: x_t", bits=p.act_width, shape=(p.input_size,),
                    names="(I,) Q-format act ints")
    h_n, a, g = p.hidden_size, p.act_frac, p.gate_frac

    dx, fx, x_hat = delta_encode(x_t, state.x_hat, p.theta_x)
    dh, fh, h_hat = delta_encode(state.h, state.h_hat, p.theta_h)
    cols = np.concatenate([fx, p.input_size + fh])
    d = np.concatenate([dx, dh])[cols]
    m = wrap(state.m + wt.w[:, cols].astype(np.int64) @ d, p.acc_width)

    pre_full = round_shift(m, p.w_frac)
    pre = saturate(pre_full, p.act_width)
    gi, gf, gg, go = (pre[k * h_n:(k + 1) * h_n] for k in range(4))
    i_q, f_q, o_q = sigmoid_q(p, gi), sigmoid_q(p, gf), sigmoid_q(p, go)
    g_q = tanh_q(p, gg)

    c_full = round_shift(f_q * state.c + ((i_q * g_q) << (a - g)), g)
    c = saturate(c_full, p.act_width)
    hp = o_q * tanh_q(p, c)                                     # 2G fraction bits
    hp = hp << (a - 2 * g) if 2 * g <= a else round_shift(hp, 2 * g - a)
    h = saturate(hp, p.act_width)

    stats = StepStats(fired_x=fx, fired_h=fh,
                      pre_saturated=int(np.count_nonzero(pre != pre_full)),
                      c_saturated=int(np.count_nonzero(c != c_full)))
    return h, DeltaLstmState(x_hat=x_hat, h_hat=h_hat, h=h, c=c, m=m), stats


def delta_lstm_seq(p: DeltaLstmParams, wt: LstmWeights, xs, state: DeltaLstmState | None = None
                   ) -> tuple[np.ndarray, DeltaLstmState, list[StepStats]]:
    """Run ``xs`` (T, I) from ``state`` (default :func:`init_state`): ``(hs (T, H), state,
    stats per step)``."""
    xs = int_array(xs, "delta_lstm: xs", bits=p.act_width, shape=(None, p.input_size),
                   names="(T, I) act ints (quantise_act)")
    st = init_state(p, wt) if state is None else state
    hs = np.zeros((xs.shape[0], p.hidden_size), dtype=np.int64)
    stats = []
    for t, x in enumerate(xs):
        hs[t], st, s = delta_lstm_step(p, wt, st, x)
        stats.append(s)
    return hs, st, stats


def delta_lstm_ref(p: DeltaLstmParams, wt: LstmWeights, xs) -> np.ndarray:
    """Bit-exact expected hidden outputs (T, H) of a sequence from the initial state."""
    return delta_lstm_seq(p, wt, xs)[0]


def temporal_sparsity(p: DeltaLstmParams, stats: Sequence[StepStats]) -> float:
    """Fraction of (step, column) pairs that did not fire."""
    if not stats:
        return 0.0
    return 1.0 - sum(s.n_fired for s in stats) / (len(stats) * p.cols)


# -- float reference ----------------------------------------------------------------------------
def float_lstm_step(w_ih, w_hh, b_ih, b_hh, x, h, c) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch ``nn.LSTM`` cell in float64: returns ``(h_t, c_t)``.

    i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(...), g = tanh(...), o = σ(...) (row blocks of
    W_ih / W_hh in that order); c_t = f c + i g; h_t = o tanh(c_t).
    """
    z = (np.asarray(w_ih, np.float64) @ np.asarray(x, np.float64) + np.asarray(b_ih, np.float64)
         + np.asarray(w_hh, np.float64) @ np.asarray(h, np.float64)
         + np.asarray(b_hh, np.float64))
    zi, zf, zg, zo = np.split(z, 4)
    c_t = _sigmoid(zf) * np.asarray(c, np.float64) + _sigmoid(zi) * np.tanh(zg)
    return _sigmoid(zo) * np.tanh(c_t), c_t
