"""`ecom report` commands (thin: they parse arguments and call the package)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ecommerce_pipeline.config import Target

app = typer.Typer(
    help="Reports: data quality and business (self-contained HTML).", no_args_is_help=True
)
console = Console()


# --- ecom report dq (data quality; ecommerce_pipeline.quality) --------------------------------


@app.command("dq")
def report_dq(
    day: Annotated[
        datetime,
        typer.Option("--date", formats=["%Y-%m-%d"], help="Business day (logical date) D."),
    ],
    target: Annotated[
        Target | None, typer.Option("--target", help="Warehouse: duckdb | postgres.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Reports folder (ECOM_REPORTS_DIR).")] = None,
    duckdb_path: Annotated[Path | None, typer.Option("--duckdb-path", help="DuckDB file.")] = None,
    postgres_dsn: Annotated[
        str | None, typer.Option("--postgres-dsn", help="PostgreSQL DSN.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Run the checks of D first (record, alert) instead of reporting a recorded run.",
        ),
    ] = False,
    run_id: Annotated[
        str | None, typer.Option(help="Run id (default with --check: manual__<D>).")
    ] = None,
    dbt_artifacts: Annotated[
        Path | None,
        typer.Option(help="dbt target folder with run_results.json (with --check)."),
    ] = None,
) -> None:
    """Write <out>/<D>/data_quality.html (self-contained) and data_quality.md."""
    from ecommerce_pipeline.config import get_settings
    from ecommerce_pipeline.quality import report, run_checks
    from ecommerce_pipeline.quality.store import session

    given = {
        "target": target,
        "reports_dir": out,
        "duckdb_path": duckdb_path,
        "postgres_dsn": postgres_dsn,
    }
    settings = get_settings().model_copy(
        update={key: value for key, value in given.items() if value is not None}
    )
    business_day = day.date()
    if check:
        result = run_checks(
            settings,
            logical_date=business_day,
            run_id=run_id or f"manual__{business_day}",
            dbt_artifacts=dbt_artifacts,
        )
        console.print(f"checks: {result.counts}; alerted {len(result.opened)} incidents")
        paths = result.report
    else:
        with session(settings) as db:
            data = report.collect(
                db,
                business_day,
                target=settings.target.value,
                threshold=settings.dq_anomaly_threshold,
                run_id=run_id,
            )
        paths = report.write_report(data, settings.reports_dir)
    if paths is not None:
        console.print(f"report: {paths.html}\nsummary: {paths.markdown}")


# --- ecom report business (monthly business report; ecommerce_pipeline.reports.business) ------


@app.command("business")
def report_business(
    month: Annotated[str, typer.Option("--month", help="Month of the report, YYYY-MM.")],
    out: Annotated[Path | None, typer.Option(help="Reports folder (ECOM_REPORTS_DIR).")] = None,
    target: Annotated[
        Target | None, typer.Option("--target", help="Warehouse: duckdb | postgres.")
    ] = None,
    duckdb_path: Annotated[Path | None, typer.Option("--duckdb-path", help="DuckDB file.")] = None,
    postgres_dsn: Annotated[
        str | None, typer.Option("--postgres-dsn", help="PostgreSQL DSN.")
    ] = None,
) -> None:
    """Write <out>/business-<YYYY-MM>.html (self-contained): KPIs, trends, segments, products."""
    from ecommerce_pipeline.config import get_settings
    from ecommerce_pipeline.reports.business import parse_month, write_business_report

    given = {"target": target, "duckdb_path": duckdb_path, "postgres_dsn": postgres_dsn}
    settings = get_settings().model_copy(
        update={key: value for key, value in given.items() if value is not None}
    )
    report = write_business_report(
        settings, parse_month(month), out if out is not None else settings.reports_dir
    )
    console.print(f"business report: {report.path}")
