"""The contract as code matches the human contract in ../shared/spec/data-contract.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecommerce_pipeline import contract

pytestmark = pytest.mark.unit

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "data-contract.md"


def _spec_landing_section() -> str:
    text = SPEC.read_text(encoding="utf-8")
    start = text.index("## 1. Landing format")
    end = text.index("## 2. Raw layer")
    return text[start:end]


def _spec_columns(table: str) -> list[str]:
    """Column names of a core table as the spec lists them (type and enum annotations removed)."""
    section = _spec_landing_section()
    match = re.search(
        rf"(?:^|\s){table}(?: \(([^)]*)\))?: (.*?)(?=\n[a-z_]+: |\nOptional|\Z)", section, re.S
    )
    assert match is not None, f"{table} not found in the spec"
    body = re.sub(r"\([^()]*\)", "", match.group(2))
    return re.findall(r"\b([a-z][a-z0-9_]*)\b", body)


@pytest.mark.parametrize("table", contract.CORE_TABLES)
def test_core_table_columns_match_the_spec(table: str) -> None:
    assert _spec_columns(table) == list(contract.TABLES[table].column_names)


def test_every_enum_of_the_spec_is_in_the_contract() -> None:
    section = _spec_landing_section()
    for column_name, values in [
        ("acquisition_channel", contract.ACQUISITION_CHANNELS),
        ("loyalty_tier", contract.LOYALTY_TIERS),
        ("order_status", contract.ORDER_STATUSES),
        ("payment_method", contract.PAYMENT_METHODS),
        ("sales_channel", contract.SALES_CHANNELS),
    ]:
        match = re.search(rf"{column_name}\s*\(([^)]*)\)", section)
        assert match is not None, column_name
        spec_values = [value.strip() for value in match.group(1).split("|")]
        assert spec_values == list(values), column_name


def test_required_columns_follow_the_spec_rule() -> None:
    """Required: every *_id key, order_ts, order_status, quantity, unit_price, *_at stamps."""
    always = {"order_ts", "order_status", "quantity", "unit_price", "created_at", "updated_at"}
    for table in contract.CORE_TABLES:
        for column in contract.TABLES[table].columns:
            expected = column.name.endswith("_id") or column.name in always
            assert column.required == expected, f"{table}.{column.name}"


def test_sql_types_cover_both_warehouses() -> None:
    for column_type in contract.ColumnType:
        assert contract.sql_type(column_type, "duckdb")
        assert contract.sql_type(column_type, "postgres")
    assert contract.sql_type(contract.ColumnType.DECIMAL, "postgres") == "decimal(18,2)"
