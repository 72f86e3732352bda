"""Stock on hand and the product rows: a version on every change, a snapshot at each month end.

Each product keeps about :data:`COVER_DAYS` days of its expected demand. Sales (lines of orders
that are not cancelled) take stock at ``order_ts``; when the day closes below the reorder point
(:data:`REORDER_DAYS` of demand) a delivery arrives in the evening (20:00-23:00 UTC) and tops the
stock up to the order-up-to level. A sale larger than the stock on hand is a backorder: the stock
shows 0 and the next delivery covers it.

Product rows are written when the product is listed, its price or cost changes, it is
discontinued, it is restocked, and at 23:59:59 on the last day of every month (a stock
snapshot), each with the ``stock_quantity`` on hand at its ``updated_at`` - so inventory
turnover can be computed from the versions.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa

from ecommerce_pipeline.contract import PRODUCTS
from ecommerce_pipeline.generate import columns
from ecommerce_pipeline.generate.catalog import Catalog
from ecommerce_pipeline.generate.seasonality import SECONDS_PER_DAY, SECONDS_PER_HOUR, Horizon
from ecommerce_pipeline.generate.versions import Versions, sort_key

REORDER_DAYS = 14
COVER_DAYS = 60
RESTOCK_FROM = 20 * SECONDS_PER_HOUR
RESTOCK_SPREAD = 3 * SECONDS_PER_HOUR
LISTED, CHANGED, DISCONTINUED, RESTOCKED, SNAPSHOT = range(5)


class Inventory:
    """Runs the stock day by day and emits the product rows of each day."""

    def __init__(
        self, catalog: Catalog, horizon: Horizon, units_per_day: float, rng: np.random.Generator
    ) -> None:
        self.catalog = catalog
        self.horizon = horizon
        demand = catalog.expected_daily_units * units_per_day
        self.reorder_point = np.ceil(REORDER_DAYS * demand).astype(np.int64) + 2
        self.order_up_to = self.reorder_point + np.ceil(COVER_DAYS * demand).astype(np.int64) + 3
        spread = self.order_up_to - self.reorder_point
        self.stock = self.reorder_point + (rng.random(catalog.count) * spread).astype(np.int64)
        self.rng = rng
        change_product, change_secs = catalog.price_changes()
        self._events = _day_events(
            horizon,
            products=np.concatenate(
                [
                    np.arange(catalog.count),
                    change_product,
                    np.flatnonzero(catalog.discontinued_secs < horizon.end_secs),
                ]
            ),
            secs=np.concatenate(
                [
                    catalog.first_version_secs,
                    change_secs,
                    catalog.discontinued_secs[catalog.discontinued_secs < horizon.end_secs],
                ]
            ),
            kinds=np.concatenate(
                [
                    np.full(catalog.count, LISTED),
                    np.full(len(change_product), CHANGED),
                    np.full(
                        int((catalog.discontinued_secs < horizon.end_secs).sum()), DISCONTINUED
                    ),
                ]
            ),
        )
        self._month_ends = set(horizon.month_end_days.tolist())
        self._text = catalog.text_columns()

    def advance(
        self,
        first_day: int,
        stop_day: int,
        sale_product: np.ndarray,
        sale_secs: np.ndarray,
        sale_units: np.ndarray,
    ) -> Versions:
        """Run days ``[first_day, stop_day)`` given their sales; the product rows of those days."""
        order = np.lexsort((sale_secs, sale_product, self.horizon.day_index(sale_secs)))
        sale_product, sale_secs, sale_units = (
            sale_product[order],
            sale_secs[order],
            sale_units[order],
        )
        sale_day = self.horizon.day_index(sale_secs)
        rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for day in range(first_day, stop_day):
            low, high = np.searchsorted(sale_day, [day, day + 1])
            rows.append(
                self._run_day(
                    day, sale_product[low:high], sale_secs[low:high], sale_units[low:high]
                )
            )
        product, secs, kind, stock = (np.concatenate(parts) for parts in zip(*rows, strict=True))
        values = {"product": product, "kind": kind, "stock": stock, "secs": secs}
        return Versions(values, sort_key(secs, product * 8 + kind)).in_file_order()

    def _run_day(
        self, day: int, product: np.ndarray, secs: np.ndarray, units: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        day_start = self.horizon.start_secs + day * SECONDS_PER_DAY
        sold_before = _SalesOfDay(product, secs - day_start, units, self.catalog.count)
        opening = self.stock.copy()  # negative: units sold but not yet in stock (backorders)
        event_product, event_secs, event_kind = self._events.get(day, _NO_EVENTS)
        closing = opening - sold_before.total
        active = self.catalog.discontinued_secs > day_start + SECONDS_PER_DAY
        listed = self.catalog.first_version_secs < day_start + SECONDS_PER_DAY
        restock = np.flatnonzero((closing < self.reorder_point) & active & listed)
        restock_secs = day_start + RESTOCK_FROM + self.rng.integers(0, RESTOCK_SPREAD, len(restock))
        delivered = self.order_up_to[restock] - closing[restock]  # also fills the backorders
        stock_at_restock = (
            opening[restock] - sold_before.until(restock, restock_secs - day_start) + delivered
        )
        closing[restock] += delivered
        self.stock = closing
        stock_at_event = np.maximum(
            opening[event_product] - sold_before.until(event_product, event_secs - day_start), 0
        )
        parts = [
            (event_product, event_secs, event_kind, stock_at_event),
            (restock, restock_secs, np.full(len(restock), RESTOCKED), stock_at_restock),
        ]
        if day in self._month_ends:
            snapshot = np.flatnonzero(listed)
            parts.append(
                (
                    snapshot,
                    np.full(len(snapshot), day_start + SECONDS_PER_DAY - 1),
                    np.full(len(snapshot), SNAPSHOT),
                    np.maximum(closing[snapshot], 0),
                )
            )
        return tuple(np.concatenate(values) for values in zip(*parts, strict=True))  # type: ignore[return-value]

    def table(self, values: dict[str, np.ndarray]) -> pa.Table:
        """Typed products table of the version rows ``values``."""
        catalog = self.catalog
        product, secs = values["product"], values["secs"]
        index = columns.integers(product)
        data = {name: text.take(index) for name, text in self._text.items()}
        price, cost = catalog.price_and_cost_at(product, secs)
        data.update(
            {
                "unit_price": columns.money(price),
                "unit_cost": columns.money(cost),
                "stock_quantity": columns.integers(values["stock"]),
                "is_active": columns.booleans(secs < catalog.discontinued_secs[product]),
                "created_at": columns.timestamps(catalog.created_secs[product]),
                "updated_at": columns.timestamps(secs),
            }
        )
        return columns.assemble(PRODUCTS, data)


_NO_EVENTS = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))


def _day_events(
    horizon: Horizon, products: np.ndarray, secs: np.ndarray, kinds: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Listing / price change / discontinuation events grouped by day."""
    day = horizon.day_index(secs)
    keep = (day >= 0) & (day < horizon.days)
    products, secs, kinds, day = products[keep], secs[keep], kinds[keep], day[keep]
    order = np.lexsort((kinds, secs, day))
    products, secs, kinds, day = products[order], secs[order], kinds[order], day[order]
    bounds = np.flatnonzero(np.r_[True, day[1:] != day[:-1], True]) if len(day) else np.array([0])
    return {
        int(day[low]): (products[low:high], secs[low:high], kinds[low:high])
        for low, high in itertools.pairwise(bounds)
    }


class _SalesOfDay:
    """Units sold per product on one day, and before a given second of that day."""

    def __init__(
        self, product: np.ndarray, second: np.ndarray, units: np.ndarray, products: int
    ) -> None:
        self.total = np.bincount(product, weights=units, minlength=products).astype(np.int64)
        self._keys = product * SECONDS_PER_DAY + second  # sorted: by product, then time
        self._cumulative = np.r_[0, np.cumsum(units)]

    def until(self, product: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Units of ``product`` sold strictly before ``second`` of the day."""
        end = np.searchsorted(self._keys, product * SECONDS_PER_DAY + second, side="left")
        start = np.searchsorted(self._keys, product * SECONDS_PER_DAY, side="left")
        return (self._cumulative[end] - self._cumulative[start]).astype(np.int64)
