"""The query layer's result cache on both warehouses: hits while the warehouse is unchanged,
never stale after a write (DuckDB: the file's version; PostgreSQL: the reading snapshot), and a
DuckDB session opens no connection when every read is cached."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg
import pytest

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.serving import Marts

pytestmark = pytest.mark.integration

STATEMENT = "select count(*) as orders from marts.sales_summary where period_grain = %s"
CREATE = [
    "create schema if not exists marts",
    "drop table if exists marts.sales_summary",
    "create table marts.sales_summary (period_grain varchar(8))",
]


def _duckdb_warehouse(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        for statement in CREATE:
            con.execute(statement)
        con.execute(f"insert into marts.sales_summary select 'day' from range({rows})")


def _postgres_warehouse(dsn: str, rows: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in CREATE:
            conn.execute(statement)
        conn.execute(
            f"insert into marts.sales_summary select 'day' from generate_series(1, {rows})"
        )


@pytest.fixture(params=[Target.DUCKDB, Target.POSTGRES], ids=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """(settings, write(rows)): a warehouse holding ``rows`` day rows after each write."""
    if request.param == Target.DUCKDB:
        path = tmp_path / "wh.duckdb"
        return Settings(duckdb_path=path), lambda rows: _duckdb_warehouse(path, rows)
    dsn = request.getfixturevalue("pg_dsn")
    settings = Settings(target=Target.POSTGRES, postgres_dsn=dsn)
    return settings, lambda rows: _postgres_warehouse(dsn, rows)


def test_cached_results_follow_every_write(warehouse) -> None:  # type: ignore[no-untyped-def]
    settings, write = warehouse
    write(3)
    marts = Marts(settings)
    try:
        assert marts.cache is not None
        assert marts.rows(STATEMENT, ["day"]) == [{"orders": 3}]
        assert marts.rows(STATEMENT, ["day"]) == [{"orders": 3}]
        assert (marts.cache.hits, marts.cache.misses) == (1, 1)
        marts.rows(STATEMENT, ["day"])[0]["orders"] = 99  # callers may mutate their copy
        assert marts.rows(STATEMENT, ["day"]) == [{"orders": 3}]
        write(5)
        assert marts.rows(STATEMENT, ["day"]) == [{"orders": 5}]
        write(5)  # the same content rewritten is a new version: read again, not stale
        misses = marts.cache.misses
        assert marts.rows(STATEMENT, ["day"]) == [{"orders": 5}]
        assert marts.cache.misses == misses + 1
    finally:
        marts.close()


@pytest.mark.postgres
def test_postgres_cache_sees_a_commit_from_another_session(pg_dsn: str) -> None:
    _postgres_warehouse(pg_dsn, 2)
    marts = Marts(Settings(target=Target.POSTGRES, postgres_dsn=pg_dsn))
    try:
        assert marts.rows(STATEMENT, ["day"]) == [{"orders": 2}]
        with psycopg.connect(pg_dsn) as conn:  # a plain insert, no DDL, in its own transaction
            conn.execute("insert into marts.sales_summary values ('day')")
            assert marts.rows(STATEMENT, ["day"]) == [{"orders": 2}]  # not committed yet
        assert marts.rows(STATEMENT, ["day"]) == [{"orders": 3}]
    finally:
        marts.close()


def test_a_duckdb_session_served_from_the_cache_opens_no_connection(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    _duckdb_warehouse(path, 2)
    marts = Marts(Settings(duckdb_path=path))
    marts.rows(STATEMENT, ["day"])
    with marts.session() as session:
        assert session.rows(STATEMENT, ["day"]) == [{"orders": 2}]
        assert session._reader._con is None  # type: ignore[union-attr]
        assert session.rows(STATEMENT, ["month"]) == [{"orders": 0}]
        assert session._reader._con is not None  # type: ignore[union-attr]
    assert session._reader._con is None  # type: ignore[union-attr]
    # Closed at the end of the session: a writer can take the file.
    with duckdb.connect(str(path)) as con:
        con.execute("insert into marts.sales_summary values ('day')")


def test_the_cache_can_be_turned_off(warehouse) -> None:  # type: ignore[no-untyped-def]
    settings, write = warehouse
    write(1)
    marts = Marts(settings.model_copy(update={"serving_cache_entries": 0}))
    try:
        assert marts.cache is None
        assert marts.rows(STATEMENT, ["day"]) == [{"orders": 1}]
    finally:
        marts.close()
