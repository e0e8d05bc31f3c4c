"""EIE (Han et al., ISCA 2016; seed_specs.md C1): compressed sparse M x V with weight sharing
and activation zero-skipping. Parameters and golden model of the ``eie`` block.

The package, one module a seam: :mod:`~models.eie.params` (the parameters, widths and status
bits), :mod:`~models.eie.format` (pruning, the k-means codebook, row interleaving over the PEs,
CSC with 4-bit (v, z) pairs and padding, the refusal of malformed slices, the column walk the
hardware does), :mod:`~models.eie.model` (the layer, the bit-exact M x V with ReLU and
requantisation, the float64 references and budgets, random layers),
:mod:`~models.eie.streams` (the block's transactions and their beats), :mod:`~models.eie.cycles`
(the exact cycle twin, the ideal and the load-imbalance bound) and :mod:`~models.eie.configs`
(the named corners). Every name is importable from :mod:`models.eie` itself.
"""

from models.eie.configs import CONFIGS
from models.eie.cycles import Timing, expected_cycles, ideal_cycles, pe_bound, simulate
from models.eie.format import (
    ColumnWalk,
    CscError,
    PeSlice,
    check_csc,
    decode_csc,
    decode_slice,
    encode_csc,
    encode_slice,
    interleave,
    kmeans_codebook,
    local_rows,
    pe_slice,
    prune_magnitude,
    share_weights,
    walk_column,
)
from models.eie.model import (
    EieLoad,
    EieResult,
    Vector,
    budget1,
    check_load,
    check_vector,
    dense_weights,
    e2e_budget,
    e2e_closed_form,
    e2e_float,
    eie_float,
    eie_ref,
    eie_run,
    layer_from_index,
    load_faults,
    quantise_layer,
    random_index,
    random_layer,
    random_vector,
    requant,
    unit_requant,
)
from models.eie.params import (
    CODEBOOK_SIZE,
    MAX_ZRUN,
    ST_INDEX,
    ST_LOAD,
    ST_PTR_END,
    ST_PTR_ORDER,
    ST_ZRUN,
    STATUS_BITS,
    ZERO_CODE,
    EieParams,
    acc_bits_needed,
)
from models.eie.streams import (
    a_beats,
    decode_act,
    decode_load,
    decode_out,
    encode_act,
    encode_load,
    expected_out,
    out_beats,
    vector_out,
)
from models.params import ParamError

__all__ = ["CODEBOOK_SIZE", "CONFIGS", "MAX_ZRUN", "STATUS_BITS", "ST_INDEX", "ST_LOAD",
           "ST_PTR_END", "ST_PTR_ORDER", "ST_ZRUN", "ZERO_CODE", "ColumnWalk", "CscError",
           "EieLoad", "EieParams", "EieResult", "ParamError", "PeSlice", "Timing", "Vector",
           "a_beats", "acc_bits_needed", "budget1", "check_csc", "check_load", "check_vector",
           "decode_act", "decode_csc", "decode_load", "decode_out", "decode_slice",
           "dense_weights", "e2e_budget", "e2e_closed_form", "e2e_float", "eie_float",
           "eie_ref", "eie_run", "encode_act", "encode_csc", "encode_load", "encode_slice",
           "expected_cycles", "expected_out", "ideal_cycles", "interleave", "kmeans_codebook",
           "layer_from_index", "load_faults", "local_rows", "out_beats", "pe_bound",
           "pe_slice", "prune_magnitude", "quantise_layer", "random_index", "random_layer",
           "random_vector", "requant", "share_weights", "simulate", "unit_requant",
           "vector_out", "walk_column"]
