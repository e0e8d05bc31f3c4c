"""MyHDL RTL. One module per block; conversion only through :mod:`rtl.convert`.

``BLOCKS`` maps a block id to the module that defines ``@block def <id>(...)``, ``ports(p)``
and ``PARAMS`` (the block's Params class, which lives in its model module so the model, the
scoreboard and the testbench share it without importing MyHDL). It is read from the registry
(models/blocks.py).
"""

from models.blocks import REGISTRY

BLOCKS = {name: e.rtl for name, e in REGISTRY.items()}
