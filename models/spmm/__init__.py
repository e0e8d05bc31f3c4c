"""SpMM ``O = P · V`` with P sparse in the attention row format: parameters and golden model.

One transaction is one attention *head*: per query row the kept key columns (the row format of
:mod:`models.attn_mask`) with one probability each, and ``v`` (n_k x d) signed ``data_width``.
A probability is unsigned ``prob_width`` bits, UQ0.prob_width: the integer ``p`` stands for
``p / 2**prob_width`` (so 1.0 itself is not representable; :func:`quantise_probs` saturates it
to ``2**prob_width - 1``). For every query row i and output column c::

    acc[i, c] = sum_{j kept in row i} p[i, j] * v[j, c]           (exact, acc_width bits)
    o[i, c]   = saturate(round_shift(acc * scale, shift), data_width)

which is :func:`models.gemm.requantise` (round half up, then saturate). An all-masked row has
``acc = 0`` and so ``o = 0``. ``scale = 1, shift = prob_width`` keeps O in V's units
(:func:`unit_requant`). The accumulator never overflows: :class:`SpmmParams` refuses an
``acc_width`` too narrow for ``max_keys`` products ``(2**pw - 1) * (-2**(dw-1))``.

Budget 1: same integer P (:func:`spmm_float`)
    ``x = (P_int · V) * scale / 2**shift`` in float64 is exact (all partial sums are integers
    below 2**53 for every config in ``CONFIGS``: ``acc_bits_needed + scale_width <= 53``), and
    the model returns ``clamp(floor(x + 1/2))``, so ``|o - x| <= 0.5 LSB`` unless saturated
    (``x >= smax + 1/2`` or ``x < smin - 1/2``, listed by :func:`saturated_positions`).

Budget 2: end to end, P a quantised softmax (:func:`e2e_budget`)
    Let ``p_f`` be the float probabilities of a row's kept entries (sum <= 1), quantised by
    :func:`quantise_probs` (round half up of ``p_f * 2**pw``, saturated at ``2**pw - 1``), and
    the head requantised with :func:`unit_requant`. The reference is ``y = sum_j p_f[j] v[j, c]``
    in float64. Per element ``e_j = p_int[j] / 2**pw - p_f[j]``:

    * not saturated: ``|e_j| <= 2**-(pw+1)`` (rounding), and ``|e_j| <= p_f[j]`` (rounding
      down to 0 errs by ``p_f``; rounding up to ``p_int >= 1`` needs ``p_f >= 2**-(pw+1)``);
    * saturated (``p_f > 1 - 2**-(pw+1)``, at most one per row): ``|e_j| <= 2**-pw``, which is
      also ``<= p_f[j]``.

    ``acc / 2**pw = y + sum_j e_j v[j, c]``; the requantiser's rounding adds at most 1/2; the
    output clamp is 1-Lipschitz, so it adds at most the distance of ``y`` from ``[smin, smax]``,
    which is 0 when ``sum p_f <= 1`` (``smin * sum p_f <= y <= smax * sum p_f``) and at most
    ``2**(dw-1) * (sum p_f - 1)`` for float rows that sum to slightly more than 1. Per output
    element, in LSBs of V::

        |o[i, c] - y[i, c]| <= 1/2 + sum_j min(b_j, p_f[j]) * |v[j, c]|
                                   + 2**(dw-1) * max(0, sum_j p_f[j] - 1)
                               b_j = 2**-(pw+1), or 2**-pw where the quantiser saturates
                            <= 1/2 + 2**(dw-1) * min(nnz_i * 2**-(pw+1), 1)
                               (closed form: sum p_f <= 1 and no P saturated)

    :func:`e2e_budget` returns the first (data-dependent, tighter) bound.

The package, one module a seam: :mod:`~models.spmm.params` (the parameters and their
widths), :mod:`~models.spmm.model` (the head, the bit-exact model, the float64 references and
budgets, the quantised softmax, the head generators), :mod:`~models.spmm.streams` (the
block's transactions and stream encoders/decoders, the per-row model the scoreboard uses),
:mod:`~models.spmm.cycles` (the exact cycle model) and :mod:`~models.spmm.configs` (the
named corners). Every name is importable from :mod:`models.spmm` itself.
"""

from models.params import ParamError
from models.spmm.configs import CONFIGS
from models.spmm.cycles import (
    expected_cycles,
    expected_head_cycles,
    output_latency,
)
from models.spmm.model import (
    SpmmHead,
    check_head,
    e2e_budget,
    e2e_closed_form,
    e2e_float,
    head_from_dense,
    macs,
    masked_softmax,
    quantise_probs,
    random_head,
    saturated_positions,
    spmm_acc,
    spmm_float,
    spmm_ref,
    unit_requant,
    useful_requant,
)
from models.spmm.params import (
    SpmmParams,
    spmm_acc_bits_needed,
)
from models.spmm.streams import (
    LAST_ROW,
    PRow,
    VLoad,
    decode_out,
    decode_p,
    decode_probs,
    decode_v,
    encode_p,
    encode_probs,
    encode_v,
    head_txns,
    row_out,
)

__all__ = ["CONFIGS", "LAST_ROW", "PRow", "ParamError", "SpmmHead", "SpmmParams", "VLoad",
           "check_head", "decode_out", "decode_p", "decode_probs", "decode_v", "e2e_budget",
           "e2e_closed_form", "e2e_float", "encode_p", "encode_probs", "encode_v",
           "expected_cycles", "expected_head_cycles", "head_from_dense", "head_txns", "macs",
           "masked_softmax", "output_latency", "quantise_probs", "random_head", "row_out",
           "saturated_positions", "spmm_acc", "spmm_acc_bits_needed", "spmm_float", "spmm_ref",
           "unit_requant", "useful_requant"]
