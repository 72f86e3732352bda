"""Load steps (run in a subprocess by :mod:`benchmarks.step`).

- ``load_ours``: ``ecommerce_pipeline.ingest.load_landing`` into a fresh DuckDB file or PostgreSQL
  database.
- ``load_bare_duckdb``: the floor on DuckDB, ``CREATE TABLE AS SELECT * FROM read_csv|read_parquet``
  of the same glob with default options.
- ``load_bare_postgres``: the floor on PostgreSQL, ``COPY ... FROM STDIN (FORMAT csv, HEADER)`` of
  the same files (psycopg streaming the file bytes) into a table with the contract's typed columns.
- ``load_to_sql``: the tutorial baseline, ``pandas.read_csv`` then ``DataFrame.to_sql`` per file,
  timed on a slice of days when it would run past a time budget.
"""

from __future__ import annotations

import random
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.landing import day_folders, landing_tables, table_files, table_glob
from ecommerce_pipeline.contract import TABLES, sql_type


def load_ours(params: dict[str, Any]) -> dict[str, Any]:
    """Time ``load_landing`` of the landing folder (optionally ``since``/``until`` a day)."""
    from ecommerce_pipeline.config import Settings, Target
    from ecommerce_pipeline.ingest import load_landing

    settings = Settings(
        target=Target(params["target"]),
        duckdb_path=Path(params.get("duckdb_path") or "warehouse/unused.duckdb"),
        postgres_dsn=params.get("postgres_dsn") or "postgresql://postgres@127.0.0.1:5432/unused",
        landing_dir=Path(params["landing"]),
    )
    bounds = {
        name: date.fromisoformat(params[name]) for name in ("since", "until") if params.get(name)
    }
    started = time.perf_counter()
    report = load_landing(settings, **bounds)
    seconds = time.perf_counter() - started
    files = list(report.files)
    return {
        "rows": sum(int(item.rows_read) for item in files),
        "rows_loaded": sum(int(item.rows_loaded) for item in files),
        "rows_quarantined": sum(int(item.rows_quarantined) for item in files),
        "files": len(files),
        "seconds": seconds,
    }


def _duckdb_read(glob: str, table: str, file_format: str, *, typed: bool) -> str:
    """The table function reading ``glob``: defaults, or (CSV) the contract's types, no sniffing."""
    if file_format == "parquet":
        return f"read_parquet('{glob}')"
    if not typed:
        return f"read_csv('{glob}')"
    columns = ", ".join(
        f"'{column.name}': '{sql_type(column.type, 'duckdb')}'" for column in TABLES[table].columns
    )
    return f"read_csv('{glob}', header = true, auto_detect = false, columns = {{{columns}}})"


def load_bare_duckdb(params: dict[str, Any]) -> dict[str, Any]:
    """Time ``create table <t> as select * from read_csv|read_parquet('<glob>')`` per table.

    With ``typed`` (CSV only) the read names the contract's column types instead of sniffing them.
    """
    import duckdb

    landing = Path(params["landing"])
    file_format = params["file_format"]
    typed = bool(params.get("typed", False))
    tables = landing_tables(landing)
    started = time.perf_counter()
    con = duckdb.connect(params["duckdb_path"])
    con.execute("set enable_progress_bar = false")  # display only; the read keeps its defaults
    for table in tables:
        glob = table_glob(landing, table, file_format).replace("'", "''")
        read = _duckdb_read(glob, table, file_format, typed=typed)
        con.execute(f"create table {table} as select * from {read}")
    con.close()
    seconds = time.perf_counter() - started
    with duckdb.connect(params["duckdb_path"], read_only=True) as check:
        rows = {table: _count(check, table) for table in tables}
    return {"rows": sum(rows.values()), "rows_by_table": rows, "seconds": seconds}


def _count(con: Any, table: str) -> int:
    row = con.execute(f"select count(*) from {table}").fetchone()
    return int(row[0]) if row else 0


def _postgres_table_ddl(table: str) -> str:
    columns = ", ".join(
        f'"{column.name}" {sql_type(column.type, "postgres")}' for column in TABLES[table].columns
    )
    return f'create table "{table}" ({columns})'


def load_bare_postgres(params: dict[str, Any]) -> dict[str, Any]:
    """Time ``COPY <t> FROM STDIN (FORMAT csv, HEADER)`` of every CSV file, in 1 MiB chunks."""
    import psycopg

    landing = Path(params["landing"])
    tables = landing_tables(landing)
    chunk_size = 1 << 20
    started = time.perf_counter()
    with psycopg.connect(params["postgres_dsn"]) as conn:
        for table in tables:
            conn.execute(_postgres_table_ddl(table))
            columns = ", ".join(f'"{name}"' for name in TABLES[table].column_names)
            statement = f'copy "{table}" ({columns}) from stdin (format csv, header)'
            for path in table_files(landing, table, "csv"):
                with conn.cursor().copy(statement) as copy, path.open("rb") as handle:
                    while chunk := handle.read(chunk_size):
                        copy.write(chunk)
        conn.commit()
    seconds = time.perf_counter() - started
    with psycopg.connect(params["postgres_dsn"]) as conn:
        rows = {table: _count(conn, f'"{table}"') for table in tables}
    return {"rows": sum(rows.values()), "rows_by_table": rows, "seconds": seconds}


def _to_sql_connectable(params: dict[str, Any]) -> tuple[Any, dict[str, Any], str]:
    """A connectable for ``DataFrame.to_sql``, extra ``to_sql`` arguments and the route taken."""
    import sqlalchemy

    if params["target"] == "postgres":
        url = params["postgres_dsn"].replace("postgresql://", "postgresql+psycopg://", 1)
        return sqlalchemy.create_engine(url), {}, "SQLAlchemy engine postgresql+psycopg, defaults"
    try:
        import duckdb_engine  # noqa: F401
    except ImportError:
        import duckdb

        # duckdb_engine is not installed. Through it, SQLAlchemy 2 would send multi-row
        # INSERT ... VALUES batches of 1000 rows ("insertmanyvalues"); pandas' DBAPI route
        # sends the same batches with method="multi", chunksize=1000 (its default
        # executemany is about 7x slower on DuckDB, so this is the generous baseline).
        route = "DuckDB DBAPI connection, method='multi', chunksize=1000 (no duckdb_engine)"
        multi = {"method": "multi", "chunksize": 1000}
        return duckdb.connect(params["duckdb_path"]), multi, route
    engine = sqlalchemy.create_engine(f"duckdb:///{params['duckdb_path']}")
    return engine, {}, "SQLAlchemy engine duckdb_engine, defaults"


def _close(connectable: Any) -> None:
    if hasattr(connectable, "dispose"):
        connectable.dispose()
    else:
        connectable.close()


def _days_in_slice_order(landing: Path, tables: list[str], seed: int) -> list[str]:
    """Every day name, shuffled (seeded) so a time-boxed slice spans the whole date range."""
    days = sorted({folder.name for table in tables for folder in day_folders(landing, table)})
    random.Random(seed).shuffle(days)
    return days


def load_to_sql(params: dict[str, Any]) -> dict[str, Any]:
    """Time ``pd.read_csv(file).to_sql(table, con, if_exists='append', index=False)`` per file.

    Days are taken in a seeded shuffled order, all tables of a day together; the step stops after
    the first day that ends past ``budget_seconds`` (the rate is then extrapolated by the caller).
    """
    import pandas as pd

    landing = Path(params["landing"])
    budget = float(params["budget_seconds"])
    tables = landing_tables(landing)
    days = _days_in_slice_order(landing, tables, int(params.get("seed", 42)))
    connectable, to_sql_options, route = _to_sql_connectable(params)
    rows = 0
    days_done = 0
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
        for day in days:
            for table in tables:
                for path in sorted((landing / table / day).glob("*.csv")):
                    frame = pd.read_csv(path)
                    frame.to_sql(
                        table, connectable, if_exists="append", index=False, **to_sql_options
                    )
                    rows += len(frame)
            days_done += 1
            if time.perf_counter() - started > budget:
                break
    if hasattr(connectable, "commit"):
        connectable.commit()
    _close(connectable)
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": seconds,
        "days_done": days_done,
        "days_total": len(days),
        "complete": days_done == len(days),
        "route": route,
    }
