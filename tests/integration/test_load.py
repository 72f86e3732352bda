"""landing -> raw on DuckDB and PostgreSQL: quarantine reasons and lines, reconciliation,
idempotence, rejected / empty / extra-column files, day filters, Parquet.

Fixture files are written by hand here so every line number and reason is known in advance.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.contract import TABLES, Check, ColumnType, FileStatus
from ecommerce_pipeline.ingest import LoadReport, load_landing
from ecommerce_pipeline.warehouse import query

pytestmark = pytest.mark.integration

DAY = "2024-01-01"


def _valid_value(table: str, name: str, index: int) -> str:
    column = TABLES[table].column(name)
    if column.enum:
        return column.enum[0]
    if Check.EMAIL in column.checks:
        return f"user{index}@example.com"
    if Check.COUNTRY_CODE in column.checks:
        return "US"
    return {
        ColumnType.TEXT: f"{name}-{index}",
        ColumnType.INT: "2",
        ColumnType.DECIMAL: "10.50",
        ColumnType.DATE: "2024-01-05",
        ColumnType.TIMESTAMP: "2024-01-01T10:00:00Z",
        ColumnType.BOOL: "true",
    }[column.type]


def line(table: str, index: int, **overrides: str | bytes) -> bytes:
    """One CSV line of ``table`` (valid unless overridden); values are written as given."""
    values = []
    for name in TABLES[table].column_names:
        value = overrides.get(name, _valid_value(table, name, index))
        values.append(value if isinstance(value, bytes) else value.encode())
    return b",".join(values) + b"\n"


def header(table: str, *, drop: tuple[str, ...] = (), add: tuple[str, ...] = ()) -> bytes:
    names = [name for name in TABLES[table].column_names if name not in drop] + list(add)
    return (",".join(names) + "\n").encode()


def write(landing: Path, table: str, day: str, name: str, content: bytes) -> str:
    path = landing / table / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path.relative_to(landing).as_posix()


@dataclass
class Warehouse:
    target: Target
    landing: Path
    duckdb_path: Path
    dsn: str

    @property
    def settings(self) -> Settings:
        return Settings(
            target=self.target,
            landing_dir=self.landing,
            duckdb_path=self.duckdb_path,
            postgres_dsn=self.dsn,
        )

    def load(self, **options: Any) -> LoadReport:
        return load_landing(self.settings, **options)

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return query(self.settings, sql, params)

    def count(self, table: str) -> int:
        return int(self.rows(f"select count(*) from raw.{table}")[0][0])


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, duckdb_path: Path) -> Warehouse:
    dsn = request.getfixturevalue("pg_dsn") if request.param == "postgres" else ""
    landing = tmp_path / "landing"
    landing.mkdir()
    return Warehouse(Target(request.param), landing, duckdb_path, dsn)


def quarantine(warehouse: Warehouse, source_file: str) -> list[tuple[Any, ...]]:
    return warehouse.rows(
        "select line_number, reason, column_name from raw._quarantine "
        "where source_file = %s order by line_number",
        [source_file],
    )


def assert_reconciles(report: LoadReport) -> None:
    assert report.reconciles
    for item in report.files:
        if item.status != FileStatus.REJECTED:
            assert item.rows_read == item.rows_loaded + item.rows_quarantined, item


@pytest.fixture
def dirty_orders(warehouse: Warehouse) -> str:
    """An orders file with one record of every row-level bad kind; line numbers are physical."""
    lines = [
        header("orders"),
        line("orders", 2),  # 2: clean
        line("orders", 3, ship_city=b'"Los\nAngeles"'),  # 3-4: clean, quoted line break
        line("orders", 5).rstrip(b"\n") + b",surplus\n",  # 5: too many fields
        line("orders", 6, shipping_cost="abc"),  # 6
        line("orders", 7, order_id=""),  # 7
        line("orders", 8, order_status=" "),  # 8
        line("orders", 9, order_status="teleported"),  # 9
        line("orders", 10, tax_amount="-1.00"),  # 10
        line("orders", 11, ship_country_code="usa"),  # 11
        line("orders", 12, updated_at="2024-01-02T00:00:00Z"),  # 12: after the business day
        line("orders", 13, ship_city=b'"abc"x'),  # 13: broken quoting
        line("orders", 14, ship_city=b"caf\xe9"),  # 14: latin-1, not UTF-8
        line("orders", 15, order_status="  Delivered "),  # 15: clean (enum case/trim)
        line("orders", 16, ship_city=b"a\x00b"),  # 16: NUL byte
        line("orders", 17, shipping_cost="12.345"),  # 17: 3 decimals
        line("orders", 18, updated_at="2024-01-01T23:59:59Z", delivered_at=""),  # 18: clean
        line("orders", 19, order_ts="2024-01-01T10:00:00+02:00"),  # 19: clean, offset
    ]
    return write(warehouse.landing, "orders", DAY, f"orders_{DAY}.csv", b"".join(lines))


def test_every_bad_kind_is_quarantined_at_its_physical_line(
    warehouse: Warehouse, dirty_orders: str
) -> None:
    items = [
        header("order_items"),
        line("order_items", 2, quantity="0"),
        line("order_items", 3, is_returned="Yes", quantity="3.0"),
        line("order_items", 4, is_returned="maybe"),
        line("order_items", 5, quantity="1.5"),
        line("order_items", 6, is_returned="N", discount_amount=""),
    ]
    items_file = write(warehouse.landing, "order_items", DAY, "items.csv", b"".join(items))
    customers = [
        header("customers"),
        line("customers", 2, email="not-an-email"),
        line("customers", 3, email="", country_code=""),
        line("customers", 4, acquisition_channel="PAID_SEARCH"),
        line("customers", 5, created_at="yesterday"),
    ]
    customers_file = write(warehouse.landing, "customers", DAY, "c.csv", b"".join(customers))

    report = warehouse.load()

    assert_reconciles(report)
    assert quarantine(warehouse, dirty_orders) == [
        (5, "malformed_line", None),
        (6, "wrong_type", "shipping_cost"),
        (7, "missing_key", "order_id"),
        (8, "missing_required", "order_status"),
        (9, "unknown_enum", "order_status"),
        (10, "negative_amount", "tax_amount"),
        (11, "malformed_country_code", "ship_country_code"),
        (12, "future_timestamp", "updated_at"),
        (13, "malformed_line", None),
        (14, "invalid_encoding", None),
        (16, "invalid_encoding", "ship_city"),
        (17, "wrong_type", "shipping_cost"),
    ]
    loaded = warehouse.rows("select _source_line, order_id from raw.orders order by 1")
    assert loaded == [(2, "order_id-2"), (3, "order_id-3"), (15, "order_id-15"),
                      (18, "order_id-18"), (19, "order_id-19")]  # fmt: skip
    assert quarantine(warehouse, items_file) == [
        (2, "non_positive_quantity", "quantity"),
        (4, "wrong_type", "is_returned"),
        (5, "wrong_type", "quantity"),
    ]
    assert warehouse.rows("select _source_line, is_returned, quantity from raw.order_items "
                          "order by 1") == [(3, True, 3), (6, False, 2)]  # fmt: skip
    assert quarantine(warehouse, customers_file) == [
        (2, "malformed_email", "email"),
        (5, "wrong_type", "created_at"),
    ]
    by_file = {item.source_file: item for item in report.files}
    assert (by_file[dirty_orders].rows_read, by_file[dirty_orders].rows_loaded) == (17, 5)
    assert by_file[dirty_orders].rows_quarantined == 12


def test_quarantine_keeps_the_raw_record_and_a_detail_naming_everything(
    warehouse: Warehouse, dirty_orders: str
) -> None:
    warehouse.load()

    rows = warehouse.rows(
        "select line_number, detail, raw_record, file_day from raw._quarantine "
        "where line_number in (6, 14, 12) order by line_number"
    )
    (_, detail6, raw6, day), (_, detail12, _, _), (_, detail14, raw14, _) = rows
    assert day == date(2024, 1, 1)
    assert raw6 == line("orders", 6, shipping_cost="abc").decode().rstrip("\n")
    for part in (dirty_orders, "line 6", "shipping_cost", "'abc'", "at most 2 decimal places"):
        assert part in detail6
    assert "2024-01-01 23:59:59" in detail12
    assert "caf\\xe9" in raw14
    assert "UTF-8" in detail14


def test_clean_rows_are_typed_with_lineage(warehouse: Warehouse, dirty_orders: str) -> None:
    report = warehouse.load()

    row = warehouse.rows(
        "select order_ts, shipping_cost, promised_delivery_date, delivered_at, _extra, "
        "_source_file, _file_day, _batch_id, _loaded_at from raw.orders where _source_line = 19"
    )[0]
    assert row[:7] == (
        datetime(2024, 1, 1, 8, 0),  # +02:00 converted to UTC
        Decimal("10.50"),
        date(2024, 1, 5),
        datetime(2024, 1, 1, 10, 0),
        None,
        dirty_orders,
        date(2024, 1, 1),
    )
    assert row[7] == report.batch_id
    assert isinstance(row[8], datetime)
    city = warehouse.rows("select ship_city from raw.orders where _source_line = 3")
    assert city == [("Los\nAngeles",)]


def test_reload_is_a_no_op_and_a_changed_file_is_a_new_delivery(warehouse: Warehouse) -> None:
    first = write(warehouse.landing, "orders", DAY, "a.csv", header("orders") + line("orders", 2))
    later = line("orders", 2, updated_at="2024-01-02T01:00:00Z")
    second = write(warehouse.landing, "orders", "2024-01-02", "b.csv", header("orders") + later)
    assert [item.source_file for item in warehouse.load().files] == [first, second]

    again = warehouse.load()

    assert again.files == []
    assert again.skipped_files == [first, second]
    assert warehouse.count("orders") == 2
    (warehouse.landing / first).write_bytes(
        header("orders") + line("orders", 2) + line("orders", 3)
    )
    changed = warehouse.load()
    assert [(item.source_file, item.rows_loaded) for item in changed.files] == [(first, 2)]
    assert changed.skipped_files == [second]
    assert warehouse.count("orders") == 4
    log = warehouse.rows(
        "select source_file, rows_loaded from raw._load_log order by started_at, rows_loaded"
    )
    assert sorted(log) == sorted([(first, 1), (second, 1), (first, 2)])


def test_missing_required_column_rejects_the_whole_file(warehouse: Warehouse) -> None:
    bad = write(
        warehouse.landing,
        "orders",
        DAY,
        "no_status.csv",
        header("orders", drop=("order_status",)) + line("orders", 2).replace(b",pending,", b",", 1),
    )
    good = write(warehouse.landing, "orders", DAY, "ok.csv", header("orders") + line("orders", 2))

    report = warehouse.load()

    rejected = next(item for item in report.files if item.source_file == bad)
    assert rejected.status == FileStatus.REJECTED
    assert (rejected.rows_read, rejected.rows_loaded, rejected.rows_quarantined) == (1, 0, 0)
    for part in (bad, "order_status", "Fix"):
        assert part in rejected.message
    assert report.reconciles
    assert warehouse.rows("select _source_file from raw.orders") == [(good,)]
    status = warehouse.rows(
        "select status, message from raw._load_log where source_file = %s", [bad]
    )
    assert status == [("rejected", rejected.message)]


def test_extra_columns_are_kept_in_extra(
    warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    content = (
        header("orders", add=("Promo_Code ", "note"))
        + line("orders", 2).rstrip(b"\n")
        + b",SPRING,\n"
    )
    source = write(warehouse.landing, "orders", DAY, "extra.csv", content)

    with caplog.at_level(logging.WARNING):
        report = warehouse.load()

    assert json.loads(warehouse.rows("select _extra from raw.orders")[0][0]) == {
        "promo_code": "SPRING",
        "note": None,
    }
    assert "promo_code" in report.files[0].message
    assert any("promo_code" in record.getMessage() for record in caplog.records)
    assert report.files[0].status == FileStatus.LOADED and source


def test_header_names_are_normalised_and_optional_columns_may_be_absent(
    warehouse: Warehouse,
) -> None:
    names = [f" {name.upper()} " for name in TABLES["orders"].column_names if name != "currency"]
    values = line("orders", 2, currency="DROP").replace(b",DROP,", b",")
    content = b"\xef\xbb\xbf" + ",".join(names).encode() + b"\r\n" + values.replace(b"\n", b"\r\n")
    write(warehouse.landing, "orders", DAY, "bom.csv", content)

    report = warehouse.load()

    assert report.files[0].rows_loaded == 1
    assert warehouse.rows("select order_id, currency from raw.orders") == [("order_id-2", None)]


def test_since_and_until_select_day_folders(warehouse: Warehouse) -> None:
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        stamp = f"{day}T10:00:00Z"
        write(warehouse.landing, "orders", day, f"orders_{day}.csv",
              header("orders") + line("orders", 2, order_ts=stamp, updated_at=stamp))  # fmt: skip

    middle = warehouse.load(since=date(2024, 1, 2), until=date(2024, 1, 2))
    rest = warehouse.load(since=date(2024, 1, 2))

    assert [item.file_day for item in middle.files] == [date(2024, 1, 2)]
    assert [item.file_day for item in rest.files] == [date(2024, 1, 3)]
    assert rest.skipped_files == ["orders/2024-01-02/orders_2024-01-02.csv"]
    assert warehouse.count("orders") == 2


def test_empty_files_are_logged_and_quarantined_once(warehouse: Warehouse) -> None:
    zero = write(warehouse.landing, "orders", DAY, "zero.csv", b"")
    only_header = write(warehouse.landing, "orders", DAY, "header.csv", header("orders"))
    table = pa.table({name: pa.array([], pa.string()) for name in TABLES["orders"].column_names})
    path = warehouse.landing / "orders" / DAY / "none.parquet"
    pq.write_table(table, path)

    report = warehouse.load()

    assert [item.status for item in report.files] == [FileStatus.EMPTY] * 3
    assert report.reconciles
    records = warehouse.rows(
        "select source_file, line_number, reason from raw._quarantine order by source_file"
    )
    assert records == [
        (only_header, None, "empty_file"),
        ("orders/2024-01-01/none.parquet", None, "empty_file"),
        (zero, None, "empty_file"),
    ]
    assert warehouse.rows("select distinct status from raw._load_log") == [("empty",)]


def test_parquet_files_are_typed_checked_and_numbered_by_row(warehouse: Warehouse) -> None:
    rows = [
        {name: _valid_value("orders", name, index) for name in TABLES["orders"].column_names}
        for index in range(4)
    ]
    rows[1]["order_status"] = "teleported"
    rows[2]["tax_amount"] = "-2.00"
    rows[3]["shipping_cost"] = "abc"
    columns: dict[str, pa.Array] = {}
    for name in TABLES["orders"].column_names:
        values = [row[name] for row in rows]
        column = TABLES["orders"].column(name)
        if column.type == ColumnType.TIMESTAMP:
            stamps = [datetime.fromisoformat(value.replace("Z", "+00:00")) for value in values]
            columns[name] = pa.array(stamps, pa.timestamp("us", tz="UTC"))
        elif name == "tax_amount":
            columns[name] = pa.array([Decimal(value) for value in values], pa.decimal128(18, 2))
        else:  # shipping_cost stays a string column: checked like CSV text
            columns[name] = pa.array(values, pa.string())
    path = warehouse.landing / "orders" / DAY / "orders.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table(columns), path)

    report = warehouse.load()

    assert_reconciles(report)
    assert report.files[0].rows_read == 4
    assert quarantine(warehouse, "orders/2024-01-01/orders.parquet") == [
        (2, "unknown_enum", "order_status"),
        (3, "negative_amount", "tax_amount"),
        (4, "wrong_type", "shipping_cost"),
    ]
    raw = warehouse.rows("select raw_record from raw._quarantine where line_number = 2")[0][0]
    assert json.loads(raw)["order_status"] == "teleported"
    loaded = warehouse.rows("select _source_line, order_ts, shipping_cost from raw.orders")
    assert loaded == [(1, datetime(2024, 1, 1, 10, 0), Decimal("10.50"))]


def test_crlf_blank_lines_and_quoted_breaks_keep_physical_lines(warehouse: Warehouse) -> None:
    body = (
        (
            header("orders")
            + line("orders", 2, ship_city=b'"two\r\nlines"')  # 2-3
            + b"\n"  # 4: blank, not a record
            + line("orders", 5, ship_city=b'"say ""hi"""')  # 5
            + line("orders", 6, ship_city=b'x"y')  # 6: a literal quote inside an unquoted field
            + line("orders", 7, ship_city=b'"a\nb"', tax_amount="-1")  # 7-8: bad
            + line("orders", 9)  # 9
        )
        .replace(b"\n", b"\r\n")
        .replace(b"\r\r\n", b"\r\n")
    )
    source = write(warehouse.landing, "orders", DAY, "crlf.csv", body)

    report = warehouse.load()

    assert_reconciles(report)
    assert report.files[0].rows_read == 5
    assert quarantine(warehouse, source) == [(7, "negative_amount", "tax_amount")]
    loaded = warehouse.rows("select _source_line, ship_city from raw.orders order by 1")
    assert loaded == [(2, "two\r\nlines"), (5, 'say "hi"'), (6, 'x"y'), (9, "ship_city-9")]


def test_files_are_processed_in_contract_table_day_and_name_order(warehouse: Warehouse) -> None:
    created = [
        write(warehouse.landing, "order_items", DAY, "a.csv", header("order_items")
              + line("order_items", 2)),
        write(warehouse.landing, "orders", "2024-01-02", "a.csv", header("orders")
              + line("orders", 2, updated_at="2024-01-02T00:00:00Z")),
        write(warehouse.landing, "orders", DAY, "b.csv", header("orders") + line("orders", 2)),
        write(warehouse.landing, "orders", DAY, "a.csv", header("orders") + line("orders", 2)),
        write(warehouse.landing, "customers", DAY, "z.csv", header("customers")
              + line("customers", 2)),
    ]  # fmt: skip
    write(warehouse.landing, "_manifest", DAY, "x.csv", b"ignored")
    write(warehouse.landing, "orders", DAY, "_partial.csv", b"ignored")
    write(warehouse.landing, "refunds", DAY, "r.csv", b"id\n1\n")

    report = warehouse.load()

    assert [item.source_file for item in report.files] == [
        created[4],
        created[3],
        created[2],
        created[1],
        created[0],
    ]
    assert any("refunds" in warning for warning in report.warnings)
    assert report.totals.rows_loaded == 5


def test_a_file_duckdb_cannot_parse_is_rejected_and_the_run_goes_on(warehouse: Warehouse) -> None:
    broken = write(warehouse.landing, "orders", DAY, "broken.parquet", b"PAR1 not parquet")
    first = write(warehouse.landing, "orders", DAY, "a.csv", header("orders") + line("orders", 2))
    # A lone carriage return in an LF file stops DuckDB's CSV state machine for the whole scan.
    lone_cr = write(warehouse.landing, "orders", DAY, "b.csv",
                    header("orders") + line("orders", 2, ship_city=b"a\rb"))  # fmt: skip
    last = write(warehouse.landing, "orders", DAY, "c.csv", header("orders") + line("orders", 3))

    report = warehouse.load()

    statuses = {item.source_file: item.status for item in report.files}
    assert statuses == {
        broken: FileStatus.REJECTED,
        first: FileStatus.LOADED,
        lone_cr: FileStatus.REJECTED,
        last: FileStatus.LOADED,
    }
    messages = {item.source_file: item.message for item in report.files}
    assert "Parquet" in messages[broken]
    assert "DuckDB cannot read" in messages[lone_cr] and lone_cr in messages[lone_cr]
    assert warehouse.rows("select _source_file from raw.orders order by 1") == [(first,), (last,)]


@pytest.fixture
def olist_like_reviews(shared_datasets: Path) -> Iterator[bytes]:
    """Review comments of the real Olist export: quoted fields with line breaks."""
    path = shared_datasets / "olist-sample" / "olist_order_reviews_dataset.csv"
    yield path.read_bytes()


def test_real_export_with_quoted_line_breaks_maps_records_to_physical_lines(
    warehouse: Warehouse, olist_like_reviews: bytes
) -> None:
    """Olist review comments hold line breaks; they become return_reason of order_items here."""
    import csv
    import io

    reader = csv.reader(io.StringIO(olist_like_reviews.decode()))
    next(reader)
    body, expected, physical = [header("order_items")], [], 2
    for index, record in enumerate(reader):
        if index == 300:
            break
        comment = record[4].replace('"', '""')
        body.append(line("order_items", index, return_reason=f'"{comment}"'.encode(),
                         quantity="0" if index % 50 == 7 else "1"))  # fmt: skip
        if index % 50 == 7:
            expected.append((physical, "non_positive_quantity", "quantity"))
        physical += 1 + comment.count("\n")
    source = write(warehouse.landing, "order_items", DAY, "reviews.csv", b"".join(body))

    report = warehouse.load()

    assert_reconciles(report)
    assert quarantine(warehouse, source) == expected
    assert physical > 302, "the sample should hold comments with line breaks"
    reasons = warehouse.rows("select return_reason from raw.order_items")
    assert any(reason and "\n" in reason for (reason,) in reasons)


@pytest.mark.postgres
def test_postgres_raw_tables_get_brin_indexes_the_change_filters_use(
    pg_dsn: str, tmp_path: Path
) -> None:
    warehouse = Warehouse(Target.POSTGRES, tmp_path, tmp_path / "unused.duckdb", pg_dsn)
    for day in ("2024-01-01", "2024-01-02"):
        stamp = f"{day}T10:00:00Z"
        write(warehouse.landing, "orders", day, f"orders_{day}.csv",
              header("orders") + line("orders", 2, order_ts=stamp, updated_at=stamp))  # fmt: skip
    warehouse.load()
    warehouse.load()  # the DDL (indexes included) is idempotent

    indexes = warehouse.rows(
        "select tablename, indexdef from pg_indexes where schemaname = 'raw' "
        "and indexname like %s order by tablename",
        ["%_changes"],
    )
    versioned = sorted(name for name, table in TABLES.items() if "updated_at" in table.column_names)
    assert [table for table, _ in indexes] == versioned
    assert all("USING brin (updated_at, _loaded_at)" in definition for _, definition in indexes)
    # The incremental models' change filter can use it (on two rows the planner would rather
    # scan the table, so sequential scans are ruled out for the check).
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute("set enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in connection.execute(
                "explain select order_id from raw.orders "
                "where updated_at >= '2024-01-02' or _loaded_at > '2024-01-02'"
            ).fetchall()
        )
    assert "Bitmap Index Scan on orders_changes" in plan, plan
