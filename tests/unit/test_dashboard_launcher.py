"""`ecom serve dashboard`'s command line and environment, and the dashboard's number formats."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.dashboard import APP_PATH
from ecommerce_pipeline.dashboard.format import change, count, money, percent, points
from ecommerce_pipeline.dashboard.launcher import streamlit_command, streamlit_env

pytestmark = pytest.mark.unit


def test_streamlit_runs_headless_without_usage_statistics() -> None:
    command = streamlit_command(port=8765, host="0.0.0.0")
    assert command[1:5] == ["-m", "streamlit", "run", str(APP_PATH)]
    flags = dict(zip(command[5::2], command[6::2], strict=True))
    assert flags["--server.port"] == "8765"
    assert flags["--server.address"] == "0.0.0.0"
    assert flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"
    assert APP_PATH.is_file()


def test_the_settings_reach_the_dashboard_process_as_ecom_variables() -> None:
    settings = Settings(
        target=Target.POSTGRES,
        duckdb_path=Path("/data/wh.duckdb"),
        postgres_dsn="postgresql://reader@db/ecom",
    )
    env = streamlit_env(settings, base={"PATH": "/bin", "ECOM_TARGET": "duckdb"})
    assert env["PATH"] == "/bin"
    assert env["ECOM_TARGET"] == "postgres"
    assert env["ECOM_DUCKDB_PATH"] == "/data/wh.duckdb"
    assert env["ECOM_POSTGRES_DSN"] == "postgresql://reader@db/ecom"


def test_number_formats() -> None:
    assert money(Decimal("1234567.5")) == "$1,234,567.50"
    assert count(1234) == "1,234"
    assert percent(Decimal("0.034314")) == "3.43%"
    assert change(0.1234) == "+12.3%"
    assert points(Decimal("0.05"), Decimal("0.04")) == "+1.00 pp"
    assert money(None) == count(None) == percent(None) == "—"
    assert change(None) is None
    assert points(None, Decimal(1)) is None
