"""The query layer's DuckDB result cache: hits while the file is unchanged, never stale after a
write, and a session opens no connection when every read is cached (DuckDB file in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.serving import Marts

pytestmark = pytest.mark.unit

STATEMENT = "select count(*) as orders from marts.sales_summary where period_grain = %s"


def _warehouse(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.sales_summary (period_grain varchar)")
        con.execute(f"insert into marts.sales_summary select 'day' from range({rows})")


def test_cached_results_follow_every_write(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    _warehouse(path, 3)
    marts = Marts(Settings(duckdb_path=path))
    assert marts.cache is not None
    assert marts.rows(STATEMENT, ["day"]) == [{"orders": 3}]
    assert marts.rows(STATEMENT, ["day"]) == [{"orders": 3}]
    assert (marts.cache.hits, marts.cache.misses) == (1, 1)
    marts.rows(STATEMENT, ["day"])[0]["orders"] = 99  # callers may mutate their copy
    _warehouse(path, 5)
    assert marts.rows(STATEMENT, ["day"]) == [{"orders": 5}]


def test_a_session_served_from_the_cache_opens_no_connection(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    _warehouse(path, 2)
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


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    _warehouse(path, 1)
    assert Marts(Settings(duckdb_path=path, serving_cache_entries=0)).cache is None
