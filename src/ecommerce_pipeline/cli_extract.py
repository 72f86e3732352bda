"""`ecom extract` commands (thin: they parse arguments and call the package)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecommerce_pipeline.config import get_settings
from ecommerce_pipeline.errors import UserError

app = typer.Typer(
    help="Extract from live sources (OLTP database, REST API) into the landing folder.",
    no_args_is_help=True,
)
console = Console()

LandingOpt = Annotated[
    Path | None, typer.Option("--landing", help="Landing folder (ECOM_LANDING_DIR).")
]
UntilOpt = Annotated[
    date | None,
    typer.Option(formats=["%Y-%m-%d"], help="Only changes up to the end of this day (UTC)."),
]
PageOpt = Annotated[int, typer.Option(help="Rows per page.", min=1)]


def _print(report: object) -> None:
    from ecommerce_pipeline.sources.incremental import ExtractReport

    assert isinstance(report, ExtractReport)
    table = Table(title=f"extract {report.source}")
    for column in ("table", "rows", "pages", "files", "soft-deleted"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, item in report.tables.items():
        table.add_row(
            name, str(item.rows), str(item.pages), str(len(item.files)), str(item.deleted_rows)
        )
    console.print(table)
    console.print(f"{report.rows} rows in {report.files} files (marks in <landing>/_state/)")


@app.command("db")
def extract_db(
    url: Annotated[
        str | None, typer.Option("--url", help="OLTP database (ECOM_SOURCE_DB_URL).")
    ] = None,
    landing: LandingOpt = None,
    until: UntilOpt = None,
    page_size: PageOpt = 5_000,
) -> None:
    """Incremental extraction from the shop database (by updated_at, resumable)."""
    from ecommerce_pipeline import sources
    from ecommerce_pipeline.sources.db_extract import extract_db as run

    settings = get_settings()
    dsn = url or settings.source_db_url
    if not dsn:
        raise UserError("give --url or set ECOM_SOURCE_DB_URL (the shop's OLTP database)")
    before = sources.end_of_day(until) if until else None
    landing_dir = landing or settings.landing_dir
    _print(run(dsn, landing_dir, before=before, page_size=page_size))


@app.command("api")
def extract_api(
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Source API (ECOM_SOURCE_API_URL).")
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="Bearer token (ECOM_SOURCE_API_TOKEN).")
    ] = None,
    landing: LandingOpt = None,
    until: UntilOpt = None,
    page_size: PageOpt = 500,
) -> None:
    """Incremental extraction from the source API (retries 429/5xx, resumes from its cursor)."""
    from ecommerce_pipeline import sources
    from ecommerce_pipeline.sources.api_extract import extract_api as run
    from ecommerce_pipeline.sources.api_extract import make_client

    settings = get_settings()
    url = base_url or settings.source_api_url
    secret = token or settings.source_api_token
    if not url or not secret:
        raise UserError("give --base-url and --token (or ECOM_SOURCE_API_URL/_TOKEN)")
    before = sources.end_of_day(until) if until else None
    with make_client(url, secret) as client:
        report, retries = run(
            client, landing or settings.landing_dir, before=before, page_size=page_size
        )
    _print(report)
    console.print(f"retries (429/5xx/network): {retries}")
