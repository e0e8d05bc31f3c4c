"""``eie``'s streams (rtl/eie): a layer is loaded on ``s_axis_w``, activation vectors come on
``s_axis_a``, one output vector per activation vector leaves on ``m_axis_b``.

``s_axis_w`` (one load = one layer, tlast on its last beat), ``tuser = kind | pe << 3``:

==============  =========================================================  ==================
kind            tdata                                                      beats
==============  =========================================================  ==================
KIND_SHAPE 0    rows | cols << RW | relu << (RW + CW)                      1, first
KIND_REQUANT 1  scale | shift << SW                                        1
KIND_CODE 2     codebook value (signed code_width) of index 1, 2, ...      n_codes - 1 (<= 15)
KIND_PTR 3      column pointer p[1..cols] of PE ``pe`` (p[0] = 0 implied)  cols per PE
KIND_ENTRY 4    entry ``v | z << 4`` of PE ``pe``, in memory order         nnz per PE
==============  =========================================================  ==================

A beat of another kind (5..7), or a pointer or entry beat naming a PE past N, belongs to no
part of a layer: the block flags the load (ST_LOAD), and :func:`decode_load` counts such beats
in ``EieLoad.stray`` (:func:`encode_load` sends ``stray`` such beats after the slices, for the
tests: of kind KIND_STRAY, every second one a pointer for PE N when the PE field can name it).
A load that does not open with its SHAPE beat, and a SHAPE beat that is not the load's first,
are malformed too (ST_LOAD; the block never reuses the last layer's shape): :func:`decode_load`
sets ``EieLoad.shape_first`` False for the first and counts the second in
``EieLoad.late_shapes`` without taking its fields (:func:`encode_load` leaves the SHAPE beat
out when ``shape_first`` is False and sends ``late_shapes`` copies of it after the slices).
A load with no REQUANT beat or more than one is malformed as well (ST_LOAD): the decoder
counts them in ``EieLoad.requants`` (the encoder sends the first after the SHAPE beat and
the others after the slices, or none when ``requants`` is 0).

``s_axis_a``: ``lanes`` activations per beat (lane g at bits [g*AW, (g+1)*AW), activation
``beat * lanes + g``), ceil(cols / lanes) beats, tlast on the last; lanes past ``cols`` are
ignored (the encoder sends 0).

``m_axis_b``: beat r carries output rows ``r*N .. r*N + N-1`` (lane k = row r*N + k; a lane
past ``rows`` is 0), ceil(rows / N) beats, tlast on the last, ``tuser`` = the status bits
(models.eie.params) on every beat; a vector with a bad load (ST_LOAD) is one zero beat.
"""

from __future__ import annotations

import numpy as np

from models.eie.format import PeSlice
from models.eie.model import EieLoad, EieResult, Vector, eie_run
from models.eie.params import INDEX_BITS, ST_LOAD, ZRUN_BITS, EieParams
from models.fixed import check_signed, pack_rows, unpack, unpack_rows

Beat = tuple[int, bool, int]

KIND_SHAPE, KIND_REQUANT, KIND_CODE, KIND_PTR, KIND_ENTRY = range(5)
KIND_BITS = 3
KIND_STRAY = (1 << KIND_BITS) - 1  # one of the kinds no beat of a layer has
KIND_NAMES = {KIND_SHAPE: "shape", KIND_REQUANT: "requant", KIND_CODE: "code",
              KIND_PTR: "ptr", KIND_ENTRY: "entry"}


def _fits(x: int, bits: int, what: str) -> int:
    x = int(x)
    if not 0 <= x < (1 << bits):
        raise ValueError(f"eie: {what} {x} does not fit its {bits}-bit field")
    return x


def encode_load(p: EieParams, t: EieLoad) -> list[Beat]:
    """The layer's load beats (module doc). Values must fit their fields; everything else
    (shape, counts, pointer order) is sent as it is, so that malformed layers reach the RTL."""
    rw, cw, sw = p.row_width, p.col_width, p.scale_width
    shape_beat = (_fits(t.rows, rw, "rows") | _fits(t.cols, cw, "cols") << rw
                  | int(bool(t.relu)) << (rw + cw), KIND_SHAPE)
    beats: list[tuple[int, int]] = [shape_beat] if t.shape_first else []
    requant_beat = (_fits(t.scale, sw, "scale") | _fits(t.shift, p.shift_width, "shift") << sw,
                    KIND_REQUANT)
    beats += [requant_beat] if t.requants else []
    codes = np.asarray(t.codes, dtype=np.int64)
    check_signed(codes, p.code_width, "eie codebook")
    beats += [(int(c) & ((1 << p.code_width) - 1), KIND_CODE) for c in codes]
    if len(t.slices) > p.num_pe:
        raise ValueError(f"eie: {len(t.slices)} slices for {p.num_pe} PEs")
    for k, s in enumerate(t.slices):
        ptr = np.asarray(s.ptr, dtype=np.int64)
        if len(ptr) == 0 or ptr[0] != 0:
            raise ValueError(f"eie: PE {k}: p[0] is the implied 0 on the stream (got "
                             f"{ptr[:1].tolist()})")
        user = k << KIND_BITS
        beats += [(_fits(x, p.ptr_width, f"PE {k} pointer"), KIND_PTR | user) for x in ptr[1:]]
        beats += [(_fits(v, INDEX_BITS, f"PE {k} index") | _fits(z, ZRUN_BITS, f"PE {k} zero run")
                   << INDEX_BITS, KIND_ENTRY | user) for v, z in zip(s.v, s.z)]
    beats += [shape_beat] * int(t.late_shapes) + [requant_beat] * max(0, int(t.requants) - 1)
    past_n = (1 << p.pe_width) > p.num_pe  # the PE field can name a PE past N
    beats += [(0, KIND_PTR | p.num_pe << KIND_BITS) if i % 2 and past_n else (0, KIND_STRAY)
              for i in range(int(t.stray))]
    n = len(beats)
    return [(d, i == n - 1, u) for i, (d, u) in enumerate(beats)]


def decode_load(p: EieParams, beats: list[Beat]) -> EieLoad:
    """Inverse of :func:`encode_load` (what the monitor saw)."""
    rw, cw, sw = p.row_width, p.col_width, p.scale_width
    rows = cols = scale = shift = 0
    relu = False
    codes: list[int] = []
    ptrs: list[list[int]] = [[0] for _ in range(p.num_pe)]
    ents: list[list[int]] = [[] for _ in range(p.num_pe)]
    stray = late_shapes = requants = 0
    shape_first = bool(beats) and beats[0][2] & ((1 << KIND_BITS) - 1) == KIND_SHAPE
    for i, (d, _, u) in enumerate(beats):
        kind, pe = u & ((1 << KIND_BITS) - 1), u >> KIND_BITS
        if kind == KIND_SHAPE and i:  # not the load's first beat: no shape of the layer
            late_shapes += 1
        elif kind == KIND_SHAPE:
            rows, cols = d & ((1 << rw) - 1), (d >> rw) & ((1 << cw) - 1)
            relu = bool((d >> (rw + cw)) & 1)
        elif kind == KIND_REQUANT:
            requants += 1
            scale, shift = d & ((1 << sw) - 1), (d >> sw) & ((1 << p.shift_width) - 1)
        elif kind == KIND_CODE:
            codes.append(int(unpack(d, 1, p.code_width)[0]))
        elif kind in (KIND_PTR, KIND_ENTRY) and pe < p.num_pe:
            (ptrs if kind == KIND_PTR else ents)[pe].append(int(d))
        else:  # a kind past KIND_ENTRY, or a pointer or entry for a PE past N
            stray += 1
    slices = [PeSlice(np.array(pt, dtype=np.int64),
                      np.array([e & ((1 << INDEX_BITS) - 1) for e in en], dtype=np.int64),
                      np.array([e >> INDEX_BITS for e in en], dtype=np.int64))
              for pt, en in zip(ptrs, ents)]
    return EieLoad(rows, cols, np.array(codes, dtype=np.int64), slices, scale, shift, relu,
                   stray, shape_first, late_shapes, requants)


def a_beats(p: EieParams, cols: int) -> int:
    return -(-cols // p.lanes)


def encode_act(p: EieParams, t: Vector) -> list[Beat]:
    a = np.asarray(t.a, dtype=np.int64)
    check_signed(a, p.act_width, "eie activations")
    n = a_beats(p, len(a))
    if n == 0:
        raise ValueError("eie: an activation vector has at least one value")
    padded = np.zeros(n * p.lanes, dtype=np.int64)
    padded[:len(a)] = a
    words = pack_rows(padded.reshape(n, p.lanes), p.act_width)
    return [(w, i == n - 1, 0) for i, w in enumerate(words)]


def decode_act(p: EieParams, beats: list[Beat]) -> Vector:
    """All lanes of every beat (the padding lanes included: the layer's cols cuts them)."""
    return Vector(unpack_rows([d for d, _, _ in beats], p.lanes, p.act_width).ravel())


def out_beats(p: EieParams, rows: int, status: int) -> int:
    return 1 if status & ST_LOAD else -(-rows // p.num_pe)


def expected_out(p: EieParams, r: EieResult, rows: int) -> dict[str, np.ndarray]:
    """The output transaction as :func:`decode_out` gives it."""
    n = out_beats(p, rows, r.status)
    lanes = np.zeros(n * p.num_pe, dtype=np.int64)
    lanes[:len(r.b)] = r.b
    return {"b": lanes.reshape(n, p.num_pe), "status": np.full(n, r.status, dtype=np.int64)}


def vector_out(p: EieParams, t: EieLoad, v: Vector) -> dict[str, np.ndarray]:
    """Bit-exact output transaction of ``v`` through ``t`` (lanes past cols ignored)."""
    a = np.asarray(v.a, dtype=np.int64)
    a = a[:t.cols] if len(a) >= t.cols else np.concatenate(
        [a, np.zeros(t.cols - len(a), dtype=np.int64)])
    r = eie_run(p, t, a)
    return expected_out(p, r, t.rows)


def decode_out(p: EieParams, beats: list[Beat]) -> dict[str, np.ndarray]:
    return {"b": unpack_rows([d for d, _, _ in beats], p.num_pe, p.act_width),
            "status": np.array([u for _, _, u in beats], dtype=np.int64)}

