"""nm_gemm scoreboard binding: the model that predicts a tile's output and how it is compared.

A tile's expected output is ``{"y": Y, "flag": F}`` (:func:`models.nm_gemm.nm_gemm_expected`):
``Y`` the (rows, cols) result of :func:`models.nm_gemm.nm_gemm_ref` and ``F`` the tile's
malformed flag (:func:`models.nm_gemm.nm_gemm_flag`) repeated for every output row, since the
RTL returns it on ``m_axis_tuser`` with each row. Both fields are compared element by element,
exactly (no tolerance: the RTL and the model implement the same integer arithmetic and rounding).
"""

from models.nm_gemm import NmGemmTile, malformed_groups, nm_gemm_expected
from scoreboards.compare import compare_exact

expected = nm_gemm_expected
compare = compare_exact


def describe(t: NmGemmTile) -> str:
    """Tile context for mismatch reports."""
    bad = malformed_groups(t)
    first_bad = f" first at (row, group) {bad[0]}" if bad else ""
    return (f"K={t.k} groups={t.a.n_groups} malformed_groups={len(bad)}{first_bad} "
            f"scale={t.scale} shift={t.shift} relu={int(t.relu)}")
