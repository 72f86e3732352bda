"""Anomaly checks: each day's metrics against a trailing baseline, with robust statistics.

For a metric and a day, the baseline is the metric over the ``window`` (28) days before it. The
day is judged only when at least ``min_history`` (14) baseline days have a value; then

    z = (x - median(baseline)) / max(1.4826 * MAD(baseline), floor)

(MAD = median absolute deviation; 1.4826 * MAD estimates the standard deviation of normal data
and ignores outliers, so a past incident in the window does not mask the next one). Volumes and
amounts are compared on log(1 + x) (a drop to 30% is the same size of surprise on a small and a
large day) and their median is shifted by the weekday's own offset (median of that weekday in the
window minus the overall median, when the weekday appears twice): weekends sell more. Rates are
compared as they are. ``floor`` keeps a flat baseline (e.g. no quarantined rows at all) from
flagging tiny changes. |z| >= threshold (default 4) flags the day.

Metrics (day = order date for the marts, file day for the loader):

* ``order_volume``, ``net_revenue``, ``avg_order_value``, ``cancel_rate`` and ``return_rate``
  from ``marts.sales_summary`` (day grain). A day's return rate keeps growing for the 30-day
  return window after delivery, so it is judged :data:`RETURN_RATE_LAG_DAYS` days later (the
  run for D judges the return rate of D - 40 days);
* ``quarantine_rate``: rows quarantined / rows read, from ``raw._load_log``;
* ``raw_rows``: rows per day of each raw table (``raw.<table>`` by ``_file_day``).

A missing day counts as zero for volumes (no orders at all is the biggest drop) and as no value
for ratios.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from ecommerce_pipeline.contract import CORE_TABLES
from ecommerce_pipeline.quality.results import CheckResult
from ecommerce_pipeline.quality.store import Session

MAD_TO_SIGMA = 1.4826
MIN_WEEKDAY_SAMPLES = 2
RETURN_RATE_LAG_DAYS = 40


@dataclass(frozen=True)
class Metric:
    """One daily metric judged against its trailing baseline."""

    name: str
    model: str
    log_scale: bool
    floor: float  # smallest scale (log units or rate points)
    lag_days: int = 0
    zero_when_missing: bool = False


SALES_METRICS: tuple[Metric, ...] = (
    Metric("order_volume", "marts.sales_summary", True, 0.05, zero_when_missing=True),
    # Revenue is heavy-tailed (a few big baskets move a day by +50%): a wider floor.
    Metric("net_revenue", "marts.sales_summary", True, 0.2, zero_when_missing=True),
    Metric("avg_order_value", "marts.sales_summary", True, 0.15),
    Metric("cancel_rate", "marts.sales_summary", False, 0.01),
    Metric("return_rate", "marts.sales_summary", False, 0.01, lag_days=RETURN_RATE_LAG_DAYS),
)
QUARANTINE_METRIC = Metric("quarantine_rate", "raw._load_log", False, 0.01)


#: Raw tables whose daily row counts are judged. Not products: its rows follow the month-end
#: stock snapshots of the catalog, a calendar pattern a daily baseline cannot judge.
RAW_ROW_TABLES = tuple(table for table in CORE_TABLES if table != "products")


def raw_rows_metric(table: str) -> Metric:
    return Metric("raw_rows", f"raw.{table}", True, 0.05, zero_when_missing=True)


@dataclass(frozen=True)
class Judgement:
    """The verdict on one metric for one day."""

    metric: Metric
    day: date
    value: float | None
    baseline_median: float | None
    scale: float | None
    z: float | None
    history: int

    @property
    def judged(self) -> bool:
        return self.z is not None

    def flagged(self, threshold: float) -> bool:
        return self.z is not None and abs(self.z) >= threshold


Series = Mapping[date, float | None]


def _transform(metric: Metric, value: float) -> float:
    return math.log1p(max(value, 0.0)) if metric.log_scale else value


def _value(metric: Metric, series: Series, day: date, first_day: date | None) -> float | None:
    if day in series:
        return series[day]
    if metric.zero_when_missing and first_day is not None and day >= first_day:
        return 0.0
    return None


def judge(metric: Metric, series: Series, day: date, *, window: int, min_history: int) -> Judgement:
    """Judge ``metric`` on ``day`` (the day itself, lag already applied) against its baseline."""
    first_day = min(series) if series else None
    value = _value(metric, series, day, first_day)
    baseline: list[tuple[int, float]] = []  # (weekday, transformed value)
    for offset in range(1, window + 1):
        past = day - timedelta(days=offset)
        past_value = _value(metric, series, past, first_day)
        if past_value is not None:
            baseline.append((past.weekday(), _transform(metric, past_value)))
    if value is None or len(baseline) < min_history:
        return Judgement(metric, day, value, None, None, None, len(baseline))
    values = [v for _, v in baseline]
    center = median(values)
    mad = median(abs(v - center) for v in values)
    scale = max(MAD_TO_SIGMA * mad, metric.floor)
    effect = _weekday_effects(baseline) if metric.log_scale else {}
    expected = center + effect.get(day.weekday(), 0.0)
    z = (_transform(metric, value) - expected) / scale
    shown = math.expm1(expected) if metric.log_scale else expected
    return Judgement(metric, day, value, shown, scale, z, len(baseline))


def _weekday_effects(baseline: Sequence[tuple[int, float]]) -> dict[int, float]:
    """Median offset of each weekday from the whole baseline (weekdays seen at least twice)."""
    overall = median(v for _, v in baseline)
    by_weekday: dict[int, list[float]] = {}
    for weekday, v in baseline:
        by_weekday.setdefault(weekday, []).append(v)
    return {
        weekday: median(values) - overall
        for weekday, values in by_weekday.items()
        if len(values) >= MIN_WEEKDAY_SAMPLES
    }


def _sales_series(db: Session) -> dict[str, dict[date, float | None]]:
    rows = db.fetch(
        "select period_start, orders, net_revenue, avg_order_value, cancel_rate, return_rate "
        "from marts.sales_summary where period_grain = 'day'"
    )
    series: dict[str, dict[date, float | None]] = {metric.name: {} for metric in SALES_METRICS}
    for day, orders, revenue, aov, cancel, returns in rows:
        values = (orders, revenue, aov, cancel, returns)
        for metric, value in zip(SALES_METRICS, values, strict=True):
            series[metric.name][_as_date(day)] = None if value is None else float(value)
    return series


def _as_date(value: object) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value  # type: ignore[return-value]


def _quarantine_series(db: Session) -> dict[date, float | None]:
    rows = db.fetch(
        "select file_day, coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_read), 0) "
        "from raw._load_log group by file_day"
    )
    return {
        _as_date(day): (float(quarantined) / float(read) if read else None)
        for day, quarantined, read in rows
    }


def _raw_rows_series(db: Session, table: str) -> dict[date, float | None]:
    rows = db.fetch(f'select _file_day, count(*) from raw."{table}" group by _file_day')
    return {_as_date(day): float(count) for day, count in rows if day is not None}


@dataclass(frozen=True)
class MetricSeries:
    """Every metric's daily series, read once from the warehouse."""

    series: dict[Metric, dict[date, float | None]]

    @classmethod
    def read(cls, db: Session) -> MetricSeries:
        series: dict[Metric, dict[date, float | None]] = {}
        if db.table_exists("marts", "sales_summary"):
            sales = _sales_series(db)
            for metric in SALES_METRICS:
                series[metric] = sales[metric.name]
        if db.table_exists("raw", "_load_log"):
            series[QUARANTINE_METRIC] = _quarantine_series(db)
        for table in RAW_ROW_TABLES:
            if db.table_exists("raw", table):
                series[raw_rows_metric(table)] = _raw_rows_series(db, table)
        return cls(series)

    def judge_day(self, day: date, *, window: int, min_history: int) -> list[Judgement]:
        """Every metric judged for the run of ``day`` (lagged metrics: their lagged day)."""
        return [
            judge(
                metric,
                values,
                day - timedelta(days=metric.lag_days),
                window=window,
                min_history=min_history,
            )
            for metric, values in self.series.items()
        ]

    def scan(self, first: date, last: date, *, window: int, min_history: int) -> list[Judgement]:
        """Judgements of every run date from ``first`` to ``last`` (a backtest)."""
        days = (last - first).days + 1
        return [
            judgement
            for offset in range(days)
            for judgement in self.judge_day(
                first + timedelta(days=offset), window=window, min_history=min_history
            )
        ]


def flagged(judgements: Sequence[Judgement], threshold: float) -> list[Judgement]:
    return [judgement for judgement in judgements if judgement.flagged(threshold)]


def _describe(judgement: Judgement, threshold: float) -> str:
    if not judgement.judged:
        return (
            f"not judged: {judgement.history} baseline days with a value (value {judgement.value})"
        )
    direction = "above" if (judgement.z or 0) > 0 else "below"
    verdict = "ANOMALY" if judgement.flagged(threshold) else "normal"
    return (
        f"{verdict}: {judgement.metric.name} of {judgement.day} = {judgement.value:.4g}, "
        f"{direction} the {judgement.history}-day median {judgement.baseline_median:.4g} "
        f"(robust z {judgement.z:+.1f}, threshold {threshold:g})"
    )


def to_check(judgement: Judgement, threshold: float) -> CheckResult:
    """The judgement as a ``anomaly`` check (``fail`` when flagged, ``skipped`` when not judged)."""
    status = "skipped"
    if judgement.judged:
        status = "fail" if judgement.flagged(threshold) else "pass"
    metric = judgement.metric
    link = _failing_rows(metric, judgement.day)
    return CheckResult(
        check_name=f"anomaly_{metric.name}",
        check_type="anomaly",
        model=metric.model,
        status=status,
        failures=1 if status == "fail" else 0,
        severity="warn",
        message=_describe(judgement, threshold),
        failing_rows=link,
        observed=judgement.value,
        expected=judgement.baseline_median,
        checked_day=judgement.day,
        details={"z": judgement.z, "scale": judgement.scale, "history": judgement.history},
    )


def _failing_rows(metric: Metric, day: date) -> str:
    text = day.isoformat()
    if metric.model == "marts.sales_summary":
        return (
            "select * from marts.sales_summary where period_grain = 'day' "
            f"and period_start = '{text}'"
        )
    if metric is QUARANTINE_METRIC or metric.model == "raw._load_log":
        return f"select * from raw._load_log where file_day = '{text}'"
    return f"select * from {metric.model} where _file_day = '{text}'"


def anomaly_checks(
    db: Session, day: date, *, window: int, min_history: int, threshold: float
) -> list[CheckResult]:
    """The anomaly checks of the run for ``day``."""
    judgements = MetricSeries.read(db).judge_day(day, window=window, min_history=min_history)
    return [to_check(judgement, threshold) for judgement in judgements]
