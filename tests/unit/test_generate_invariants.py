"""Generator invariants on a small clean CSV run, checked by reading the files back with DuckDB.

Layout and format (contract headers, ISO timestamps, 2-decimal money, id formats), time
consistency (signup before orders, status vs shipped/delivered/cancelled/returned, every row in
its own day's folder, nothing after the last day), identity (unique emails), the SCD2 price
rule (line price = list price of the product version valid at order_ts) and the stock ledger.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ecommerce_pipeline.contract import CORE_TABLES, TABLES, ColumnType
from ecommerce_pipeline.generate import GeneratorConfig, generate

pytestmark = pytest.mark.unit

START = date(2024, 1, 1)
DAYS = 120
DUCKDB_TYPES = {
    ColumnType.TEXT: "VARCHAR",
    ColumnType.INT: "BIGINT",
    ColumnType.DECIMAL: "DECIMAL(18,2)",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMPTZ",
    ColumnType.BOOL: "BOOLEAN",
}
KEYS = {"customers": "customer_id", "products": "product_id", "orders": "order_id"}
KEYS["order_items"] = "order_item_id"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(GeneratorConfig(out=out, scale=0.03, start=START, days=DAYS, seed=7))
    return out


@pytest.fixture(scope="module")
def con(landing: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Views ``<table>_all`` (every version, typed, with its file) and ``<table>`` (latest)."""
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for name in CORE_TABLES:
        table = TABLES[name]
        types = ", ".join(f"'{c.name}': '{DUCKDB_TYPES[c.type]}'" for c in table.columns)
        connection.execute(
            f"create table {name}_all as select * from read_csv('{landing}/{name}/*/*.csv',"
            f" header = true, auto_detect = false, columns = {{{types}}}, filename = true)"
        )
        connection.execute(
            f"create view {name} as select * from {name}_all qualify row_number() over"
            f" (partition by {KEYS[name]} order by updated_at desc) = 1"
        )
    yield connection
    connection.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_layout_file_names_and_headers(landing: Path) -> None:
    days = {(START + timedelta(days=offset)).isoformat() for offset in range(DAYS)}
    for name in CORE_TABLES:
        files = sorted((landing / name).glob("*/*"))
        assert files, name
        for path in files:
            assert path.parent.name in days
            assert path.name == f"{name}_{path.parent.name}.csv"
            with path.open("rb") as handle:
                header = handle.readline()
            assert header == (",".join(TABLES[name].column_names) + "\n").encode()
    assert (landing / "_manifest" / "generation.json").is_file()
    assert not (landing / "_manifest" / "dirty_manifest.csv").exists()


def test_every_row_is_in_the_folder_of_its_updated_at_day(con: duckdb.DuckDBPyConnection) -> None:
    for name in CORE_TABLES:
        misplaced = scalar(
            con,
            f"select count(*) from {name}_all where strftime(updated_at, '%Y-%m-%d')"
            f" <> regexp_extract(filename, '(\\d{{4}}-\\d{{2}}-\\d{{2}})/[^/]*$', 1)",
        )
        assert misplaced == 0, name
        last = scalar(con, f"select max(updated_at)::date from {name}_all")
        assert last <= START + timedelta(days=DAYS - 1)


def test_text_formats(landing: Path) -> None:
    patterns = {
        ColumnType.TIMESTAMP: r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z",
        ColumnType.DATE: r"\d{4}-\d{2}-\d{2}",
        ColumnType.DECIMAL: r"-?\d+\.\d{2}",
        ColumnType.BOOL: r"true|false",
        ColumnType.INT: r"-?\d+",
    }
    ids = {
        "customer_id": r"C\d{8}",
        "product_id": r"P\d{7}",
        "order_id": r"O\d{10}",
        "order_item_id": r"O\d{10}-\d{2}",
    }
    for name in CORE_TABLES:
        table = TABLES[name]
        sample = sorted((landing / name).glob("*/*.csv"))[::7]
        for path in sample:
            lines = path.read_text(encoding="utf-8").splitlines()[1:]
            for line in lines:
                fields = line.split(",")
                assert len(fields) == len(table.columns), line
                for column, value in zip(table.columns, fields, strict=True):
                    if value and column.type in patterns:
                        assert re.fullmatch(patterns[column.type], value), (column.name, value)
                    if column.name in ids:
                        assert re.fullmatch(ids[column.name], value), (column.name, value)
            if name == "order_items":
                for line in lines:
                    item, order = line.split(",")[:2]
                    assert item.startswith(order + "-")


def test_every_order_is_after_its_customers_signup(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "select count(*) from orders") > 1_000
    assert (
        scalar(
            con,
            "select count(*) from orders"
            " where customer_id not in (select customer_id from customers)",
        )
        == 0
    )
    early = scalar(
        con,
        "select count(*) from orders_all o join customers c using (customer_id)"
        " where o.order_ts <= c.created_at",
    )
    assert early == 0
    # Some customers exist before the first day; the rest sign up during the period.
    before, during = con.execute(
        f"select count(*) filter (created_at < '{START}'),"
        f" count(*) filter (created_at >= '{START}')"
        " from customers"
    ).fetchone()  # type: ignore[misc]
    assert 0 < before < during


def test_order_status_and_timestamps_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    violations = {
        "shipped before placed": "shipped_at < order_ts",
        "delivered before shipped": "delivered_at < shipped_at",
        "delivered but not shipped": "delivered_at is not null and shipped_at is null",
        "cancelled but shipped": "order_status = 'cancelled' and shipped_at is not null",
        "open with timestamps": "order_status in ('pending', 'processing')"
        " and (shipped_at is not null or delivered_at is not null)",
        "shipped status without shipped_at": "order_status = 'shipped'"
        " and (shipped_at is null or delivered_at is not null)",
        "delivered status without delivered_at": "order_status in ('delivered', 'returned')"
        " and delivered_at is null",
        "updated before a change": "updated_at < greatest(order_ts, coalesce(shipped_at, order_ts),"
        " coalesce(delivered_at, order_ts))",
    }
    for label, condition in violations.items():
        assert scalar(con, f"select count(*) from orders_all where {condition}") == 0, label
    statuses = {
        row[0] for row in con.execute("select distinct order_status from orders").fetchall()
    }
    assert {"delivered", "cancelled", "returned"} <= statuses
    assert statuses & {"pending", "processing", "shipped"}, "open orders at the end of the period"
    # An order appears again on later days as it changes.
    versions = scalar(con, "select count(*) / count(distinct order_id) from orders_all")
    assert 2.0 <= versions <= 4.5


def test_returns_are_consistent_with_delivery(con: duckdb.DuckDBPyConnection) -> None:
    bad_returns = scalar(
        con,
        "select count(*) from order_items_all i join orders o using (order_id)"
        " where i.is_returned and (o.order_status not in ('delivered', 'returned')"
        " or o.delivered_at is null or i.returned_at < o.delivered_at"
        " or i.returned_at <> i.updated_at or i.return_reason is null)",
    )
    assert bad_returns == 0
    kept_fields = scalar(
        con,
        "select count(*) from order_items_all where not is_returned"
        " and (returned_at is not null or return_reason is not null)",
    )
    assert kept_fields == 0
    # A returned line appears twice: placed (not returned) then returned, same key.
    assert scalar(
        con,
        "select count(*) from order_items_all r join order_items_all p using (order_item_id)"
        " where r.is_returned and not p.is_returned and p.updated_at < r.updated_at",
    ) == scalar(con, "select count(*) from order_items_all where is_returned")
    fully, partly = con.execute(
        "select count(*) filter (returned = lines),"
        " count(*) filter (returned between 1 and lines - 1)"
        " from (select order_id, count(*) lines, count(*) filter (is_returned) returned"
        " from order_items group by 1)"
    ).fetchone()  # type: ignore[misc]
    assert fully > 0 and partly > 0
    status_of_full = con.execute(
        "select distinct o.order_status from orders o join (select order_id from order_items"
        " group by 1 having bool_and(is_returned)) r using (order_id)"
    ).fetchall()
    assert status_of_full == [("returned",)]
    status_of_partial = con.execute(
        "select distinct o.order_status from orders o join (select order_id from order_items"
        " group by 1 having bool_or(is_returned) and not bool_and(is_returned)) r using (order_id)"
    ).fetchall()
    assert status_of_partial == [("delivered",)]


def test_emails_are_unique_per_customer(con: duckdb.DuckDBPyConnection) -> None:
    shared = scalar(
        con,
        "select count(*) from (select email from customers_all group by 1"
        " having count(distinct customer_id) > 1)",
    )
    assert shared == 0
    assert scalar(con, "select count(*) from customers_all where email is null") == 0


def test_customers_change_over_time(con: duckdb.DuckDBPyConnection) -> None:
    changed = scalar(
        con,
        "select avg((versions > 1)::int) from (select customer_id, count(*) versions"
        " from customers_all group by 1)",
    )
    assert 0.15 <= changed <= 0.5
    for column in ("city", "loyalty_tier", "email", "phone"):
        changes = scalar(
            con,
            f"select count(*) from (select customer_id, {column}, lag({column}) over"
            f" (partition by customer_id order by updated_at) previous from customers_all)"
            f" where previous is distinct from {column} and previous is not null",
        )
        assert changes > 0, column


def test_line_price_is_the_list_price_valid_at_order_time(con: duckdb.DuckDBPyConnection) -> None:
    checked, mismatched = con.execute(
        "select count(*), count(*) filter (p.unit_price <> i.unit_price) from"
        " (select i.*, o.order_ts from order_items i join orders o using (order_id)) i"
        " asof join products_all p on p.product_id = i.product_id and i.order_ts >= p.updated_at"
    ).fetchone()  # type: ignore[misc]
    assert checked == scalar(con, "select count(*) from order_items")
    assert mismatched == 0
    price_changes = scalar(
        con,
        "select count(*) from (select unit_price, lag(unit_price) over (partition by product_id"
        " order by updated_at) previous from products_all) where previous <> unit_price",
    )
    assert price_changes > 0
    inactive = scalar(con, "select count(*) from products where not is_active")
    assert inactive > 0
    sold_inactive = scalar(
        con,
        "select count(*) from order_items i join orders o using (order_id) asof join products_all p"
        " on p.product_id = i.product_id and o.order_ts >= p.updated_at where not p.is_active",
    )
    assert sold_inactive == 0


def test_money_columns(con: duckdb.DuckDBPyConnection) -> None:
    bad = scalar(
        con,
        "select count(*) from order_items_all where quantity < 1 or unit_price <= 0"
        " or discount_amount < 0 or discount_amount > quantity * unit_price",
    )
    assert bad == 0
    assert (
        scalar(con, "select count(*) from orders_all where shipping_cost < 0 or tax_amount < 0")
        == 0
    )
    assert scalar(con, "select count(distinct currency) from orders_all") == 1
    margins = scalar(con, "select count(*) from products_all where unit_cost >= unit_price")
    assert margins == 0


def test_stock_ledger_matches_sales(con: duckdb.DuckDBPyConnection) -> None:
    """Between two versions of a product the stock falls by the units sold (lines of orders not
    cancelled, placed in between), unless the later version is a restock (20:00-23:00 UTC)."""
    con.execute(
        "create temp table sales as select i.product_id, o.order_ts, i.quantity from order_items i"
        " join orders o using (order_id) where o.order_status <> 'cancelled'"
    )
    rows = con.execute(
        "with versions as (select product_id, updated_at, stock_quantity, lag(updated_at) over w"
        " previous_at, lag(stock_quantity) over w previous_stock from products_all"
        " window w as (partition by product_id order by updated_at)),"
        " pairs as (select v.*, coalesce((select sum(quantity) from sales s where s.product_id ="
        " v.product_id and s.order_ts >= v.previous_at and s.order_ts < v.updated_at), 0) sold"
        " from versions v where previous_at is not null)"
        " select count(*), count(*) filter (stock_quantity = previous_stock - sold),"
        " count(*) filter (stock_quantity > previous_stock - sold"
        " and hour(updated_at) between 20 and 22),"
        " count(*) filter (stock_quantity = 0 and previous_stock - sold < 0)"
        " from pairs"
    ).fetchone()
    assert rows is not None
    pairs, consumed, restocked, stock_out = rows
    assert restocked > 0 and consumed > pairs / 2
    assert consumed + restocked + stock_out == pairs
    snapshots = scalar(
        con,
        "select count(distinct updated_at) from products_all"
        " where strftime(updated_at, '%H:%M:%S') = '23:59:59'",
    )
    days = [START + timedelta(days=offset) for offset in range(DAYS)]
    month_ends = sum(1 for day in days if (day + timedelta(days=1)).day == 1)
    assert snapshots == month_ends == 3  # 31 January, 29 February, 31 March
