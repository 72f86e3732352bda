# E-commerce analytics pipeline. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN := $(UV) run --frozen --no-sync
PYTEST_ARGS ?=

.PHONY: help setup run test test-fast lint lint-sql format bench docs clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

setup: .venv/.synced ## Install uv if missing and create .venv from uv.lock

run: setup ## Run the whole pipeline on DuckDB at a small scale (generate -> load -> transform)
	$(RUN) ecom run

test: setup ## Run the whole test suite (unit, integration on DuckDB and PostgreSQL, e2e)
	$(RUN) pytest $(PYTEST_ARGS)

test-fast: setup ## Quick loop: unit tests and fast integration tests (no `slow` marker)
	$(RUN) pytest -m "not slow" -x -q $(PYTEST_ARGS)

lint: setup ## ruff check + format check, mypy on src/
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

lint-sql: setup ## sqlfluff (dbt templater, config in .sqlfluff) over the dbt project
	cd transform && ../.venv/bin/sqlfluff lint models snapshots tests --config ../.sqlfluff

format: setup ## Apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

bench: setup ## Benchmarks at scale 1 (figures go to docs/benchmarks.md)
	$(RUN) python -m benchmarks.run

docs: setup ## Generate the dbt docs (add ARGS=--serve to serve on port 8081)
	$(RUN) ecom docs $(ARGS)

clean: ## Remove generated data, warehouses and build output
	rm -rf data/landing warehouse transform/target transform/logs .pytest_cache
