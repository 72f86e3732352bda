"""Alerts: the package's one entry point for failures and retries of pipeline tasks.

:func:`alert` writes ONE structured JSON record per event to the ``ecommerce_pipeline.alerts``
logger and, when ``ECOM_ALERT_JSONL_PATH`` is set, appends it to that JSON-lines file.
:func:`event_from_airflow_context` builds the event from an Airflow callback context, so the DAG's
``on_failure_callback`` / ``on_retry_callback`` stay one-liners.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger("ecommerce_pipeline.alerts")


class AlertKind(StrEnum):
    """What happened to the task."""

    FAILURE = "failure"
    RETRY = "retry"


class AlertSettings(BaseSettings):
    """Where alerts go besides the log (prefix ``ECOM_ALERT_``)."""

    model_config = SettingsConfigDict(
        env_prefix="ECOM_ALERT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    jsonl_path: Path | None = Field(
        default=None,
        description="Append every alert record to this JSON-lines file (unset: log only)",
    )


@dataclass(frozen=True)
class AlertEvent:
    """One failure or retry of a pipeline task."""

    kind: AlertKind
    dag_id: str
    task_id: str
    run_id: str
    logical_date: str | None
    try_number: int | None
    exception: str
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def record(self) -> dict[str, Any]:
        """The event as a JSON-serialisable dict."""
        values = asdict(self)
        values["kind"] = self.kind.value
        return values


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of one line in append mode: concurrent writers never interleave inside a line.
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def alert(event: AlertEvent, settings: AlertSettings | None = None) -> dict[str, Any]:
    """Log the event as one JSON record (and append it to the JSONL file if configured)."""
    settings = settings or AlertSettings()
    record = event.record()
    line = json.dumps(record, sort_keys=True, default=str)
    log = logger.error if event.kind is AlertKind.FAILURE else logger.warning
    log(line)
    if settings.jsonl_path is not None:
        _append_line(Path(settings.jsonl_path), line)
    return record


def _isoformat(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _exception_text(context: Mapping[str, Any]) -> str:
    exception = context.get("exception")
    if exception is None:
        return ""
    if isinstance(exception, BaseException):
        return f"{type(exception).__name__}: {exception}"
    return str(exception)


def event_from_airflow_context(context: Mapping[str, Any], kind: AlertKind) -> AlertEvent:
    """The alert event of an Airflow task callback context (failure or retry)."""
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    dag_run = context.get("dag_run")
    return AlertEvent(
        kind=kind,
        dag_id=str(getattr(ti, "dag_id", None) or getattr(dag, "dag_id", "")),
        task_id=str(getattr(ti, "task_id", "")),
        run_id=str(context.get("run_id") or getattr(dag_run, "run_id", "")),
        logical_date=_isoformat(context.get("logical_date")),
        try_number=getattr(ti, "try_number", None),
        exception=_exception_text(context),
    )


def _notify_channels(record: dict[str, Any]) -> None:
    """Send a task failure to the configured channels, once per incident (never raises)."""
    try:
        from ecommerce_pipeline import quality
        from ecommerce_pipeline.config import Settings

        quality.notify_task_failure(Settings(), record)
    except Exception:  # a callback must not fail the task's bookkeeping
        logger.exception("could not send the task alert to the channels: %s", record)


def on_task_failure(context: Mapping[str, Any]) -> None:
    """Airflow ``on_failure_callback``: log the ``failure`` record and alert the channels.

    One alert per incident: a task that keeps failing run after run alerts once; the DAG's
    data-quality step sends the recovery message when a later run gets past it.
    """
    record = alert(event_from_airflow_context(context, AlertKind.FAILURE))
    _notify_channels(record)


def on_task_retry(context: Mapping[str, Any]) -> None:
    """Airflow ``on_retry_callback``: alert with kind ``retry``."""
    alert(event_from_airflow_context(context, AlertKind.RETRY))
