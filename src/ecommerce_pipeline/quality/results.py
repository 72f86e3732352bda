"""The history tables of data quality: every check of every run, and dbt node run times.

``marts.data_quality_results`` (one row per check per run) and ``marts.model_run_history`` (one
row per dbt node per run) are created here, not by dbt, because they accumulate across runs;
``dbt build`` only replaces its own relations and leaves them alone. Recording a run is
idempotent: the rows of its ``run_id`` are replaced. ``run_at`` is the run's logical date/time,
never the wall clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ecommerce_pipeline.quality.store import Session

SCHEMA = "marts"
RESULTS_TABLE = "data_quality_results"
MODEL_RUNS_TABLE = "model_run_history"

#: Statuses of a check: ``pass``; ``warn`` / ``fail`` / ``error`` (a problem: alerts);
#: ``skipped`` (not judged, e.g. too little history: neither opens nor clears an incident).
PROBLEM_STATUSES = frozenset({"warn", "fail", "error"})
STATUSES = ("pass", "warn", "fail", "error", "skipped")


@dataclass(frozen=True)
class CheckResult:
    """One check of one run.

    ``failing_rows`` points at the failing rows: a query (quarantine, anomalies), the relation of
    a dbt test's stored failures, or the path of its compiled SQL.
    """

    check_name: str
    check_type: (
        str  # dbt_test | unit_test | dbt_model | freshness | quarantine | reconciliation | anomaly
    )
    model: str
    status: str
    failures: int = 0
    severity: str = "error"
    message: str = ""
    failing_rows: str | None = None
    observed: float | None = None
    expected: float | None = None
    checked_day: date | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def incident_id(self) -> str:
        """The key of the incident this check opens or clears (check type, name and model)."""
        return f"{self.check_type}:{self.check_name}:{self.model}"

    @property
    def is_problem(self) -> bool:
        return self.status in PROBLEM_STATUSES


@dataclass(frozen=True)
class ModelRun:
    """One dbt node (model, snapshot, seed) of a build and how long it took."""

    node_id: str
    node_name: str
    resource_type: str
    status: str
    execution_time: float


RESULTS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "text"),
    ("check_name", "text"),
    ("model", "text"),
    ("status", "text"),
    ("failures", "bigint"),
    ("run_at", "timestamp"),
    ("severity", "text"),
    ("check_type", "text"),
    ("message", "text"),
    ("failing_rows", "text"),
    ("observed_value", "double precision"),
    ("expected_value", "double precision"),
    ("checked_day", "date"),
    ("details", "text"),
)
MODEL_RUNS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "text"),
    ("run_at", "timestamp"),
    ("node_id", "text"),
    ("node_name", "text"),
    ("resource_type", "text"),
    ("status", "text"),
    ("execution_time", "double precision"),
)


def _create(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    body = ", ".join(f"{name} {kind}" for name, kind in columns)
    return f"create table if not exists {SCHEMA}.{table} ({body})"


def ensure_tables(db: Session) -> None:
    """Create the schema and the history tables when missing (idempotent)."""
    db.execute(f"create schema if not exists {SCHEMA}")
    db.execute(_create(RESULTS_TABLE, RESULTS_COLUMNS))
    db.execute(_create(MODEL_RUNS_TABLE, MODEL_RUNS_COLUMNS))


def as_run_at(logical: date | datetime) -> datetime:
    """The ``run_at`` of a run: its logical date/time as a naive UTC timestamp."""
    if isinstance(logical, datetime):
        if logical.tzinfo is not None:
            from datetime import UTC

            logical = logical.astimezone(UTC).replace(tzinfo=None)
        return logical
    return datetime(logical.year, logical.month, logical.day)


def _check_row(run_id: str, run_at: datetime, check: CheckResult) -> tuple[Any, ...]:
    return (
        run_id,
        check.check_name,
        check.model,
        check.status,
        int(check.failures),
        run_at,
        check.severity,
        check.check_type,
        check.message,
        check.failing_rows,
        check.observed,
        check.expected,
        check.checked_day,
        json.dumps(check.details, sort_keys=True, default=str) if check.details else None,
    )


def record_run(
    db: Session,
    run_id: str,
    run_at: datetime,
    checks: list[CheckResult],
    model_runs: list[ModelRun],
) -> None:
    """Write (replace) the checks and model run times of ``run_id``."""
    ensure_tables(db)
    db.execute(f"delete from {SCHEMA}.{RESULTS_TABLE} where run_id = %s", (run_id,))
    placeholders = ", ".join(["%s"] * len(RESULTS_COLUMNS))
    names = ", ".join(name for name, _ in RESULTS_COLUMNS)
    db.executemany(
        f"insert into {SCHEMA}.{RESULTS_TABLE} ({names}) values ({placeholders})",
        [_check_row(run_id, run_at, check) for check in checks],
    )
    if model_runs:  # no dbt artifacts this time: keep the node timings recorded before
        db.execute(f"delete from {SCHEMA}.{MODEL_RUNS_TABLE} where run_id = %s", (run_id,))
        db.executemany(
            f"insert into {SCHEMA}.{MODEL_RUNS_TABLE} "
            f"({', '.join(name for name, _ in MODEL_RUNS_COLUMNS)}) "
            f"values ({', '.join(['%s'] * len(MODEL_RUNS_COLUMNS))})",
            [
                (
                    run_id,
                    run_at,
                    node.node_id,
                    node.node_name,
                    node.resource_type,
                    node.status,
                    float(node.execution_time),
                )
                for node in model_runs
            ],
        )
