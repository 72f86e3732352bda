"""Data quality on real warehouses: injected faults are caught, history is kept, freshness SLA.

One landing folder (scale 0.05, 100 days) with three injected faults on different days is loaded
and built once per warehouse (DuckDB file, PostgreSQL database).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from ecommerce_pipeline import pipeline, transform
from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.quality import run_checks
from ecommerce_pipeline.quality.anomalies import MetricSeries, flagged
from ecommerce_pipeline.quality.freshness import freshness_checks
from ecommerce_pipeline.quality.store import session

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = date(2024, 1, 1)
DAYS = 100
VOLUME_DROP = date(2024, 3, 1)
REVENUE_SPIKE = date(2024, 3, 11)
BAD_ROWS = date(2024, 3, 21)
FAULT_DAYS = {VOLUME_DROP, REVENUE_SPIKE, BAD_ROWS}
WARM_UP_END = START + timedelta(days=28)
LAST_DAY = START + timedelta(days=DAYS - 1)


@pytest.fixture(scope="module")
def faulty_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dq") / "landing"
    generate(
        GeneratorConfig(
            out=out,
            scale=0.05,
            start=START,
            days=DAYS,
            seed=42,
            volume_drop_day=VOLUME_DROP,
            revenue_spike_day=REVENUE_SPIKE,
            bad_rows_day=BAD_ROWS,
        )
    )
    return out


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def warehouse(
    request: pytest.FixtureRequest,
    faulty_landing: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, Path]]:
    """Settings of a loaded and built warehouse and its dbt artifacts folder."""
    folder = tmp_path_factory.mktemp(f"wh_{request.param}")
    if request.param == "postgres":
        databases = request.getfixturevalue("pg_databases")
        settings = Settings(
            target=Target.POSTGRES,
            postgres_dsn=databases.create("dq"),
            landing_dir=faulty_landing,
            reports_dir=folder / "reports",
        )
    else:
        settings = Settings(
            target=Target.DUCKDB,
            duckdb_path=folder / "warehouse.duckdb",
            landing_dir=faulty_landing,
            reports_dir=folder / "reports",
        )
    report = pipeline.load(settings)
    assert report.reconciles
    artifacts = folder / "dbt"
    built = transform.build(settings, target_dir=artifacts)
    assert built.success, built.failures
    yield settings, artifacts


def _scan(settings: Settings) -> list[tuple[date, str, str]]:
    with session(settings) as db:
        series = MetricSeries.read(db)
    judgements = series.scan(WARM_UP_END, LAST_DAY, window=28, min_history=14)
    assert sum(1 for judgement in judgements if judgement.judged) > 400  # really judged
    return sorted((j.day, j.metric.name, j.metric.model) for j in flagged(judgements, 4.0))


def test_anomaly_checks_flag_exactly_the_injected_days(warehouse: tuple[Settings, Path]) -> None:
    settings, _ = warehouse
    found = _scan(settings)
    days = {day for day, _, _ in found}
    assert days == FAULT_DAYS, found  # every fault caught, clean days quiet
    metrics = {(day, name) for day, name, _ in found}
    assert (VOLUME_DROP, "order_volume") in metrics
    assert (REVENUE_SPIKE, "net_revenue") in metrics
    assert (REVENUE_SPIKE, "avg_order_value") in metrics
    assert (BAD_ROWS, "quarantine_rate") in metrics
    # each fault moves its own metrics only: prices do not change volumes, bad rows neither
    assert (REVENUE_SPIKE, "order_volume") not in metrics
    assert (BAD_ROWS, "order_volume") not in metrics
    assert (BAD_ROWS, "net_revenue") not in metrics
    assert (VOLUME_DROP, "avg_order_value") not in metrics


def _count(settings: Settings, statement: str, params: tuple[object, ...] = ()) -> int:
    with session(settings) as db:
        return int(db.fetch(statement, params)[0][0])


def test_run_checks_records_every_check_and_reruns_replace_their_rows(
    warehouse: tuple[Settings, Path],
) -> None:
    settings, artifacts = warehouse
    first = run_checks(
        settings, logical_date=REVENUE_SPIKE, run_id="dq_r1", dbt_artifacts=artifacts
    )
    types = {check.check_type for check in first.checks}
    assert {"dbt_test", "unit_test", "dbt_model", "freshness", "quarantine"} <= types
    assert {"reconciliation", "anomaly"} <= types
    rows = _count(
        settings, "select count(*) from marts.data_quality_results where run_id = %s", ("dq_r1",)
    )
    assert rows == len(first.checks)
    # every dbt node of the build is one check: data tests, unit tests, models (with snapshots
    # and seeds)
    results = json.loads((artifacts / "run_results.json").read_text(encoding="utf-8"))["results"]
    built = Counter(result["unique_id"].split(".")[0] for result in results)
    recorded = Counter(check.check_type for check in first.checks)
    assert built["test"] > 70  # 77 data tests (the rest are contract constraints)
    assert recorded["dbt_test"] == built["test"]
    assert recorded["unit_test"] == built["unit_test"]
    assert recorded["dbt_model"] == built["model"] + built["snapshot"] + built["seed"]
    again = run_checks(
        settings, logical_date=REVENUE_SPIKE, run_id="dq_r1", dbt_artifacts=artifacts
    )
    assert _count(
        settings, "select count(*) from marts.data_quality_results where run_id = %s", ("dq_r1",)
    ) == len(again.checks)
    assert again.opened == []  # the retry of the same run alerts nothing new
    run_checks(settings, logical_date=BAD_ROWS, run_id="dq_r2", dbt_artifacts=None)
    with session(settings) as db:
        run_at = db.fetch(
            "select distinct run_at from marts.data_quality_results where run_id = 'dq_r1'"
        )
        anomalies = db.fetch(
            "select check_name, status, checked_day from marts.data_quality_results "
            "where run_id = 'dq_r1' and check_type = 'anomaly' and status = 'fail'"
        )
        quarantine = db.fetch(
            "select status, failures, failing_rows from marts.data_quality_results "
            "where run_id = 'dq_r2' and check_type = 'quarantine' and model = 'raw.orders'"
        )
        tests = db.fetch(
            "select count(*), count(distinct model) from marts.data_quality_results "
            "where run_id = 'dq_r1' and check_type = 'dbt_test' and model <> ''"
        )
        timings = db.fetch(
            "select count(*), sum(execution_time) from marts.model_run_history "
            "where run_id = 'dq_r1'"
        )
    assert run_at == [(datetime(2024, 3, 11),)]  # the logical date, not the clock
    assert {name for name, _, _ in anomalies} == {
        "anomaly_net_revenue",
        "anomaly_avg_order_value",
    }
    assert {str(day)[:10] for _, _, day in anomalies} == {"2024-03-11"}
    status, failures, link = quarantine[0]
    assert status == "fail" and failures > 0
    with session(settings) as db:  # the link really selects the quarantined rows
        assert len(db.fetch(link)) == failures
    assert tests[0][0] > 70 and tests[0][1] > 10
    assert timings[0][0] >= 20 and timings[0][1] > 0
    report = again.report
    assert report is not None and report.html.is_file()
    html = report.html.read_text(encoding="utf-8")
    assert "anomaly_net_revenue" in html and "<svg" in html and "<script" not in html
    assert "anomaly_avg_order_value" in report.markdown.read_text(encoding="utf-8")


def test_dbt_build_keeps_the_history_tables(warehouse: tuple[Settings, Path]) -> None:
    settings, artifacts = warehouse
    run_checks(
        settings, logical_date=VOLUME_DROP, run_id="dq_keep", write_report=False, alerts=False
    )
    before = _count(settings, "select count(*) from marts.data_quality_results")
    rebuilt = transform.build(settings, select="sales_summary", target_dir=artifacts / "again")
    assert rebuilt.success, rebuilt.failures
    assert _count(settings, "select count(*) from marts.data_quality_results") == before
    assert _count(settings, "select count(*) from marts.dq_incidents") > 0


def test_freshness_breach_and_pass_depend_on_the_logical_date(
    warehouse: tuple[Settings, Path],
) -> None:
    settings, _ = warehouse
    with session(settings) as db:
        loaded = db.fetch("select max(_loaded_at) from raw.orders")[0][0]
        load_day = loaded.date()
        on_time = freshness_checks(db, load_day, warn_hours=36, error_hours=72)
        late = freshness_checks(db, load_day + timedelta(days=2), warn_hours=36, error_hours=72)
        stale = freshness_checks(db, load_day + timedelta(days=4), warn_hours=36, error_hours=72)
    assert {check.status for check in on_time} == {"pass"}
    assert {check.status for check in late} == {"warn"}
    assert {check.status for check in stale} == {"fail"}
    assert {check.model for check in stale} == {
        "raw.customers",
        "raw.products",
        "raw.orders",
        "raw.order_items",
    }
