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
# Two workers (the machine has 2 cores); a test file stays on one worker (its module fixtures).
PYTEST_PARALLEL ?= -n 2 --dist loadfile
AIRFLOW_ARGS ?=
DATE ?=

.PHONY: help setup run test test-fast lint lint-sql format bench screenshots docs airflow airflow-stop api dashboard dq clean

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
	$(RUN) pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-fast: setup ## Quick loop: unit tests and fast integration tests (no `slow` marker)
	$(RUN) pytest $(PYTEST_PARALLEL) -m "not slow" -x -q $(PYTEST_ARGS)

lint: setup ## ruff check + format check, mypy on src/
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

lint-sql: setup ## sqlfluff (dbt templater, config in .sqlfluff) over the dbt project
	@# The dbt templater opens the DuckDB file of the profile: an empty scratch one will do.
	cd transform && ECOM_DBT_DUCKDB_PATH=$$(mktemp -d)/lint.duckdb ../.venv/bin/sqlfluff lint models snapshots tests --config ../.sqlfluff

format: setup ## Apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

bench: setup ## Benchmarks at scale 1 (figures go to docs/benchmarks.md)
	$(RUN) python -m benchmarks.run

screenshots: setup ## Refresh docs/screenshots (the dashboard browser test, headless Chromium)
	ECOM_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(RUN) pytest -q -k duckdb tests/e2e/test_dashboard_browser.py

docs: setup ## Generate the dbt docs (add ARGS=--serve to serve on port 8081)
	$(RUN) ecom docs $(ARGS)

airflow: setup ## Start Airflow (UI http://localhost:8080, admin/admin); AIRFLOW_ARGS="--port N --home DIR"
	$(RUN) python -m ecommerce_pipeline.airflow_standalone start $(AIRFLOW_ARGS)

airflow-stop: setup ## Stop every process `make airflow` started (same AIRFLOW_ARGS)
	$(RUN) python -m ecommerce_pipeline.airflow_standalone stop $(AIRFLOW_ARGS)

api: setup ## Data API on http://127.0.0.1:8000 (docs at /docs; needs ECOM_API_KEYS)
	$(RUN) ecom serve api

dashboard: setup ## Streamlit dashboard on http://localhost:8501
	$(RUN) ecom serve dashboard

dq: setup ## Data-quality checks and report for DATE=YYYY-MM-DD (reports/DATE/data_quality.html)
	$(RUN) ecom report dq --date $(DATE) --check

clean: ## Remove generated data, warehouses, reports, Airflow home and build output
	rm -rf data/landing warehouse reports .airflow transform/target transform/logs .pytest_cache

