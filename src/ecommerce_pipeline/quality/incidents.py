"""Incidents: one alert when a problem starts, none while it lasts, one recovery when it clears.

State lives in the warehouse table ``marts.dq_incidents``, keyed by ``incident_id`` (check type,
check name and model, e.g. ``anomaly:anomaly_order_volume:marts.sales_summary``, or
``task:<dag_id>.<task_id>`` for a pipeline task). For each check of a run:

* a problem (warn / fail / error) with no open incident opens one -> an alert;
* a problem with an open incident only updates it (retries and later runs send nothing);
* a pass closes the open incident -> a recovery message; ``skipped`` changes nothing.

An incident whose alert could not be delivered on any configured channel stays ``notified =
false`` and is alerted again by the next run that still sees it. Times are the runs' logical
dates, never the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecommerce_pipeline.quality.results import SCHEMA, CheckResult
from ecommerce_pipeline.quality.store import Session

INCIDENTS_TABLE = "dq_incidents"
INCIDENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("incident_id", "text"),
    ("check_type", "text"),
    ("check_name", "text"),
    ("model", "text"),
    ("status", "text"),  # open | resolved
    ("severity", "text"),
    ("message", "text"),
    ("opened_run_id", "text"),
    ("opened_at", "timestamp"),
    ("last_run_id", "text"),
    ("last_seen_at", "timestamp"),
    ("occurrences", "bigint"),
    ("resolved_run_id", "text"),
    ("resolved_at", "timestamp"),
    ("notified", "boolean"),
)


@dataclass(frozen=True)
class Incident:
    """An incident to alert on (opened, still unnotified) or to announce as resolved."""

    incident_id: str
    check_type: str
    check_name: str
    model: str
    severity: str
    message: str
    run_id: str
    status_text: str  # the check status that opened it (fail, warn, error) or "resolved"
    failing_rows: str | None = None


@dataclass
class IncidentChanges:
    """What a run changed: incidents to alert on and incidents resolved."""

    to_alert: list[Incident]
    resolved: list[Incident]


def ensure_table(db: Session) -> None:
    db.execute(f"create schema if not exists {SCHEMA}")
    body = ", ".join(f"{name} {kind}" for name, kind in INCIDENT_COLUMNS)
    db.execute(f"create table if not exists {SCHEMA}.{INCIDENTS_TABLE} ({body})")


def _open_incidents(db: Session) -> dict[str, dict[str, Any]]:
    names = [name for name, _ in INCIDENT_COLUMNS]
    rows = db.fetch(
        f"select {', '.join(names)} from {SCHEMA}.{INCIDENTS_TABLE} where status = 'open'"
    )
    return {str(row[0]): dict(zip(names, row, strict=True)) for row in rows}


def _incident(check: CheckResult, run_id: str, status_text: str) -> Incident:
    return Incident(
        incident_id=check.incident_id,
        check_type=check.check_type,
        check_name=check.check_name,
        model=check.model,
        severity=check.severity,
        message=check.message,
        run_id=run_id,
        status_text=status_text,
        failing_rows=check.failing_rows,
    )


def update_incidents(
    db: Session, run_id: str, run_at: datetime, checks: list[CheckResult]
) -> IncidentChanges:
    """Open, update and resolve incidents from the checks of one run (see the module doc)."""
    ensure_table(db)
    open_now = _open_incidents(db)
    changes = IncidentChanges(to_alert=[], resolved=[])
    for check in checks:
        if check.status == "skipped":
            continue
        current = open_now.get(check.incident_id)
        if check.is_problem:
            if current is None:
                _insert(db, check, run_id, run_at)
                open_now[check.incident_id] = {"notified": False, "last_run_id": run_id}
                changes.to_alert.append(_incident(check, run_id, check.status))
                continue
            if current["last_run_id"] != run_id:  # a later run, not a retry of the same one
                db.execute(
                    f"update {SCHEMA}.{INCIDENTS_TABLE} set last_run_id = %s, last_seen_at = %s,"
                    " occurrences = occurrences + 1, message = %s "
                    "where incident_id = %s and status = 'open'",
                    (run_id, run_at, check.message, check.incident_id),
                )
                current["last_run_id"] = run_id
            if not current["notified"]:
                changes.to_alert.append(_incident(check, run_id, check.status))
        elif current is not None and check.status == "pass":
            resolve(db, check.incident_id, run_id, run_at)
            del open_now[check.incident_id]
            changes.resolved.append(_incident(check, run_id, "resolved"))
    return changes


def _insert(db: Session, check: CheckResult, run_id: str, run_at: datetime) -> None:
    names = ", ".join(name for name, _ in INCIDENT_COLUMNS)
    db.execute(
        f"insert into {SCHEMA}.{INCIDENTS_TABLE} ({names}) values "
        f"({', '.join(['%s'] * len(INCIDENT_COLUMNS))})",
        (
            check.incident_id,
            check.check_type,
            check.check_name,
            check.model,
            "open",
            check.severity,
            check.message,
            run_id,
            run_at,
            run_id,
            run_at,
            1,
            None,
            None,
            False,
        ),
    )


def resolve(db: Session, incident_id: str, run_id: str, run_at: datetime) -> None:
    db.execute(
        f"update {SCHEMA}.{INCIDENTS_TABLE} set status = 'resolved', resolved_run_id = %s, "
        "resolved_at = %s where incident_id = %s and status = 'open'",
        (run_id, run_at, incident_id),
    )


def mark_notified(db: Session, incident_ids: list[str]) -> None:
    for incident_id in incident_ids:
        db.execute(
            f"update {SCHEMA}.{INCIDENTS_TABLE} set notified = true "
            "where incident_id = %s and status = 'open'",
            (incident_id,),
        )


def open_incidents(db: Session) -> list[dict[str, Any]]:
    """The open incidents (for reports and the dashboard)."""
    ensure_table(db)
    return sorted(_open_incidents(db).values(), key=lambda row: str(row["incident_id"]))
