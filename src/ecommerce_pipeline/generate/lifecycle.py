"""What happens to an order after it is placed, and the rows that history produces.

pending -> processing (payment accepted, ~2 h) -> shipped (~20 h later) -> delivered (carrier
transit of the ship country). Some orders are cancelled before they ship (more often cash on
delivery). Delivered lines are returned at the category's rate within 30 days of delivery
(all returned lines of an order come back together); an order whose every line is returned
becomes ``returned``, a partially returned order stays ``delivered``.

Rows: one order row per day on which the order changed (the state at the day's last change,
``updated_at`` = that change), one order-item row when the order is placed and another on the
day the line is returned. Nothing at or after the end of the period is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ecommerce_pipeline.contract import (
    ORDER_ITEMS,
    ORDER_STATUSES,
    ORDERS,
    PAYMENT_METHODS,
    SALES_CHANNELS,
)
from ecommerce_pipeline.generate import columns
from ecommerce_pipeline.generate.catalog import CATEGORIES, RETURN_REASONS, Catalog
from ecommerce_pipeline.generate.geography import CURRENCY, Geography
from ecommerce_pipeline.generate.orders import PlacedOrders
from ecommerce_pipeline.generate.seasonality import SECONDS_PER_DAY, SECONDS_PER_HOUR, Horizon
from ecommerce_pipeline.generate.versions import Versions, sort_key

NEVER = np.iinfo(np.int64).max
#: Event kinds in the order they can happen, with the status each one sets.
EVENT_STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
if set(EVENT_STATUSES) != set(ORDER_STATUSES):  # pragma: no cover - guards the contract
    raise RuntimeError("lifecycle.EVENT_STATUSES must cover every contract order status")
PLACED, PROCESSING, SHIPPED, DELIVERED, CANCELLED, RETURNED = range(6)
RETURN_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Fulfillment:
    processing: np.ndarray
    shipped: np.ndarray
    delivered: np.ndarray
    cancelled: np.ndarray
    returned: np.ndarray  # the order's return (NEVER unless every line came back)
    promised_epoch_day: np.ndarray
    line_returned: np.ndarray  # return time per line (NEVER when kept)
    line_reason: np.ndarray


def fulfil(
    orders: PlacedOrders, catalog: Catalog, geography: Geography, rng: np.random.Generator
) -> Fulfillment:
    count = orders.count
    placed = orders.secs
    processing = placed + np.clip(
        rng.lognormal(np.log(2 * SECONDS_PER_HOUR), 0.8, count), 600, 36 * SECONDS_PER_HOUR
    ).astype(np.int64)
    shipped = processing + np.clip(
        rng.lognormal(np.log(20 * SECONDS_PER_HOUR), 0.5, count),
        SECONDS_PER_HOUR,
        6 * SECONDS_PER_DAY,
    ).astype(np.int64)
    transit_mean, transit_sd = geography.transit_days[orders.country].T
    transit = np.maximum(rng.normal(transit_mean, transit_sd), 0.5) * SECONDS_PER_DAY
    delivered = shipped + transit.astype(np.int64)
    promise_days = np.ceil(1.0 + geography.transit_days[:, 0] + 0.8 * geography.transit_days[:, 1])
    promised = placed // SECONDS_PER_DAY + promise_days[orders.country].astype(np.int64)

    cancelled_at = placed + ((shipped - placed) * rng.uniform(0.05, 0.95, count)).astype(np.int64)
    cancelled_at = np.where(orders.cancelled, cancelled_at, NEVER)
    processing = np.where(orders.cancelled & (cancelled_at <= processing), NEVER, processing)
    shipped = np.where(orders.cancelled, NEVER, shipped)
    delivered = np.where(orders.cancelled, NEVER, delivered)

    line_delivered = delivered[orders.line_order]
    returns = (line_delivered < NEVER) & (
        rng.random(len(orders.line_order)) < catalog.return_rate[orders.product]
    )
    wait = SECONDS_PER_DAY + rng.exponential(6 * SECONDS_PER_DAY, count)
    order_return = delivered + np.minimum(wait, RETURN_WINDOW_DAYS * SECONDS_PER_DAY).astype(
        np.int64
    )
    line_returned = np.where(returns, order_return[orders.line_order], NEVER)
    kept = np.bincount(orders.line_order, weights=~returns, minlength=count)
    returned = np.where((kept == 0) & (delivered < NEVER), order_return, NEVER)
    return Fulfillment(
        processing=processing,
        shipped=shipped,
        delivered=delivered,
        cancelled=cancelled_at,
        returned=returned,
        promised_epoch_day=promised,
        line_returned=line_returned,
        line_reason=_return_reasons(rng, catalog.category[orders.product]),
    )


def _return_reasons(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    weights = np.array([c.return_reasons for c in CATEGORIES], dtype=float)
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    draws = rng.random(len(category))[:, None]
    return np.minimum((draws >= cumulative[category]).sum(axis=1), len(RETURN_REASONS) - 1)


def order_versions(orders: PlacedOrders, life: Fulfillment, horizon: Horizon) -> Versions:
    """One row per (order, day with a change): the state after that day's last change.

    The event kinds of an order happen in kind order (a cancelled order never ships), so the
    flattened ``(order, kind)`` matrix is already in time order per order.
    """
    times = np.stack(
        [orders.secs, life.processing, life.shipped, life.delivered, life.cancelled, life.returned],
        axis=1,
    ).ravel()
    visible = np.flatnonzero(times < horizon.end_secs)
    index, kind, secs = visible // 6, visible % 6, times[visible]
    day = horizon.day_index(secs)
    last_of_day = np.r_[(index[1:] != index[:-1]) | (day[1:] != day[:-1]), True]
    index, kind, secs = index[last_of_day], kind[last_of_day], secs[last_of_day]
    status_code = np.array([ORDER_STATUSES.index(name) for name in EVENT_STATUSES])
    numbers = orders.numbers[index]
    values = {"number": numbers, "status": status_code[kind], "secs": secs}
    return Versions(values, sort_key(secs, numbers))


class OrderBook:
    """The fixed attributes of the orders of recent chunks, by order number.

    Order rows waiting for a later day only carry (number, status, time); their other columns
    are gathered from here when they are written.
    """

    def __init__(self) -> None:
        self._first: list[int] = []
        self._chunks: list[dict[str, np.ndarray]] = []

    def add(self, orders: PlacedOrders, life: Fulfillment) -> None:
        self._first.append(orders.first_number)
        self._chunks.append(
            {
                "customer": orders.customer,
                "order_secs": orders.secs,
                "payment": orders.payment,
                "channel": orders.channel,
                "shipping": orders.shipping_cents,
                "tax": orders.tax_cents,
                "country": orders.country,
                "city": orders.city,
                "promised": life.promised_epoch_day,
                "shipped": life.shipped,
                "delivered": life.delivered,
            }
        )

    def gather(self, numbers: np.ndarray) -> dict[str, np.ndarray]:
        """Every attribute for each order number."""
        chunk = np.searchsorted(np.asarray(self._first), numbers, side="right") - 1
        result = {
            name: np.empty(len(numbers), dtype=column.dtype)
            for name, column in self._chunks[-1].items()
        }
        for index in np.unique(chunk):
            rows = np.flatnonzero(chunk == index)
            offset = numbers[rows] - self._first[index]
            for name, column in self._chunks[index].items():
                result[name][rows] = column[offset]
        return result

    def forget_before(self, number: int) -> None:
        """Drop the chunks whose orders all have numbers below ``number``."""
        while len(self._first) > 1 and self._first[1] <= number:
            self._first.pop(0)
            self._chunks.pop(0)


def order_table(values: dict[str, np.ndarray], geography: Geography) -> pa.Table:
    """Typed orders table of version rows (with the attributes gathered from the book)."""
    secs = values["secs"]
    shipped, delivered = values["shipped"], values["delivered"]
    city = values["city"]
    data = {
        "order_id": columns.prefixed_numbers("O", values["number"], 10),
        "customer_id": columns.prefixed_numbers("C", values["customer"] + 1, 8),
        "order_ts": columns.timestamps(values["order_secs"]),
        "order_status": columns.labels(ORDER_STATUSES, values["status"]),
        "payment_method": columns.labels(PAYMENT_METHODS, values["payment"]),
        "sales_channel": columns.labels(SALES_CHANNELS, values["channel"]),
        "currency": columns.labels([CURRENCY], np.zeros(len(secs), np.int64)),
        "shipping_cost": columns.money(values["shipping"]),
        "tax_amount": columns.money(values["tax"]),
        "ship_country_code": columns.labels(geography.country_codes, values["country"]),
        "ship_region": columns.labels(geography.region_names, geography.city_region[city]),
        "ship_city": columns.labels(geography.city_names, city),
        "promised_delivery_date": columns.dates(values["promised"]),
        "shipped_at": columns.timestamps(shipped, shipped <= secs),
        "delivered_at": columns.timestamps(delivered, delivered <= secs),
        "updated_at": columns.timestamps(secs),
    }
    return columns.assemble(ORDERS, data)


def item_versions(orders: PlacedOrders, life: Fulfillment, horizon: Horizon) -> Versions:
    """A row per line when placed, and a second one on the day a line is returned."""
    lines = len(orders.line_order)
    returned = np.flatnonzero(life.line_returned < horizon.end_secs)
    line = np.concatenate([np.arange(lines), returned])
    is_return = np.r_[np.zeros(lines, bool), np.ones(len(returned), bool)]
    order_index = orders.line_order[line]
    secs = np.where(is_return, life.line_returned[line], orders.secs[order_index])
    numbers = orders.numbers[order_index]
    values = {
        "number": numbers,
        "line": orders.line_number[line],
        "product": orders.product[line],
        "quantity": orders.quantity[line],
        "price": orders.price_cents[line],
        "discount": orders.discount_cents[line],
        "returned": is_return,
        "reason": life.line_reason[line],
        "secs": secs,
    }
    return Versions(values, sort_key(secs, numbers * 16 + orders.line_number[line]))


def item_table(values: dict[str, np.ndarray]) -> pa.Table:
    numbers, returned, secs = values["number"], values["returned"], values["secs"]
    item_ids, order_ids = columns.line_ids("O", numbers, 10, values["line"], 2)
    data = {
        "order_item_id": item_ids,
        "order_id": order_ids,
        "product_id": columns.prefixed_numbers("P", values["product"] + 1, 7),
        "quantity": columns.integers(values["quantity"]),
        "unit_price": columns.money(values["price"]),
        "discount_amount": columns.money(values["discount"]),
        "is_returned": columns.booleans(returned),
        "returned_at": columns.timestamps(secs, returned),
        "return_reason": columns.labels(RETURN_REASONS, values["reason"], returned),
        "updated_at": columns.timestamps(secs),
    }
    return columns.assemble(ORDER_ITEMS, data)
