"""Guard tests for the block spine: every block has every layer, and layers stay pure."""

import ast
import importlib
from pathlib import Path

import pytest

from models.blocks import PRODUCT_BLOCKS, REGISTRY
from models.configs import CONFIGS
from models.params import params_class
from rtl import BLOCKS

ROOT = Path(__file__).resolve().parents[2]
CORNERS = ("min", "typical", "non_pow2", "max")


@pytest.mark.parametrize("blk", sorted(PRODUCT_BLOCKS))
def test_block_has_its_whole_spine(blk):
    for layer in ("rtl", "models"):  # a module, or a package split along the design's seams
        paths = (f"{layer}/{blk}.py", f"{layer}/{blk}/__init__.py")
        assert any((ROOT / path).is_file() for path in paths), f"block {blk} lacks {paths[0]}"
    for path in (f"scoreboards/{blk}.py",
                 f"tb/{blk}/env.py", f"tb/{blk}/sequences.py", f"tb/{blk}/{blk}_tests.py",
                 f"tests/unit/test_model_{blk}.py"):
        assert (ROOT / path).is_file(), f"block {blk} lacks {path}"


@pytest.mark.parametrize("blk", sorted(REGISTRY))
def test_registered_block_resolves(blk):
    """Every registry line names importable layers; the sim tests pick it up from there."""
    e = REGISTRY[blk]
    assert params_class(blk).BLOCK == blk
    assert tuple(CONFIGS[blk]) == CORNERS
    assert BLOCKS[blk] == e.rtl
    for mod in (e.model, e.rtl):
        importlib.import_module(mod)
    mod = importlib.import_module(e.rtl)
    assert hasattr(mod, blk) and hasattr(mod, "ports")
    assert (ROOT / (e.tests.replace(".", "/") + ".py")).is_file(), f"{blk}: no {e.tests}"


def test_no_per_block_sim_entry_files():
    """One parametrised entry (tests/sim/test_blocks.py) runs every block: no copies."""
    extra = [f.name for f in (ROOT / "tests" / "sim").glob("test_*.py")
             if any(f.name == f"test_{b}.py" for b in REGISTRY)]
    assert not extra, f"per-block sim entry files came back: {extra}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("layer, forbidden", [
    ("models", {"cocotb", "pyuvm", "myhdl", "rtl", "tb", "cocotb_coverage"}),
    ("scoreboards", {"cocotb", "pyuvm", "myhdl", "rtl", "tb"}),
    ("tb", {"rtl", "myhdl"}),
    ("rtl", {"tb", "cocotb", "pyuvm", "scoreboards"}),
])
def test_layer_imports_stay_one_way(layer, forbidden):
    for f in (ROOT / layer).rglob("*.py"):
        bad = _imports(f) & forbidden
        assert not bad, f"{f.relative_to(ROOT)} imports {sorted(bad)}"


#: what only tb/common may contain: drivers, monitors, sinks, scoreboards, fork/join plumbing
PLUMBING = ("uvm_driver", "uvm_monitor", "uvm_sequencer(", "RisingEdge(self.clk)",
            "InOrderScoreboard(", "KeyedScoreboard(", "StreamDriver(", "StreamSink(",
            "StreamMonitor(", "cocotb.start_soon", "start_soon(", "Combine(", "First(",
            ".value = ")


@pytest.mark.parametrize("folder", ["tb", "tests/spine"])
def test_no_agent_code_is_copied_per_block(folder):
    """Drivers, monitors, sinks, scoreboards and fork/join are written once in tb/common and
    scoreboards/; a block's tb folder (and the reference DUT's bench) only declares."""
    for f in (ROOT / folder).rglob("*.py"):
        if f.parent.name == "common" or f.name.endswith("_rtl.py"):
            continue
        text = f.read_text()
        for cls in PLUMBING:
            assert cls not in text, f"{f.relative_to(ROOT)} re-implements {cls!r}"
