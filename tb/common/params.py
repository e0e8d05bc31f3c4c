"""Rebuild the block's Params inside the simulator and check the DUT against them."""

from __future__ import annotations

import os

from models.params import BlockParams, params_from_json

PARAMS_ENV = "ZS_PARAMS"


class ParamMismatch(AssertionError):
    """The Verilog under test was not built from the params the testbench was given."""


def load_params(dut) -> BlockParams:
    """Params from ``$ZS_PARAMS`` (set by tests/sim/runner.py); port widths checked on ``dut``."""
    js = os.environ.get(PARAMS_ENV)
    if not js:
        raise ParamMismatch(f"${PARAMS_ENV} is not set: run simulations through `make sim` or "
                            "tests/sim/runner.py, which pass the block's params to the simulator")
    p = params_from_json(js)
    for port, width in p.port_widths().items():
        h = getattr(dut, port, None)
        if h is None:
            raise ParamMismatch(f"{p.module_name}: the DUT has no port {port!r}")
        if len(h) != width:
            raise ParamMismatch(f"{p.module_name}: port {port} is {len(h)} bits wide but the "
                                f"params say {width}: the Verilog was built from other params")
    return p
