"""MyHDL RTL. One module per block; conversion only through :mod:`rtl.convert`.

``BLOCKS`` maps a block id to the module that defines ``@block def <id>(...)``, ``ports(p)``
and ``PARAMS`` (the block's Params class, which lives in ``models/<id>.py`` so the model, the
scoreboard and the testbench share it without importing MyHDL).
"""

BLOCKS = {
    "delta_lstm": "rtl.delta_lstm",
    "gemm": "rtl.gemm",
    "nm_gemm": "rtl.nm_gemm",
}
