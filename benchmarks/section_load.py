"""Load section: ``load_landing`` on DuckDB and PostgreSQL against pandas ``to_sql`` and floors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.context import BenchContext, Landing, extrapolate, measurement_from
from benchmarks.model import Measurement, Ratio, SectionResult, Target

logger = logging.getLogger(__name__)

LOAD_DESCRIPTION = (
    "Rows per second of `ecommerce_pipeline.ingest.load_landing` (parse, validate, quarantine, "
    "lineage columns, load log) of the whole generated landing folder into a fresh warehouse, "
    "against (a) the tutorial route, `pandas.read_csv` then `DataFrame.to_sql` per file, and (b) "
    "the floor: a bare `CREATE TABLE AS SELECT * FROM read_csv|read_parquet('<table>/*/*')` with "
    "default options on DuckDB, and a bare `COPY <table> FROM STDIN (FORMAT csv, HEADER)` of the "
    "same files (psycopg streaming the bytes) into a table with the contract's typed columns on "
    "PostgreSQL."
)
DUCKDB_MAX_SLOWDOWN = 1.5
POSTGRES_MIN_SHARE_OF_COPY = 0.70


@contextmanager
def fresh_duckdb(ctx: BenchContext, label: str) -> Iterator[Path]:
    """A path for a DuckDB file that does not exist yet; the file is removed afterwards."""
    path = ctx.path("duckdb", f"{label}.duckdb")
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        yield path
    finally:
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)


@contextmanager
def fresh_postgres(ctx: BenchContext, label: str) -> Iterator[str]:
    """The DSN of a fresh, empty PostgreSQL database; dropped afterwards."""
    dsn = ctx.create_database(label)
    try:
        yield dsn
    finally:
        ctx.drop_database(dsn)


def _landing_megabytes(measurement: Measurement, landing: Landing) -> Measurement:
    """Record the size of the landing files a load read (whole folder; a slice reads less)."""
    if not measurement.extrapolated:
        measurement.megabytes = round(landing.bytes / 1024 / 1024, 1)
    return measurement


def _ours(ctx: BenchContext, landing: Landing, target: str) -> Measurement:
    key = f"ours_{target}_{landing.file_format}"
    label = f"ours (load_landing), {target}, {landing.file_format}"
    params = {"target": target, "landing": str(landing.path)}
    if target == "duckdb":
        with fresh_duckdb(ctx, key) as path:
            outcome = ctx.run("load_ours", {**params, "duckdb_path": str(path)})
    else:
        with fresh_postgres(ctx, key) as dsn:
            outcome = ctx.run("load_ours", {**params, "postgres_dsn": dsn})
    return _landing_megabytes(measurement_from(key, label, outcome), landing)


def _bare_duckdb(ctx: BenchContext, landing: Landing, *, typed: bool = False) -> Measurement:
    key = f"bare_duckdb_{landing.file_format}" + ("_typed" if typed else "")
    reader = "read_csv" if landing.file_format == "csv" else "read_parquet"
    params = {"landing": str(landing.path), "file_format": landing.file_format, "typed": typed}
    with fresh_duckdb(ctx, key) as path:
        outcome = ctx.run("load_bare_duckdb", {**params, "duckdb_path": str(path)})
    label = f"floor: bare {reader} CTAS, duckdb"
    if typed:
        label = "info: read_csv CTAS with the contract's types (no sniffing), duckdb"
    return _landing_megabytes(measurement_from(key, label, outcome), landing)


def _bare_postgres(ctx: BenchContext, landing: Landing) -> Measurement:
    with fresh_postgres(ctx, "bare_postgres_csv") as dsn:
        outcome = ctx.run("load_bare_postgres", {"landing": str(landing.path), "postgres_dsn": dsn})
    label = "floor: bare COPY FROM STDIN, postgres"
    return _landing_megabytes(measurement_from("bare_postgres_csv", label, outcome), landing)


def _to_sql(ctx: BenchContext, landing: Landing, target: str) -> Measurement:
    key = f"to_sql_{target}_csv"
    params = {
        "target": target,
        "landing": str(landing.path),
        "budget_seconds": ctx.to_sql_budget_seconds,
        "seed": ctx.seed,
    }
    if target == "duckdb":
        with fresh_duckdb(ctx, key) as path:
            outcome = ctx.run("load_to_sql", {**params, "duckdb_path": str(path)})
    else:
        with fresh_postgres(ctx, key) as dsn:
            outcome = ctx.run("load_to_sql", {**params, "postgres_dsn": dsn})
    result = outcome.result
    measurement = measurement_from(
        key, f"pandas read_csv + to_sql, {target}", outcome, note=f"via {result['route']}"
    )
    if not result["complete"]:
        measurement.note += (
            f"; slice of {result['days_done']} of {result['days_total']} days "
            f"(time budget {ctx.to_sql_budget_seconds:.0f} s), extrapolated"
        )
        extrapolate(measurement, landing.rows)
    return _landing_megabytes(measurement, landing)


def _check_rows(result: SectionResult, ours: Measurement, floor: Measurement) -> None:
    """Note when our load did not load every row the floor read (the data is clean)."""
    loaded = int(ours.details.get("rows_loaded", ours.rows))
    quarantined = int(ours.details.get("rows_quarantined", 0))
    if loaded != floor.rows or quarantined:
        result.notes.append(
            f"CHECK: {ours.label} loaded {loaded:,} rows and quarantined {quarantined:,}, "
            f"the floor read {floor.rows:,}: the figures do not compare like for like."
        )


def _slowdown_target(ours: Measurement, floor: Measurement) -> Target:
    return Target(
        key=f"{ours.key}_vs_floor",
        description=f"{ours.label}: time / bare read time",
        value=round(ours.seconds / floor.seconds, 2),
        threshold=DUCKDB_MAX_SLOWDOWN,
        comparison="<=",
        unit="x",
    )


def _speedup(ours: Measurement, baseline: Measurement, target: str) -> Ratio:
    return Ratio(
        description=f"ours vs pandas to_sql on {target}, csv (rows/s ratio, ours / to_sql)",
        value=round(ours.rows_per_second / baseline.rows_per_second, 1),
    )


def _run_duckdb(ctx: BenchContext, result: SectionResult) -> None:
    for file_format in ("csv", "parquet"):
        landing = ctx.landing(file_format)
        ours = _ours(ctx, landing, "duckdb")
        floor = _bare_duckdb(ctx, landing)
        result.measurements += [ours, floor]
        result.targets.append(_slowdown_target(ours, floor))
        _check_rows(result, ours, floor)
        if file_format == "csv":
            tight = _bare_duckdb(ctx, landing, typed=True)
            result.measurements.append(tight)
            result.ratios.append(
                Ratio(
                    description=(
                        "ours, duckdb, csv: time / time of the typed read_csv (a tighter "
                        "floor than the default read, which auto-detects types; no target)"
                    ),
                    value=round(ours.seconds / tight.seconds, 2),
                )
            )
    to_sql = _to_sql(ctx, ctx.landing("csv"), "duckdb")
    result.measurements.append(to_sql)
    result.ratios.append(_speedup(result.measurement("ours_duckdb_csv"), to_sql, "DuckDB"))


def _run_postgres(ctx: BenchContext, result: SectionResult) -> None:
    landing = ctx.landing("csv")
    ours = _ours(ctx, landing, "postgres")
    floor = _bare_postgres(ctx, landing)
    result.measurements += [ours, floor]
    result.targets.append(
        Target(
            key="ours_postgres_csv_vs_copy",
            description=f"{ours.label}: rows/s / bare COPY rows/s",
            value=round(ours.rows_per_second / floor.rows_per_second, 2),
            threshold=POSTGRES_MIN_SHARE_OF_COPY,
            comparison=">=",
        )
    )
    _check_rows(result, ours, floor)
    to_sql = _to_sql(ctx, landing, "postgres")
    result.measurements.append(to_sql)
    result.ratios.append(_speedup(ours, to_sql, "PostgreSQL"))


def run_load_section(ctx: BenchContext, result: SectionResult) -> None:
    """Load the scale's landing folders on DuckDB (CSV, Parquet) and PostgreSQL (CSV)."""
    _run_duckdb(ctx, result)
    _run_postgres(ctx, result)
    result.notes.append(
        "Peak RSS is the benchmark's client process; on PostgreSQL the server's own memory is not "
        "counted. The floors do no validation, no lineage columns and no load log: they bound what "
        "any loader of these files can reach."
    )
