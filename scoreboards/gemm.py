"""gemm scoreboard binding: the model that predicts a tile's output and how it is compared.

Every output row of every tile is compared element by element, exactly (no tolerance: the RTL
and ``models.gemm.gemm_ref`` implement the same integer arithmetic and the same rounding).
"""

from models.gemm import GemmTile, gemm_ref
from scoreboards.compare import compare_exact

expected = gemm_ref
compare = compare_exact


def describe(t: GemmTile) -> str:
    """Tile context for mismatch reports."""
    return f"K={t.k} scale={t.scale} shift={t.shift} relu={int(t.relu)}"
