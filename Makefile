# The README's two commands: `make report` (the main job) and `make test`.
# Both create the project's virtual environment when it is missing, installing
# every Python dependency at the exact version in the committed lock
# (requirements/lock.txt, written by `make lock`), so a fresh clone gets what
# CI tested. torch is the one exception: the pinned local CPU build
# (TORCH_SPEC), or whatever torch the Python already has.
#
# GPU machine with a CUDA torch already installed in some Python:
#   make report VENV_ARGS=--system-site-packages PYTHON=/path/to/that/python
# The venv then sees that torch, `import torch` succeeds, and the pinned CPU
# build is not installed. Or point VENV at an existing venv that has torch.
#
# Against the newest releases instead of the lock (a separate venv, .venv-newest):
#   make test LOCK=none
PYTHON ?= python3
LOCK ?= requirements/lock.txt
ifeq ($(LOCK),none)
VENV ?= .venv-newest
PIP_LOCK := --upgrade --upgrade-strategy eager
LOCK_DEP :=
else
VENV ?= .venv
PIP_LOCK := --constraint $(LOCK)
LOCK_DEP := $(LOCK)
endif
VENV_ARGS ?=
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.cnnbench-installed
OUT ?= reports/out

.PHONY: report test test-slow lint venv lock expect verdicts clean browser valgrind gate gate-counts \
	asv-smoke \
	gpu-check asv-machine history

venv: $(STAMP)

# The build backend comes from the lock too (--no-build-isolation), so not even
# the editable install's build step takes whatever the registry serves today.
$(STAMP): pyproject.toml $(LOCK_DEP)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV_ARGS) $(VENV)
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q $(PIP_LOCK) setuptools wheel
	$(BIN)/python -m pip install -q $(PIP_LOCK) --no-build-isolation -e '.[dev]'
	@touch $(STAMP)

# Rewrite the lock from the newest releases: a throwaway venv gets torch
# (TORCH_SPEC) and `.[dev]` unconstrained, and `pip freeze` of it, less torch
# and the project itself, is the new lock. Then run `make test` (and
# `make verdicts`) and commit requirements/lock.txt with what changed.
LOCK_VENV ?= /tmp/cnnbench-lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q "$(TORCH_SPEC)"
	$(LOCK_VENV)/bin/python -m pip install -q --upgrade setuptools wheel
	$(LOCK_VENV)/bin/python -m pip install -q -e '.[dev]'
	@mkdir -p requirements
	@{ echo "# The exact versions \`make test\` and \`make report\` install (pip constraints)."; \
	   echo "# Written by \`make lock\` on $$(date -u +%Y-%m-%d) with $$($(LOCK_VENV)/bin/python -V),"; \
	   echo "# $$(uname -m); torch is not here: the Makefile installs $(TORCH_SPEC) (or keeps"; \
	   echo "# the torch the Python already has). Do not edit by hand: run \`make lock\`."; \
	   $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable \
	     | grep -v -E '^(pip|torch)==' | LC_ALL=C sort -f; } > requirements/lock.txt
	rm -rf $(LOCK_VENV)
	@echo "wrote requirements/lock.txt ($$(grep -c '==' requirements/lock.txt) pins)"

# The main job: every theory check, the short benchmark sweep, the asv site
# (with the committed history, bench/asv_history), the HTML report, and the
# report opened in headless Chromium (screenshot beside it). Verdicts that
# differ from tests/expected_verdicts.json are named on the console and in a
# note at the top of the report.
# BENCH_FLAGS=--resume continues an interrupted sweep instead of starting over
# (the default, --force, replaces the previous sweep's file: bench never removes
# an existing results file without it).
BENCH_FLAGS ?= --force
report: $(STAMP) browser asv-machine
	@mkdir -p $(OUT)
	$(BIN)/cnnbench check --json $(OUT)/check.json
	$(BIN)/cnnbench bench --profile short --threads 1 --out $(OUT)/bench.jsonl $(BENCH_FLAGS)
	$(BIN)/cnnbench league --time --train --json $(OUT)/league.json
	$(BIN)/cnnbench asv-site publish
	$(BIN)/cnnbench report --check $(OUT)/check.json --bench $(OUT)/bench.jsonl \
	  --league $(OUT)/league.json \
	  --expect $(EXPECT) --out $(OUT)/report.html --screenshot $(OUT)/report.png

lint: $(STAMP)
	$(BIN)/ruff check .

# asv needs a machine name once per host (~/.asv-machine.json); ci-2core is
# the name the committed history (bench/asv_history) was recorded under.
ASV_MACHINE ?= ci-2core
asv-machine: $(STAMP)
	@test -f $(HOME)/.asv-machine.json || $(BIN)/asv machine --yes --machine $(ASV_MACHINE) >/dev/null

# pytest-xdist workers for `make test` (the CI machine has 2 cores; 1 turns xdist off).
TEST_WORKERS ?= 2
# The asv smoke run times benchmarks once in the dev venv and saves nothing (--dry-run):
# in `make test` one method of each class (ASV_SMOKE, ~45 s; every body is also run by
# tests/bench/test_asv_suite.py), every benchmark with ASV_SMOKE=. (~3 min: CI does).
ASV_SMOKE ?= time_forward|time_convert
# The gpu_path tests (the GPU code run on CPU: Triton's interpreter, Inductor's C++
# backend, the CUDA harness on a fake clock) are listed one per line with their outcome
# at the end of pytest's output (tests/conftest.py); without CUDA a skip among them is
# a failure.
test: $(STAMP) browser asv-machine
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --doctest-modules -m "not slow" tests
	$(BIN)/asv check -E existing
	$(BIN)/asv run -E existing --quick --dry-run --show-stderr -b '$(ASV_SMOKE)'

# The asv smoke run alone; CI runs `make asv-smoke ASV_SMOKE=.` (every benchmark once).
asv-smoke: $(STAMP) asv-machine
	$(BIN)/asv run -E existing --quick --dry-run --show-stderr -b '$(ASV_SMOKE)'

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# Debian's chromium for the browser tests (CI has no browser until this runs).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "could not install chromium: browser tests will skip (and fail under CI=true)"; }

# Debian's valgrind for the instruction-count gate (`cnnbench gate counts`), as for chromium,
# and a C compiler for its fixed entropy stream (bench/fixed_entropy.c; without one the
# gate still runs, and says its counts may differ between processes).
valgrind:
	@{ command -v valgrind && command -v callgrind_annotate && command -v cc; } >/dev/null 2>&1 || { \
	  echo "installing Debian's valgrind and gcc for the instruction-count gate"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind gcc >/dev/null) \
	  || echo "could not install valgrind or gcc: \`cnnbench gate counts\` will exit 2 without valgrind"; }

# The instruction-count gate against bench/gate_counts_baseline.json (~3 min on 2 cores:
# one valgrind process). Exit 1: a count rose; exit 2: no valgrind, or no baseline for
# this fingerprint (COUNTS_FLAGS=--if-missing measure counts one instead, loudly).
COUNTS_FLAGS ?=
gate-counts: $(STAMP) valgrind
	$(BIN)/cnnbench gate counts $(COUNTS_FLAGS)

# On a GPU machine: the gpu tests, the Triton kernels compiled, the short CUDA sweep,
# the harness against do_bench and Timer, the CUDA asv smoke run, into
# bench/gpu_checks/<gpu>-<date>/ (commit it). Without CUDA every CUDA step is
# skipped with its reason (results in reports/out/gpu-check/).
gpu-check: $(STAMP) asv-machine
	$(BIN)/python -m cnnbench.bench.gpu_check $(if $(GPU_CHECK_OUT),--out $(GPU_CHECK_OUT),)

# The within-run performance gate (bench/gate.py) against the committed baseline.
# Exit 1: a confirmed regression; exit 2: a missing or damaged baseline (or bad
# usage). Either fails CI (.ci/run runs under `set -e`).
GATE_FLAGS ?=
gate: $(STAMP)
	$(BIN)/cnnbench gate check $(GATE_FLAGS)

# Grow the committed asv history: measure main's commits since the newest
# result (asv's NEW; ~4-5 min per commit on a 2-core VM), copy them into
# bench/asv_history, and republish the site. Commit bench/asv_history after.
# HISTORY_RANGE=<commit>^! measures a single commit instead.
HISTORY_RANGE ?= NEW
history: $(STAMP) asv-machine
	$(BIN)/cnnbench asv-site restore
	$(BIN)/asv run --skip-existing --show-stderr $(HISTORY_RANGE)
	$(BIN)/cnnbench asv-site archive
	$(BIN)/cnnbench asv-site publish

# Regenerate the committed expected verdicts after an intended change.
EXPECT ?= tests/expected_verdicts.json
expect: $(STAMP)
	$(BIN)/cnnbench check --write-expect $(EXPECT)

# Every claim, slow ones included, against the committed expectations, at one
# and at two threads: a verdict that depends on either fails here (CI runs it).
verdicts: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/cnnbench check --quiet --expect $(EXPECT)
	OMP_NUM_THREADS=2 $(BIN)/cnnbench check --quiet --expect $(EXPECT)
	$(BIN)/cnnbench check --quiet --claims docs/examples/claims.toml \
		--expect docs/examples/claims.expected.json

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis
