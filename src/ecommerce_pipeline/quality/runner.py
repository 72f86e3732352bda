"""The data quality step of a run: record every check, evaluate, alert, write the report."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.quality import channels, incidents, report
from ecommerce_pipeline.quality.anomalies import anomaly_checks
from ecommerce_pipeline.quality.collect import dbt_checks, load_checks
from ecommerce_pipeline.quality.freshness import freshness_checks
from ecommerce_pipeline.quality.incidents import Incident, IncidentChanges
from ecommerce_pipeline.quality.results import CheckResult, ModelRun, as_run_at, record_run
from ecommerce_pipeline.quality.store import session

logger = logging.getLogger(__name__)

#: Beyond this many new incidents in one run, the rest go out as one digest alert.
MAX_SEPARATE_ALERTS = 10
TITLE_PREFIX = "[ecom data quality]"


@dataclass
class QualityRunResult:
    """What :func:`run_checks` did."""

    run_id: str
    run_at: datetime
    checks: list[CheckResult]
    model_runs: list[ModelRun]
    opened: list[str] = field(default_factory=list)  # incident ids alerted
    resolved: list[str] = field(default_factory=list)
    deliveries: list[dict[str, bool]] = field(default_factory=list)
    report: report.ReportPaths | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for check in self.checks:
            counts[check.status] = counts.get(check.status, 0) + 1
        return counts

    @property
    def problems(self) -> list[CheckResult]:
        return [check for check in self.checks if check.is_problem]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (for an Airflow XCom)."""
        return {
            "run_id": self.run_id,
            "run_at": self.run_at.isoformat(),
            "counts": self.counts,
            "problems": [check.incident_id for check in self.problems],
            "opened": self.opened,
            "resolved": self.resolved,
            "report": str(self.report.html) if self.report else None,
        }


def _business_day(logical_date: date | datetime) -> date:
    return logical_date.date() if isinstance(logical_date, datetime) else logical_date


def gather_checks(
    settings: Settings, day: date, dbt_artifacts: Path | None
) -> tuple[list[CheckResult], list[ModelRun]]:
    """Every check of the run for business day ``day`` (nothing is written)."""
    checks, model_runs = dbt_checks(dbt_artifacts) if dbt_artifacts else ([], [])
    with session(settings) as db:
        checks += load_checks(db, day)
        checks += freshness_checks(
            db,
            day,
            warn_hours=settings.freshness_warn_hours,
            error_hours=settings.freshness_error_hours,
        )
        checks += anomaly_checks(
            db,
            day,
            window=settings.dq_anomaly_window_days,
            min_history=settings.dq_anomaly_min_history,
            threshold=settings.dq_anomaly_threshold,
        )
    return checks, model_runs


def run_checks(
    settings: Settings,
    *,
    logical_date: date | datetime,
    run_id: str,
    dbt_artifacts: Path | None = None,
    alerts: bool = True,
    write_report: bool = True,
) -> QualityRunResult:
    """The data quality step of the run ``run_id`` for business day ``logical_date``.

    Gathers the checks (dbt results from ``dbt_artifacts`` when given, the loader's figures of
    the day, freshness, anomalies), records them in ``marts.data_quality_results`` (replacing an
    earlier attempt of the same run), updates the incidents and sends their alerts (``alerts``),
    and writes ``<reports_dir>/<day>/data_quality.html`` + ``.md`` (``write_report``).
    """
    day = _business_day(logical_date)
    run_at = as_run_at(logical_date)
    checks, model_runs = gather_checks(settings, day, dbt_artifacts)
    with session(settings) as db:
        record_run(db, run_id, run_at, checks, model_runs)
        changes = incidents.update_incidents(db, run_id, run_at, checks)
    result = QualityRunResult(run_id, run_at, checks, model_runs)
    if alerts:
        _deliver(settings, changes, result)
    if write_report:
        with session(settings) as db:
            data = report.collect(
                db,
                day,
                target=settings.target.value,
                threshold=settings.dq_anomaly_threshold,
                run_id=run_id,
            )
        result.report = report.write_report(data, settings.reports_dir)
    logger.info("data quality %s: %s", run_id, result.counts)
    return result


def _incident_text(incident: Incident) -> tuple[str, str]:
    if incident.status_text == "resolved":
        title = f"{TITLE_PREFIX} RESOLVED {incident.check_name} on {incident.model}"
        body = f"Recovered in run {incident.run_id}: {incident.message}"
    else:
        title = (
            f"{TITLE_PREFIX} {incident.status_text.upper()} {incident.check_name} on "
            f"{incident.model}"
        )
        body = f"{incident.check_type} check, run {incident.run_id}: {incident.message}"
        if incident.failing_rows:
            body += f"\nFailing rows: {incident.failing_rows}"
    return title, f"{body}\nIncident: {incident.incident_id}"


def _deliver(settings: Settings, changes: IncidentChanges, result: QualityRunResult) -> None:
    delivered_ids: list[str] = []
    separate = changes.to_alert[:MAX_SEPARATE_ALERTS]
    rest = changes.to_alert[MAX_SEPARATE_ALERTS:]
    for incident in separate:
        title, body = _incident_text(incident)
        outcome = channels.send(settings, title, body)
        result.deliveries.append(outcome)
        if not outcome or any(outcome.values()):
            delivered_ids.append(incident.incident_id)
    if rest:
        title = f"{TITLE_PREFIX} {len(rest)} more problems in run {result.run_id}"
        body = "\n".join(
            f"- {item.status_text.upper()} {item.check_name} on {item.model}: {item.message}"
            for item in rest
        )
        outcome = channels.send(settings, title, body)
        result.deliveries.append(outcome)
        if not outcome or any(outcome.values()):
            delivered_ids += [item.incident_id for item in rest]
    for incident in changes.resolved:
        title, body = _incident_text(incident)
        result.deliveries.append(channels.send(settings, title, body))
    result.opened = delivered_ids
    result.resolved = [incident.incident_id for incident in changes.resolved]
    if delivered_ids:
        with session(settings) as db:
            incidents.mark_notified(db, delivered_ids)


def _task_check(record: Mapping[str, Any], status: str) -> CheckResult:
    dag_id = str(record.get("dag_id") or "")
    task_id = str(record.get("task_id") or "")
    return CheckResult(
        check_name=f"{dag_id}.{task_id}",
        check_type="task",
        model=dag_id,
        status=status,
        failures=1 if status == "fail" else 0,
        severity="error",
        message=str(record.get("exception") or "") or f"task {task_id} {status}",
    )


def _record_time(record: Mapping[str, Any]) -> datetime:
    logical = record.get("logical_date")
    if isinstance(logical, datetime | date):
        return as_run_at(logical)
    if logical:
        return as_run_at(datetime.fromisoformat(str(logical)))
    return datetime(1970, 1, 1)


def notify_task_failure(settings: Settings, record: Mapping[str, Any]) -> list[str]:
    """Alert on a failed pipeline task, once per incident (the DAG's failure callback).

    ``record``: ``alerting.AlertEvent.record()`` (dag_id, task_id, run_id, logical_date, kind,
    exception, try_number). A ``retry`` never alerts; a ``failure`` opens the incident
    ``task:<dag_id>.<task_id>:<dag_id>`` and alerts unless it is already open.
    Returns the incident ids alerted.
    """
    if str(record.get("kind", "failure")) != "failure":
        logger.info("task retry, not alerted: %s", record.get("task_id"))
        return []
    return _task_transition(settings, record, "fail")


def notify_task_success(settings: Settings, record: Mapping[str, Any]) -> list[str]:
    """Close the task's open incident with a recovery message (the DAG's success callback).

    Returns the incident ids resolved.
    """
    return _task_transition(settings, record, "pass")


def _task_transition(settings: Settings, record: Mapping[str, Any], status: str) -> list[str]:
    check = _task_check(record, status)
    run_id = str(record.get("run_id") or "")
    with session(settings) as db:
        changes = incidents.update_incidents(db, run_id, _record_time(record), [check])
    result = QualityRunResult(run_id, _record_time(record), [check], [])
    _deliver(settings, changes, result)
    return result.opened if status == "fail" else result.resolved


def resolve_task_incidents(
    settings: Settings, *, dag_id: str, run_id: str, logical_date: date | datetime
) -> list[str]:
    """Close the open task-failure incidents of ``dag_id`` (with a recovery message each).

    Called by the DAG's data-quality step: it runs only when every upstream task of the run
    succeeded, so a task that failed in an earlier run has recovered.
    """
    with session(settings) as db:
        incidents.ensure_table(db)
        open_now = incidents.open_incidents(db)
    resolved: list[str] = []
    for row in open_now:
        if row["check_type"] != "task" or row["model"] != dag_id:
            continue
        task_id = str(row["check_name"]).removeprefix(f"{dag_id}.")
        record = {
            "dag_id": dag_id,
            "task_id": task_id,
            "run_id": run_id,
            "logical_date": logical_date,
        }
        resolved += notify_task_success(settings, record)
    return resolved
