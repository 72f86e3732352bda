"""Settings: one pydantic-settings class, environment prefix ``ECOM_`` (documented in .env.example).

Every CLI flag overrides the matching setting; the DAG and the API read the same class.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Target(StrEnum):
    """The warehouses the pipeline runs on."""

    DUCKDB = "duckdb"
    POSTGRES = "postgres"


class Settings(BaseSettings):
    """Configuration of the pipeline, read from the environment (prefix ``ECOM_``) and ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="ECOM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    target: Target = Field(Target.DUCKDB, description="Warehouse: duckdb | postgres")
    duckdb_path: Path = Field(
        Path("warehouse/ecommerce.duckdb"), description="DuckDB database file (created if missing)"
    )
    postgres_dsn: str = Field(
        "postgresql://postgres@127.0.0.1:5432/ecommerce_dw",
        description="PostgreSQL warehouse; the database is created if missing",
    )
    landing_dir: Path = Field(Path("data/landing"), description="Landing folder: <table>/<day>/*")
    seed: int = Field(42, description="Seed of the synthetic data generator")
    scale: float = Field(
        0.02, description="Generator scale for `ecom run` (1.0 = 100k customers, 1M orders)"
    )
    days: int = Field(730, description="Days of history the generator writes")
    start_date: str = Field("2024-01-01", description="First business day the generator writes")
    file_format: str = Field("csv", description="Landing file format: csv | parquet")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (environment read once)."""
    return Settings()
