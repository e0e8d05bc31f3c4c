"""Named configurations per block: ``min``, ``typical``, ``non_pow2``, ``max`` (Amaranth-style
corners: one, power of two, non power of two, largest we regress), each defined as ``CONFIGS``
in the block's model module and collected here through the registry (models/blocks.py).

``get_config(block, name, overrides)`` is what ``make sim``, ``rtl.convert`` and the tests
call; an unknown block or config name gets one sentence listing the known ones.
"""

from __future__ import annotations

import importlib

from models.blocks import REGISTRY, entry
from models.params import BlockParams, ParamError


def block_configs(block: str) -> dict[str, BlockParams]:
    return importlib.import_module(entry(block).model).CONFIGS


CONFIGS: dict[str, dict[str, BlockParams]] = {b: block_configs(b) for b in REGISTRY}


def get_config(block: str, name: str = "typical", overrides: dict | None = None) -> BlockParams:
    configs = block_configs(block)
    if name not in configs:
        raise ParamError(f"{block}: unknown config {name!r}; known configs: "
                         f"{', '.join(configs)}")
    p = configs[name]
    return p.replace(**overrides) if overrides else p
