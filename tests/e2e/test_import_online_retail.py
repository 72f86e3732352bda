"""`ecom import online-retail` on the full UCI file: every rule counted, totals from the source.

The expected figures are computed here directly from the Parquet file with pandas; the marts are
built on a two-week slice of it to keep the test small.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from ecommerce_pipeline import pipeline
from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.sources.online_retail import (
    NON_PRODUCT_CODES,
    POSTAGE_CODES,
    RULES,
    import_online_retail,
)
from ecommerce_pipeline.warehouse import query

pytestmark = pytest.mark.e2e


def product_lines(frame: pd.DataFrame) -> pd.DataFrame:
    """The source rows that become order lines, computed independently with pandas."""
    kept = frame[~frame.duplicated()]
    invoice = kept["InvoiceNo"].astype(str)
    code = kept["StockCode"].astype(str)
    adjustments = invoice.str.startswith("A") | (
        ~invoice.str.startswith("C") & (kept["Quantity"] <= 0)
    )
    not_products = code.isin(POSTAGE_CODES) | code.isin(NON_PRODUCT_CODES)
    return kept[~adjustments & ~not_products]


def landing_rows(landing: Path, table: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((landing / table).glob("*/*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


@pytest.fixture(scope="module")
def retail_file(shared_datasets: Path) -> Path:
    return shared_datasets / "online-retail" / "online_retail.parquet"


def test_every_row_is_ruled_and_totals_match_the_source(retail_file: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    command = [sys.executable, "-m", "ecommerce_pipeline", "import", "online-retail"]
    done = subprocess.run(
        [*command, str(retail_file), "--landing", str(landing)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((landing / "_reports" / "import_online-retail.json").read_text())
    frame = pd.read_parquet(retail_file)
    lines = product_lines(frame)
    sales = lines[~lines["InvoiceNo"].astype(str).str.startswith("C")]

    assert sum(report["rules"].values()) == len(frame) == 541_909  # nothing silently dropped
    assert set(report["rules"]) == set(RULES)
    assert report["rules"]["duplicate_row"] == int(frame.duplicated().sum()) == 5_268
    assert report["rules"]["bad_debt_adjustment"] == int(
        frame["InvoiceNo"].astype(str).str.startswith("A").sum()
    )
    assert report["rules"]["free_item"] == int((sales["UnitPrice"] == 0).sum())
    assert report["rules"]["cancellation"] == len(lines) - len(sales)
    assert report["facts"]["known_customers"] == frame["CustomerID"].nunique() == 4_372
    assert report["facts"]["invoices"] == frame["InvoiceNo"].nunique() == 25_900

    items = landing_rows(landing, "order_items")
    orders = {row["order_id"]: row for row in landing_rows(landing, "orders")}
    assert len(items) == len(lines)
    sale_value = sum(
        Decimal(item["quantity"]) * Decimal(item["unit_price"])
        for item in items
        if orders[item["order_id"]]["order_status"] == "delivered"
    )
    expected = (sales["Quantity"] * sales["UnitPrice"].round(2)).sum()
    assert float(sale_value) == pytest.approx(expected, abs=0.01)
    postage = frame[~frame.duplicated() & frame["StockCode"].isin(POSTAGE_CODES)]
    invoices = set(pd.concat([lines, postage])["InvoiceNo"].astype(str))
    cancelled = {o for o, row in orders.items() if row["order_status"] == "cancelled"}
    assert set(orders) == invoices  # an order per invoice with a product line or postage
    assert cancelled == {invoice for invoice in invoices if invoice.startswith("C")}
    assert float(sum(Decimal(row["shipping_cost"]) for row in orders.values())) == pytest.approx(
        (postage["Quantity"].abs() * postage["UnitPrice"]).sum(), abs=0.05
    )
    guests = {
        row["customer_id"] for row in orders.values() if row["customer_id"].startswith("guest-")
    }
    no_customer = pd.concat([lines, postage])
    no_customer = no_customer[no_customer["CustomerID"].isna()]
    assert guests == {f"guest-{invoice}" for invoice in no_customer["InvoiceNo"].astype(str)}
    assert all(row["currency"] == "GBP" for row in orders.values())


def test_marts_on_a_two_week_slice(retail_file: Path, tmp_path: Path) -> None:
    frame = pd.read_parquet(retail_file)
    piece = frame[frame["InvoiceDate"] < "2010-12-15"]
    piece.to_parquet(tmp_path / "slice.parquet")
    landing = tmp_path / "landing"
    import_online_retail(tmp_path / "slice.parquet", landing)
    settings = Settings(
        target=Target.DUCKDB, duckdb_path=tmp_path / "w.duckdb", landing_dir=landing
    )

    load = pipeline.load(settings)
    built = pipeline.transform(settings)

    assert load.reconciles and built.success, built.failures
    sales = product_lines(piece)
    sales = sales[~sales["InvoiceNo"].astype(str).str.startswith("C")]
    revenue = (sales["Quantity"] * sales["UnitPrice"].round(2)).sum()
    totals = query(
        settings,
        "select sum(net_revenue), sum(revenue_orders) from marts.sales_summary "
        "where period_grain = 'day'",
    )[0]
    assert float(totals[0]) == pytest.approx(revenue, abs=0.01)
    customers = query(
        settings, "select count(*) from marts.customer_summary where customer_id not like 'guest-%'"
    )
    assert customers[0][0] == sales["CustomerID"].nunique()
    top = query(
        settings,
        "select product_id from marts.product_performance order by units_sold desc limit 1",
    )
    assert top[0][0] == sales.groupby("StockCode")["Quantity"].sum().idxmax()
