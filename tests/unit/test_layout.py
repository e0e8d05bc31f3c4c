"""Guard tests for the block spine: every block has every layer, and layers stay pure."""

import ast
import importlib
from pathlib import Path

import pytest

from models.configs import CONFIGS
from models.params import params_class
from rtl import BLOCKS

ROOT = Path(__file__).resolve().parents[2]
CORNERS = ("min", "typical", "non_pow2", "max")


@pytest.mark.parametrize("blk", sorted(BLOCKS))
def test_block_has_its_whole_spine(blk):
    for path in (f"rtl/{blk}.py", f"models/{blk}.py", f"scoreboards/{blk}.py",
                 f"tb/{blk}/env.py", f"tb/{blk}/sequences.py", f"tb/{blk}/{blk}_tests.py",
                 f"tests/sim/test_{blk}.py", f"tests/unit/test_model_{blk}.py"):
        assert (ROOT / path).is_file(), f"block {blk} lacks {path}"
    assert params_class(blk).BLOCK == blk
    assert tuple(CONFIGS[blk]) == CORNERS
    mod = importlib.import_module(BLOCKS[blk])
    assert hasattr(mod, blk) and hasattr(mod, "ports")


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


def test_no_agent_code_is_copied_per_block():
    """Drivers, monitors and scoreboards are written once in tb/common and scoreboards/."""
    for f in (ROOT / "tb").rglob("*.py"):
        if f.parent.name == "common":
            continue
        text = f.read_text()
        for cls in ("uvm_driver", "uvm_monitor", "RisingEdge(self.clk)", "InOrderScoreboard("):
            assert cls not in text, f"{f.relative_to(ROOT)} re-implements {cls}"
