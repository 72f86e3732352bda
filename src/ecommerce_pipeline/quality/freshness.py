"""Freshness SLA of the raw sources, judged against the run's logical date (never the clock).

Rule: the reference time of the run for logical date D is the END of D (D+1 00:00 UTC): by then
every file of D should have been loaded. ``age = reference - max(_loaded_at)`` of each raw table;
``age > freshness_error_hours`` fails, ``age > freshness_warn_hours`` warns, otherwise it passes.
``_loaded_at`` is the wall-clock time of the load, so a backfill (a logical date earlier than the
load) gives a negative age and passes. A table with no rows at all fails.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ecommerce_pipeline.contract import CORE_TABLES
from ecommerce_pipeline.quality.results import CheckResult
from ecommerce_pipeline.quality.store import Session


def reference_time(logical_day: date) -> datetime:
    """The end of the logical day (naive UTC), the time freshness is measured to."""
    return datetime.combine(logical_day + timedelta(days=1), time.min)


def judge_freshness(
    table: str,
    newest: datetime | None,
    logical_day: date,
    *,
    warn_hours: float,
    error_hours: float,
) -> CheckResult:
    """The freshness check of one raw table whose newest ``_loaded_at`` is ``newest``."""
    reference = reference_time(logical_day)
    link = f'select max(_loaded_at) from raw."{table}"'
    if newest is None:
        return CheckResult(
            check_name="source_freshness",
            check_type="freshness",
            model=f"raw.{table}",
            status="fail",
            failures=1,
            severity="error",
            message=f"raw.{table} has never been loaded",
            failing_rows=link,
            checked_day=logical_day,
        )
    if newest.tzinfo is not None:
        newest = newest.replace(tzinfo=None)
    age_hours = (reference - newest).total_seconds() / 3600
    status = "pass"
    if age_hours > error_hours:
        status = "fail"
    elif age_hours > warn_hours:
        status = "warn"
    return CheckResult(
        check_name="source_freshness",
        check_type="freshness",
        model=f"raw.{table}",
        status=status,
        failures=0 if status == "pass" else 1,
        severity="error" if status == "fail" else "warn",
        message=(
            f"newest load of raw.{table} at {newest:%Y-%m-%d %H:%M} UTC is "
            + (
                f"{age_hours:.1f} h before the end of {logical_day}"
                if age_hours >= 0
                else f"after the end of {logical_day} (a backfill)"
            )
            + f" (warn > {warn_hours:g} h, error > {error_hours:g} h)"
        ),
        failing_rows=link,
        observed=round(age_hours, 3),
        expected=float(warn_hours),
        checked_day=logical_day,
        details={"newest_loaded_at": newest.isoformat(), "reference": reference.isoformat()},
    )


def freshness_checks(
    db: Session, logical_day: date, *, warn_hours: float, error_hours: float
) -> list[CheckResult]:
    """The freshness check of every core raw table."""
    checks = []
    for table in CORE_TABLES:
        newest = None
        if db.table_exists("raw", table):
            newest = db.fetch(f'select max(_loaded_at) from raw."{table}"')[0][0]
        checks.append(
            judge_freshness(
                table, newest, logical_day, warn_hours=warn_hours, error_hours=error_hours
            )
        )
    return checks
