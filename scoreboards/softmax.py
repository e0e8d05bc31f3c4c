"""softmax scoreboard binding: the model that predicts a row's probabilities and how they are
compared.

Every probability of every row is compared exactly, together with the row's EMPTY flag (no
tolerance: the RTL and ``models.softmax.softmax_ref`` do the same integer arithmetic; the
model's own error against float64 softmax is bounded and tested in
tests/unit/test_model_softmax.py).
"""

from models.softmax import SoftmaxRow, softmax_ref
from scoreboards.compare import compare_exact

expected = softmax_ref
compare = compare_exact


def describe(row: SoftmaxRow) -> str:
    """Row context for mismatch reports."""
    if row.n == 0:
        return "empty row"
    return f"n={row.n} max={int(row.x.max())} at {int(row.x.argmax())}"
