"""Options shared by every ``ecom`` command group, and the settings they override."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from ecommerce_pipeline.config import Settings, Target, get_settings

TargetOption = Annotated[
    Target | None, typer.Option("--target", help="Warehouse: duckdb | postgres (ECOM_TARGET).")
]
LandingOption = Annotated[
    Path | None, typer.Option("--landing", help="Landing folder (ECOM_LANDING_DIR).")
]
DuckdbOption = Annotated[
    Path | None, typer.Option("--duckdb-path", help="DuckDB file (ECOM_DUCKDB_PATH).")
]
DsnOption = Annotated[
    str | None, typer.Option("--postgres-dsn", help="PostgreSQL DSN (ECOM_POSTGRES_DSN).")
]
DateOption = Annotated[date | None, typer.Option(formats=["%Y-%m-%d"])]


def settings_with(**overrides: Any) -> Settings:
    """The settings with every flag the user gave applied on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return get_settings().model_copy(update=given)
