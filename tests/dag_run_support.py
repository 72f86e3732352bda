"""Shared by the DAG run tests (tests/integration/test_dag_runs*.py): the generated shop, the
DAG's environment, ``dag.test()`` runs and the mart exports compared with the CLI route.
"""

from __future__ import annotations

import gc
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.airflow_support import DAGS_FOLDER, airflow_home, dbt_manifest

from ecommerce_pipeline import pipeline, transform
from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.orchestration import DAG_ID, as_of_date, missing_day_folders
from ecommerce_pipeline.quality.incidents import INCIDENTS_TABLE
from ecommerce_pipeline.quality.results import MODEL_RUNS_TABLE, RESULTS_TABLE
from ecommerce_pipeline.warehouse import query

#: The data-quality history tables in the marts schema: they record runs, so they differ by design.
HISTORY_TABLES = frozenset({RESULTS_TABLE, MODEL_RUNS_TABLE, INCIDENTS_TABLE})

airflow_home()  # AIRFLOW_HOME before anything imports Airflow (the tests import it lazily)


START = date(2024, 1, 1)
DAYS = 10


@dataclass(frozen=True)
class Shop:
    """The generated landing folder and the days the tests run."""

    landing: Path
    run_days: tuple[date, date]  # two consecutive days with every core table's files
    missing_day: date  # a day nothing was delivered for (after the generated history)


def make_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A generated 10-day shop and the days the DAG tests run."""
    landing = tmp_path_factory.mktemp("dag-landing")
    generate(GeneratorConfig(out=landing, scale=0.005, days=DAYS, seed=7, start=START))
    days = [START + timedelta(days=offset) for offset in range(DAYS)]
    complete = [day for day in days if not missing_day_folders(landing, day)]
    first = next(
        day
        for day in complete
        if day + timedelta(days=1) in complete
        and day > START  # leave some history to load before the DAG takes over
    )
    run_days = (first, first + timedelta(days=1))
    # The generator also writes later status changes after its last day: the first day after
    # every delivered folder is a day nothing was delivered for.
    delivered = [
        date.fromisoformat(folder.name)
        for table in ("customers", "products", "orders", "order_items")
        for folder in (landing / table).iterdir()
        if folder.is_dir()
    ]
    return Shop(landing, run_days, max(delivered) + timedelta(days=1))


def logical_date(day: date) -> datetime:
    """The logical date of business day ``day`` (its data interval starts at 02:00 UTC)."""
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def dag_env(settings: Settings, shop: Shop, tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "ECOM_TARGET": settings.target.value,
        "ECOM_DUCKDB_PATH": str(settings.duckdb_path),
        "ECOM_POSTGRES_DSN": settings.postgres_dsn,
        "ECOM_LANDING_DIR": str(shop.landing),
        "ECOM_START_DATE": START.isoformat(),
        "ECOM_DAYS": str(DAYS),
        "ECOM_DBT_MANIFEST_PATH": str(dbt_manifest(settings)),
        "ECOM_DBT_DOCS_DIR": str(tmp / "docs"),
        "ECOM_ALERT_JSONL_PATH": str(tmp / "alerts.jsonl"),
        "ECOM_REPORTS_DIR": str(tmp / "reports"),
        "ECOM_DBT_RESULTS_DIR": str(tmp / "dbt-runs"),
        "ECOM_DAG_RETRIES": "0",
        **extra,
    }


def parse_dag(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Any:
    """The DAG parsed from dags/ with ``env`` (the DAG reads its settings when imported)."""
    from airflow.dag_processing.dagbag import DagBag

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}, bag.import_errors
    return bag.dags[DAG_ID]


def run_day(dag: Any, day: date) -> Any:
    """``dag.test()`` for business day ``day``; returns the DagRun."""
    # dag.test runs every task in this process, and Cosmos calls gc.collect() after each dbt
    # node: freezing what is alive now keeps those collections from rescanning the whole heap.
    gc.collect()
    gc.freeze()
    # Cosmos copies each dbt task's environment into os.environ (for OpenLineage); a worker's task
    # process ends with it, this one does not: restore it for the next steps of the test.
    environment = dict(os.environ)
    try:
        return dag.test(logical_date=logical_date(day))
    finally:
        os.environ.clear()
        os.environ.update(environment)


def task_states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def assert_success(dag_run: Any) -> None:
    states = task_states(dag_run)
    failed = {task: state for task, state in states.items() if state != "success"}
    assert str(dag_run.state) == "success", failed


def export_marts(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every mart (table of the marts schema but the DQ history), ordered by all its columns."""
    tables = [
        row[0]
        for row in query(
            settings,
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by table_name",
        )
        if row[0] not in HISTORY_TABLES
    ]
    assert tables, "no marts were built"
    exported: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        width = query(
            settings,
            "select count(*) from information_schema.columns "
            "where table_schema = 'marts' and table_name = %s",
            [table],
        )[0][0]
        order = ", ".join(str(position) for position in range(1, int(width) + 1))
        exported[table] = query(settings, f"select * from marts.{table} order by {order}")
    return exported


def raw_counts(settings: Settings) -> dict[str, int]:
    return {
        table: int(query(settings, f"select count(*) from raw.{table}")[0][0])
        for table in ("customers", "products", "orders", "order_items", "_load_log")
    }


def cli_route_marts(
    settings: Settings, until: date, artifacts: Path
) -> dict[str, list[tuple[Any, ...]]]:
    """The CLI route over the same files: load everything up to ``until``, one dbt build."""
    assert pipeline.load(settings, until=until).reconciles
    result = transform.build(settings, as_of=as_of_date(until), target_dir=artifacts)
    assert result.success, "\n".join(result.failures)
    return export_marts(settings)


def assert_same_marts(
    dag_marts: dict[str, list[tuple[Any, ...]]], cli_marts: dict[str, list[tuple[Any, ...]]]
) -> None:
    assert sorted(dag_marts) == sorted(cli_marts)
    for table in cli_marts:
        assert dag_marts[table] == cli_marts[table], f"marts.{table} differs"
    assert sum(len(rows) for rows in cli_marts.values()) > 0


def backfill_run_days(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, shop: Shop, tmp: Path
) -> Any:
    """History before the first run day into raw, then the DAG for the two run days."""
    history_end = shop.run_days[0] - timedelta(days=1)
    assert pipeline.load(settings, until=history_end).reconciles
    dag = parse_dag(monkeypatch, dag_env(settings, shop, tmp))
    for day in shop.run_days:
        assert_success(run_day(dag, day))
    return dag


def alert_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
