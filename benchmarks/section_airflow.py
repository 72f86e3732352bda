"""Airflow section: DAG parse time, and one day through the DAG against the same day without it.

Register in :data:`benchmarks.sections.SECTIONS`::

    Section("airflow", "Airflow orchestration", AIRFLOW_DESCRIPTION, run_airflow_section)

and the steps of :mod:`benchmarks.airflow_steps` in :data:`benchmarks.step.STEPS`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from benchmarks.context import BenchContext, measurement_from
from benchmarks.model import Ratio, SectionResult, Target

logger = logging.getLogger(__name__)

AIRFLOW_DESCRIPTION = (
    "The `ecommerce_etl_pipeline` DAG. Parse: seconds per `DagBag(dags/)` (the DAG file renders "
    "every dbt node as a task from the manifest `ecom transform --parse` wrote; no dbt runs), "
    "after one warm-up parse that also pays the imports. Day: the whole DAG run for the last "
    "landing day (`dag.test()`: sensor, load of the day, one Cosmos task per dbt model, snapshot, "
    "seed and multi-parent test, data-quality step, dbt docs; every task in one process, SQLite "
    "metadata DB) against the same day as `ecom run` does it (`pipeline.load` of the day, then "
    "one `dbt build`, no docs), each on a copy of one DuckDB warehouse holding every earlier day, "
    "built. Rows = raw rows of that day. Under the scheduler each task also pays a process start "
    "and scheduling latency, which `dag.test()` does not."
)
#: Parse budget per DAG file: well under the DAG processor's 30 s import timeout, and small
#: enough to re-parse every 30 s without load.
DAG_PARSE_MAX_SECONDS = 1.0


def _steps(ctx: BenchContext) -> dict[str, Any]:
    landing = ctx.landing("csv")
    day = ctx.start + timedelta(days=ctx.days - 1)
    workdir = ctx.path("airflow")
    workdir.mkdir(parents=True, exist_ok=True)
    return {
        "workdir": str(workdir),
        "landing": str(landing.path),
        "base": str(workdir / "base.duckdb"),
        "manifest": str(workdir / "dbt" / "manifest.json"),
        "day": day.isoformat(),
        "start": ctx.start.isoformat(),
        "days": ctx.days,
    }


def run_airflow_section(ctx: BenchContext, result: SectionResult) -> None:
    """Parse time, then the DAG run vs the CLI for the last landing day on DuckDB."""
    params = _steps(ctx)
    logger.info("airflow: preparing a warehouse with every day before %s (untimed)", params["day"])
    ctx.run("airflow_prepare_day", params)

    parse = measurement_from(
        "dag_parse", "DAG parse (DagBag of dags/)", ctx.run("airflow_dag_parse", params)
    )
    result.measurements.append(parse)
    per_parse = float(parse.details["seconds_per_parse"])
    result.targets.append(
        Target(
            key="dag_parse_seconds",
            description=f"seconds per parse of the DAG file ({parse.details['tasks']} tasks)",
            value=round(per_parse, 3),
            threshold=DAG_PARSE_MAX_SECONDS,
            comparison="<=",
            unit="s",
        )
    )

    dag_day = measurement_from(
        "dag_day_duckdb",
        f"DAG run for {params['day']} (dag.test), duckdb",
        ctx.run("airflow_dag_day", params),
    )
    cli_day = measurement_from(
        "cli_day_duckdb",
        "the same day as `ecom run` (load + dbt build), duckdb",
        ctx.run("airflow_cli_day", params),
    )
    result.measurements += [dag_day, cli_day]
    result.ratios.append(
        Ratio(
            description="orchestration overhead: DAG run time / `ecom run` time for one day",
            value=round(dag_day.seconds / cli_day.seconds, 2),
        )
    )
    result.notes.append(
        f"The DAG ran {dag_day.details.get('tasks')} tasks; the CLI's single dbt build ran "
        f"{cli_day.details.get('nodes')} dbt nodes. The DAG run also generates the dbt docs. "
        "Per-node tasks pay a dbt start-up (project load, partial parse) each: that, not the SQL, "
        "is the overhead."
    )
