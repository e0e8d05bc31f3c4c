"""The user-stimulus test: any block, the caller's transactions, the outputs handed back.

``zeroskip.rtl.run_block`` runs this module (``tests.sim.runner.run(..., test_module=...)``)
with ``$ZS_USER_TXNS`` naming a pickle of the transactions (GEMM tiles, a weight load and x
steps ...) and ``$ZS_USER_OUT`` where the decoded output transactions go. The test is the
block's own base test (its env, predictor and scoreboards: every output is still checked
against the model) with no idle cycles and no backpressure, so the cycles measured are the
block's own. It is not in the blocks' test modules, so neither ``make test`` nor coverage runs
it without stimulus.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
from pathlib import Path

import cocotb
from pyuvm import uvm_root

from tb.common.params import PARAMS_ENV
from tb.common.uvm import NO_STALLS, BlockTest, TxnSequence

TXNS_ENV, OUT_ENV = "ZS_USER_TXNS", "ZS_USER_OUT"


def block_test(block: str) -> type[BlockTest]:
    """The block's base test class (the one BlockTest subclass of ``tb/<block>/env.py`` whose
    SPEC is the block's)."""
    env = importlib.import_module(f"tb.{block}.env")
    for v in vars(env).values():
        if (isinstance(v, type) and issubclass(v, BlockTest) and v.SPEC is not None
                and v.SPEC.name == block):
            return v
    raise LookupError(f"tb/{block}/env.py defines no BlockTest subclass for {block!r}")


class UserTxnsSeq(TxnSequence):
    """The caller's transactions, in order."""

    def txns(self, p, rng):
        yield from pickle.loads(Path(os.environ[TXNS_ENV]).read_bytes())


def _user_test(base: type[BlockTest]) -> type[BlockTest]:
    class UserTxnsTest(base):
        __doc__ = "The caller's transactions (zeroskip.rtl); outputs written to $ZS_USER_OUT."
        sequence = UserTxnsSeq
        knobs = NO_STALLS

        def report_phase(self):
            super().report_phase()
            Path(os.environ[OUT_ENV]).write_bytes(pickle.dumps(self.bench.captured))

    return UserTxnsTest


@cocotb.test()
async def UserTxnsTest(_dut):  # noqa: N802 -- the test's name, as the blocks' tests are named
    block = json.loads(os.environ[PARAMS_ENV])["block"]
    await uvm_root().run_test(_user_test(block_test(block)))
