"""``make synth``: what the hardware costs, and whether it synthesises cleanly.

    python -m tools.synth [--block gemm] [--config typical] [--update-baseline]

For every named config of every block (``models.configs.CONFIGS``; or the ``--block`` /
``--config`` ones) plus the n:m variants the cost-of-sparsity table needs (``cost.VARIANTS``),
one after the other (yosys is single-threaded and the machine is shared):

1. convert it (``rtl.convert.convert``) and copy the Verilog to
   ``build/synth/<blk>/<config>/<module>.v``, so that yosys' ``src`` attributes (which name
   the file) do not depend on where the tree lives;
2. lint + generic ``synth``: ``proc`` then ``check`` (latches, combinational loops, multiply
   driven and undriven nets are lint failures), then ``synth`` + ``stat`` (cells per type);
3. ``synth_xilinx -flatten`` + ``stat``: LUT, FF, DSP, BRAM, LUTRAM and CARRY cells (xc7);
4. ``synth_ice40`` and ``nextpnr-ice40`` on an HX8K (ct256) when the config can fit: Fmax
   from nextpnr's log, or the reason it does not fit (never a failure of the target);
5. compare every figure with ``tools/synth/baseline.json`` (``baseline.TOLERANCE``);

and write

    build/synth/summary.json   every figure, per block and config, with tool versions and the
                               exact yosys scripts and nextpnr command lines
    build/synth/summary.md     the table, the cost-of-sparsity table, the baseline verdict
    build/synth/index.html     the same tables as HTML
    build/synth/<blk>/<config>/  the Verilog copy, the scripts, every log and stat JSON

Exit status: 0 clean and within the baseline, 1 a lint failure or a baseline violation,
2 the tool could not run (yosys missing, conversion failed).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "build" / "synth"
BASELINE = Path(__file__).resolve().parent / "baseline.json"
INSTALL_HINT = "apt-get install yosys nextpnr-ice40"
