"""Named ``eie`` configs (the four corners)."""

from __future__ import annotations

from models.eie.params import EieParams

#: min: one PE, one lane, a 2 x 2 layer, a one-entry FIFO; typical: 4 PEs scanning 4
#: activations a beat, 32 local rows (so zero runs of 16 and more need padding), EIE's FIFO
#: depth of 8; non_pow2: 3 PEs and 3 lanes, odd bounds; max: 8 PEs, 256 x 256 layers
CONFIGS = {
    "min": EieParams(num_pe=1, lanes=1, max_rows=2, max_cols=2, max_nnz=4, fifo_depth=1,
                     act_width=4, code_width=4, acc_width=9, scale_width=2),
    "typical": EieParams(),
    "non_pow2": EieParams(num_pe=3, lanes=3, max_rows=50, max_cols=37, max_nnz=300,
                          fifo_depth=5, act_width=12, code_width=10, acc_width=28,
                          scale_width=12),
    "max": EieParams(num_pe=8, lanes=8, max_rows=256, max_cols=256, max_nnz=2048,
                     fifo_depth=16, act_width=16, code_width=16, acc_width=40, scale_width=16),
}
