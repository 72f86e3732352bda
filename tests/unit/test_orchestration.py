"""What the DAG calls, without Airflow: dates, landing readiness, settings, alerts, the launcher."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ecommerce_pipeline import airflow_standalone as standalone
from ecommerce_pipeline.alerting import (
    AlertEvent,
    AlertKind,
    AlertSettings,
    alert,
    event_from_airflow_context,
)
from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.orchestration import (
    AirflowSettings,
    ManifestMissingError,
    MissingLogicalDateError,
    as_of_date,
    as_of_template_value,
    business_day,
    day_delivered,
    missing_day_folders,
    missing_files_message,
    require_manifest,
)

pytestmark = pytest.mark.unit


def test_business_day_is_the_utc_date_of_the_logical_date() -> None:
    assert business_day(datetime(2024, 1, 5, 2, tzinfo=UTC)) == date(2024, 1, 5)
    # 2024-01-05 23:30 at UTC-2 is 2024-01-06 01:30 UTC.
    minus_two = timezone(timedelta(hours=-2))
    assert business_day(datetime(2024, 1, 5, 23, 30, tzinfo=minus_two)) == date(2024, 1, 6)
    assert business_day(date(2024, 2, 29)) == date(2024, 2, 29)
    with pytest.raises(MissingLogicalDateError, match="logical date"):
        business_day(None)


def test_as_of_date_is_the_day_after_the_business_day() -> None:
    assert as_of_date(date(2024, 12, 31)) == date(2025, 1, 1)
    assert as_of_template_value(datetime(2024, 2, 28, 2, tzinfo=UTC)) == "2024-02-29"


def _write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id\n1\n")


def test_a_day_is_delivered_when_any_core_table_folder_holds_a_landing_file(
    tmp_path: Path,
) -> None:
    day = date(2024, 3, 1)
    assert not day_delivered(tmp_path, day)
    (tmp_path / "orders" / "2024-03-01").mkdir(parents=True)
    _write(tmp_path / "orders" / "2024-03-01" / "_SUCCESS_marker")  # not a landing file
    _write(tmp_path / "web_events" / "2024-03-01" / "events.csv")  # optional: not awaited
    assert not day_delivered(tmp_path, day)
    _write(tmp_path / "orders" / "2024-03-01" / "orders.csv")
    assert day_delivered(tmp_path, day)  # a quiet day: no customer or product changed
    assert missing_day_folders(tmp_path, day) == [
        tmp_path / table / "2024-03-01" for table in ("customers", "products", "order_items")
    ]


def test_the_missing_files_message_names_the_day_folders_and_the_fix(tmp_path: Path) -> None:
    day = date(2024, 3, 2)
    missing = missing_day_folders(tmp_path, day)
    message = missing_files_message(tmp_path, day, missing)
    assert "business day 2024-03-02 never arrived" in message
    for table in ("customers", "products", "orders", "order_items"):
        assert str(tmp_path / table / "2024-03-02") in message
    assert "ECOM_LANDING_DIR" in message


def test_dag_settings_defaults_follow_the_generated_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith(("ECOM_DAG_", "ECOM_SENSOR_", "ECOM_DBT_")):
            monkeypatch.delenv(name)
    settings = Settings(_env_file=None, start_date="2024-01-01", days=730)  # type: ignore[call-arg]
    dag_settings = AirflowSettings(_env_file=None)  # type: ignore[call-arg]
    assert dag_settings.start_date(settings) == date(2024, 1, 1)
    assert dag_settings.end_date(settings) == date(2025, 12, 30)
    assert dag_settings.dag_catchup is False
    assert dag_settings.pool(settings) == "duckdb_writer"
    postgres = settings.model_copy(update={"target": Target.POSTGRES})
    assert dag_settings.pool(postgres) is None
    assert dag_settings.manifest_path(settings).parts[-3:] == ("target", "duckdb", "manifest.json")
    assert dag_settings.docs_dir(settings).parts[-2:] == ("target", "duckdb_docs")


def test_dag_settings_read_the_ecom_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_DAG_START_DATE", "2024-06-01")
    monkeypatch.setenv("ECOM_DAG_CATCHUP", "true")
    monkeypatch.setenv("ECOM_DUCKDB_POOL", "single_writer")
    dag_settings = AirflowSettings(_env_file=None)  # type: ignore[call-arg]
    assert dag_settings.dag_start_date == date(2024, 6, 1)
    assert dag_settings.dag_catchup is True
    assert dag_settings.duckdb_pool == "single_writer"


def test_a_missing_manifest_says_how_to_write_it(tmp_path: Path) -> None:
    with pytest.raises(ManifestMissingError, match="ecom transform --parse"):
        require_manifest(tmp_path / "manifest.json")


def _event(kind: AlertKind = AlertKind.FAILURE) -> AlertEvent:
    return AlertEvent(
        kind=kind,
        dag_id="ecommerce_etl_pipeline",
        task_id="load_day",
        run_id="manual__1",
        logical_date="2024-01-05T02:00:00+00:00",
        try_number=2,
        exception="WarehouseError: cannot open",
    )


def test_an_alert_is_one_json_log_record_and_one_jsonl_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "alerts" / "alerts.jsonl"
    with caplog.at_level(logging.WARNING, logger="ecommerce_pipeline.alerts"):
        alert(_event(), AlertSettings(_env_file=None, jsonl_path=path))  # type: ignore[call-arg]
        alert(_event(AlertKind.RETRY), AlertSettings(_env_file=None, jsonl_path=path))  # type: ignore[call-arg]
    assert [record.levelname for record in caplog.records] == ["ERROR", "WARNING"]
    logged = json.loads(caplog.records[0].getMessage())
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == logged
    assert [line["kind"] for line in lines] == ["failure", "retry"]
    expected = {"dag_id", "task_id", "run_id", "logical_date", "try_number", "kind", "exception"}
    assert expected <= set(logged)


def test_without_a_jsonl_path_alerts_are_only_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("ECOM_ALERT_JSONL_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING, logger="ecommerce_pipeline.alerts"):
        record = alert(_event())
    assert record["task_id"] == "load_day"
    assert len(caplog.records) == 1
    assert list(tmp_path.iterdir()) == []


class _TaskInstance:
    dag_id = "ecommerce_etl_pipeline"
    task_id = "wait_for_landing_files"
    try_number = 1


def test_an_event_from_an_airflow_callback_context() -> None:
    context = {
        "ti": _TaskInstance(),
        "run_id": "scheduled__2024-01-05",
        "logical_date": datetime(2024, 1, 5, 2, tzinfo=UTC),
        "exception": TimeoutError("landing files of business day 2024-01-05 never arrived"),
    }
    event = event_from_airflow_context(context, AlertKind.FAILURE)
    assert event.task_id == "wait_for_landing_files"
    assert event.logical_date == "2024-01-05T02:00:00+00:00"
    assert event.exception.startswith("TimeoutError: landing files")
    assert event.try_number == 1


def _standalone(tmp_path: Path, **settings: object) -> standalone.Standalone:
    return standalone.Standalone(
        home=tmp_path / "home",
        port=18123,
        settings=Settings(_env_file=None, **settings),  # type: ignore[arg-type]
        dag_settings=AirflowSettings(_env_file=None),  # type: ignore[call-arg]
    )


def test_the_standalone_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    instance = _standalone(tmp_path, landing_dir=Path("data/landing"))
    env = standalone.airflow_environment(instance, "run-1")
    assert env["AIRFLOW_HOME"] == str(tmp_path / "home")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(standalone.REPO_ROOT / "dags")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert env["AIRFLOW__API__PORT"] == "18123"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18123/execution/"
    assert env["ECOM_LANDING_DIR"] == str(tmp_path / "data" / "landing")  # absolute
    assert Path(env["ECOM_DUCKDB_PATH"]).is_absolute()
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["DO_NOT_TRACK"] == "1"
    assert env[standalone.MARKER] == "run-1"


def test_stop_ends_the_process_group_and_marked_stragglers(tmp_path: Path) -> None:
    instance = _standalone(tmp_path)
    instance.home.mkdir(parents=True)
    marker_env = {**os.environ, standalone.MARKER: "run-2"}
    group = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        start_new_session=True,
        env=marker_env,
    )
    # A process that left the group (its own session) but carries the marker.
    straggler = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        start_new_session=True,
        env=marker_env,
    )
    instance.pid_file.write_text(f"{group.pid} run-2\n")
    try:
        deadline = time.monotonic() + 10
        while len(standalone.leftover_processes(group.pid, "run-2")) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert standalone.stop(instance, quiet=True) == 0
        assert group.wait(timeout=10) == -signal.SIGTERM
        assert straggler.wait(timeout=10) == -signal.SIGTERM
        assert standalone.leftover_processes(group.pid, "run-2") == []
        assert not instance.pid_file.exists()
    finally:
        for process in (group, straggler):
            if process.poll() is None:
                process.kill()
