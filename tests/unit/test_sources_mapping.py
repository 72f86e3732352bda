"""Declarative mappings, the landing writer and the extraction state (no services needed)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from ecommerce_pipeline.sources.api_extract import retry_after_seconds
from ecommerce_pipeline.sources.landing_writer import write_table
from ecommerce_pipeline.sources.mapping import MappingError, import_mapped, parse_mapping
from ecommerce_pipeline.sources.state import Cursor, CursorError

pytestmark = pytest.mark.unit

EXPORT = """Bestellnr;Kunde;Datum;Status;Porto;Zeile;Artikel;Menge;Preis
A-1;K7;03.02.2024 10:15;versandt;4,90;1;P1;2;1.234,50
A-1;K7;03.02.2024 10:15;versandt;4,90;2;P2;1;3,00
A-2;K8;04.02.2024 23:30;storno;0,00;1;P1;1;kaputt
A-3;K8;05.02.2024 08:00;unbekannt;0,00;1;P2;1;3,00
"""

MAPPING = """
source: {format: csv, delimiter: ";"}
tables:
  orders:
    distinct: true
    columns:
      order_id: Bestellnr
      customer_id: Kunde
      order_ts: {from: Datum, format: "%d.%m.%Y %H:%M", timezone: Europe/Berlin}
      order_status: {from: Status, map: {versandt: shipped, storno: cancelled}}
      currency: {const: EUR}
      shipping_cost: {from: Porto, decimal_comma: true}
      updated_at: {from: Datum, format: "%d.%m.%Y %H:%M", timezone: Europe/Berlin}
  order_items:
    columns:
      order_item_id: {template: "{Bestellnr}-{Zeile}"}
      order_id: Bestellnr
      product_id: Artikel
      quantity: Menge
      unit_price: {from: Preis, decimal_comma: true}
      updated_at: {from: Datum, format: "%d.%m.%Y %H:%M", timezone: Europe/Berlin}
"""


def _rows(folder: Path, table: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((folder / table).glob("*/*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def test_mapped_export_lands_on_the_contract(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    landing = tmp_path / "landing"

    report = import_mapped(tmp_path / "mapping.yaml", tmp_path / "export.csv", landing)

    orders = {row["order_id"]: row for row in _rows(landing, "orders")}
    assert set(orders) == {"A-1", "A-2", "A-3"}  # distinct: one row per identical order
    assert orders["A-1"]["order_ts"] == "2024-02-03T09:15:00Z"  # Berlin (UTC+1) -> UTC
    assert orders["A-1"]["order_status"] == "shipped"
    assert orders["A-1"]["shipping_cost"] == "4.90"
    assert orders["A-1"]["currency"] == "EUR"
    assert orders["A-3"]["order_status"] == "unbekannt"  # kept: the loader quarantines it
    # the day folder is the UTC day of updated_at: 23:30 Berlin on the 4th is the 4th, 22:30 UTC
    assert (landing / "orders" / "2024-02-04").is_dir()
    items = {row["order_item_id"]: row for row in _rows(landing, "order_items")}
    assert items["A-1-1"]["unit_price"] == "1234.50"
    assert items["A-2-1"]["unit_price"] == "kaputt"  # cast failure kept, never dropped
    assert report.rows_out == {"orders": 3, "order_items": 4}
    assert report.column_issues["orders.order_status"]["unmapped_values"] == 1
    assert report.column_issues["order_items.unit_price"]["cast_failures"] == 1
    saved = json.loads((landing / "_reports" / "import_mapped-export.json").read_text())
    assert saved["rows_in"] == {"export.csv": 4}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"tables": {"sales": {"columns": {}}}}, "not a contract table"),
        ({"tables": {"orders": {"columns": {"order_id": "x", "colour": "y"}}}}, "colour"),
        ({"tables": {"payments": {"columns": {"payment_id": "x"}}}}, "required column"),
        (
            {"tables": {"orders": {"columns": {"order_id": {"from": "a", "const": "b"}}}}},
            "exactly one of",
        ),
        ({"source": {"format": "xlsx"}, "tables": {"orders": {"columns": {}}}}, "csv or parquet"),
    ],
)
def test_invalid_mappings_are_refused_with_the_reason(
    document: dict[str, object], message: str
) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mapping(document)


def test_mapping_naming_a_missing_source_column_is_refused(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    with pytest.raises(MappingError, match="Bestellnr"):
        import_mapped(tmp_path / "mapping.yaml", tmp_path / "export.csv", tmp_path / "landing")


def test_writer_formats_typed_values_and_splits_by_day(tmp_path: Path) -> None:
    data = pa.table(
        {
            "payment_id": ["p2", "p1", "p3"],
            "order_id": ["o1", "o1", "o2"],
            "amount": pa.array([10, 5.5, 1], type=pa.float64()),
            "paid_at": pa.array(
                [
                    datetime(2024, 3, 1, 23, 59, 59, tzinfo=UTC),
                    datetime(2024, 3, 1, 8, tzinfo=UTC),
                    None,
                ],
                type=pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    result = write_table(tmp_path, "payments", data, source="test", fallback_day=date(2024, 3, 9))
    assert result.undated_rows == 1
    first = (tmp_path / "payments/2024-03-01/payments_2024-03-01_test.csv").read_text()
    assert first.splitlines() == [
        "payment_id,order_id,payment_method,amount,paid_at",
        "p1,o1,,5.50,2024-03-01T08:00:00Z",
        "p2,o1,,10.00,2024-03-01T23:59:59Z",
    ]
    assert (tmp_path / "payments/2024-03-09/payments_2024-03-09_test.csv").is_file()
    assert not list(tmp_path.rglob(".*.tmp"))  # atomic writes leave no temporary file


def test_cursor_round_trips_and_rejects_garbage() -> None:
    cursor = Cursor(datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), "O-1")
    assert Cursor.decode(cursor.encode()) == cursor
    with pytest.raises(CursorError):
        Cursor.decode("not-a-cursor")


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Mon, 01 Jan 2024 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("99999") == 300.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
