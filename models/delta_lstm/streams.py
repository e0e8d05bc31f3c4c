"""Stream formats of the DeltaLSTM (what rtl/delta_lstm/ implements and the testbench drives):
encoders and decoders of the weight load, the x steps and the h steps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.delta_lstm.cbtd import CbtdWeights, cbtd_memory_image, cbtd_pack, cbtd_unpack
from models.delta_lstm.params import (
    DeltaLstmParams,
    entry_bits,
    h_beats,
    image_words,
    load_beats,
    x_beats,
    x_lanes,
)
from models.delta_lstm.weights import LstmWeights, check_weights
from models.fixed import check_signed, pack, unpack

#: one stream beat: (tdata, tlast, tuser), as in models.gemm
Beat = tuple[int, bool, int]



def encode_weight_load(p: DeltaLstmParams, wt: LstmWeights) -> list[Beat]:
    """``s_axis_w`` beats of a load: :func:`cbtd_memory_image` of ``wt.w`` (raises when ``w`` is
    not CBTD with ``p.keep``), then the bias of row 0..4H-1 (two's complement, ``act_width``
    bits); tlast on the last beat."""
    check_weights(p, wt)
    image = cbtd_memory_image(cbtd_pack(wt.w, p.num_pe, p.keep), p.w_width)
    mask = (1 << p.act_width) - 1
    words = list(image) + [int(b) & mask for b in wt.bias]
    return [(w, i == len(words) - 1, 0) for i, w in enumerate(words)]


def decode_weight_load(p: DeltaLstmParams, beats: Sequence[Beat]) -> LstmWeights:
    """Inverse of :func:`encode_weight_load` (what the weight-stream monitor saw).

    Raises ``ValueError`` when the beat count or the tlast position is wrong, or a local row
    is outside the PE's slice."""
    n = load_beats(p)
    if len(beats) != n:
        raise ValueError(f"{p.BLOCK}: a weight load is {n} beats (got {len(beats)})")
    lasts = [i for i, (_, last, _) in enumerate(beats) if last]
    if lasts != [n - 1]:
        raise ValueError(f"{p.BLOCK}: tlast must be on beat {n - 1} only (got {lasts})")
    eb, ww = entry_bits(p), p.w_width
    shape = (p.cols, p.num_pe, p.keep)
    value = np.empty(shape, dtype=np.int64)
    local_row = np.empty(shape, dtype=np.int64)
    for addr in range(image_words(p)):
        j, k = divmod(addr, p.keep)
        ent = unpack(beats[addr][0], p.num_pe, eb, signed=False)
        v = ent & ((1 << ww) - 1)
        value[j, :, k] = np.where(v >> (ww - 1), v - (1 << ww), v)  # two's complement
        local_row[j, :, k] = ent >> ww
    if local_row.max(initial=0) >= p.rows_per_pe:
        raise ValueError(f"{p.BLOCK}: a local row index is >= rows_per_pe={p.rows_per_pe}")
    w = cbtd_unpack(CbtdWeights(num_pe=p.num_pe, keep=p.keep, rows=p.rows, value=value,
                                local_row=local_row))
    bias = np.array([unpack(d, 1, p.act_width)[0] for d, _, _ in beats[image_words(p):]],
                    dtype=np.int64)
    return LstmWeights(w, bias)


def encode_x_step(p: DeltaLstmParams, x) -> list[Beat]:
    """``s_axis_x`` beats of one step: element ``b*LX + e`` of beat b at bits
    ``[e*a, (e+1)*a)``; lanes past I in the last beat are 0; no tlast (the port has none)."""
    x = np.asarray(x, dtype=np.int64)
    if x.shape != (p.input_size,):
        raise ValueError(f"{p.BLOCK}: x_t must have shape ({p.input_size},) (got {x.shape})")
    check_signed(x, p.act_width, f"{p.BLOCK}: x_t")
    lx = x_lanes(p)
    return [(pack(x[b * lx:(b + 1) * lx], p.act_width), False, 0) for b in range(x_beats(p))]


def decode_x_step(p: DeltaLstmParams, beats: Sequence[Beat]) -> np.ndarray:
    """Inverse of :func:`encode_x_step`: x_t (I,) int64 (padding lanes are ignored, as the
    RTL ignores them)."""
    if len(beats) != x_beats(p):
        raise ValueError(f"{p.BLOCK}: an x step is {x_beats(p)} beats (got {len(beats)})")
    lx = x_lanes(p)
    x = np.concatenate([unpack(d, lx, p.act_width) for d, _, _ in beats])
    return x[:p.input_size]


def encode_h_step(p: DeltaLstmParams, h) -> list[Beat]:
    """``m_axis_h`` beats of one step: unit ``g*L + e`` of beat g at bits ``[e*a, (e+1)*a)``,
    lanes past H in the last beat 0, tlast on the last beat."""
    h = np.asarray(h, dtype=np.int64)
    nb, lanes = h_beats(p), p.act_lanes
    padded = np.zeros(nb * lanes, dtype=np.int64)
    padded[:p.hidden_size] = h
    return [(pack(padded[g * lanes:(g + 1) * lanes], p.act_width), g == nb - 1, 0)
            for g in range(nb)]


def decode_h_step(p: DeltaLstmParams, beats: Sequence[Beat]) -> dict[str, np.ndarray]:
    """Output beats of one step -> ``{"h": (n,), "pad": (m,)}``: the hidden units and the
    padding lanes of the last beat (which must be 0). Any beat count is decoded, so a wrong
    count shows up as a shape mismatch in the scoreboard rather than an exception here."""
    lanes = p.act_lanes
    flat = (np.concatenate([unpack(d, lanes, p.act_width) for d, _, _ in beats])
            if beats else np.zeros(0, dtype=np.int64))
    return {"h": flat[:p.hidden_size], "pad": flat[p.hidden_size:]}


def expected_h_step(p: DeltaLstmParams, h) -> dict[str, np.ndarray]:
    """What :func:`decode_h_step` must return for hidden output ``h``."""
    return {"h": np.asarray(h, dtype=np.int64),
            "pad": np.zeros(h_beats(p) * p.act_lanes - p.hidden_size, dtype=np.int64)}
