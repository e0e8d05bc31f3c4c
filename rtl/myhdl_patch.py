"""A speed-up of MyHDL elaboration that cannot change its result; applied by the conversion
worker (:func:`rtl.convert._worker`) only.

Every ``@block`` call and every ``@always_comb`` / ``@always_seq`` / ``@always`` / ``@instance``
decorator asks ``myhdl._block._getCallInfo`` / ``myhdl._instance._getCallInfo`` who called it,
through ``inspect.stack()``. That builds a full record of *every* frame up to ``<module>``:
each one's source file (``getsourcefile``, which for ``<frozen runpy>`` frames scans all of
``sys.modules``), its source (``findsource``, ``getmodule``) and one line of context. Those two
functions read only field 0 (the frame) and field 3 (the function name, ``f_code.co_name``)
of two or three records, and ``len()`` of the list. On sparse_attn typical the stack records
were 133 of 146 profiled seconds (``python -m cProfile -m rtl.convert --worker ...``).

:func:`apply` gives those two MyHDL modules (and only them) their own ``inspect``:
the real module, except that ``stack()`` returns records whose frame and function name are
exactly those of ``inspect.stack()`` (the same frame objects, in the same order, as many) and
whose other fields are cheap (``co_filename``, ``f_lineno``) or ``None`` (context lines).
Nothing else in MyHDL is touched: ``inspect.getsource`` and friends, which the converter
uses to parse generators, are the real ones.

``myhdl._util`` (``_makeAST``, which re-reads and re-parses a generator's source for every
instance) gets :class:`_SourceCache` and a memoised ``_dedent``; the parse itself still runs
per instance, so every instance gets its own fresh AST as before.

``tests/unit/test_myhdl_patch.py`` checks every patched answer against the real one while
our generators elaborate and convert, fingerprints the MyHDL functions that rely on it (a
MyHDL upgrade must re-check them), and compares a conversion with ``ZEROSKIP_MYHDL_PATCH=0``
(plain MyHDL) byte for byte.
"""

from __future__ import annotations

import inspect
import sys
import types

import myhdl._block
import myhdl._instance
import myhdl._util

#: the MyHDL modules whose ``inspect`` is replaced, and the one function in each that calls
#: ``inspect.stack()``; the test fingerprints these functions' source
PATCHED = (myhdl._block, myhdl._instance)


def frames_stack(context: int = 1) -> list[inspect.FrameInfo]:
    """``inspect.stack()`` with the same frames and function names, without source look-ups."""
    frame = sys._getframe(1)
    out = []
    while frame is not None:
        code = frame.f_code
        out.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name,
                                     None, None, positions=None))
        frame = frame.f_back
    return out


class _Inspect(types.ModuleType):
    """The real :mod:`inspect` with :func:`frames_stack` as ``stack``."""

    def __init__(self):
        super().__init__("inspect")
        self.stack = frames_stack

    def __getattr__(self, name):
        return getattr(inspect, name)


def _source_key(obj):
    """What a function's source is a function of: ``inspect.getsource(f)`` unwraps ``f`` and
    reads its code object's ``co_filename`` from line ``co_firstlineno`` on (``findsource``,
    ``getblock``); ``None`` (no caching) for anything that is not a plain function."""
    f = inspect.unwrap(obj) if isinstance(obj, types.FunctionType) else None
    if not isinstance(f, types.FunctionType):
        return None
    return f.__code__.co_filename, f.__code__.co_firstlineno, f.__code__


class _SourceCache(types.ModuleType):
    """The real :mod:`inspect` with ``getsource``, ``getsourcelines`` and ``getsourcefile``
    remembered per function source (:func:`_source_key`). ``myhdl._util._makeAST`` calls all
    three for every generator *instance*; our blocks instantiate the same few hundred
    generator functions thousands of times (sparse_attn typical: 2203 calls, 2.9 of 9.4 s)."""

    def __init__(self):
        super().__init__("inspect")
        self._memo = {}

    def __getattr__(self, name):
        return getattr(inspect, name)

    def _cached(self, what, obj):
        key = _source_key(obj)
        if key is None:
            return getattr(inspect, what)(obj)
        if (what, key) not in self._memo:
            self._memo[what, key] = getattr(inspect, what)(obj)
        return self._memo[what, key]

    def getsource(self, obj):
        return self._cached("getsource", obj)

    def getsourcefile(self, obj):
        return self._cached("getsourcefile", obj)

    def getsourcelines(self, obj):
        lines, lnum = self._cached("getsourcelines", obj)
        return list(lines), lnum  # a fresh list, as inspect returns


def _memo_dedent(dedent):
    """``myhdl._util._dedent`` is a pure function of its string (tokenize, untokenize)."""
    memo = {}

    def _dedent(s):
        if s not in memo:
            memo[s] = dedent(s)
        return memo[s]

    _dedent.__wrapped__ = dedent
    return _dedent


_ORIGINAL_DEDENT = myhdl._util._dedent


def apply() -> None:
    """Idempotent: make :data:`PATCHED` use :class:`_Inspect` and ``myhdl._util`` use
    :class:`_SourceCache` and a memoised ``_dedent``."""
    for mod in PATCHED:
        if not isinstance(mod.inspect, _Inspect):
            mod.inspect = _Inspect()
    if not isinstance(myhdl._util.inspect, _SourceCache):
        myhdl._util.inspect = _SourceCache()
        myhdl._util._dedent = _memo_dedent(_ORIGINAL_DEDENT)


def undo() -> None:
    for mod in PATCHED + (myhdl._util,):
        mod.inspect = inspect
    myhdl._util._dedent = _ORIGINAL_DEDENT
