"""The DAG run for real with ``dag.test()`` (tasks in-process, SQLite metadata DB, no mocks).

A small shop (10 days) is generated. Its history before the first test day is loaded into raw;
then the DAG runs three consecutive logical dates (each loads its day and builds every dbt node as
of the next day). The marts must equal those of the CLI route (load everything up to the third day,
one dbt build as of the day after) exactly, on DuckDB and on PostgreSQL. Re-running a day changes
nothing; a failing task calls the alert callbacks; a day whose files never come fails the run with
a message naming the missing folders.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.airflow_support import DAGS_FOLDER, airflow_home, dbt_manifest, migrated_metadata_db

from ecommerce_pipeline import pipeline, transform
from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.orchestration import DAG_ID, as_of_date, missing_day_folders
from ecommerce_pipeline.quality.incidents import INCIDENTS_TABLE
from ecommerce_pipeline.quality.results import MODEL_RUNS_TABLE, RESULTS_TABLE
from ecommerce_pipeline.warehouse import query

#: The data-quality history tables in the marts schema: they record runs, so they differ by design.
HISTORY_TABLES = frozenset({RESULTS_TABLE, MODEL_RUNS_TABLE, INCIDENTS_TABLE})

airflow_home()  # AIRFLOW_HOME before anything imports Airflow (the tests import it lazily)

pytestmark = pytest.mark.integration

START = date(2024, 1, 1)
DAYS = 10


@dataclass(frozen=True)
class Shop:
    """The generated landing folder and the days the tests run."""

    landing: Path
    run_days: tuple[date, date, date]  # three consecutive days with every core table's files
    missing_day: date  # a day nothing was delivered for (after the generated history)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    landing = tmp_path_factory.mktemp("dag-landing")
    generate(GeneratorConfig(out=landing, scale=0.005, days=DAYS, seed=7, start=START))
    days = [START + timedelta(days=offset) for offset in range(DAYS)]
    complete = [day for day in days if not missing_day_folders(landing, day)]
    first = next(
        day
        for day in complete
        if day + timedelta(days=1) in complete
        and day + timedelta(days=2) in complete
        and day > START  # leave some history to load before the DAG takes over
    )
    run_days = (first, first + timedelta(days=1), first + timedelta(days=2))
    # The generator also writes later status changes after its last day: the first day after
    # every delivered folder is a day nothing was delivered for.
    delivered = [
        date.fromisoformat(folder.name)
        for table in ("customers", "products", "orders", "order_items")
        for folder in (landing / table).iterdir()
        if folder.is_dir()
    ]
    return Shop(landing, run_days, max(delivered) + timedelta(days=1))


@pytest.fixture(scope="module")
def metadata_db() -> Path:
    return migrated_metadata_db()


def _logical_date(day: date) -> datetime:
    """The logical date of business day ``day`` (its data interval starts at 02:00 UTC)."""
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def _dag_env(settings: Settings, shop: Shop, tmp: Path, **extra: str) -> dict[str, str]:
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


def _dag(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Any:
    """The DAG parsed from dags/ with ``env`` (the DAG reads its settings when imported)."""
    from airflow.dag_processing.dagbag import DagBag

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}, bag.import_errors
    return bag.dags[DAG_ID]


def _run(dag: Any, day: date) -> Any:
    """``dag.test()`` for business day ``day``; returns the DagRun."""
    # dag.test runs every task in this process, and Cosmos calls gc.collect() after each dbt
    # node: freezing what is alive now keeps those collections from rescanning the whole heap.
    gc.collect()
    gc.freeze()
    # Cosmos copies each dbt task's environment into os.environ (for OpenLineage); a worker's task
    # process ends with it, this one does not: restore it for the next steps of the test.
    environment = dict(os.environ)
    try:
        return dag.test(logical_date=_logical_date(day))
    finally:
        os.environ.clear()
        os.environ.update(environment)


def _states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def _assert_success(dag_run: Any) -> None:
    states = _states(dag_run)
    failed = {task: state for task, state in states.items() if state != "success"}
    assert str(dag_run.state) == "success", failed


def _marts(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
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


def _raw_counts(settings: Settings) -> dict[str, int]:
    return {
        table: int(query(settings, f"select count(*) from raw.{table}")[0][0])
        for table in ("customers", "products", "orders", "order_items", "_load_log")
    }


def _cli_marts(
    settings: Settings, until: date, artifacts: Path
) -> dict[str, list[tuple[Any, ...]]]:
    """The CLI route over the same files: load everything up to ``until``, one dbt build."""
    assert pipeline.load(settings, until=until).reconciles
    result = transform.build(settings, as_of=as_of_date(until), target_dir=artifacts)
    assert result.success, "\n".join(result.failures)
    return _marts(settings)


def _assert_same_marts(
    dag_marts: dict[str, list[tuple[Any, ...]]], cli_marts: dict[str, list[tuple[Any, ...]]]
) -> None:
    assert sorted(dag_marts) == sorted(cli_marts)
    for table in cli_marts:
        assert dag_marts[table] == cli_marts[table], f"marts.{table} differs"
    assert sum(len(rows) for rows in cli_marts.values()) > 0


def _backfill(monkeypatch: pytest.MonkeyPatch, settings: Settings, shop: Shop, tmp: Path) -> Any:
    """History before the first run day into raw, then the DAG for the three run days."""
    history_end = shop.run_days[0] - timedelta(days=1)
    assert pipeline.load(settings, until=history_end).reconciles
    dag = _dag(monkeypatch, _dag_env(settings, shop, tmp))
    for day in shop.run_days:
        _assert_success(_run(dag, day))
    return dag


@pytest.fixture
def alerts(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "alerts.jsonl"


def _alert_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_duckdb_backfill_matches_the_cli_and_reruns_change_nothing(
    metadata_db: Path, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        target=Target.DUCKDB, duckdb_path=tmp_path / "dag" / "wh.duckdb", landing_dir=shop.landing
    )
    dag = _backfill(monkeypatch, settings, shop, tmp_path)
    dag_marts = _marts(settings)
    raw_before = _raw_counts(settings)
    assert (tmp_path / "docs" / "catalog.json").is_file()  # the docs task ran
    # The data-quality step recorded every run's checks and wrote the day's report.
    recorded = query(settings, f"select count(distinct run_id) from marts.{RESULTS_TABLE}")
    assert recorded == [(len(shop.run_days),)]
    # ... including every dbt test of every run (from the dbt tasks' node results), all passing,
    # and the models' run times (performance monitoring).
    tests = query(
        settings,
        f"select run_id, count(*), sum(case when status = 'pass' then 1 else 0 end) "
        f"from marts.{RESULTS_TABLE} where check_type = 'dbt_test' group by run_id",
    )
    assert len(tests) == len(shop.run_days)
    for _, checked, passed in tests:
        assert checked > 100 and passed == checked
    timed = query(settings, f"select count(distinct node_id) from marts.{MODEL_RUNS_TABLE}")
    assert timed[0][0] > 20
    report = tmp_path / "reports" / shop.run_days[-1].isoformat() / "data_quality.html"
    assert report.is_file()

    cli = Settings(
        target=Target.DUCKDB, duckdb_path=tmp_path / "cli" / "wh.duckdb", landing_dir=shop.landing
    )
    _assert_same_marts(dag_marts, _cli_marts(cli, shop.run_days[-1], tmp_path / "cli-dbt"))

    # Re-running the last day loads nothing new and rebuilds the same marts.
    _assert_success(_run(dag, shop.run_days[-1]))
    assert _raw_counts(settings) == raw_before
    assert _marts(settings) == dag_marts


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_backfill_matches_the_cli(
    metadata_db: Path,
    shop: Shop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_dsn: str,
    pg_databases: Any,
) -> None:
    settings = Settings(target=Target.POSTGRES, postgres_dsn=pg_dsn, landing_dir=shop.landing)
    _backfill(monkeypatch, settings, shop, tmp_path)
    dag_marts = _marts(settings)
    cli = Settings(
        target=Target.POSTGRES,
        postgres_dsn=pg_databases.create("dagcli"),
        landing_dir=shop.landing,
    )
    _assert_same_marts(dag_marts, _cli_marts(cli, shop.run_days[-1], tmp_path / "cli-dbt"))


def test_a_failing_task_calls_the_retry_and_failure_callbacks(
    metadata_db: Path, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alerts: Path
) -> None:
    # The warehouse path is a folder: DuckDB cannot open it, so the load fails on every try.
    blocked = tmp_path / "blocked.duckdb"
    blocked.mkdir()
    settings = Settings(target=Target.DUCKDB, duckdb_path=blocked)
    env = _dag_env(
        settings,
        shop,
        tmp_path,
        ECOM_DAG_RETRIES="1",
        ECOM_DAG_RETRY_DELAY_SECONDS="1",
        ECOM_DAG_MAX_RETRY_DELAY_SECONDS="1",
    )
    dag_run = _run(_dag(monkeypatch, env), shop.run_days[0])
    assert str(dag_run.state) == "failed"
    states = _states(dag_run)
    assert states["wait_for_landing_files"] == "success"
    assert states["load_day"] == "failed"
    assert states["dbt_docs"] == "upstream_failed"

    records = [record for record in _alert_records(alerts) if record["task_id"] == "load_day"]
    assert [(record["kind"], record["try_number"]) for record in records] == [
        ("retry", 1),
        ("failure", 2),
    ]
    for record in records:
        assert record["dag_id"] == DAG_ID
        assert record["run_id"] == dag_run.run_id
        assert record["logical_date"].startswith(shop.run_days[0].isoformat())
        assert str(blocked) in record["exception"]


def test_a_day_whose_files_never_come_fails_with_the_missing_folders(
    metadata_db: Path,
    shop: Shop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    alerts: Path,
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    url, posts = webhook
    settings = Settings(target=Target.DUCKDB, duckdb_path=tmp_path / "wh.duckdb")
    env = _dag_env(
        settings,
        shop,
        tmp_path,
        ECOM_SENSOR_POKE_SECONDS="1",
        ECOM_SENSOR_TIMEOUT_SECONDS="2",
        ECOM_ALERT_WEBHOOK_URL=url,
        ECOM_DAG_END_DATE=shop.missing_day.isoformat(),  # a scheduled day, not delivered
    )
    dag_run = _run(_dag(monkeypatch, env), shop.missing_day)
    assert str(dag_run.state) == "failed"
    states = _states(dag_run)
    assert states["wait_for_landing_files"] == "failed"
    assert states["load_day"] == "upstream_failed"
    # Nothing was loaded (the failure alert keeps its incident state in the warehouse).
    loaded = query(
        settings,
        "select count(*) from information_schema.tables where table_schema = 'raw'",
    )
    assert loaded == [(0,)]
    # The failure reached the alert channel: one post, naming the task and the missing day.
    [post] = posts
    assert "wait_for_landing_files" in post["text"]
    assert shop.missing_day.isoformat() in post["text"]

    [record] = [r for r in _alert_records(alerts) if r["task_id"] == "wait_for_landing_files"]
    assert record["kind"] == "failure"
    message = record["exception"]
    assert f"business day {shop.missing_day.isoformat()} never arrived" in message
    missing = missing_day_folders(shop.landing, shop.missing_day)
    assert len(missing) == 4
    for folder in missing:
        assert str(folder) in message


@pytest.mark.postgres
def test_the_dag_takes_its_day_from_the_oltp_database(
    metadata_db: Path,
    shop: Shop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_databases: Any,
) -> None:
    """ECOM_SOURCE=database: the extract task fills the empty landing folder from the OLTP DB."""
    from ecommerce_pipeline.sources.oltp_writer import write_history

    day = shop.run_days[0]
    oltp = pg_databases.create("dag_oltp")
    write_history(oltp, shop.landing, until=day)
    landing = tmp_path / "extracted"
    settings = Settings(
        target=Target.DUCKDB, duckdb_path=tmp_path / "wh.duckdb", landing_dir=landing
    )
    env = _dag_env(
        settings,
        Shop(landing, shop.run_days, shop.missing_day),
        tmp_path,
        ECOM_SOURCE="database",
        ECOM_SOURCE_DB_URL=oltp,
    )
    _assert_success(_run(_dag(monkeypatch, env), day))

    generated = {
        row.split(",", 1)[0]
        for folder in (shop.landing / "orders").iterdir()
        if folder.name <= day.isoformat()
        for path in folder.glob("*.csv")
        for row in path.read_text(encoding="utf-8").splitlines()[1:]
    }
    loaded = {row[0] for row in query(settings, "select distinct order_id from raw.orders")}
    assert loaded == generated
    built = query(settings, "select count(*) from marts.customer_summary")
    assert built[0][0] > 0
