"""Describe the machine a benchmark ran on (the doc is a record: the wall-clock date is kept)."""

from __future__ import annotations

import logging
import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PACKAGES = ("duckdb", "pyarrow", "pandas", "sqlalchemy", "psycopg", "faker", "duckdb_engine")


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU model name from /proc/cpuinfo (``unknown`` when the file is missing)."""
    if not cpuinfo.is_file():
        return platform.processor() or "unknown"
    for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name":
            return value.strip()
    return "unknown"


def total_ram_gb(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """Total RAM in GiB from /proc/meminfo."""
    if not meminfo.is_file():
        return None
    for line in meminfo.read_text(encoding="utf-8").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return None


def package_versions() -> dict[str, str | None]:
    """Versions of the packages the benchmarks use (None when not installed)."""
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package.replace("_", "-"))
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def postgres_version(admin_dsn: str) -> str | None:
    """The PostgreSQL server version (None when the server is unreachable)."""
    import psycopg

    try:
        with psycopg.connect(admin_dsn, connect_timeout=5) as conn:
            row = conn.execute("show server_version").fetchone()
    except psycopg.OperationalError as exc:
        logger.warning("PostgreSQL at %s is unreachable: %s", admin_dsn, exc)
        return None
    return str(row[0]) if row else None


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (a busy machine skews every figure)."""
    return [round(value, 2) for value in os.getloadavg()]


def describe_machine(admin_dsn: str) -> dict[str, Any]:
    """Cores, RAM, CPU model, OS, Python/DuckDB/PostgreSQL versions and the date of the run."""
    ram = total_ram_gb()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(ram, 1) if ram is not None else None,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "postgresql": postgres_version(admin_dsn),
        "packages": package_versions(),
        "load_average_start": load_average(),
    }
