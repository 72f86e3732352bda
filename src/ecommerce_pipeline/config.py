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
    # Data quality (ecommerce_pipeline.quality): freshness SLA, anomaly checks, reports, alerts.
    freshness_warn_hours: float = Field(
        default=36.0, description="Freshness SLA: warn when a source's newest load is older (hours)"
    )
    freshness_error_hours: float = Field(
        default=72.0, description="Freshness SLA: fail when a source's newest load is older (hours)"
    )
    dq_anomaly_window_days: int = Field(
        default=28, ge=7, description="Anomaly checks: days of the trailing baseline"
    )
    dq_anomaly_min_history: int = Field(
        default=14, ge=3, description="Anomaly checks: baseline days needed before a day is judged"
    )
    dq_anomaly_threshold: float = Field(
        default=4.0,
        gt=0,
        description="Anomaly checks: robust z-score (median/MAD) that flags a day",
    )
    reports_dir: Path = Field(default=Path("reports"), description="Where `ecom report` writes")
    alert_webhook_url: str | None = Field(
        default=None, description='Alert webhook (Slack-compatible: POST {"text": ...}); unset: off'
    )
    alert_email_to: str | None = Field(
        default=None, description="Alert e-mail recipients (comma-separated); unset: off"
    )
    alert_email_from: str = Field(
        default="ecom-pipeline@localhost", description="Alert e-mail sender"
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server of the alert e-mails")
    smtp_port: int = Field(default=25, description="SMTP port (plain SMTP, no TLS)")
    api_keys: str = Field(
        default="",
        description=(
            "Data API keys, comma-separated `key:scopes` with scopes joined by `+` "
            "(e.g. `k1:pii,k2:`); only keys with the `pii` scope see email, name and phone"
        ),
    )
    serving_pool_size: int = Field(
        default=4,
        ge=1,
        le=64,
        description="PostgreSQL connections the API/dashboard query pool keeps",
    )
    serving_cache_entries: int = Field(
        default=256,
        ge=0,
        description=(
            "API/dashboard query results kept while the warehouse is unchanged (DuckDB: its "
            "file; PostgreSQL: the reading snapshot), LRU (0 = off)"
        ),
    )
    source: str = Field(
        "files",
        description="Where a day's data comes from: files (landing folder as is) | database | api",
    )
    source_db_url: str | None = Field(
        None, description="OLTP database read by ECOM_SOURCE=database (postgresql://...)"
    )
    source_api_url: str | None = Field(
        None, description="Base URL of the source API read by ECOM_SOURCE=api"
    )
    source_api_token: str | None = Field(None, description="Bearer token of the source API")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (environment read once)."""
    return Settings()
