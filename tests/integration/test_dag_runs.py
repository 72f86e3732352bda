"""The DAG run for real with ``dag.test()`` (tasks in-process, SQLite metadata DB, no mocks).

A small shop (10 days) is generated. Its history before the first test day is loaded into raw;
then the DAG runs two consecutive logical dates (each loads its day and builds every dbt node as
of the next day: the second run is incremental on the first). The marts must equal those of the
CLI route (load everything up to the second day, one dbt build as of the day after) exactly, on
DuckDB and on PostgreSQL. Re-running a day changes nothing; a failing task calls the alert
callbacks; a day whose files never come fails the run with a message naming the missing folders.
PostgreSQL and the OLTP source: test_dag_runs_postgres.py; shared helpers: tests/dag_run_support.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.dag_run_support import (
    Shop,
    alert_records,
    assert_same_marts,
    assert_success,
    backfill_run_days,
    cli_route_marts,
    dag_env,
    export_marts,
    parse_dag,
    raw_counts,
    run_day,
    task_states,
)

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.orchestration import DAG_ID, missing_day_folders
from ecommerce_pipeline.quality.results import MODEL_RUNS_TABLE, RESULTS_TABLE
from ecommerce_pipeline.warehouse import query

pytestmark = pytest.mark.integration


@pytest.mark.slow
def test_duckdb_backfill_matches_the_cli_and_reruns_change_nothing(
    metadata_db: Path, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        target=Target.DUCKDB, duckdb_path=tmp_path / "dag" / "wh.duckdb", landing_dir=shop.landing
    )
    dag = backfill_run_days(monkeypatch, settings, shop, tmp_path)
    dag_marts = export_marts(settings)
    raw_before = raw_counts(settings)
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
        assert checked > 70 and passed == checked
    timed = query(settings, f"select count(distinct node_id) from marts.{MODEL_RUNS_TABLE}")
    assert timed[0][0] > 20
    report = tmp_path / "reports" / shop.run_days[-1].isoformat() / "data_quality.html"
    assert report.is_file()

    cli = Settings(
        target=Target.DUCKDB, duckdb_path=tmp_path / "cli" / "wh.duckdb", landing_dir=shop.landing
    )
    assert_same_marts(dag_marts, cli_route_marts(cli, shop.run_days[-1], tmp_path / "cli-dbt"))

    # Re-running the last day loads nothing new and rebuilds the same marts.
    assert_success(run_day(dag, shop.run_days[-1]))
    assert raw_counts(settings) == raw_before
    assert export_marts(settings) == dag_marts


def test_a_failing_task_calls_the_retry_and_failure_callbacks(
    metadata_db: Path, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alerts: Path
) -> None:
    # The warehouse path is a folder: DuckDB cannot open it, so the load fails on every try.
    blocked = tmp_path / "blocked.duckdb"
    blocked.mkdir()
    settings = Settings(target=Target.DUCKDB, duckdb_path=blocked)
    env = dag_env(
        settings,
        shop,
        tmp_path,
        ECOM_DAG_RETRIES="1",
        ECOM_DAG_RETRY_DELAY_SECONDS="1",
        ECOM_DAG_MAX_RETRY_DELAY_SECONDS="1",
    )
    dag_run = run_day(parse_dag(monkeypatch, env), shop.run_days[0])
    assert str(dag_run.state) == "failed"
    states = task_states(dag_run)
    assert states["wait_for_landing_files"] == "success"
    assert states["load_day"] == "failed"
    assert states["dbt_docs"] == "upstream_failed"

    records = [record for record in alert_records(alerts) if record["task_id"] == "load_day"]
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
    env = dag_env(
        settings,
        shop,
        tmp_path,
        ECOM_SENSOR_POKE_SECONDS="1",
        ECOM_SENSOR_TIMEOUT_SECONDS="2",
        ECOM_ALERT_WEBHOOK_URL=url,
        ECOM_DAG_END_DATE=shop.missing_day.isoformat(),  # a scheduled day, not delivered
    )
    dag_run = run_day(parse_dag(monkeypatch, env), shop.missing_day)
    assert str(dag_run.state) == "failed"
    states = task_states(dag_run)
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

    [record] = [r for r in alert_records(alerts) if r["task_id"] == "wait_for_landing_files"]
    assert record["kind"] == "failure"
    message = record["exception"]
    assert f"business day {shop.missing_day.isoformat()} never arrived" in message
    missing = missing_day_folders(shop.landing, shop.missing_day)
    assert len(missing) == 4
    for folder in missing:
        assert str(folder) in message
