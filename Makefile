# Digital Factory: `make demo` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test check lint format types arch sizes drift docs docs-check bench migration clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)  ## seed the drone story into a fresh embedded store and serve it
	$(BIN)/factory demo

serve: $(STAMP)  ## run the server on the configured store
	$(BIN)/factory serve

# Line and branch coverage of src/digital_factory, summed up after the run. The floor holds only where
# nothing may be skipped (FACTORY_TEST_REQUIRE_ALL, set by .ci/run): a local run without PostgreSQL,
# Redis or Chromium measures less, and is not failed for it. 89: the whole suite measured 89.3 %.
COVERAGE_FLOOR := 89
COVERAGE := --cov --cov-report=term \
	$(if $(filter-out 0 false,$(FACTORY_TEST_REQUIRE_ALL)),--cov-fail-under=$(COVERAGE_FLOOR))

# Tests wait on real processes (servers, git, sandboxed steps, Chromium) much of the time: two workers a
# machine (at most four) halve the wall time; each worker has its own stores, ports and Redis namespaces.
WORKERS := --numprocesses=auto --maxprocesses=4

test: $(STAMP)  ## the whole suite (SQLite; PostgreSQL, Redis and Chromium parts when present), with coverage
	$(BIN)/python -m tests.preflight
	$(BIN)/pytest $(WORKERS) --durations=15 $(COVERAGE)

check: lint types arch sizes drift docs-check  ## every static check CI runs

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/ruff check src tests bench tools

format: $(STAMP)
	$(BIN)/ruff format src tests bench tools
	$(BIN)/ruff check --fix src tests bench tools

types: $(STAMP)
	$(BIN)/mypy

arch: $(STAMP)
	$(BIN)/lint-imports

sizes: $(STAMP)  ## no module over 600 lines, no function over 50 (migrations aside)
	$(BIN)/python -m tools.sizes src

drift: $(STAMP)  ## models and migrations agree (on a scratch SQLite store)
	@tmp=$$(mktemp -d); \
	FACTORY_HOME=$$tmp $(BIN)/factory db upgrade >/dev/null && \
	FACTORY_HOME=$$tmp $(BIN)/factory db check; status=$$?; rm -rf $$tmp; exit $$status

docs: $(STAMP)  ## regenerate the CLI and settings reference
	$(BIN)/python -m digital_factory.cli.reference write docs/reference

docs-check: $(STAMP)
	$(BIN)/python -m digital_factory.cli.reference check docs/reference

bench: $(STAMP)  ## run every benchmark and rewrite docs/benchmarks.md
	$(BIN)/python -m bench

migration: $(STAMP)  ## make migration m="what changed"
	@tmp=$$(mktemp -d); FACTORY_HOME=$$tmp $(BIN)/factory db upgrade >/dev/null && \
	FACTORY_HOME=$$tmp $(BIN)/python -c "from digital_factory.store import schema; \
	from digital_factory.store.engine import make_engine; import os; \
	schema.autogenerate(make_engine(f'sqlite:///{os.environ[\"FACTORY_HOME\"]}/factory.db'), '$(m)')"; rm -rf $$tmp

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
