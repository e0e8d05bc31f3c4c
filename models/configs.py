"""Named configurations per block: ``min``, ``typical``, ``non_pow2``, ``max`` (Amaranth-style
corners: one, power of two, non power of two, largest we regress).

``get_config(block, name, overrides)`` is what ``make sim``, ``rtl.convert`` and the tests
call; an unknown
block or config name gets one sentence listing the known ones.
"""

from __future__ import annotations

from models.delta_lstm import DeltaLstmParams
from models.gemm import GemmParams
from models.nm_gemm import NmGemmParams
from models.params import BlockParams, ParamError

CONFIGS: dict[str, dict[str, BlockParams]] = {
    # delta_lstm: thresholds are cfg ports (run-time), so only the shapes differ here
    "delta_lstm": {
        # one input, one unit, one PE, one weight per (PE, column), one lane
        "min": DeltaLstmParams(input_size=1, hidden_size=1, num_pe=1, keep=1, act_lanes=1),
        "typical": DeltaLstmParams(),  # I = H = 8, 4 PEs, keep 2 of 8, 4 lanes
        # 3 lanes: short last beats on both streams; keep == rows_per_pe (dense CBTD)
        # ... and the hard sigmoid/tanh (shift-and-clamp) instead of the LUTs, so that both
        # nonlinearity builds run in every regression
        "non_pow2": DeltaLstmParams(input_size=8, hidden_size=3, num_pe=2, keep=6,
                                    act_lanes=3, hard=True),
        # twice typical on every axis that costs simulation time (M rows, columns, PEs)
        "max": DeltaLstmParams(input_size=16, hidden_size=16, num_pe=8, keep=3, act_lanes=4),
    },
    "gemm": {
        "min": GemmParams(rows=1, cols=1, requant=False),
        "typical": GemmParams(rows=4, cols=4, requant=True),
        "non_pow2": GemmParams(rows=3, cols=5, requant=True),
        "max": GemmParams(rows=8, cols=8, requant=False),
    },
    "nm_gemm": {
        "min": NmGemmParams(rows=1, cols=1, n=1, m=2, requant=False),
        "typical": NmGemmParams(rows=4, cols=4, n=2, m=4, requant=True),
        "non_pow2": NmGemmParams(rows=3, cols=5, n=1, m=4, requant=True),
        "max": NmGemmParams(rows=8, cols=8, n=4, m=8, requant=False),
    },
}


def get_config(block: str, name: str = "typical", overrides: dict | None = None) -> BlockParams:
    if block not in CONFIGS:
        raise ParamError(f"unknown block {block!r}; known blocks: {', '.join(sorted(CONFIGS))}")
    if name not in CONFIGS[block]:
        raise ParamError(f"{block}: unknown config {name!r}; known configs: "
                         f"{', '.join(CONFIGS[block])}")
    p = CONFIGS[block][name]
    return p.replace(**overrides) if overrides else p
