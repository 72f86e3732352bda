"""The ``ecom`` command line: thin, it parses arguments and calls the package.

Every flag overrides the matching setting of :class:`ecommerce_pipeline.config.Settings`.
"""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ecommerce_pipeline import render
from ecommerce_pipeline.cli_options import (
    DateOption,
    DsnOption,
    DuckdbOption,
    LandingOption,
    TargetOption,
    settings_with,
)

app = typer.Typer(
    name="ecom",
    help="E-commerce analytics pipeline: generate -> load -> transform -> marts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """E-commerce analytics pipeline."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def generate(
    scale: Annotated[float | None, typer.Option(help="1.0 = 100k customers, 1M orders.")] = None,
    start: DateOption = None,
    days: Annotated[int | None, typer.Option(help="Days of history.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="Landing file format: csv | parquet.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output (landing) folder.")] = None,
    dirty_rate: Annotated[float, typer.Option(help="Share of injected bad rows (0..0.5).")] = 0.0,
    volume_drop_day: Annotated[
        date | None, typer.Option(formats=["%Y-%m-%d"], help="Fault: drop orders on this day.")
    ] = None,
    volume_drop_keep: Annotated[
        float, typer.Option(help="Share of that day's orders kept by the volume drop.")
    ] = 0.3,
    revenue_spike_day: Annotated[
        date | None, typer.Option(formats=["%Y-%m-%d"], help="Fault: prices spike this day.")
    ] = None,
    revenue_spike_factor: Annotated[
        float, typer.Option(help="Price multiplier of the revenue spike.")
    ] = 5.0,
    bad_rows_day: Annotated[
        date | None, typer.Option(formats=["%Y-%m-%d"], help="Fault: bad-row surge this day.")
    ] = None,
    bad_rows_rate: Annotated[float, typer.Option(help="Dirty rate of the bad-row surge.")] = 0.3,
    to_db: Annotated[
        str | None,
        typer.Option("--to-db", help="Write the history day by day into this OLTP PostgreSQL DB."),
    ] = None,
) -> None:
    """Write synthetic landing files (one folder per table per day)."""
    from ecommerce_pipeline import pipeline

    settings = settings_with(
        scale=scale,
        start_date=start.isoformat() if start else None,
        days=days,
        seed=seed,
        file_format=file_format,
        landing_dir=out,
    )
    if to_db is not None:  # the shop's OLTP database instead of landing files
        from ecommerce_pipeline.sources.oltp_writer import generate_to_db

        written = generate_to_db(settings, to_db)
        console.print(f"OLTP database: {written.days} days applied, rows {dict(written.rows)}")
        return
    faults = {
        "volume_drop_day": date.fromisoformat(f"{volume_drop_day:%Y-%m-%d}")
        if volume_drop_day
        else None,
        "volume_drop_keep": volume_drop_keep,
        "revenue_spike_day": date.fromisoformat(f"{revenue_spike_day:%Y-%m-%d}")
        if revenue_spike_day
        else None,
        "revenue_spike_factor": revenue_spike_factor,
        "bad_rows_day": date.fromisoformat(f"{bad_rows_day:%Y-%m-%d}") if bad_rows_day else None,
        "bad_rows_rate": bad_rows_rate,
    }
    result = pipeline.generate_landing(
        settings, dirty_rate=dirty_rate, progress=True, faults=faults
    )
    render.print_generate_result(console, result)


@app.command()
def load(
    target: TargetOption = None,
    landing: LandingOption = None,
    duckdb_path: DuckdbOption = None,
    postgres_dsn: DsnOption = None,
    since: DateOption = None,
    until: DateOption = None,
) -> None:
    """Load landing files into raw.<table>; bad rows go to raw._quarantine."""
    from ecommerce_pipeline import pipeline

    settings = settings_with(
        target=target, landing_dir=landing, duckdb_path=duckdb_path, postgres_dsn=postgres_dsn
    )
    report = pipeline.load(settings, since=since, until=until, progress=True)
    render.print_load_report(console, report)
    if not report.reconciles:
        raise typer.Exit(code=1)


@app.command()
def transform(
    target: TargetOption = None,
    duckdb_path: DuckdbOption = None,
    postgres_dsn: DsnOption = None,
    as_of: DateOption = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models.")] = False,
    start: DateOption = None,
    end: DateOption = None,
    select: Annotated[str | None, typer.Option(help="dbt selection.")] = None,
    parse: Annotated[bool, typer.Option(help="Only parse: write the manifest.")] = False,
) -> None:
    """Build the dbt project (seeds, snapshots, models, tests) on the target."""
    from ecommerce_pipeline import pipeline
    from ecommerce_pipeline import transform as dbt

    settings = settings_with(target=target, duckdb_path=duckdb_path, postgres_dsn=postgres_dsn)
    if parse:
        console.print(f"manifest: {dbt.parse(settings)}")
        return
    result = pipeline.transform(
        settings, as_of=as_of, full_refresh=full_refresh, start=start, end=end, select=select
    )
    render.print_transform_result(console, result)
    if not result.success:
        raise typer.Exit(code=1)


@app.command()
def docs(
    target: TargetOption = None,
    duckdb_path: DuckdbOption = None,
    postgres_dsn: DsnOption = None,
    serve: Annotated[bool, typer.Option(help="Serve the docs on --port.")] = False,
    port: Annotated[int, typer.Option(help="Port of `--serve`.")] = 8081,
) -> None:
    """Generate the dbt docs (lineage, column descriptions = the metrics glossary)."""
    from ecommerce_pipeline import transform as dbt

    settings = settings_with(target=target, duckdb_path=duckdb_path, postgres_dsn=postgres_dsn)
    folder = dbt.docs_generate(settings)
    console.print(f"dbt docs written to {folder / 'index.html'}")
    if serve:
        console.print(f"serving on http://localhost:{port} (Ctrl+C stops)")
        dbt.docs_serve(settings, port=port)


@app.command()
def run(
    target: TargetOption = None,
    landing: LandingOption = None,
    duckdb_path: DuckdbOption = None,
    postgres_dsn: DsnOption = None,
    scale: Annotated[float | None, typer.Option(help="Scale when generating.")] = None,
    days: Annotated[int | None, typer.Option(help="Days when generating.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed when generating.")] = None,
    as_of: DateOption = None,
) -> None:
    """The whole pipeline: generate (if the landing folder is empty) -> load -> transform."""
    from ecommerce_pipeline import pipeline

    settings = settings_with(
        target=target,
        landing_dir=landing,
        duckdb_path=duckdb_path,
        postgres_dsn=postgres_dsn,
        scale=scale,
        days=days,
        seed=seed,
    )
    result = pipeline.run(settings, as_of=as_of, progress=True)
    if result.generated is not None:
        render.print_generate_result(console, result.generated)
    render.print_load_report(console, result.load)
    if result.transform is not None:
        render.print_transform_result(console, result.transform)
    if result.summary is not None:
        render.print_summary(console, result.summary, pipeline.results_location(settings))
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.steps_seconds.items())
    console.print(f"Steps: {steps}")
    if not result.success:
        raise typer.Exit(code=1)


def _add_groups() -> None:
    """The command groups, each in its own module (``cli_<group>.py``)."""
    from ecommerce_pipeline import cli_extract, cli_importer, cli_report, cli_serve

    app.add_typer(cli_report.app, name="report")
    app.add_typer(cli_serve.app, name="serve")
    app.add_typer(cli_extract.app, name="extract")
    app.add_typer(cli_importer.app, name="import")


_add_groups()


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors a user can act on: printed as one clear line, never as a traceback."""
    from ecommerce_pipeline.errors import UserError
    from ecommerce_pipeline.generate.config import GeneratorConfigError
    from ecommerce_pipeline.ingest.errors import LoadError
    from ecommerce_pipeline.transform import TransformError
    from ecommerce_pipeline.warehouse import WarehouseError

    return (UserError, GeneratorConfigError, LoadError, TransformError, WarehouseError)


def entry() -> None:
    """Console-script entry point (`ecom`)."""
    try:
        app()
    except _user_errors() as exc:
        console.print(f"[red]error:[/] {exc}")
        sys.exit(2)
