"""Validation SQL built from the contract: reason priority, typed parsing, rules per column."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from ecommerce_pipeline.contract import (
    FALSE_VALUES,
    TABLES,
    TRUE_VALUES,
    Column,
    ColumnType,
    QuarantineReason,
)
from ecommerce_pipeline.ingest.validate import (
    REASON_PRIORITY,
    TIMESTAMPTZ,
    SourceColumn,
    build_plan,
    column_plan,
)

pytestmark = pytest.mark.unit


def _sources(table: str, family: str = "varchar") -> list[SourceColumn]:
    return [
        SourceColumn(name, f"c{index}", family)
        for index, name in enumerate(TABLES[table].column_names)
    ]


def test_rules_follow_the_reason_declaration_order_then_column_order() -> None:
    plan = build_plan(TABLES["orders"], _sources("orders"), check_nul=True)

    priorities = [REASON_PRIORITY[rule.reason] for rule in plan.rules]
    assert priorities == sorted(priorities)
    assert list(REASON_PRIORITY) == list(QuarantineReason)
    wrong_type = [rule.column for rule in plan.rules if rule.reason == "wrong_type"]
    assert wrong_type == [
        "order_ts",
        "shipping_cost",
        "tax_amount",
        "promised_delivery_date",
        "shipped_at",
        "delivered_at",
        "updated_at",
    ]
    keys = [rule.column for rule in plan.rules if rule.reason == "missing_key"]
    assert keys == ["order_id", "customer_id"]
    assert plan.rules[0].reason == QuarantineReason.INVALID_ENCODING


def test_optional_keys_are_not_required_and_absent_columns_have_no_rules() -> None:
    events = build_plan(TABLES["web_events"], _sources("web_events"))
    missing_keys = {rule.column for rule in events.rules if rule.reason == "missing_key"}
    assert missing_keys == {"event_id", "session_id"}  # customer_id / product_id may be empty

    sources = [source for source in _sources("orders") if source.name != "ship_country_code"]
    orders = build_plan(TABLES["orders"], [*sources, SourceColumn("promo", "c99")])
    assert all(rule.column != "ship_country_code" for rule in orders.rules)
    assert [source.name for source in orders.extra_columns] == ["promo"]


def _typed(column: Column, value: str | None, family: str = "varchar") -> Any:
    plan = column_plan(column, SourceColumn(column.name, "c0", family))
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    source = "?" if family == "varchar" else "cast(? as timestamptz)"
    return con.execute(
        f"select {plan.typed_expr} from (select {source} as c0) as s", [value]
    ).fetchall()[0][0]


INT = Column("n", ColumnType.INT, "")
MONEY = Column("m", ColumnType.DECIMAL, "")
FLAG = Column("b", ColumnType.BOOL, "")
STAMP = Column("t", ColumnType.TIMESTAMP, "")
DAY = Column("d", ColumnType.DATE, "")


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (INT, " 7 ", 7),
        (INT, "3.0", 3),
        (INT, "-2", -2),
        (INT, "1.5", None),
        (INT, "1e3", None),
        (INT, "0x10", None),
        (INT, "1_000", None),
        (MONEY, "12.30", Decimal("12.30")),
        (MONEY, "12.300", Decimal("12.30")),
        (MONEY, ".5", Decimal("0.50")),
        (MONEY, "-0.01", Decimal("-0.01")),
        (MONEY, "12.345", None),
        (MONEY, "1,50", None),
        (MONEY, "99999999999999999.00", None),
        (DAY, "2024-02-29", date(2024, 2, 29)),
        (DAY, "2023-02-29", None),
        (STAMP, "2024-01-31T13:45:00Z", datetime(2024, 1, 31, 13, 45)),
        (STAMP, "2024-01-31T13:45:00-05:00", datetime(2024, 1, 31, 18, 45)),
        (STAMP, "2024-01-31 13:45:00", datetime(2024, 1, 31, 13, 45)),
        (STAMP, "31/01/2024", None),
    ],
)
def test_text_values_parse_strictly(column: Column, value: str, expected: Any) -> None:
    assert _typed(column, value) == expected


@pytest.mark.parametrize("value", [*TRUE_VALUES, *FALSE_VALUES])
def test_booleans_accept_the_contract_spellings_in_any_case(value: str) -> None:
    assert _typed(FLAG, f" {value.upper()} ") is (value in TRUE_VALUES)
    assert _typed(FLAG, "maybe") is None


def test_zoned_parquet_timestamps_are_stored_as_utc() -> None:
    assert _typed(STAMP, "2024-01-01 10:00:00+02", TIMESTAMPTZ) == datetime(2024, 1, 1, 8, 0)


def test_extra_columns_become_one_json_object() -> None:
    plan = build_plan(TABLES["orders"], [*_sources("orders"), SourceColumn("promo", "c99")])
    con = duckdb.connect()
    extra = con.execute(f"select {plan.extra_sql()} from (select 'X' as c99) as s").fetchall()
    assert extra == [('{"promo":"X"}',)]
