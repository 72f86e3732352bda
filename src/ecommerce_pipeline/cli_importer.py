"""`ecom import` commands (thin: they parse arguments and call the package)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecommerce_pipeline.config import get_settings

app = typer.Typer(help="Map real public datasets onto the landing contract.", no_args_is_help=True)
console = Console()

LandingOpt = Annotated[
    Path | None, typer.Option("--landing", help="Landing folder (ECOM_LANDING_DIR).")
]


def _print(report: object, landing_dir: Path) -> None:
    from ecommerce_pipeline.sources.report import REPORTS_DIR, ImportReport

    assert isinstance(report, ImportReport)
    rules = Table(title=f"import {report.source}: rows per rule")
    rules.add_column("rule")
    rules.add_column("rows", justify="right")
    for rule, count in sorted(report.rules.items()):
        rules.add_row(rule, str(count))
    console.print(rules)
    console.print(f"rows read: {report.rows_in}")
    console.print(f"landing rows written: {dict(report.rows_out)} in {report.files_out} files")
    for column, issue in report.column_issues.items():
        console.print(f"[yellow]{column}[/]: {issue}")
    console.print(f"report: {landing_dir / REPORTS_DIR / f'import_{report.source}.json'}")


@app.command("olist")
def import_olist(
    folder: Annotated[Path, typer.Argument(help="Folder of the Olist CSV files.")],
    landing: LandingOpt = None,
) -> None:
    """The Olist Brazilian E-Commerce dataset -> landing files (docs/sources.md)."""
    from ecommerce_pipeline.sources.olist import import_olist as run

    landing_dir = landing or get_settings().landing_dir
    _print(run(folder, landing_dir), landing_dir)


@app.command("online-retail")
def import_online_retail(
    file: Annotated[Path, typer.Argument(help="online_retail.parquet (or .csv).")],
    landing: LandingOpt = None,
) -> None:
    """The UCI Online Retail dataset -> landing files (docs/sources.md)."""
    from ecommerce_pipeline.sources.online_retail import import_online_retail as run

    landing_dir = landing or get_settings().landing_dir
    _print(run(file, landing_dir), landing_dir)


@app.command("mapped")
def import_mapped(
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping YAML file.")],
    input_file: Annotated[Path, typer.Option("--input", help="The export (CSV or Parquet).")],
    landing: LandingOpt = None,
) -> None:
    """Any export -> landing files through a declarative YAML mapping (docs/sources.md)."""
    from ecommerce_pipeline.sources.mapping import import_mapped as run

    landing_dir = landing or get_settings().landing_dir
    _print(run(mapping, input_file, landing_dir), landing_dir)
