"""``make run`` / ``make blocks`` end to end through a subprocess (issue 11): the Makefile
recipe, argparse and the file round trip, which test_api.py's in-process ``main()`` skips.

Through make (not ``python -m zeroskip``) because the recipe itself (which flags it forwards,
SIM's default) is what is under test; it costs ~0.6 s a call. ``VENV`` is this interpreter's
prefix, and ``-o STAMP`` keeps make from re-running ci/setup.sh when a fresh clone's
pyproject.toml is newer than the set-up stamp.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from models.blocks import PRODUCT_BLOCKS
from zeroskip import linear

ROOT = Path(__file__).resolve().parents[2]
VENV = sys.prefix
#: linear layer shape: out_features, in_features, batch (small, several array tiles)
OUT_F, IN_F, BATCH = 6, 10, 3


def _make(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("SIM", "CONFIG", "RUN_ARGS")}
    return subprocess.run(["make", "-s", "-C", str(ROOT), f"VENV={VENV}",
                           "-o", f"{VENV}/.zeroskip-setup", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_make_run_gemm_linear_matches_api(tmp_path, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.3, (OUT_F, IN_F))
    x = rng.normal(0, 1, (BATCH, IN_F))
    b = rng.normal(0, 0.1, OUT_F)
    np.savez(tmp_path / "in.npz", weight=w, x=x, bias=b)
    r = _make("run", "BLOCK=gemm", f"IN={tmp_path / 'in.npz'}", f"OUT={tmp_path / 'out.npz'}")
    assert r.returncode == 0, r.stderr
    ref = linear(w, x, b)
    with np.load(tmp_path / "out.npz") as o:
        assert np.array_equal(o["y_int"], ref.y_int)
        assert np.array_equal(o["y"], ref.y)
        assert np.array_equal(o["out_scale"], np.asarray(ref.out_scale))
    out = r.stdout
    for field in ("linear on gemm [", "backend model", "shapes:", "scales:", "error vs",
                  "clipped:", "cycles:", "utilisation", f"wrote {tmp_path / 'out.npz'}"):
        assert field in out, (field, out)


def test_make_run_missing_key_is_one_sentence(tmp_path):
    np.savez(tmp_path / "in.npz", weight=np.ones((2, 3)))
    r = _make("run", "BLOCK=gemm", f"IN={tmp_path / 'in.npz'}")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr + r.stdout
    assert "error: state dict: has no 'x'; it has weight" in r.stderr, r.stderr


def test_make_blocks_lists_every_block():
    r = _make("blocks")
    assert r.returncode == 0, r.stderr
    listed = {ln.split()[0] for ln in r.stdout.splitlines() if ln and not ln.startswith(" ")}
    assert listed == set(PRODUCT_BLOCKS)
