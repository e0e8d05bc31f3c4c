"""Named DeltaLSTM configs (the four corners)."""

from models.delta_lstm.params import DeltaLstmParams

#: named corners (models/configs.py collects them); thresholds are cfg ports (run-time), so
#: only the shapes differ here
CONFIGS = {
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
}
