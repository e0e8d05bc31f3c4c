"""SDDMM ``S = (Q Kᵀ) ⊙ mask``: parameters, transaction and bit-exact golden model.

One transaction is one attention *head*: ``q`` (n_q x d) and ``k`` (n_k x d) signed
``data_width``-bit, a bool mask (n_q x n_k, True = kept, :mod:`models.attn_mask`) and a
requantisation pair. Only kept entries are computed: for every kept (i, j)::

    acc[i, j] = sum_t q[i, t] * k[j, t]                            (exact, acc_width bits)
    s[i, j]   = saturate(round_shift(acc * scale, shift), score_width)

which is :func:`models.gemm.requantise` (round half up, then saturate; models/fixed.py).
``scale = 1, shift = 0`` passes the accumulator through (saturated to ``score_width``). The
result of a head is one int64 array per query row holding its kept scores in ascending column
order, i.e. the value list of the row packet (:func:`models.attn_mask.encode_value_row`, signed
``score_width`` values; an all-masked row is an empty array / one EMPTY beat).

Error budget against the float64 reference (:func:`sddmm_float`)
    ``x = (q_i · k_j) * scale / 2**shift`` is computed exactly in float64 when
    ``acc_bits_needed + scale_width <= 53`` (every partial sum is an integer below 2**53 and the
    division by a power of two is exact), which holds for every config in ``CONFIGS``. The model
    returns ``clamp(floor(x + 1/2), smin, smax)``. Without saturation ``|floor(x + 1/2) - x| <=
    1/2``, so::

        |s - x| <= 0.5 LSB     whenever  smin - 1/2 <= x < smax + 1/2   (not saturated)

    and otherwise ``s`` is the clamp (``smax`` for ``x >= smax + 1/2``, ``smin`` for
    ``x < smin - 1/2``) and the error is ``|x - s| > 1/2``. Saturated positions are never
    silent: :func:`saturated_positions` lists them.

The package, one module a seam: :mod:`~models.sddmm.params` (the parameters and their
widths), :mod:`~models.sddmm.model` (the head, the bit-exact model, the float64 reference
and budget, the head generators), :mod:`~models.sddmm.streams` (the block's transactions and
stream encoders/decoders, the per-row model the scoreboard uses), :mod:`~models.sddmm.cycles`
(the exact cycle model) and :mod:`~models.sddmm.configs` (the named corners). Every name is
importable from :mod:`models.sddmm` itself.
"""

from models.params import ParamError
from models.sddmm.configs import CONFIGS
from models.sddmm.cycles import (
    FIRST_Q_CYCLES,
    LAST_OUTPUT_CYCLES,
    expected_cycles,
    expected_head_cycles,
    output_latency,
)
from models.sddmm.model import (
    FLOAT64_EXACT_BITS,
    SDDMM_BUDGET_LSB,
    SddmmHead,
    check_head,
    macs,
    random_head,
    rows_to_dense,
    saturated_positions,
    sddmm_acc,
    sddmm_float,
    sddmm_ref,
    useful_requant,
)
from models.sddmm.params import SddmmParams
from models.sddmm.streams import (
    LAST_Q,
    KLoad,
    MaskRow,
    QRow,
    decode_k,
    decode_m,
    decode_out,
    decode_q,
    decode_scores,
    encode_k,
    encode_m,
    encode_q,
    encode_scores,
    head_shapes,
    head_txns,
    k_user,
    row_out,
)

__all__ = ["CONFIGS", "FIRST_Q_CYCLES", "FLOAT64_EXACT_BITS", "KLoad", "LAST_OUTPUT_CYCLES",
           "LAST_Q", "MaskRow", "ParamError", "QRow", "SDDMM_BUDGET_LSB", "SddmmHead",
           "SddmmParams", "check_head", "decode_k", "decode_m", "decode_out", "decode_q",
           "decode_scores", "encode_k", "encode_m", "encode_q", "encode_scores", "expected_cycles",
           "expected_head_cycles", "head_shapes", "head_txns", "k_user", "macs", "output_latency",
           "random_head", "row_out",
           "rows_to_dense", "saturated_positions", "sddmm_acc", "sddmm_float", "sddmm_ref",
           "useful_requant"]
