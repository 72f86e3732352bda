"""Airflow steps (run in a subprocess by :mod:`benchmarks.step`; register them in ``STEPS``).

- ``airflow_prepare_day``: untimed set-up: a DuckDB warehouse holding every landing day before
  ``day``, built as of ``day`` (the state the night's run starts from), and the dbt manifest.
- ``airflow_dag_parse``: seconds per parse of ``dags/`` (a fresh ``DagBag``, as the DAG processor
  does), ``repetitions`` times after one warm-up parse (which also pays the imports).
- ``airflow_dag_day``: the whole DAG run for business day ``day`` (``dag.test()``: every task
  in-process, SQLite metadata DB) on a copy of the prepared warehouse.
- ``airflow_cli_day``: the same day without Airflow, as ``ecom run`` does it, on another copy:
  ``pipeline.load(since=day, until=day)`` then the ``dbt build`` of ``pipeline.transform`` as of
  ``day + 1`` (``transform.build``, with its artifacts in the scratch folder).

Common params: ``workdir`` (scratch folder), ``landing``, ``base`` (prepared DuckDB file),
``manifest`` (dbt manifest path), ``day`` (ISO date), ``start`` and ``days`` (the landing's range).
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ecommerce_pipeline.orchestration import TELEMETRY_OFF

CORE_TABLES = ("customers", "products", "orders", "order_items")


def _settings(duckdb_path: Path, landing: str) -> Any:
    from ecommerce_pipeline.config import Settings, Target

    return Settings(target=Target.DUCKDB, duckdb_path=duckdb_path, landing_dir=Path(landing))


def _copy_warehouse(base: Path, copy: Path) -> Path:
    copy.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (copy, copy.with_name(copy.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(base, copy)
    return copy


def _day_rows(settings: Any, day: date) -> int:
    from ecommerce_pipeline.warehouse import query

    return sum(
        int(query(settings, f"select count(*) from raw.{table} where _file_day = %s", [day])[0][0])
        for table in CORE_TABLES
    )


def _airflow_environment(params: dict[str, Any], duckdb_path: Path) -> dict[str, str]:
    """Airflow home, dags folder and the DAG's ECOM_ settings (before Airflow is imported)."""
    workdir = Path(params["workdir"])
    repo = Path(__file__).resolve().parents[1]
    return {
        **TELEMETRY_OFF,
        "AIRFLOW_HOME": str(workdir / "airflow_home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(repo / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(workdir / "airflow_home" / "cosmos"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(workdir / "airflow_home" / "logs"),
        "ECOM_TARGET": "duckdb",
        "ECOM_DUCKDB_PATH": str(duckdb_path),
        "ECOM_LANDING_DIR": str(params["landing"]),
        "ECOM_START_DATE": str(params["start"]),
        "ECOM_DAYS": str(params["days"]),
        "ECOM_DBT_MANIFEST_PATH": str(params["manifest"]),
        "ECOM_DBT_DOCS_DIR": str(workdir / "airflow_docs"),
        "ECOM_DAG_RETRIES": "0",
    }


def airflow_prepare_day(params: dict[str, Any]) -> dict[str, Any]:
    """Load every day before ``day`` into ``base``, build as of ``day``, parse the manifest."""
    from ecommerce_pipeline import pipeline, transform

    day = date.fromisoformat(params["day"])
    base = Path(params["base"])
    for leftover in (base, base.with_name(base.name + ".wal")):
        leftover.unlink(missing_ok=True)
    settings = _settings(base, params["landing"])
    started = time.perf_counter()
    report = pipeline.load(settings, until=day - timedelta(days=1))
    if not report.reconciles:
        raise RuntimeError("the history load does not reconcile")
    result = transform.build(
        settings, as_of=day, target_dir=Path(params["workdir"]) / "prepare_dbt"
    )
    if not result.success:
        raise RuntimeError(f"dbt build failed: {'; '.join(result.failures[:5])}")
    manifest = Path(params["manifest"])
    transform.parse(settings, target_dir=manifest.parent)
    return {
        "rows": report.totals.rows_loaded,
        "seconds": time.perf_counter() - started,
        "manifest": str(manifest),
    }


def airflow_dag_parse(params: dict[str, Any]) -> dict[str, Any]:
    """Seconds per ``DagBag(dags/)`` parse, after one warm-up parse."""
    workdir = Path(params["workdir"])
    os.environ.update(_airflow_environment(params, workdir / "parse_unused.duckdb"))
    repetitions = int(params.get("repetitions", 5))
    started = time.perf_counter()
    from airflow.dag_processing.dagbag import DagBag

    dags_folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    first = DagBag(dag_folder=dags_folder)
    first_seconds = time.perf_counter() - started
    if first.import_errors:
        raise RuntimeError(f"the DAG does not import: {first.import_errors}")
    tasks = len(next(iter(first.dags.values())).tasks)
    started = time.perf_counter()
    for _ in range(repetitions):
        bag = DagBag(dag_folder=dags_folder)
        if bag.import_errors:
            raise RuntimeError(f"the DAG does not import: {bag.import_errors}")
    seconds = time.perf_counter() - started
    return {
        "rows": repetitions,
        "seconds": seconds,
        "seconds_per_parse": round(seconds / repetitions, 4),
        "first_parse_seconds": round(first_seconds, 3),
        "tasks": tasks,
    }


def _migrate_metadata_db() -> None:
    airflow = Path(sys.executable).parent / "airflow"
    done = subprocess.run(
        [str(airflow), "db", "migrate"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{done.stdout}\n{done.stderr}")


def airflow_dag_day(params: dict[str, Any]) -> dict[str, Any]:
    """Time ``dag.test()`` for business day ``day`` on a copy of the prepared warehouse."""
    workdir = Path(params["workdir"])
    day = date.fromisoformat(params["day"])
    warehouse = _copy_warehouse(Path(params["base"]), workdir / "airflow_dag_day.duckdb")
    os.environ.update(_airflow_environment(params, warehouse))
    _migrate_metadata_db()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        raise RuntimeError(f"the DAG does not import: {bag.import_errors}")
    dag = next(iter(bag.dags.values()))
    gc.collect()
    gc.freeze()  # Cosmos collects garbage after every dbt node; spare it the imported modules
    started = time.perf_counter()
    dag_run = dag.test(logical_date=datetime(day.year, day.month, day.day, 2, tzinfo=UTC))
    seconds = time.perf_counter() - started
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    if str(dag_run.state) != "success":
        failed = {task: state for task, state in states.items() if state != "success"}
        raise RuntimeError(f"the DAG run for {day} failed: {failed}")
    return {
        "rows": _day_rows(_settings(warehouse, params["landing"]), day),
        "seconds": seconds,
        "tasks": len(states),
    }


def airflow_cli_day(params: dict[str, Any]) -> dict[str, Any]:
    """Time the same day as ``ecom run`` does it: load the day, then ``dbt build``."""
    from ecommerce_pipeline import pipeline, transform

    workdir = Path(params["workdir"])
    day = date.fromisoformat(params["day"])
    warehouse = _copy_warehouse(Path(params["base"]), workdir / "airflow_cli_day.duckdb")
    settings = _settings(warehouse, params["landing"])
    started = time.perf_counter()
    report = pipeline.load(settings, since=day, until=day)
    loaded = time.perf_counter() - started
    result = transform.build(
        settings, as_of=day + timedelta(days=1), target_dir=workdir / "airflow_cli_dbt"
    )
    seconds = time.perf_counter() - started
    if not report.reconciles or not result.success:
        raise RuntimeError(f"the CLI run for {day} failed: {'; '.join(result.failures[:5])}")
    return {
        "rows": _day_rows(settings, day),
        "seconds": seconds,
        "load_seconds": round(loaded, 3),
        "build_seconds": round(seconds - loaded, 3),
        "nodes": len(result.results),
    }
