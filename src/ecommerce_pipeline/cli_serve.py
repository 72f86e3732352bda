"""`ecom serve` commands (thin: they parse arguments and call the package)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from ecommerce_pipeline.cli_options import DsnOption, DuckdbOption, TargetOption, settings_with
from ecommerce_pipeline.config import get_settings

app = typer.Typer(
    help="Servers: the data API, the dashboard, the demo source API.", no_args_is_help=True
)
console = Console()


@app.command("api")
def serve_api(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    target: TargetOption = None,
    duckdb_path: DuckdbOption = None,
    postgres_dsn: DsnOption = None,
) -> None:
    """Serve the read-only data API (FastAPI; docs at /docs). Keys: ECOM_API_KEYS."""
    import uvicorn

    from ecommerce_pipeline.api.main import create_app

    app_ = create_app(
        settings_with(target=target, duckdb_path=duckdb_path, postgres_dsn=postgres_dsn)
    )
    console.print(f"data API on http://{host}:{port} (docs: /docs; Ctrl+C stops)")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command("dashboard")
def serve_dashboard(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    target: TargetOption = None,
    duckdb_path: DuckdbOption = None,
    postgres_dsn: DsnOption = None,
) -> None:
    """Serve the Streamlit dashboard (headless, no usage statistics)."""
    from ecommerce_pipeline.dashboard.launcher import run_dashboard

    settings = settings_with(target=target, duckdb_path=duckdb_path, postgres_dsn=postgres_dsn)
    console.print(f"dashboard on http://{host}:{port} (Ctrl+C stops)")
    code = run_dashboard(settings, port=port, host=host)
    if code != 0:
        raise typer.Exit(code=code)


@app.command("source-api")
def serve_source_api(
    url: Annotated[
        str | None, typer.Option("--url", help="OLTP database (ECOM_SOURCE_DB_URL).")
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="Bearer token (ECOM_SOURCE_API_TOKEN).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8010,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    throttle_every: Annotated[int, typer.Option(help="Answer every N-th request 429.")] = 0,
    fail_every: Annotated[int, typer.Option(help="Answer every N-th request 503.")] = 0,
    retry_after: Annotated[int, typer.Option(help="Retry-After seconds of a 429.")] = 1,
) -> None:
    """Serve the demo shop's source API over its OLTP database (token auth, cursor pages)."""
    from ecommerce_pipeline.errors import UserError
    from ecommerce_pipeline.sources.source_api import Misbehaviour, serve

    settings = get_settings()
    dsn = url or settings.source_db_url
    secret = token or settings.source_api_token
    if not dsn or not secret:
        raise UserError("give --url and --token (or ECOM_SOURCE_DB_URL / ECOM_SOURCE_API_TOKEN)")
    switches = Misbehaviour(throttle_every, fail_every, retry_after)
    console.print(f"source API on http://{host}:{port} (Ctrl+C stops)")
    serve(dsn, secret, host=host, port=port, misbehaviour=switches)
