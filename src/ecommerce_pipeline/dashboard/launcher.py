"""Starts the dashboard: ``streamlit run`` on the entry script, with the settings in its env."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.dashboard import APP_PATH

#: Settings the dashboard process needs, passed as ECOM_* environment variables.
FORWARDED_SETTINGS = ("target", "duckdb_path", "postgres_dsn", "serving_pool_size")


def streamlit_command(*, port: int, host: str) -> list[str]:
    """The ``streamlit run`` command line (headless, no usage statistics)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "viewer",
    ]


def streamlit_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the settings as ECOM_* variables."""
    env = dict(os.environ if base is None else base)
    for name in FORWARDED_SETTINGS:
        value = getattr(settings, name)
        env[f"ECOM_{name.upper()}"] = str(getattr(value, "value", value))
    return env


def run_dashboard(settings: Settings, *, port: int, host: str) -> int:
    """Run the dashboard in the foreground until it stops; returns its exit code."""
    completed = subprocess.run(
        streamlit_command(port=port, host=host), env=streamlit_env(settings), check=False
    )
    return completed.returncode
