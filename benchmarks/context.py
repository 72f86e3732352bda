"""What the sections of a benchmark run share: settings, scratch folders, landings, databases."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.harness import StepFailedError, StepOutcome, run_step
from benchmarks.model import Measurement

logger = logging.getLogger(__name__)

DEFAULT_PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE_PREFIX = "h_bench_"


@dataclass(frozen=True)
class Landing:
    """A generated landing folder and its row count per table."""

    path: Path
    file_format: str
    rows_by_table: dict[str, int]
    bytes: int = 0

    @property
    def rows(self) -> int:
        return sum(self.rows_by_table.values())


@dataclass
class BenchContext:
    """Settings of a run and the state its sections share (landing folders, open databases)."""

    scale: float
    workdir: Path
    seed: int = 42
    start: date = date(2024, 1, 1)
    days: int = 730
    pg_admin_dsn: str = DEFAULT_PG_ADMIN_DSN
    naive_rows: int = 20_000
    to_sql_budget_seconds: float = 60.0
    step_timeout_seconds: float = 1800.0
    landings: dict[str, Landing] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)
    warehouses: dict[str, str] = field(default_factory=dict)

    def run(self, step: str, params: dict[str, Any]) -> StepOutcome:
        """Run one step in a fresh subprocess (see :func:`benchmarks.harness.run_step`)."""
        return run_step(step, params, scratch=self.workdir, timeout=self.step_timeout_seconds)

    def path(self, *parts: str) -> Path:
        """A path in the work folder (created on demand)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        return self.workdir.joinpath(*parts)

    def generator_params(self, out: Path, file_format: str) -> dict[str, Any]:
        return {
            "out": str(out),
            "scale": self.scale,
            "start": self.start.isoformat(),
            "days": self.days,
            "seed": self.seed,
            "file_format": file_format,
        }

    def landing(self, file_format: str) -> Landing:
        """The landing folder in ``file_format`` at this scale, generated (untimed) if needed."""
        if file_format not in self.landings:
            out = self.path("landing", file_format)
            logger.info(
                "generating the %s landing folder at scale %s (untimed)", file_format, self.scale
            )
            outcome = self.run("generate_ours", self.generator_params(out, file_format))
            self.remember_landing(out, file_format, outcome.result)
        return self.landings[file_format]

    def remember_landing(self, out: Path, file_format: str, generated: dict[str, Any]) -> None:
        """Keep a landing folder written by the ``generate_ours`` step (its result dict)."""
        rows = {table: int(count) for table, count in generated["rows_by_table"].items()}
        self.landings[file_format] = Landing(out, file_format, rows, int(generated["bytes"]))

    def loaded_warehouse(self, target: str) -> str:
        """A warehouse (DuckDB file path or PostgreSQL DSN) holding the CSV landing in raw.

        Loaded once per run with ``load_landing`` (untimed) and kept until the end of the run:
        the starting point of later steps such as the dbt build.
        """
        if target not in self.warehouses:
            landing = self.landing("csv")
            params: dict[str, Any] = {"target": target, "landing": str(landing.path)}
            if target == "duckdb":
                path = self.path("warehouse", "raw_loaded.duckdb")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.unlink(missing_ok=True)
                params["duckdb_path"] = location = str(path)
            else:
                params["postgres_dsn"] = location = self.create_database("raw_loaded")
            logger.info("loading the csv landing into a %s warehouse (untimed)", target)
            self.run("load_ours", params)
            self.warehouses[target] = location
        return self.warehouses[target]

    # -- PostgreSQL databases ------------------------------------------------------------------

    def _admin_execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin_dsn, autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, label: str) -> str:
        """Create a fresh, empty database ``h_bench_<label>_<pid>``; returns its DSN."""
        name = f"{DATABASE_PREFIX}{label}_{os.getpid()}".lower()
        self._admin_execute(f'drop database if exists "{name}" with (force)')
        self._admin_execute(f'create database "{name}"')
        self.databases.append(name)
        base, _, _ = self.pg_admin_dsn.rpartition("/")
        return f"{base}/{name}"

    def drop_database(self, dsn: str) -> None:
        name = dsn.rpartition("/")[2]
        self._admin_execute(f'drop database if exists "{name}" with (force)')
        if name in self.databases:
            self.databases.remove(name)

    def drop_all_databases(self) -> None:
        self.warehouses.clear()
        for name in list(self.databases):
            self._admin_execute(f'drop database if exists "{name}" with (force)')
            self.databases.remove(name)

    def remove_workdir(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def measurement_from(
    key: str, label: str, outcome: StepOutcome, *, note: str = "", **extra: Any
) -> Measurement:
    """A :class:`Measurement` from a step's outcome (the step reports ``rows`` and ``seconds``)."""
    result = outcome.result
    details = {name: value for name, value in result.items() if name not in ("rows", "seconds")}
    details.update(extra)
    megabytes = result.get("bytes")
    return Measurement(
        key=key,
        label=label,
        rows=int(result["rows"]),
        seconds=float(result["seconds"]),
        peak_rss_mb=round(outcome.peak_rss_mb, 1),
        wall_seconds=round(outcome.wall_seconds, 3),
        megabytes=round(megabytes / 1024 / 1024, 1) if megabytes else None,
        note=note,
        details=details,
    )


def extrapolate(measurement: Measurement, full_rows: int) -> Measurement:
    """Mark a slice measurement as extrapolated to ``full_rows`` at the same rows/s."""
    rate = measurement.rows_per_second
    measurement.extrapolated = True
    measurement.full_rows = full_rows
    measurement.full_seconds = round(full_rows / rate, 1) if rate > 0 else None
    return measurement


__all__ = [
    "BenchContext",
    "Landing",
    "StepFailedError",
    "extrapolate",
    "measurement_from",
]
