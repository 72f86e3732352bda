"""The naive baseline generator writes the contract's tables in the landing layout (tiny size)."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

from benchmarks.naive_generator import generate_naive  # noqa: E402
from benchmarks.section_generator import naive_slice_plan  # noqa: E402

from ecommerce_pipeline.contract import CORE_TABLES, TABLES, ColumnType  # noqa: E402

pytestmark = pytest.mark.unit

COUNTS = {"customers": 7, "products": 4, "orders": 11, "order_items": 19}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MONEY = re.compile(r"^\d+\.\d{2}$")


def _read(landing: Path, table: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((landing / table).glob("*/*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            assert tuple(reader.fieldnames or ()) == TABLES[table].column_names, path
            rows.extend(reader)
    return rows


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("naive")
    written = generate_naive(out, COUNTS, start=date(2024, 1, 1), days=3, seed=7)
    assert written == COUNTS
    return out


def test_layout_is_table_day_file(landing: Path) -> None:
    files = sorted(path.relative_to(landing).as_posix() for path in landing.rglob("*.csv"))
    assert files
    for name in files:
        table, day, file_name = name.split("/")
        assert table in CORE_TABLES
        assert file_name == f"{table}_{day}.csv"
        assert date.fromisoformat(day) in {date(2024, 1, d) for d in (1, 2, 3)}


def test_every_table_has_its_rows_with_contract_formats(landing: Path) -> None:
    for table in CORE_TABLES:
        rows = _read(landing, table)
        assert len(rows) == COUNTS[table], table
        for row in rows:
            for column in TABLES[table].columns:
                value = row[column.name]
                if column.required:
                    assert value, f"{table}.{column.name} is empty"
                if not value:
                    continue
                if column.type is ColumnType.TIMESTAMP:
                    assert TIMESTAMP.match(value), (table, column.name, value)
                elif column.type is ColumnType.DECIMAL:
                    assert MONEY.match(value), (table, column.name, value)
                elif column.type is ColumnType.BOOL:
                    assert value in ("true", "false")
                if column.enum is not None:
                    assert value in column.enum, (table, column.name, value)


def test_references_point_at_generated_rows(landing: Path) -> None:
    customers = {row["customer_id"] for row in _read(landing, "customers")}
    products = {row["product_id"] for row in _read(landing, "products")}
    orders = {row["order_id"] for row in _read(landing, "orders")}
    assert {row["customer_id"] for row in _read(landing, "orders")} <= customers
    items = _read(landing, "order_items")
    assert {row["order_id"] for row in items} <= orders
    assert {row["product_id"] for row in items} <= products


def test_same_seed_same_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        generate_naive(out, COUNTS, start=date(2024, 1, 1), days=2, seed=3)
    for path in first.rglob("*.csv"):
        assert path.read_bytes() == (second / path.relative_to(first)).read_bytes()


def test_refuses_an_empty_table(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="orders"):
        generate_naive(tmp_path, {**COUNTS, "orders": 0}, start=date(2024, 1, 1), days=2)


def test_slice_plan_keeps_the_mix_and_rows_per_day() -> None:
    full = {"customers": 100_000, "products": 10_000, "orders": 1_000_000, "order_items": 2_890_000}
    counts, days = naive_slice_plan(full, 20_000, 730)
    assert sum(counts.values()) == pytest.approx(20_000, abs=4)
    assert counts["orders"] / counts["customers"] == pytest.approx(10, rel=0.02)
    assert days == 4  # 730 days * 20k / 4M rows


def test_slice_plan_refuses_no_rows() -> None:
    with pytest.raises(ValueError, match="no core-table rows"):
        naive_slice_plan({}, 1_000, 10)
