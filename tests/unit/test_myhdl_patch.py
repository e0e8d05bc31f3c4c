"""rtl/myhdl_patch.py: the patched look-ups return what MyHDL's own would, on our generators,
and a conversion with the patch is byte-identical to one without it."""

from __future__ import annotations

import ast
import hashlib
import inspect

import myhdl._block
import myhdl._instance
import myhdl._util
import pytest

from models.configs import CONFIGS
from rtl import myhdl_patch
from rtl.convert import _strip, block_module, convert

#: the MyHDL functions that call a patched ``inspect`` function, and a hash of their source:
#: the patch relies on them reading only fields 0 and 3 of ``stack()`` records and on
#: ``_dedent`` being pure. A MyHDL upgrade that changes one fails here: re-read it, then
#: update the hash.
USERS = {
    (myhdl._block, "_getCallInfo"): "fd7bb31f8abd27c2",
    (myhdl._instance, "_getCallInfo"): "da0c9ad9242878a7",
    (myhdl._util, "_makeAST"): "c096d716eb5d04da",
    (myhdl._util, "_dedent"): "5d1b4150196cfa2d",
}
PATCHED_NAMES = {"stack", "getsource", "getsourcelines", "getsourcefile"}

#: small configs whose elaboration runs every kind of generator we write: always_comb,
#: always_seq, sub-blocks in lists (spmm, sddmm, softmax inside sparse_attn), packages
CHECKED = [("sparse_attn", "min"), ("delta_lstm", "min"), ("gemm", "min")]


def _src_hash(f) -> str:
    return hashlib.sha256(inspect.getsource(f).encode()).hexdigest()[:16]


@pytest.mark.parametrize("mod, name", list(USERS), ids=[f"{m.__name__}.{n}" for m, n in USERS])
def test_myhdl_functions_the_patch_relies_on_are_unchanged(mod, name):
    assert _src_hash(getattr(mod, name)) == USERS[mod, name]


def test_no_other_function_of_the_patched_modules_uses_a_patched_name():
    """The patch swaps a module's ``inspect``: every use of it in that module is listed."""
    for mod in myhdl_patch.PATCHED + (myhdl._util,):
        tree = ast.parse(inspect.getsource(mod))
        users = set()
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                for n in ast.walk(fn):
                    if (isinstance(n, ast.Attribute) and n.attr in PATCHED_NAMES
                            and isinstance(n.value, ast.Name) and n.value.id == "inspect"):
                        users.add(fn.name)
        expected = {name for (m, name) in USERS if m is mod} - {"_dedent"}  # memoised, no inspect
        # _block's decorator reads getsourcefile/getsourcelines once per @block definition
        # through the real inspect (only stack is replaced there)
        if mod is myhdl._block:
            expected.add("__init__")
        assert users == expected, (mod.__name__, users)


class _CheckedInspect:
    """A module's ``inspect`` that answers with the real function and asserts the patched
    one agrees, on every call MyHDL makes while elaborating and converting our blocks."""

    def __init__(self, log):
        self.log = log
        self.cache = myhdl_patch._SourceCache()

    def __getattr__(self, name):
        return getattr(inspect, name)

    def stack(self, context=1):
        real, fast = inspect.stack(context)[1:], myhdl_patch.frames_stack(context)[1:]
        assert len(real) == len(fast)
        for r, f in zip(real, fast):
            assert r[0] is f[0] and r[3] == f[3] and r.function == f.function
        self.log.append("stack")
        return real

    def _both(self, what, obj):
        real = getattr(inspect, what)(obj)
        assert getattr(self.cache, what)(obj) == real
        self.log.append(what)
        return real

    def getsource(self, obj):
        return self._both("getsource", obj)

    def getsourcelines(self, obj):
        return self._both("getsourcelines", obj)

    def getsourcefile(self, obj):
        return self._both("getsourcefile", obj)


def _checked_dedent(log, memo_dedent):
    def _dedent(s):
        real = myhdl_patch._ORIGINAL_DEDENT(s)
        assert memo_dedent(s) == real
        log.append("_dedent")
        return real
    return _dedent


@pytest.mark.parametrize("blk, name", CHECKED, ids=[f"{b}-{n}" for b, n in CHECKED])
def test_patched_lookups_agree_with_inspect_on_our_generators(blk, name, tmp_path,
                                                              monkeypatch):
    log = []
    checked = _CheckedInspect(log)
    for mod in myhdl_patch.PATCHED + (myhdl._util,):
        monkeypatch.setattr(mod, "inspect", checked)
    monkeypatch.setattr(myhdl._util, "_dedent",
                        _checked_dedent(log, myhdl_patch._memo_dedent(
                            myhdl_patch._ORIGINAL_DEDENT)))
    p = CONFIGS[blk][name].build_params()
    mod = block_module(blk)
    top = getattr(mod, blk)(**mod.ports(p), p=p)
    top.convert(hdl="Verilog", path=str(tmp_path), name=p.module_name, testbench=False)
    # every patched look-up ran, the source ones many times per function (the cache hits)
    assert {"stack", "getsource", "getsourcelines", "getsourcefile", "_dedent"} <= set(log)
    functions = sum(1 for what, _ in checked.cache._memo if what == "getsource")
    assert log.count("getsource") > functions > 0


def test_conversion_with_the_patch_is_byte_identical(tmp_path, monkeypatch):
    """rtl.convert's worker with and without the patch (ZEROSKIP_MYHDL_PATCH=0): the same
    Verilog below the header. Every named config was compared this way when the patch came."""
    p = CONFIGS["sparse_attn"]["min"]
    fast = convert(p, tmp_path / "fast").read_text()
    monkeypatch.setenv("ZEROSKIP_MYHDL_PATCH", "0")
    plain = convert(p, tmp_path / "plain").read_text()
    assert _strip(fast) == _strip(plain) and f"module {p.module_name}" in fast


def test_apply_is_idempotent_and_undo_restores():
    try:
        myhdl_patch.apply()
        first = myhdl._instance.inspect, myhdl._util.inspect, myhdl._util._dedent
        myhdl_patch.apply()
        assert (myhdl._instance.inspect, myhdl._util.inspect, myhdl._util._dedent) == first
    finally:
        myhdl_patch.undo()
    assert myhdl._block.inspect is inspect and myhdl._instance.inspect is inspect
    assert myhdl._util.inspect is inspect
    assert myhdl._util._dedent is myhdl_patch._ORIGINAL_DEDENT
