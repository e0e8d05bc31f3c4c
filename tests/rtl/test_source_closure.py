"""A block re-converts only when a source it imports changed: its RTL and model modules and
their project imports, nothing of the other blocks."""

from rtl.convert import ROOT, source_files, source_hash


def _names(block):
    return {str(f.relative_to(ROOT)) for f in source_files(block)}


def test_closure_holds_the_blocks_own_sources_and_shared_ones():
    g = _names("gemm")
    assert {"rtl/gemm.py", "models/gemm.py", "rtl/common/array.py", "rtl/common/prims.py",
            "models/fixed.py", "models/params.py", "rtl/convert.py", "rtl/myhdl_patch.py"} <= g
    assert "rtl/nm_gemm.py" in _names("nm_gemm") and "models/gemm.py" in _names("nm_gemm")
    assert "tests/spine/spine_ref_rtl.py" in _names("spine_ref")


def _package(folder):
    """Every module of a package folder (delta_lstm's RTL and model are packages)."""
    return {str(f.relative_to(ROOT)) for f in (ROOT / folder).rglob("*.py")}


def test_closure_holds_every_module_of_a_package():
    dl = _package("rtl/delta_lstm") | _package("models/delta_lstm")
    assert {"rtl/delta_lstm/__init__.py", "models/delta_lstm/__init__.py"} < dl
    assert dl <= _names("delta_lstm")


def test_other_blocks_sources_are_not_in_the_closure():
    dl = _package("rtl/delta_lstm") | _package("models/delta_lstm")
    assert not (dl | {"models/nm_gemm.py"}) & _names("gemm")
    assert not {"rtl/common/array.py", "models/gemm.py"} & _names("delta_lstm")


def test_hash_is_stable_and_per_block():
    assert source_hash("gemm") == source_hash("gemm")
    assert len({source_hash(b) for b in ("gemm", "nm_gemm", "delta_lstm", "spine_ref")}) == 4
