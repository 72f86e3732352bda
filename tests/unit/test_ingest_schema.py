"""Raw DDL from the contract, batch planning and the load report's reconciliation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from ecommerce_pipeline.contract import LINEAGE_COLUMNS, TABLES, ColumnType, FileStatus
from ecommerce_pipeline.ingest.files import LandingFile
from ecommerce_pipeline.ingest.inspection import InspectedFile
from ecommerce_pipeline.ingest.loader import plan_batches
from ecommerce_pipeline.ingest.raw_schema import (
    LINEAGE_TYPES,
    add_column_statements,
    create_statements,
    raw_column_names,
)
from ecommerce_pipeline.ingest.report import FileLoadResult, LoadReport
from ecommerce_pipeline.ingest.validate import SourceColumn

pytestmark = pytest.mark.unit


def test_raw_tables_hold_the_contract_columns_then_the_lineage_columns() -> None:
    assert list(LINEAGE_TYPES) == [name for name, _ in LINEAGE_COLUMNS]
    for name, table in TABLES.items():
        assert raw_column_names(name) == [*table.column_names, *LINEAGE_TYPES]


def test_ddl_is_idempotent_and_adds_columns_the_contract_gained() -> None:
    con = duckdb.connect()
    for _ in range(2):
        for statement in create_statements("duckdb"):
            con.execute(statement)
    con.execute('alter table raw."orders" drop column "currency"')
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
    ).fetchall():
        existing.setdefault(table, set()).add(column)

    for statement in add_column_statements("duckdb", existing):
        con.execute(statement)

    types = dict(con.execute("select column_name, data_type from information_schema.columns "
                             "where table_name = 'orders'").fetchall())  # fmt: skip
    assert types["currency"] == "VARCHAR"
    assert types["shipping_cost"] == "DECIMAL(18,2)"
    assert types["_source_line"] == "BIGINT"
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()
    assert {table for (table,) in tables} == {*TABLES, "_load_log", "_quarantine"}
    assert LINEAGE_TYPES["_file_day"] == ColumnType.DATE


def _inspected(name: str, size: int, header: tuple[str, ...] = ("a",)) -> InspectedFile:
    landing_file = LandingFile(
        "orders", Path(name), f"orders/2024-01-01/{name}", date(2024, 1, 1), "csv"
    )
    item = InspectedFile(landing_file, checksum=name, size=size)
    item.source_names = header
    item.columns = tuple(SourceColumn(column, f"c{index}") for index, column in enumerate(header))
    return item


def test_batches_group_files_by_columns_and_respect_the_limits() -> None:
    files = [_inspected(f"f{index}.csv", 10) for index in range(5)]
    other = _inspected("other.csv", 10, header=("a", "b"))
    empty = _inspected("empty.csv", 0)
    empty.empty("empty")

    batches = plan_batches([*files[:2], other, empty, *files[2:]], max_bytes=25, max_files=10)

    names = [[item.file.path.name for item in batch] for batch in batches]
    assert names == [
        ["f0.csv", "f1.csv"],
        ["f2.csv", "f3.csv"],
        ["f4.csv"],
        ["other.csv"],
        ["empty.csv"],
    ]
    assert len(plan_batches(files, max_bytes=10**9, max_files=2)) == 3


def _result(status: FileStatus, read: int, loaded: int, quarantined: int) -> FileLoadResult:
    return FileLoadResult(
        "orders", "f.csv", date(2024, 1, 1), status, read, loaded, quarantined, "", 0.0
    )


def test_report_reconciles_only_when_every_record_is_accounted_for() -> None:
    report = LoadReport(batch_id="b", target="duckdb", files=[
        _result(FileStatus.LOADED, 10, 8, 2),
        _result(FileStatus.EMPTY, 0, 0, 0),
        _result(FileStatus.REJECTED, 5, 0, 0),
    ])  # fmt: skip
    assert report.reconciles
    totals = report.totals
    assert (totals.rows_read, totals.rows_loaded, totals.rows_quarantined) == (15, 8, 2)
    assert (totals.rows_rejected, totals.files_rejected, totals.files_empty) == (5, 1, 1)

    report.files.append(_result(FileStatus.LOADED, 10, 8, 1))
    assert not report.reconciles
