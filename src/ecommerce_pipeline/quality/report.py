"""The data quality report of a run: ``reports/<D>/data_quality.html`` and ``data_quality.md``.

The HTML page is self-contained (inline CSS and inline SVG charts, no scripts, no external
files): the checks of the run with their status, trends over the last 30 runs, the anomaly
metrics of the last 60 days, quarantined rows by reason with examples, source freshness and the
slowest dbt models. The Markdown file is the short summary used in alerts.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ecommerce_pipeline.errors import UserError
from ecommerce_pipeline.quality import charts
from ecommerce_pipeline.quality.anomalies import MetricSeries
from ecommerce_pipeline.quality.results import (
    MODEL_RUNS_TABLE,
    RESULTS_COLUMNS,
    RESULTS_TABLE,
    SCHEMA,
    STATUSES,
)
from ecommerce_pipeline.quality.store import Session

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
TREND_RUNS = 30
METRIC_DAYS = 60
SLOWEST = 10
EXAMPLES_PER_REASON = 2
STATUS_ORDER = {"error": 0, "fail": 1, "warn": 2, "skipped": 3, "pass": 4}


class NoQualityRunError(UserError):
    """No data quality run is recorded for the asked date."""


@dataclass
class ReportData:
    """Everything the report shows, read from the warehouse."""

    day: date
    run_id: str
    run_at: datetime
    target: str
    checks: list[dict[str, Any]]
    counts: dict[str, int]
    trend_labels: list[str] = field(default_factory=list)
    trend_counts: list[dict[str, int]] = field(default_factory=list)
    build_seconds: list[float | None] = field(default_factory=list)
    slowest: list[tuple[str, float, float | None]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    metric_charts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def problems(self) -> list[dict[str, Any]]:
        return [check for check in self.checks if check["status"] in ("warn", "fail", "error")]

    def of_type(self, check_type: str) -> list[dict[str, Any]]:
        return [check for check in self.checks if check["check_type"] == check_type]


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    markdown: Path


def _latest_run(db: Session, day: date, run_id: str | None) -> tuple[str, datetime]:
    if not db.table_exists(SCHEMA, RESULTS_TABLE):
        raise NoQualityRunError(
            f"no data quality results in {SCHEMA}.{RESULTS_TABLE}: run "
            f"`ecom report dq --date {day} --check` (or the DAG) first"
        )
    if run_id is not None:
        rows = db.fetch(
            f"select run_id, max(run_at) from {SCHEMA}.{RESULTS_TABLE} where run_id = %s "
            "group by run_id",
            (run_id,),
        )
    else:
        rows = db.fetch(
            f"select run_id, max(run_at) as last_at from {SCHEMA}.{RESULTS_TABLE} "
            "where run_at >= %s and run_at < %s group by run_id order by last_at desc, run_id desc",
            (
                datetime.combine(day, datetime.min.time()),
                datetime.combine(day, datetime.min.time()) + timedelta(days=1),
            ),
        )
    if not rows:
        raise NoQualityRunError(
            f"no data quality run recorded for {day}: run `ecom report dq --date {day} --check`"
            " (or the DAG's data_quality task) first"
        )
    return str(rows[0][0]), rows[0][1]


def _checks(db: Session, run_id: str) -> list[dict[str, Any]]:
    names = [name for name, _ in RESULTS_COLUMNS]
    rows = db.fetch(
        f"select {', '.join(names)} from {SCHEMA}.{RESULTS_TABLE} where run_id = %s", (run_id,)
    )
    checks = [dict(zip(names, row, strict=True)) for row in rows]
    checks.sort(
        key=lambda c: (
            STATUS_ORDER.get(c["status"], 5),
            c["check_type"],
            c["model"] or "",
            c["check_name"],
        )
    )
    return checks


def _trend(db: Session, run_at: datetime) -> tuple[list[str], list[dict[str, int]]]:
    runs = db.fetch(
        f"select run_id, max(run_at) as last_at from {SCHEMA}.{RESULTS_TABLE} where run_at <= %s "
        f"group by run_id order by last_at desc, run_id desc limit {TREND_RUNS}",
        (run_at,),
    )
    runs = list(reversed(runs))
    counts = {
        (str(run), str(status)): int(count)
        for run, status, count in db.fetch(
            f"select run_id, status, count(*) from {SCHEMA}.{RESULTS_TABLE} group by run_id, status"
        )
    }
    labels = [f"{at:%Y-%m-%d} {run}" for run, at in runs]
    stacks = [{status: counts.get((str(run), status), 0) for status in STATUSES} for run, _ in runs]
    return labels, stacks


def _build_seconds(db: Session, labels: list[str]) -> list[float | None]:
    if not db.table_exists(SCHEMA, MODEL_RUNS_TABLE):
        return [None] * len(labels)
    totals = {
        str(run): float(total)
        for run, total in db.fetch(
            f"select run_id, sum(execution_time) from {SCHEMA}.{MODEL_RUNS_TABLE} group by run_id"
        )
    }
    return [totals.get(label.split(" ", 1)[1]) for label in labels]


def _slowest(db: Session, run_id: str) -> list[tuple[str, float, float | None]]:
    """(node, seconds in this run, median seconds over the other recorded runs)."""
    if not db.table_exists(SCHEMA, MODEL_RUNS_TABLE):
        return []
    rows = db.fetch(
        f"select node_name, resource_type, execution_time from {SCHEMA}.{MODEL_RUNS_TABLE} "
        f"where run_id = %s order by execution_time desc limit {SLOWEST}",
        (run_id,),
    )
    result = []
    for name, resource_type, seconds in rows:
        history = sorted(
            float(value)
            for (value,) in db.fetch(
                f"select execution_time from {SCHEMA}.{MODEL_RUNS_TABLE} "
                "where node_name = %s and run_id <> %s",
                (name, run_id),
            )
        )
        typical = history[len(history) // 2] if history else None
        result.append((f"{name} ({resource_type})", float(seconds), typical))
    return result


def _quarantine(db: Session, day: date) -> list[dict[str, Any]]:
    if not db.table_exists("raw", "_quarantine"):
        return []
    rows = db.fetch(
        "select table_name, reason, count(*), sum(case when file_day = %s then 1 else 0 end) "
        "from raw._quarantine group by table_name, reason order by 3 desc, 1, 2",
        (day,),
    )
    groups = []
    for table, reason, total, on_day in rows:
        examples = db.fetch(
            "select source_file, line_number, column_name, detail, raw_record "
            "from raw._quarantine where table_name = %s and reason = %s "
            f"order by file_day desc, source_file, line_number limit {EXAMPLES_PER_REASON}",
            (table, reason),
        )
        groups.append(
            {
                "table": table,
                "reason": reason,
                "total": int(total),
                "on_day": int(on_day or 0),
                "examples": [
                    {
                        "where": f"{source}:{line}" if line is not None else str(source),
                        "column": column or "",
                        "detail": (detail or "")[:300],
                        "record": (record or "")[:300],
                    }
                    for source, line, column, detail, record in examples
                ],
            }
        )
    return groups


def _metric_charts(
    db: Session, day: date, threshold: float, flagged_days: set[tuple[str, str]]
) -> list[tuple[str, str]]:
    series = MetricSeries.read(db).series
    days = [day - timedelta(days=offset) for offset in range(METRIC_DAYS - 1, -1, -1)]
    labels = [value.isoformat() for value in days]
    result = []
    for metric, values in series.items():
        points = [values.get(value) for value in days]
        marks = [(metric.name + metric.model, label) in flagged_days for label in labels]
        title = f"{metric.name} · {metric.model}"
        result.append((title, charts.line(labels, points, marks=marks)))
    return result


def _flagged_anomalies(db: Session, run_at: datetime) -> set[tuple[str, str]]:
    rows = db.fetch(
        f"select check_name, model, checked_day from {SCHEMA}.{RESULTS_TABLE} "
        "where check_type = 'anomaly' and status = 'fail' and run_at <= %s",
        (run_at,),
    )
    return {
        (str(name).removeprefix("anomaly_") + str(model), f"{checked:%Y-%m-%d}")
        for name, model, checked in rows
        if checked is not None
    }


def collect(
    db: Session, day: date, *, target: str, threshold: float, run_id: str | None = None
) -> ReportData:
    """Read the report of the latest run of ``day`` (or of ``run_id``) from the warehouse."""
    run, run_at = _latest_run(db, day, run_id)
    checks = _checks(db, run)
    counts = Counter(check["status"] for check in checks)
    labels, stacks = _trend(db, run_at)
    return ReportData(
        day=day,
        run_id=run,
        run_at=run_at,
        target=target,
        checks=checks,
        counts={status: counts.get(status, 0) for status in STATUSES},
        trend_labels=labels,
        trend_counts=stacks,
        build_seconds=_build_seconds(db, labels),
        slowest=_slowest(db, run),
        quarantine=_quarantine(db, day),
        metric_charts=_metric_charts(db, day, threshold, _flagged_anomalies(db, run_at)),
    )


def render_html(data: ReportData) -> str:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("data_quality.html.j2")
    return template.render(
        data=data,
        colors=charts.STATUS_COLORS,
        trend_svg=charts.stacked_bars(data.trend_labels, data.trend_counts),
        build_svg=charts.line(data.trend_labels, data.build_seconds),
        slowest_svg=charts.hbars([(name, seconds) for name, seconds, _ in data.slowest], unit=" s"),
    )


def render_markdown(data: ReportData, *, limit: int = 20) -> str:
    """A short summary of the run for alerts and chat."""
    counts = ", ".join(f"{data.counts[status]} {status}" for status in STATUSES)
    lines = [
        f"# Data quality {data.day} ({data.target})",
        "",
        f"Run `{data.run_id}` at {data.run_at:%Y-%m-%d %H:%M} UTC: {counts}.",
        "",
    ]
    problems = data.problems
    if problems:
        lines.append(f"## Problems ({len(problems)})")
        lines.append("")
        for check in problems[:limit]:
            lines.append(
                f"- **{check['status'].upper()}** `{check['check_name']}` on "
                f"`{check['model']}` ({check['check_type']}): {check['message']}"
            )
        if len(problems) > limit:
            lines.append(f"- ... and {len(problems) - limit} more (see data_quality.html)")
    else:
        lines.append("No problems: every check passed or was skipped.")
    lines.append("")
    freshness = data.of_type("freshness")
    if freshness:
        lines.append("## Freshness")
        lines.append("")
        lines += [f"- `{c['model']}`: {c['status']} ({c['message']})" for c in freshness]
        lines.append("")
    if data.slowest:
        lines.append("## Slowest models")
        lines.append("")
        lines += [f"- {name}: {seconds:.2f} s" for name, seconds, _ in data.slowest[:3]]
        lines.append("")
    return "\n".join(lines)


def write_report(data: ReportData, out_dir: Path) -> ReportPaths:
    """Write ``<out_dir>/<day>/data_quality.html`` and ``data_quality.md``."""
    folder = out_dir / data.day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / "data_quality.html"
    markdown = folder / "data_quality.md"
    html.write_text(render_html(data), encoding="utf-8")
    markdown.write_text(render_markdown(data), encoding="utf-8")
    logger.info("data quality report: %s", html)
    return ReportPaths(html=html, markdown=markdown)
