"""The baseline: a NAIVE per-row Faker generator, written the way typical tutorial generators are.

Python loops, one Faker / ``random`` call per field, a dict per row and ``csv.DictWriter.writerow``
per row. It writes the same four core tables with the same columns (from
:mod:`ecommerce_pipeline.contract`) in the same landing layout
(``<out>/<table>/<YYYY-MM-DD>/<table>_<YYYY-MM-DD>.csv``) as the real generator, so rows/s compare
like for like. It is deliberately not optimised: it is what the benchmark measures against.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from faker import Faker

from ecommerce_pipeline.contract import (
    ACQUISITION_CHANNELS,
    CORE_TABLES,
    LOYALTY_TIERS,
    ORDER_STATUSES,
    PAYMENT_METHODS,
    SALES_CHANNELS,
    TABLES,
)

Row = dict[str, Any]
CATEGORIES = ("Electronics", "Home", "Fashion", "Sports", "Beauty", "Toys", "Books", "Grocery")
RETURN_REASONS = ("damaged", "wrong_size", "not_as_described", "changed_mind")


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(value: float) -> str:
    return f"{value:.2f}"


def _bool(value: bool) -> str:
    return "true" if value else "false"


class NaiveGenerator:
    """Per-row generator state: the Faker instance and the ids created so far."""

    def __init__(self, seed: int) -> None:
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.random = random.Random(seed)
        self.customer_ids: list[str] = []
        self.product_ids: list[str] = []
        self.product_prices: dict[str, float] = {}
        self.order_ids: list[str] = []

    def _moment(self, day: date) -> datetime:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return self.fake.date_time_between(start, start + timedelta(days=1), tzinfo=UTC)

    def _later_that_day(self, moment: datetime) -> datetime:
        """A time after ``moment`` on the same day (a day file holds no future timestamps)."""
        end = datetime(moment.year, moment.month, moment.day, 23, 59, 59, tzinfo=UTC)
        return self.fake.date_time_between(moment, end, tzinfo=UTC)

    def customer(self, day: date) -> Row:
        customer_id = f"C{len(self.customer_ids) + 1:09d}"
        self.customer_ids.append(customer_id)
        created = self._moment(day)
        return {
            "customer_id": customer_id,
            "email": self.fake.email(),
            "first_name": self.fake.first_name(),
            "last_name": self.fake.last_name(),
            "phone": self.fake.phone_number(),
            "birth_date": self.fake.date_of_birth(minimum_age=18, maximum_age=85).isoformat(),
            "country_code": self.fake.country_code(),
            "region": self.fake.state(),
            "city": self.fake.city(),
            "postal_code": self.fake.postcode(),
            "acquisition_channel": self.random.choice(ACQUISITION_CHANNELS),
            "loyalty_tier": self.random.choice(LOYALTY_TIERS),
            "created_at": _ts(created),
            "updated_at": _ts(created),
        }

    def product(self, day: date) -> Row:
        product_id = f"P{len(self.product_ids) + 1:07d}"
        self.product_ids.append(product_id)
        price = round(self.random.uniform(2.0, 800.0), 2)
        self.product_prices[product_id] = price
        created = self._moment(day)
        return {
            "product_id": product_id,
            "sku": self.fake.bothify("SKU-#####-???").upper(),
            "product_name": self.fake.catch_phrase(),
            "category": self.random.choice(CATEGORIES),
            "subcategory": self.fake.word().title(),
            "brand": self.fake.company(),
            "unit_price": _money(price),
            "unit_cost": _money(price * self.random.uniform(0.3, 0.8)),
            "stock_quantity": self.random.randint(0, 5000),
            "is_active": _bool(self.fake.boolean(chance_of_getting_true=90)),
            "created_at": _ts(created),
            "updated_at": _ts(created),
        }

    def order(self, day: date) -> Row:
        order_id = f"O{len(self.order_ids) + 1:010d}"
        self.order_ids.append(order_id)
        placed = self._moment(day)
        status = self.random.choice(ORDER_STATUSES)
        shipped = self._later_that_day(placed)
        delivered = self._later_that_day(shipped)
        has_shipped = status in ("shipped", "delivered", "returned")
        has_delivered = status in ("delivered", "returned")
        return {
            "order_id": order_id,
            "customer_id": self.random.choice(self.customer_ids),
            "order_ts": _ts(placed),
            "order_status": status,
            "payment_method": self.random.choice(PAYMENT_METHODS),
            "sales_channel": self.random.choice(SALES_CHANNELS),
            "currency": "USD",
            "shipping_cost": _money(self.random.uniform(0, 25)),
            "tax_amount": _money(self.random.uniform(0, 60)),
            "ship_country_code": self.fake.country_code(),
            "ship_region": self.fake.state(),
            "ship_city": self.fake.city(),
            "promised_delivery_date": (placed + timedelta(days=5)).date().isoformat(),
            "shipped_at": _ts(shipped) if has_shipped else "",
            "delivered_at": _ts(delivered) if has_delivered else "",
            "updated_at": _ts(delivered if has_delivered else placed),
        }

    def order_item(self, day: date, order_id: str) -> Row:
        product_id = self.random.choice(self.product_ids)
        is_returned = self.fake.boolean(chance_of_getting_true=5)
        moment = self._moment(day)
        return {
            "order_item_id": f"{order_id}-{self.random.randint(1, 99):02d}-{self.fake.uuid4()[:8]}",
            "order_id": order_id,
            "product_id": product_id,
            "quantity": self.random.randint(1, 5),
            "unit_price": _money(self.product_prices[product_id]),
            "discount_amount": _money(self.random.choice((0.0, 0.0, 0.0, 5.0, 10.0))),
            "is_returned": _bool(is_returned),
            "returned_at": _ts(self._later_that_day(moment)) if is_returned else "",
            "return_reason": self.random.choice(RETURN_REASONS) if is_returned else "",
            "updated_at": _ts(moment),
        }


def _spread(total: int, days: int) -> list[int]:
    """``total`` rows over ``days`` days, as evenly as integers allow."""
    base, extra = divmod(total, days)
    return [base + (1 if index < extra else 0) for index in range(days)]


def _write_day_file(out: Path, table: str, day: date, rows: list[Row]) -> None:
    folder = out / table / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}_{day.isoformat()}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TABLES[table].column_names, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def _day_rows(
    make_row: Callable[[date], Row], day: date, count: int, out: Path, table: str
) -> list[Row]:
    rows = [make_row(day) for _ in range(count)]
    if rows:
        _write_day_file(out, table, day, rows)
    return rows


def generate_naive(
    out: Path, counts: Mapping[str, int], *, start: date, days: int, seed: int = 42
) -> dict[str, int]:
    """Write ``counts[table]`` rows of each core table spread over ``days`` day folders.

    Every day gets its share of customers and products first, then orders (of known customers),
    then order lines (of that day's orders and known products). Returns the rows written per table.
    """
    missing = [table for table in CORE_TABLES if counts.get(table, 0) < 1]
    if missing or days < 1:
        raise ValueError(
            f"naive generator needs >= 1 row of every core table and days >= 1: {missing}"
        )
    generator = NaiveGenerator(seed)
    per_day = {table: _spread(counts[table], days) for table in CORE_TABLES}
    # _spread gives the first day at least one row of each table, so ids exist from day one on.
    written = dict.fromkeys(CORE_TABLES, 0)
    for index in range(days):
        day = start + timedelta(days=index)
        for table, make_row in (("customers", generator.customer), ("products", generator.product)):
            written[table] += len(_day_rows(make_row, day, per_day[table][index], out, table))
        orders = _day_rows(generator.order, day, per_day["orders"][index], out, "orders")
        written["orders"] += len(orders)
        order_ids = [row["order_id"] for row in orders] or generator.order_ids[-1:]
        lines = [
            generator.order_item(day, generator.random.choice(order_ids))
            for _ in range(per_day["order_items"][index])
        ]
        if lines:
            _write_day_file(out, "order_items", day, lines)
        written["order_items"] += len(lines)
    return written
