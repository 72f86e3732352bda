"""Connections to the warehouses (DuckDB file or PostgreSQL) and a read-only query helper.

Every connection runs in UTC: raw timestamps are UTC without a zone, and DuckDB's string to
timestamp casts read zone-less strings in the session time zone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ecommerce_pipeline.config import Settings, Target

logger = logging.getLogger(__name__)

#: Database a DSN falls back to when it names none (as libpq does: the user name).
MAINTENANCE_DATABASE = "postgres"


class WarehouseError(Exception):
    """A warehouse cannot be reached or prepared; the message names the warehouse and the fix."""


def connect_duckdb(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) the DuckDB warehouse file at ``path``, with the session time zone UTC.

    The parent folder is created when writing. A read-only open of a missing file is an error.
    """
    if read_only and not path.is_file():
        raise WarehouseError(
            f"DuckDB warehouse {path} does not exist: run `ecom load` first or fix --duckdb-path"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise WarehouseError(
            f"cannot open DuckDB warehouse {path}: {exc}. Another process may hold it open for "
            "writing; wait for it to finish."
        ) from exc
    con.execute("set TimeZone = 'UTC'")
    return con


def connect_memory_duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB (UTC), used as the parsing and validation engine for PostgreSQL."""
    con = duckdb.connect(":memory:")
    con.execute("set TimeZone = 'UTC'")
    return con


def _database_name(dsn: str) -> str:
    params = conninfo_to_dict(dsn)
    name = params.get("dbname") or params.get("user")
    if not name:
        raise WarehouseError(f"the PostgreSQL DSN {redact_dsn(dsn)} names no database: add one")
    return str(name)


def redact_dsn(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparsable DSN>"
    params.pop("password", None)
    return make_conninfo(**{key: str(value) for key, value in params.items()})


def ensure_postgres_database(dsn: str) -> None:
    """Create the database named in ``dsn`` when it does not exist (connects to ``postgres``)."""
    name = _database_name(dsn)
    admin_dsn = make_conninfo(dsn, dbname=MAINTENANCE_DATABASE)
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (name,)
            ).fetchone()
            if exists is None:
                logger.info("creating PostgreSQL database %s", name)
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg.errors.DuplicateDatabase:
        return  # created concurrently by another process: fine
    except psycopg.OperationalError as exc:
        raise WarehouseError(
            f"cannot reach PostgreSQL at {redact_dsn(admin_dsn)}: {exc}. Start the server or fix "
            "--postgres-dsn / ECOM_POSTGRES_DSN."
        ) from exc


def connect_postgres(dsn: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """Connect to the PostgreSQL warehouse with the session time zone UTC."""
    try:
        return psycopg.connect(
            dsn, autocommit=autocommit, connect_timeout=10, options="-c TimeZone=UTC"
        )
    except psycopg.OperationalError as exc:
        raise WarehouseError(
            f"cannot connect to PostgreSQL {redact_dsn(dsn)}: {exc}. Check that the server runs "
            "and the database exists (`ecom load` creates it)."
        ) from exc


def _duckdb_placeholders(statement: str) -> str:
    """psycopg-style ``%s`` placeholders (``%%`` = a literal %) in DuckDB's ``?`` style."""
    return statement.replace("%%", "\0").replace("%s", "?").replace("\0", "%")


def query(
    settings: Settings, statement: str, params: Sequence[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run one read-only query on the settings' target and return all rows.

    Placeholders are psycopg style (``%s``; ``%%`` for a literal % when ``params`` are given) on
    both targets. A new read-only connection is opened per call.
    """
    if settings.target == Target.DUCKDB:
        text = _duckdb_placeholders(statement) if params is not None else statement
        with connect_duckdb(settings.duckdb_path, read_only=True) as con:
            return con.execute(text, list(params) if params is not None else None).fetchall()
    with connect_postgres(settings.postgres_dsn) as conn:
        conn.read_only = True
        return conn.execute(statement, params).fetchall()
