"""Warehouse connections: DuckDB file and PostgreSQL, UTC sessions, read-only query helper."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import psycopg
import pytest

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.warehouse import (
    WarehouseError,
    connect_duckdb,
    connect_postgres,
    ensure_postgres_database,
    query,
)

pytestmark = pytest.mark.integration

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def test_connect_duckdb_creates_the_folder_and_runs_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "w.duckdb"

    with connect_duckdb(path) as con:
        zone = con.execute("select current_setting('TimeZone')").fetchall()
        cast = con.execute(
            "select cast('2024-01-01T10:00:00+02:00' as timestamptz) at time zone 'UTC'"
        ).fetchall()
        con.execute("create table t as select 1 as x")

    assert path.is_file()
    assert zone == [("UTC",)]
    assert cast == [(datetime(2024, 1, 1, 8, 0),)]
    with connect_duckdb(path, read_only=True) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]


def test_read_only_duckdb_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="does not exist"):
        connect_duckdb(tmp_path / "missing.duckdb", read_only=True)


@pytest.mark.postgres
def test_ensure_postgres_database_creates_a_missing_database(pg_dsn: str) -> None:
    name = pg_dsn.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'drop database "{name}" with (force)')

    ensure_postgres_database(pg_dsn)
    ensure_postgres_database(pg_dsn)  # idempotent

    with connect_postgres(pg_dsn) as conn:
        assert conn.execute("show timezone").fetchall() == [("UTC",)]


@pytest.mark.postgres
def test_unreachable_postgres_is_a_clear_error() -> None:
    with pytest.raises(WarehouseError, match="cannot reach PostgreSQL"):
        ensure_postgres_database("postgresql://postgres@127.0.0.1:1/nowhere")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, duckdb_path: Path) -> Settings:
    if request.param == "duckdb":
        with connect_duckdb(duckdb_path) as con:
            con.execute("create table t as select * from (values (1, 'a%'), (2, 'b')) v(x, y)")
        return Settings(target=Target.DUCKDB, duckdb_path=duckdb_path)
    dsn = request.getfixturevalue("pg_dsn")
    with connect_postgres(dsn) as conn:
        conn.execute("create table t as select * from (values (1, 'a%'), (2, 'b')) v(x, y)")
    return Settings(target=Target.POSTGRES, postgres_dsn=dsn)


def test_query_returns_rows_with_the_same_placeholders_on_both_targets(settings: Settings) -> None:
    assert query(settings, "select x, y from t order by x") == [(1, "a%"), (2, "b")]
    assert query(settings, "select x from t where y like %s", ["a%"]) == [(1,)]
    assert query(settings, "select x from t where y like 'a%%' and x > %s", [0]) == [(1,)]


def test_query_is_read_only(settings: Settings) -> None:
    with pytest.raises((duckdb.Error, psycopg.Error)) as raised:
        query(settings, "create table u as select 1 as x")
    assert "read" in str(raised.value).lower()
