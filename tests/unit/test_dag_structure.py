"""The DAG file: imports cleanly, has the expected tasks, order, schedule and pools; does no work.

The dbt manifest is parsed once (``dbt parse``: no database) into the test AIRFLOW_HOME.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.airflow_support import DAG_FILE, DAGS_FOLDER, airflow_home, dbt_manifest

from ecommerce_pipeline import alerting
from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.orchestration import DAG_ID

airflow_home()  # AIRFLOW_HOME before anything imports Airflow (the tests import it lazily)

pytestmark = pytest.mark.unit

PYTHON_TASKS = ("extract_day", "wait_for_landing_files", "load_day", "data_quality", "dbt_docs")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("manifest-duckdb")
    return dbt_manifest(Settings(target=Target.DUCKDB, duckdb_path=folder / "unused.duckdb"))


def _env(manifest: Path, tmp: Path, target: Target = Target.DUCKDB) -> dict[str, str]:
    return {
        "ECOM_TARGET": target.value,
        "ECOM_DUCKDB_PATH": str(tmp / "never" / "warehouse.duckdb"),
        "ECOM_POSTGRES_DSN": "postgresql://postgres@127.0.0.1:1/never",
        "ECOM_LANDING_DIR": str(tmp / "landing"),
        "ECOM_START_DATE": "2024-01-01",
        "ECOM_DAYS": "30",
        "ECOM_DBT_MANIFEST_PATH": str(manifest),
    }


def _load_dag(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}, bag.import_errors
    assert set(bag.dag_ids) == {DAG_ID}
    return bag.dags[DAG_ID]


@pytest.fixture
def dag(monkeypatch: pytest.MonkeyPatch, manifest: Path, tmp_path: Path) -> Iterator[Any]:
    yield _load_dag(monkeypatch, _env(manifest, tmp_path))


def _dbt_nodes(manifest: Path) -> dict[str, dict[str, Any]]:
    nodes = json.loads(manifest.read_text())["nodes"]
    return {
        key: node
        for key, node in nodes.items()
        if node["resource_type"] in ("model", "snapshot", "seed")
    }


def _upstream_closure(dag: Any, task_id: str) -> set[str]:
    seen: set[str] = set()
    todo = [task_id]
    while todo:
        for upstream in dag.get_task(todo.pop()).upstream_task_ids:
            if upstream not in seen:
                seen.add(upstream)
                todo.append(upstream)
    return seen


def test_every_dbt_node_is_a_task(dag: Any, manifest: Path) -> None:
    task_ids = set(dag.task_ids)
    for node in _dbt_nodes(manifest).values():
        assert f"dbt.{node['name']}_{node['resource_type']}_build" in task_ids
    assert set(PYTHON_TASKS) <= task_ids
    dbt_tasks = {task_id for task_id in task_ids if task_id.startswith("dbt.")}
    assert task_ids == dbt_tasks | set(PYTHON_TASKS)


def test_flow_sensor_load_dbt_quality_docs(dag: Any) -> None:
    assert dag.get_task("extract_day").upstream_task_ids == set()
    assert dag.get_task("wait_for_landing_files").upstream_task_ids == {"extract_day"}
    assert dag.get_task("load_day").upstream_task_ids == {"wait_for_landing_files"}
    dbt_tasks = {task_id for task_id in dag.task_ids if task_id.startswith("dbt.")}
    for task_id in dbt_tasks:
        assert "load_day" in _upstream_closure(dag, task_id), task_id
    assert dbt_tasks <= _upstream_closure(dag, "data_quality")
    assert dag.get_task("dbt_docs").upstream_task_ids == {"data_quality"}
    assert dag.get_task("dbt_docs").downstream_task_ids == set()


def test_dbt_tasks_follow_the_dbt_graph(dag: Any, manifest: Path) -> None:
    nodes = _dbt_nodes(manifest)
    task_of = {
        key: f"dbt.{node['name']}_{node['resource_type']}_build" for key, node in nodes.items()
    }
    for key, node in nodes.items():
        upstream = _upstream_closure(dag, task_of[key])
        for parent in node["depends_on"].get("nodes", []):
            if parent in task_of:
                assert task_of[parent] in upstream, (task_of[key], parent)
    # Snapshots run after staging and before the dimensions built from them, the facts after.
    assert "dbt.stg_customers_model_build" in _upstream_closure(
        dag, "dbt.snap_customer_versions_snapshot_build"
    )
    fact_upstream = _upstream_closure(dag, "dbt.fact_orders_model_build")
    assert {
        "dbt.snap_customer_versions_snapshot_build",
        "dbt.dim_customers_model_build",
        "dbt.stg_orders_model_build",
    } <= fact_upstream
    mart_upstream = _upstream_closure(dag, "dbt.customer_summary_model_build")
    assert "dbt.fact_orders_model_build" in mart_upstream


def test_multi_parent_tests_are_their_own_tasks(dag: Any) -> None:
    test_tasks = [task_id for task_id in dag.task_ids if task_id.endswith("_test")]
    assert test_tasks
    for task_id in test_tasks:
        parents = {
            upstream
            for upstream in dag.get_task(task_id).upstream_task_ids
            if upstream.startswith("dbt.")
        }
        assert len(parents) >= 2, task_id


def test_schedule_retries_and_callbacks(dag: Any) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    # A data interval per day: the run for business day D starts at D+1 02:00 UTC.
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.expression == "0 2 * * *"
    assert str(dag.timetable.timezone) in ("UTC", "Timezone('UTC')")
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert dag.start_date == datetime(2024, 1, 1, tzinfo=UTC)
    assert dag.end_date.date() == datetime(2024, 1, 30).date()
    load = dag.get_task("load_day")
    assert load.retries == 2
    assert load.retry_delay == timedelta(seconds=60)
    assert load.retry_exponential_backoff > 0
    assert load.max_retry_delay == timedelta(seconds=1800)
    for task in dag.tasks:
        assert alerting.on_task_failure in _callbacks(task.on_failure_callback), task.task_id
    for task in dag.tasks:
        if task.task_id != "wait_for_landing_files":
            assert alerting.on_task_retry in _callbacks(task.on_retry_callback), task.task_id


def _callbacks(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def test_settings_drive_start_catchup_and_retries(
    monkeypatch: pytest.MonkeyPatch, manifest: Path, tmp_path: Path
) -> None:
    env = _env(manifest, tmp_path) | {
        "ECOM_DAG_START_DATE": "2024-03-01",
        "ECOM_DAG_END_DATE": "2024-03-31",
        "ECOM_DAG_CATCHUP": "true",
        "ECOM_DAG_RETRIES": "5",
        "ECOM_SENSOR_POKE_SECONDS": "30",
        "ECOM_SENSOR_TIMEOUT_SECONDS": "600",
    }
    dag = _load_dag(monkeypatch, env)
    assert dag.start_date == datetime(2024, 3, 1, tzinfo=UTC)
    assert dag.end_date.date() == datetime(2024, 3, 31).date()
    assert dag.catchup is True
    assert dag.get_task("load_day").retries == 5
    sensor = dag.get_task("wait_for_landing_files")
    assert sensor.mode == "reschedule"
    assert sensor.poke_interval == 30
    assert sensor.timeout == 600


def test_duckdb_writers_share_a_one_slot_pool(dag: Any) -> None:
    for task in dag.tasks:
        if task.task_id in ("extract_day", "wait_for_landing_files") or task.task_id.endswith(
            "_latest_model_build"
        ):
            continue  # extraction writes landing files, the sensor nothing; ephemeral: empty
        assert task.pool == "duckdb_writer", task.task_id
    assert dag.get_task("wait_for_landing_files").pool == "default_pool"


def test_postgres_tasks_are_not_pooled(
    monkeypatch: pytest.MonkeyPatch, manifest: Path, tmp_path: Path
) -> None:
    # The DuckDB manifest renders the same graph; only the pools and the profile differ.
    dag = _load_dag(monkeypatch, _env(manifest, tmp_path, Target.POSTGRES))
    assert {task.pool for task in dag.tasks} == {"default_pool"}
    dbt_task = dag.get_task("dbt.fact_orders_model_build")
    assert dbt_task.profile_config.target_name == "postgres"
    assert dbt_task.env["ECOM_DBT_TARGET"] == "postgres"


def test_dbt_tasks_get_the_as_of_date_of_the_logical_date(dag: Any) -> None:
    task = dag.get_task("dbt.customer_summary_model_build")
    assert task.env["ECOM_DBT_AS_OF_DATE"] == "{{ ecom_as_of_date(logical_date) }}"
    assert task.env["ECOM_DBT_START_DATE"] == task.env["ECOM_DBT_END_DATE"] == ""
    assert not task.vars
    macro = dag.user_defined_macros["ecom_as_of_date"]
    assert macro(datetime(2024, 1, 5, 2, tzinfo=UTC)) == "2024-01-06"
    assert task.env["ECOM_DBT_TARGET"] == "duckdb"
    assert task.profile_config.target_name == "duckdb"


def test_missing_manifest_is_a_clear_import_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    for key, value in _env(tmp_path / "nope" / "manifest.json", tmp_path).items():
        monkeypatch.setenv(key, value)
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    [error] = bag.import_errors.values()
    assert "ecom transform --parse" in error
    assert str(tmp_path / "nope" / "manifest.json") in error


IMPORT_PROBE = """
import json, sys
events = []
WATCHED = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork",
           "socket.connect", "sqlite3.connect")
sys.addaudithook(lambda event, args: events.append([event, str(args[0])])
                 if event in WATCHED else None)
import importlib.util
spec = importlib.util.spec_from_file_location("ecommerce_etl_pipeline_probe", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({
    "tasks": len(module.dag.tasks),
    "events": events,
    "dbt_runner_loaded": "dbt.cli.main" in sys.modules,
    "duckdb_loaded": "duckdb" in sys.modules,
}))
"""


def test_importing_the_dag_does_no_database_or_dbt_work(manifest: Path, tmp_path: Path) -> None:
    before = manifest.stat().st_mtime_ns, manifest.read_bytes()
    env = {**os.environ, **_env(manifest, tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, str(DAG_FILE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["tasks"] > 40
    # No socket, no SQLite metadata DB, no process but two that libraries run when imported
    # (trio: `ldconfig -p` to find libpthread; croniter: `file -b python` for the word size).
    library_probes = {"/sbin/ldconfig", "file"}
    unexpected = [
        event
        for event in probe["events"]
        if not (event[0] == "subprocess.Popen" and event[1] in library_probes)
    ]
    assert unexpected == []
    assert probe["dbt_runner_loaded"] is False
    assert probe["duckdb_loaded"] is False
    assert not (tmp_path / "never").exists()  # the DuckDB warehouse is not even created
    assert (manifest.stat().st_mtime_ns, manifest.read_bytes()) == before
