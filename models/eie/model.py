"""EIE's layer, its bit-exact M x V and its float64 references.

A layer (:class:`EieLoad`, the weight-load transaction) is its shape, a codebook of
``n_codes`` signed ``code_width`` values (index ``ZERO_CODE`` is 0 and not loaded), one
compressed slice per PE (models.eie.format), and the requantisation ``scale``, ``shift`` and
``relu`` of its outputs. For an activation vector ``a`` (cols signed ``act_width`` values)::

    acc[i] = sum_{j : a_j != 0} sum_{entries e of column j in PE i mod N at local row i div N}
                 S[v_e] * a_j                                          (exact, acc_width bits)
    b[i]   = saturate(round_shift(acc[i] * scale, shift), act_width), then max(b, 0) if relu

(models.fixed round_shift: round half up). :class:`EieParams` refuses an ``acc_width`` that
could overflow (each row takes at most one product per column).

Malformed slices are not refused here: :func:`eie_run` does what the RTL does with them
(models.eie.format.walk_column) and reports the status bits; an output vector with any status
bit set is all zeros. :func:`models.eie.format.check_csc` is the refusal for users.

Budget 1 (same integers; :func:`eie_float`)
    ``x = (W · a) * scale / 2**shift`` in float64 with ``W = S[I]`` decoded densely: ``W · a``
    is exact (integers below 2**53: acc_width <= 53 for every config), the multiply by
    ``scale / 2**shift`` rounds once (relative 2**-53). The model returns
    ``clamp(floor(x_exact + 1/2))`` so ``|b - clamp(x)| <= 1/2 + |x| * 2**-52`` (clamp to
    the output range and ReLU are 1-Lipschitz).

Budget 2 (end to end from float weights and activations; :func:`e2e_budget`)
    Weights ``W_s = S_f[I]`` (pruned and shared, float codebook), ``a_f`` float; the integers
    are ``S_int = quantise(S_f, wf)``, ``a_int = quantise(a_f, af)`` with the unit
    requantisation ``scale = 1, shift = wf`` (outputs in activation units, LSB 2**-af). With
    ``W^ = S_int[I] 2**-wf`` and ``a^ = a_int 2**-af``, ``W_s a_f - W^ a^ = sum_j (W_s - W^)_ij
    a_f,j + W^_ij (a_f - a^)_j``, so per output, in LSBs of the output::

        |b_i - clamp(relu(W_s a_f))_i| 2**-af <= 2**-af / 2
              + sum_j |W_s - W^|_ij |a_f,j| + |W^_ij| |a_f - a^|_j
           <= 2**-af / 2 + sum_{j: I_ij != 0} 2**-(wf+1) |a_f,j| + |W^_ij| 2**-(af+1)
              (closed form: nothing saturated by the quantisers)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.eie.format import (
    PeSlice,
    check_csc,
    decode_csc,
    encode_csc,
    local_rows,
    walk_column,
)
from models.eie.params import (
    CODEBOOK_SIZE,
    ST_LOAD,
    ZERO_CODE,
    EieParams,
)
from models.fixed import check_signed, quantise, round_shift, saturate, smax, smin
from models.params import ParamError


@dataclasses.dataclass
class EieLoad:
    """One layer as it is loaded: shape, requantisation, codebook values of indices
    1..n_codes-1 (``codes``), one slice per PE (``ptr`` with cols + 1 values, ptr[0] = 0).
    ``stray`` counts load beats that belong to no part of a layer (a kind past KIND_ENTRY, or
    a pointer or entry for a PE past N), sent after the slices: a malformed load (ST_LOAD).
    A layer's shape is its load's first beat and only it: ``shape_first`` False is a load
    that does not open with a SHAPE beat (the block must not reuse the last layer's shape),
    ``late_shapes`` counts SHAPE beats past the first (sent after the slices, before the
    stray beats); either is a malformed load (ST_LOAD). ``requants`` counts its REQUANT beats:
    a layer has one (with none the block must not reuse the last layer's scale and shift; a
    second one is sent after the slices): any other count is a malformed load (ST_LOAD)."""

    rows: int
    cols: int
    codes: np.ndarray
    slices: list[PeSlice]
    scale: int = 1
    shift: int = 0
    relu: bool = False
    stray: int = 0
    shape_first: bool = True
    late_shapes: int = 0
    requants: int = 1

    @property
    def n_codes(self) -> int:
        return len(self.codes) + 1

    def codebook(self) -> np.ndarray:
        """Index -> value (ZERO_CODE is 0)."""
        return np.concatenate([[0], np.asarray(self.codes, dtype=np.int64)]).astype(np.int64)


@dataclasses.dataclass
class Vector:
    """One activation vector (cols signed act_width values)."""

    a: np.ndarray


@dataclasses.dataclass(frozen=True)
class EieResult:
    """What the RTL computes for one vector: accumulators (rows,), output values (rows,)
    after requantisation and ReLU (zeros when status != 0), status bits, and per PE the
    column walks of every non-zero activation (timing)."""

    acc: np.ndarray
    b: np.ndarray
    status: int
    walks: list[list]  # per PE, per non-zero activation (in order): ColumnWalk


def load_faults(p: EieParams, t: EieLoad) -> int:
    """ST_LOAD when the load cannot be used as it is (see models.eie.params), else 0."""
    bad = (not 1 <= t.rows <= p.max_rows or not 1 <= t.cols <= p.max_cols
           or not 0 <= t.shift <= p.max_shift or len(t.codes) > CODEBOOK_SIZE - 1
           or len(t.slices) != p.num_pe or t.stray or not t.shape_first or t.late_shapes
           or t.requants != 1
           or any(len(s.ptr) - 1 != t.cols or s.nnz > p.max_nnz for s in t.slices))
    return ST_LOAD if bad else 0


def check_load(p: EieParams, t: EieLoad) -> None:
    """Refuse a layer with a sentence naming the rule (for users building layers)."""
    if not 1 <= t.rows <= p.max_rows:
        raise ParamError(f"eie: rows must be in [1, {p.max_rows}] (got {t.rows})")
    if not 1 <= t.cols <= p.max_cols:
        raise ParamError(f"eie: cols must be in [1, {p.max_cols}] (got {t.cols})")
    if len(t.codes) > CODEBOOK_SIZE - 1:
        raise ParamError(f"eie: at most {CODEBOOK_SIZE - 1} codebook values besides the zero "
                         f"code (got {len(t.codes)})")
    if not 0 <= t.shift <= p.max_shift:
        raise ParamError(f"eie: shift must be in [0, {p.max_shift}] (got {t.shift})")
    if not 0 <= t.scale < (1 << p.scale_width):
        raise ParamError(f"eie: scale must fit {p.scale_width} unsigned bits (got {t.scale})")
    if len(t.slices) != p.num_pe:
        raise ParamError(f"eie: one slice per PE: {p.num_pe} (got {len(t.slices)})")
    if t.stray:
        raise ParamError(f"eie: {t.stray} load beat(s) belong to no part of the layer (a kind "
                         f"past the entries, or a PE past {p.num_pe - 1})")
    if not t.shape_first or t.late_shapes:
        raise ParamError(f"eie: the load's first beat must be its SHAPE beat and no other beat "
                         f"one (shape first: {t.shape_first}, {t.late_shapes} SHAPE beat(s) "
                         f"past the first)")
    if t.requants != 1:
        raise ParamError(f"eie: a load has exactly one REQUANT beat (got {t.requants})")
    check_signed(np.asarray(t.codes, dtype=np.int64), p.code_width, "eie codebook")
    check_csc(t.slices, t.rows, t.cols, t.n_codes, p.max_nnz)


def check_vector(p: EieParams, t: EieLoad, a: np.ndarray) -> None:
    a = np.asarray(a)
    if a.ndim != 1 or len(a) != t.cols:
        raise ParamError(f"eie: an activation vector has the layer's cols={t.cols} values "
                         f"(got shape {a.shape})")
    check_signed(a, p.act_width, "eie activations")


def requant(p: EieParams, t: EieLoad, acc: np.ndarray) -> np.ndarray:
    y = saturate(round_shift(np.asarray(acc, dtype=np.int64) * int(t.scale), t.shift),
                 p.act_width)
    return np.maximum(y, 0) if t.relu else y


def eie_run(p: EieParams, t: EieLoad, a: np.ndarray) -> EieResult:
    """The vector through the layer as the RTL does it (module doc)."""
    a = np.asarray(a, dtype=np.int64)
    if load_faults(p, t):
        return EieResult(np.zeros(0, np.int64), np.zeros(0, np.int64), ST_LOAD, [])
    book = t.codebook()
    acc = np.zeros(t.rows, dtype=np.int64)
    status = 0
    nz = [j for j in range(t.cols) if a[j] != 0]
    walks = []
    n = p.num_pe
    for k, s in enumerate(t.slices):
        n_rows = local_rows(t.rows, n, k)
        wk = []
        for j in nz:
            w = walk_column(s, j, t.n_codes, n_rows)
            for r, v in w.hits:
                acc[r * n + k] += int(book[v]) * int(a[j])
            status |= w.faults
            wk.append(w)
        walks.append(wk)
    b = np.zeros(t.rows, dtype=np.int64) if status else requant(p, t, acc)
    return EieResult(acc, b, status, walks)


def eie_ref(p: EieParams, t: EieLoad, a: np.ndarray) -> np.ndarray:
    """Bit-exact outputs (rows,) of a well-formed layer (refuses a malformed one)."""
    check_load(p, t)
    check_vector(p, t, a)
    return eie_run(p, t, a).b


def dense_weights(t: EieLoad) -> np.ndarray:
    """The layer's integer weights (rows, cols): S[I], decoded from its slices."""
    return t.codebook()[decode_csc(t.slices, t.rows)]


def eie_float(p: EieParams, t: EieLoad, a: np.ndarray) -> np.ndarray:
    """Budget 1's reference: ``clamp(relu(x))`` in float64 (module doc)."""
    w = dense_weights(t).astype(np.float64)
    x = (w @ np.asarray(a, dtype=np.float64)) * (t.scale / 2.0 ** t.shift)
    x = np.clip(x, smin(p.act_width), smax(p.act_width))
    return np.maximum(x, 0.0) if t.relu else x


def budget1(p: EieParams, t: EieLoad, a: np.ndarray) -> np.ndarray:
    """Per-output bound on ``|eie_ref - eie_float|`` (module doc)."""
    return 0.5 + np.abs(eie_float(p, t, a)) * 2.0 ** -52


# -- building layers ------------------------------------------------------------------------
def layer_from_index(p: EieParams, idx: np.ndarray, codes, scale: int = 1, shift: int = 0,
                     relu: bool = False) -> EieLoad:
    """A layer from its (rows, cols) index matrix and the values of indices 1.. (checked)."""
    idx = np.asarray(idx, dtype=np.int64)
    t = EieLoad(idx.shape[0], idx.shape[1], np.asarray(codes, dtype=np.int64),
                encode_csc(idx, p.num_pe), scale, shift, relu)
    check_load(p, t)
    return t


def unit_requant(w_frac: int) -> tuple[int, int]:
    """scale, shift that bring Q(.wf) x Q(.af) products back to activation units."""
    return 1, w_frac


def quantise_layer(p: EieParams, idx: np.ndarray, codebook_f: np.ndarray, w_frac: int,
                   relu: bool) -> EieLoad:
    """A layer from an index matrix and a float codebook (entry ZERO_CODE = 0.0): codebook
    values quantised to ``w_frac`` fractional bits, unit requantisation."""
    s_int = quantise(codebook_f, w_frac, p.code_width)
    s_int[ZERO_CODE] = 0
    return layer_from_index(p, idx, s_int[1:], *unit_requant(w_frac), relu=relu)


def e2e_budget(p: EieParams, idx: np.ndarray, codebook_f: np.ndarray, w_frac: int,
               a_f: np.ndarray, a_frac: int) -> np.ndarray:
    """Budget 2 (module doc), data-dependent form, in output LSBs (2**-a_frac)."""
    s_int = quantise(codebook_f, w_frac, p.code_width)
    s_int[ZERO_CODE] = 0
    w_s = np.asarray(codebook_f, dtype=np.float64)[idx]
    w_hat = s_int[idx] * 2.0 ** -w_frac
    a_f = np.asarray(a_f, dtype=np.float64)
    a_hat = quantise(a_f, a_frac, p.act_width) * 2.0 ** -a_frac
    err = np.abs(w_s - w_hat) @ np.abs(a_f) + np.abs(w_hat) @ np.abs(a_f - a_hat)
    return 0.5 + err * 2.0 ** a_frac


def e2e_closed_form(p: EieParams, idx: np.ndarray, codebook_f: np.ndarray, w_frac: int,
                    a_f: np.ndarray, a_frac: int) -> np.ndarray:
    """Budget 2's closed form (no quantiser saturated), in output LSBs."""
    s_int = quantise(codebook_f, w_frac, p.code_width)
    s_int[ZERO_CODE] = 0
    nz = np.asarray(idx) != ZERO_CODE
    w_hat = np.abs(s_int[idx] * 2.0 ** -w_frac)
    a_f = np.abs(np.asarray(a_f, dtype=np.float64))
    err = (nz * 2.0 ** -(w_frac + 1)) @ a_f + w_hat.sum(axis=1) * 2.0 ** -(a_frac + 1)
    return 0.5 + err * 2.0 ** a_frac


def e2e_float(idx: np.ndarray, codebook_f: np.ndarray, a_f: np.ndarray, relu: bool,
              p: EieParams, a_frac: int) -> np.ndarray:
    """Budget 2's reference in output LSBs: clamp(relu(W_s a_f)) * 2**a_frac."""
    y = (np.asarray(codebook_f, dtype=np.float64)[idx] @ np.asarray(a_f, dtype=np.float64))
    y = y * 2.0 ** a_frac
    y = np.clip(y, smin(p.act_width), smax(p.act_width))
    return np.maximum(y, 0.0) if relu else y


def random_index(rng, rows: int, cols: int, density: float, n_codes: int) -> np.ndarray:
    """An (rows, cols) index matrix: each weight non-zero with probability ``density``, its
    index uniform over 1..n_codes-1."""
    if n_codes < 2:
        return np.zeros((rows, cols), dtype=np.int64)
    nz = rng.random((rows, cols)) < density
    return np.where(nz, rng.integers(1, n_codes, size=(rows, cols)), 0).astype(np.int64)


def random_layer(p: EieParams, rng, rows: int, cols: int, density: float = 0.3,
                 n_codes: int = CODEBOOK_SIZE, relu: bool | None = None,
                 requant_kind: str = "random", idx: np.ndarray | None = None) -> EieLoad:
    """A random layer that fits the PE memories (density lowered until it does)."""
    lo, hi = smin(p.code_width), smax(p.code_width)
    codes = rng.integers(lo, hi + 1, size=n_codes - 1)
    relu = bool(rng.integers(2)) if relu is None else relu
    if requant_kind == "unit":
        scale, shift = 1, 0
    else:  # a shift that keeps typical sums inside the output range most of the time: a
        # row's sum of ~cols random products grows like sqrt(cols) * 2**(cw-1) * 2**(aw-1)
        scale = int(rng.integers(1, 1 << p.scale_width))
        shift = int(min(p.max_shift, max(0, p.code_width + p.scale_width - 2
                                         + cols.bit_length() // 2
                                         + int(rng.integers(-2, 3)))))
    d = density
    while True:
        m = random_index(rng, rows, cols, d, n_codes) if idx is None else idx
        slices = encode_csc(m, p.num_pe)
        if max(s.nnz for s in slices) <= p.max_nnz:
            break
        if idx is not None:
            raise ParamError(f"eie: the index matrix needs {max(s.nnz for s in slices)} "
                             f"entries in one PE, more than max_nnz={p.max_nnz}")
        d *= 0.8
    t = EieLoad(rows, cols, codes, slices, scale, shift, relu)
    check_load(p, t)
    return t


def random_vector(p: EieParams, rng, cols: int, density: float = 0.5) -> np.ndarray:
    """cols activations, each non-zero with probability ``density`` (uniform non-zero)."""
    lo, hi = smin(p.act_width), smax(p.act_width)
    v = rng.integers(lo, hi + 1, size=cols)
    v = np.where(v == 0, 1, v)
    return np.where(rng.random(cols) < density, v, 0).astype(np.int64)
