"""What the Airflow DAG calls: its settings, the date mapping, and the steps of one business day.

The DAG (``dags/ecommerce_etl_pipeline.py``) is thin: each task calls a function of this module,
which calls the pipeline. Nothing here imports Airflow.

Dates: the run for logical date D (its data interval starts at D 02:00 UTC and it runs once the
day is over, at D+1 02:00 UTC) loads business day D (the landing folders ``<table>/D``) and builds
the marts with ``as_of_date`` = D + 1 day, the default dbt uses for a CLI build (the day after the
last order). So the run for D gives the same marts as ``ecom load --until D`` then
``ecom transform --as-of D+1`` over the same files.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.contract import CORE_TABLES

if TYPE_CHECKING:
    from ecommerce_pipeline.ingest import LoadReport
    from ecommerce_pipeline.pipeline import Summary

#: Telemetry off for Airflow, Cosmos and dbt, in every process Airflow starts.
TELEMETRY_OFF: dict[str, str] = {
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
}

logger = logging.getLogger(__name__)

DAG_ID = "ecommerce_etl_pipeline"
#: Daily at 02:00 UTC: the run for business day D starts at D+1 02:00, once D's files are in.
SCHEDULE = "0 2 * * *"


class AirflowSettings(BaseSettings):
    """Settings of the DAG (prefix ``ECOM_``, like :class:`~ecommerce_pipeline.config.Settings`)."""

    model_config = SettingsConfigDict(
        env_prefix="ECOM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    dag_start_date: date | None = Field(
        default=None, description="First business day the DAG schedules (default: ECOM_START_DATE)"
    )
    dag_end_date: date | None = Field(
        default=None,
        description="Last business day the DAG schedules (default: the last generated day, "
        "ECOM_START_DATE + ECOM_DAYS - 1)",
    )
    dag_catchup: bool = Field(
        default=False, description="Schedule every past day since the start date"
    )
    dag_retries: int = Field(default=2, ge=0, description="Retries of a failed task")
    dag_retry_delay_seconds: float = Field(
        default=60.0,
        gt=0,
        description="First retry delay; doubles on each retry (exponential backoff)",
    )
    dag_max_retry_delay_seconds: float = Field(
        default=1800.0, gt=0, description="Longest retry delay"
    )
    sensor_poke_seconds: float = Field(
        default=300.0, gt=0, description="How often the sensor looks for the day's landing folders"
    )
    sensor_timeout_seconds: float = Field(
        default=6 * 3600.0, ge=0, description="How long the sensor waits for them before failing"
    )
    duckdb_pool: str = Field(
        default="duckdb_writer",
        description="One-slot Airflow pool of the DuckDB writers (load, dbt)",
    )
    dbt_manifest_path: Path | None = Field(
        default=None,
        description="dbt manifest the DAG renders (default: transform/target/<target>/"
        "manifest.json, written by `ecom transform --parse`)",
    )
    dbt_docs_dir: Path | None = Field(
        default=None,
        description="Where the DAG's docs task writes the dbt docs (default: "
        "transform/target/<target>_docs, apart from the manifest the DAG renders)",
    )

    dbt_results_dir: Path | None = Field(
        default=None,
        description="Where the DAG's dbt tasks leave their node results for the data-quality "
        "step (default: transform/target/<target>_runs/<run_id>/)",
    )

    def results_dir(self, settings: Settings, run_id: str) -> Path:
        """The folder of one DAG run's dbt node results (one JSON file per dbt task)."""
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", run_id)
        if self.dbt_results_dir is not None:
            return self.dbt_results_dir / safe
        from ecommerce_pipeline.transform import PROJECT_DIR

        return PROJECT_DIR / "target" / f"{settings.target.value}_runs" / safe

    def start_date(self, settings: Settings) -> date:
        """The first business day the DAG schedules."""
        return self.dag_start_date or date.fromisoformat(settings.start_date)

    def end_date(self, settings: Settings) -> date:
        """The last business day the DAG schedules."""
        if self.dag_end_date is not None:
            return self.dag_end_date
        return date.fromisoformat(settings.start_date) + timedelta(days=settings.days - 1)

    def manifest_path(self, settings: Settings) -> Path:
        """Where the DAG reads the dbt manifest."""
        if self.dbt_manifest_path is not None:
            return self.dbt_manifest_path
        from ecommerce_pipeline.transform import PROJECT_DIR

        return PROJECT_DIR / "target" / settings.target.value / "manifest.json"

    def docs_dir(self, settings: Settings) -> Path:
        """Where the DAG writes the dbt docs: not the folder of the manifest it renders, which a
        docs build would rewrite while the DAG processor reads it."""
        if self.dbt_docs_dir is not None:
            return self.dbt_docs_dir
        from ecommerce_pipeline.transform import PROJECT_DIR

        return PROJECT_DIR / "target" / f"{settings.target.value}_docs"

    def pool(self, settings: Settings) -> str | None:
        """The pool of the warehouse writers: one slot on DuckDB, none on PostgreSQL."""
        return self.duckdb_pool if settings.target is Target.DUCKDB else None


class ManifestMissingError(FileNotFoundError):
    """The dbt manifest the DAG renders from has not been written yet."""


class LoadFailedError(RuntimeError):
    """A day's load did not account for every record it read."""


class MissingLogicalDateError(ValueError):
    """A DAG run without a logical date: the business day is unknown."""


def require_manifest(path: Path) -> Path:
    """The manifest path, or a clear error telling how to write it (no dbt work here)."""
    if not path.is_file():
        raise ManifestMissingError(
            f"dbt manifest {path} is missing: run `ecom transform --parse` (with the same "
            "ECOM_TARGET) or `make airflow`, which parses first, then reload the DAG."
        )
    return path


def business_day(logical_date: datetime | date | None) -> date:
    """The business day a run processes: the UTC date of its logical date."""
    if logical_date is None:
        raise MissingLogicalDateError(
            "this DAG run has no logical date: trigger it with one (the business day to load)"
        )
    if isinstance(logical_date, datetime):
        if logical_date.tzinfo is not None:
            from datetime import UTC

            logical_date = logical_date.astimezone(UTC)
        return logical_date.date()
    return logical_date


def as_of_date(day: date) -> date:
    """The dbt ``as_of_date`` of the run for business day ``day``: the day after it."""
    return day + timedelta(days=1)


def as_of_template_value(logical_date: datetime | date | None) -> str:
    """``as_of_date`` of a run as an ISO string (a Jinja macro of the DAG's dbt environment)."""
    return as_of_date(business_day(logical_date)).isoformat()


def day_folders(landing_dir: Path, day: date) -> dict[str, Path]:
    """The landing folder of ``day`` of each core table (the optional sources are not awaited)."""
    return {table: Path(landing_dir) / table / day.isoformat() for table in CORE_TABLES}


def _has_landing_file(folder: Path) -> bool:
    return folder.is_dir() and any(
        path.is_file() and not path.name.startswith(("_", ".")) for path in folder.iterdir()
    )


def day_delivered(landing_dir: Path, day: date) -> bool:
    """True when the source delivered business day ``day``: a core table's day folder holds a file.

    Not all four: a quiet day has no folder for a table without changes (no product changed,
    no new customer), and a real source writes only what changed. Late files of a delivered day
    are not lost: each run loads every not-yet-loaded file up to its day (:func:`load_day`).
    """
    return any(_has_landing_file(folder) for folder in day_folders(landing_dir, day).values())


def missing_day_folders(landing_dir: Path, day: date) -> list[Path]:
    """The day folders of ``day`` that are missing or hold no landing file."""
    return [
        folder for folder in day_folders(landing_dir, day).values() if not _has_landing_file(folder)
    ]


def missing_files_message(landing_dir: Path, day: date, missing: list[Path]) -> str:
    """The failure message of a day whose landing files never came."""
    names = ", ".join(str(folder) for folder in missing)
    return (
        f"landing files of business day {day.isoformat()} never arrived under {landing_dir}: "
        f"missing or empty day folder(s) {names}. Deliver the files (or fix ECOM_LANDING_DIR) "
        "and clear the task to run the day again."
    )


@dataclass(frozen=True)
class DayLoad:
    """What the DAG's load task did for one business day (its XCom value)."""

    day: str
    files_loaded: int
    files_skipped: int
    rows_loaded: int
    rows_quarantined: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "files_loaded": self.files_loaded,
            "files_skipped": self.files_skipped,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
        }


def _check_load(report: LoadReport, day: date) -> None:
    if report.reconciles:
        return
    broken = [item.source_file for item in report.files if not item.reconciles]
    raise LoadFailedError(
        f"the load of business day {day.isoformat()} does not reconcile (records neither loaded "
        f"nor quarantined) in {', '.join(broken) or 'the batch'}: see raw._load_log"
    )


def load_day(settings: Settings, day: date) -> DayLoad:
    """Load the landing files up to business day ``day`` not loaded yet (idempotent).

    Normally that is the day's own files; files of earlier days delivered late (after their
    day's run) are caught up here instead of being left out.
    """
    from ecommerce_pipeline import pipeline

    report = pipeline.load(settings, until=day)
    _check_load(report, day)
    totals = report.totals
    result = DayLoad(
        day=day.isoformat(),
        files_loaded=totals.files_loaded,
        files_skipped=len(report.skipped_files),
        rows_loaded=totals.rows_loaded,
        rows_quarantined=totals.rows_quarantined,
    )
    logger.info("loaded business day %s: %s", day, result.as_dict())
    return result


def extract_day(settings: Settings, day: date) -> dict[str, Any]:
    """Bring business day ``day`` from the configured source into the landing folder.

    ``ECOM_SOURCE=files`` (the default): nothing to do, the files are delivered to the landing
    folder. ``database`` / ``api``: incremental, resumable extraction up to the end of ``day``
    (:func:`ecommerce_pipeline.sources.extract_for_day`).
    """
    from ecommerce_pipeline import sources

    extracted = sources.extract_for_day(settings, day)
    if extracted is None:
        return {"day": day.isoformat(), "source": settings.source, "rows": 0, "files": 0}
    result = {
        "day": day.isoformat(),
        "source": settings.source,
        "rows": int(extracted.rows),
        "files": int(extracted.files),
    }
    logger.info("extracted business day %s: %s", day, result)
    return result


def quality_report(
    settings: Settings, day: date, *, run_id: str, dag_id: str = DAG_ID
) -> dict[str, Any]:
    """The data-quality step of the run for ``day`` (after the marts).

    Records every check (the loader's quarantine and reconciliation of the day, freshness,
    anomalies) in ``marts.data_quality_results``, opens/clears incidents and sends their alerts,
    writes ``reports/<day>/data_quality.html``, closes the task-failure incidents of earlier runs
    (every task upstream of this one succeeded), and logs the marts' headline figures.
    """
    from ecommerce_pipeline import pipeline, quality

    dag_settings = AirflowSettings()
    artifacts = merged_dbt_results(
        dag_settings.results_dir(settings, run_id), dag_settings.manifest_path(settings)
    )
    checks = quality.run_checks(settings, logical_date=day, run_id=run_id, dbt_artifacts=artifacts)
    recovered = quality.resolve_task_incidents(
        settings, dag_id=dag_id, run_id=run_id, logical_date=day
    )
    summary: Summary = pipeline.summarize(settings, None)
    report = {
        "day": day.isoformat(),
        "as_of_date": as_of_date(day).isoformat(),
        "checks": checks.as_dict(),
        "recovered_task_incidents": recovered,
        "net_revenue": summary.net_revenue,
        "revenue_orders": summary.revenue_orders,
        "customers": summary.customers,
        "first_day": summary.first_day.isoformat() if summary.first_day else None,
        "last_day": summary.last_day.isoformat() if summary.last_day else None,
        "top_segments": [list(item) for item in summary.top_segments],
    }
    logger.info("data quality and marts after business day %s: %s", day, report)
    return report


#: dbt node results of the current task, gathered from dbtRunner's events (one process per task
#: under a scheduler; ``dag.test`` runs tasks one after the other in one process).
_NODE_RESULTS: list[dict[str, Any]] = []


def collect_dbt_event(event: Any) -> None:
    """dbtRunner callback of the DAG's dbt tasks: keep each finished node's result.

    The tasks run dbt with ``--no-write-json`` (writing the manifest per task costs more than a
    small model); the results come from the ``NodeFinished`` events instead.
    """
    if event.info.name != "NodeFinished":
        return
    data = event.data
    _NODE_RESULTS.append(
        {
            "unique_id": data.node_info.unique_id,
            "status": data.run_result.status,
            "message": data.run_result.message,
            "execution_time": float(data.run_result.execution_time),
            "failures": int(data.run_result.num_failures),
        }
    )


def release_dbt_warehouse(project_dir: str | None = None, context: Any = None, **_: Any) -> None:
    """Cosmos callback after each dbt task: keep its node results, release the DuckDB file.

    The results go to :meth:`AirflowSettings.results_dir` of the run (one file per task) for the
    data-quality step. dbt-duckdb keeps the database open in-process: a worker's task process
    releases it when it exits; releasing it here lets tasks run in one process (``dag.test``).
    """
    from ecommerce_pipeline.transform import release_duckdb

    release_duckdb()
    results = list(_NODE_RESULTS)
    _NODE_RESULTS.clear()
    if context is None or not results:
        return
    folder = AirflowSettings().results_dir(Settings(), str(context["run_id"]))
    folder.mkdir(parents=True, exist_ok=True)
    task_id = str(getattr(context.get("ti"), "task_id", "dbt"))
    target = folder / f"{task_id}.json"
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps({"results": results}), encoding="utf-8")
    temporary.replace(target)


def merged_dbt_results(folder: Path, manifest: Path) -> Path | None:
    """One ``run_results.json`` (+ the manifest) of all the dbt tasks of a run, for the checks.

    Returns the folder holding both (``<folder>/merged``), or None when no dbt task left results.
    """
    parts = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not parts:
        return None
    results: list[dict[str, Any]] = []
    for part in parts:
        results += json.loads(part.read_text(encoding="utf-8"))["results"]
    merged = folder / "merged"
    merged.mkdir(exist_ok=True)
    (merged / "run_results.json").write_text(json.dumps({"results": results}), encoding="utf-8")
    if manifest.is_file():
        shutil.copyfile(manifest, merged / "manifest.json")
    return merged


def generate_docs(settings: Settings, target_dir: Path) -> str:
    """``dbt docs generate`` into ``target_dir``; returns that folder."""
    from ecommerce_pipeline.transform import docs_generate

    folder = docs_generate(settings, target_dir=target_dir)
    logger.info("dbt docs written to %s", folder)
    return str(folder)
