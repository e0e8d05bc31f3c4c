"""The block registry: one line per block. Everything else finds a block through it.

A product block ``<blk>`` lives in ``models/<blk>.py`` (Params, ``CONFIGS``, model),
``rtl/<blk>.py`` (MyHDL) -- or a package of that name when the file grew past a few hundred
lines (delta_lstm), ``scoreboards/<blk>.py`` and ``tb/<blk>/`` (``<blk>_tests.py`` is the
cocotb module). The spine's own reference DUT (``spine_ref``) keeps all its layers in the test
tree; its entry names them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class BlockEntry:
    name: str
    model: str = ""  # module with the Params class and CONFIGS (default models.<name>)
    rtl: str = ""  # module with @block <name>, ports(p), PARAMS (default rtl.<name>)
    tests: str = ""  # the cocotb test module (default tb.<name>.<name>_tests)
    product: bool = True  # False: exists to test the spine, not a zeroskip block

    def __post_init__(self):
        n = self.name
        for f, default in (("model", f"models.{n}"), ("rtl", f"rtl.{n}"),
                           ("tests", f"tb.{n}.{n}_tests")):
            if not getattr(self, f):
                object.__setattr__(self, f, default)


REGISTRY: dict[str, BlockEntry] = {e.name: e for e in (
    BlockEntry("gemm"),
    BlockEntry("nm_gemm"),
    BlockEntry("delta_lstm"),
    BlockEntry("softmax"),
    BlockEntry("sddmm"),
    BlockEntry("spmm"),
    BlockEntry("sparse_attn"),
    BlockEntry("eie"),
    BlockEntry("gcn_agg"),
    BlockEntry("spine_ref", model="tests.spine.spine_ref_model", rtl="tests.spine.spine_ref_rtl",
               tests="tests.spine.spine_ref_tests", product=False),
)}

PRODUCT_BLOCKS = tuple(n for n, e in REGISTRY.items() if e.product)


def entry(block: str) -> BlockEntry:
    from models.params import ParamError

    if block not in REGISTRY:
        raise ParamError(f"unknown block {block!r}; known blocks: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[block]
