"""The binary COPY encoder round-trips every raw column type through PostgreSQL exactly."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import psycopg
import pytest

from ecommerce_pipeline.contract import ColumnType
from ecommerce_pipeline.ingest.pg_binary import copy_stream

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ROWS: list[tuple[Any, ...]] = [
    ("a", 1, Decimal("12.34"), date(2024, 2, 29), datetime(2024, 1, 1, 10, 0, 0, 123456), True),
    ("", -5, Decimal("-0.01"), date(1999, 12, 31), datetime(1969, 7, 20, 20, 17, 40), False),
    (None, None, None, None, None, None),
    ('ünï "q", c\nnl', 2**63 - 1, Decimal("9999999999999999.99"), date(1900, 1, 1),
     datetime(2100, 12, 31, 23, 59, 59, 999999), None),
    ("x", 0, Decimal("0.00"), date(2000, 1, 1), datetime(2000, 1, 1), True),
    ("y", -(2**63), Decimal("-9999999999999999.99"), date(2000, 1, 2),
     datetime(1999, 12, 31, 23, 59, 59, 999999), True),
    ("z", 7, Decimal("100.00"), None, datetime(2000, 1, 1, 0, 0, 0, 1), None),
    (None, 8, Decimal("0.50"), date(2400, 3, 1), None, False),
]  # fmt: skip
TYPES = [
    ColumnType.TEXT,
    ColumnType.INT,
    ColumnType.DECIMAL,
    ColumnType.DATE,
    ColumnType.TIMESTAMP,
    ColumnType.BOOL,
]


def test_binary_copy_round_trips_every_type_in_sliced_batches(pg_dsn: str) -> None:
    engine = duckdb.connect()
    engine.execute(
        "create table t (s varchar, i bigint, d decimal(18,2), dt date, ts timestamp, b boolean)"
    )
    engine.executemany("insert into t values (?, ?, ?, ?, ?, ?)", ROWS)
    table = engine.sql("select * from t order by rowid").to_arrow_table()

    with psycopg.connect(pg_dsn) as conn:
        conn.execute(
            "create table t (s text, i bigint, d decimal(18,2), dt date, ts timestamp, b boolean)"
        )
        with conn.cursor().copy("copy t from stdin (format binary)") as copy:
            for block in copy_stream(iter(table.to_batches(max_chunksize=3)), TYPES):
                copy.write(block)
        loaded = conn.execute("select * from t").fetchall()

    assert sorted(loaded, key=repr) == sorted(ROWS, key=repr)
