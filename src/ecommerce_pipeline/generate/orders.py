"""Orders placed in a chunk of days: who, where to, how paid, which lines at which prices.

Lines: ``1 + Poisson(1.55)`` products per order (capped at 12, duplicates merged away) drawn by
each day's demand weights (Zipf popularity x category season x availability); a line whose
product has a complement is followed by that complement with probability
:data:`~ecommerce_pipeline.generate.catalog.COMPLEMENT_PROBABILITY`. The line's ``unit_price``
is the list price valid at ``order_ts``; discounts are separate and more frequent around Black
Friday, in early December and in the January sales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecommerce_pipeline.contract import PAYMENT_METHODS, SALES_CHANNELS
from ecommerce_pipeline.generate.catalog import COMPLEMENT_PROBABILITY, Catalog
from ecommerce_pipeline.generate.customers import PAYMENT_LOYALTY, CustomerHistory
from ecommerce_pipeline.generate.faults import FaultPlan, spike_prices
from ecommerce_pipeline.generate.geography import Geography
from ecommerce_pipeline.generate.grouping import group_starts, position_in_group
from ecommerce_pipeline.generate.seasonality import Horizon

EXTRA_LINES_MEAN = 1.55
MAX_LINES = 12
MARKETPLACE_SHARE = 0.10
CANCEL_RATES = {"cash_on_delivery": 0.12, "bank_transfer": 0.06}
BASE_CANCEL_RATE = 0.035
DISCOUNT_PERCENTS = np.array([5, 10, 15, 20, 25, 30])
DISCOUNT_PERCENT_WEIGHTS = np.array([0.25, 0.30, 0.20, 0.12, 0.08, 0.05])


@dataclass
class PlacedOrders:
    """Orders of a chunk (index i = order number ``first_number + i``) and their lines."""

    first_number: int
    secs: np.ndarray
    customer: np.ndarray
    address: np.ndarray
    country: np.ndarray
    city: np.ndarray
    payment: np.ndarray
    channel: np.ndarray
    shipping_cents: np.ndarray
    tax_cents: np.ndarray
    cancelled: np.ndarray
    line_order: np.ndarray  # index of the line's order (sorted)
    line_number: np.ndarray  # 1-based within the order
    product: np.ndarray
    quantity: np.ndarray
    price_cents: np.ndarray
    discount_cents: np.ndarray

    @property
    def count(self) -> int:
        return len(self.secs)

    @property
    def numbers(self) -> np.ndarray:
        return self.first_number + np.arange(self.count)


def place_orders(
    first_number: int,
    secs: np.ndarray,
    customer: np.ndarray,
    history: CustomerHistory,
    catalog: Catalog,
    geography: Geography,
    horizon: Horizon,
    rng: np.random.Generator,
    faults: FaultPlan | None = None,
) -> PlacedOrders:
    count = len(secs)
    address = history.ship_address(customer, secs)
    country = history.address_country[address].astype(np.int64)
    city = history.address_city[address].astype(np.int64)
    payment = _payment(rng, history, customer, country, geography)
    channel = _sales_channel(rng, history, customer, secs, horizon)
    line_order, product = _lines(rng, secs, catalog, horizon)
    line_number = position_in_group(line_order) + 1
    category = catalog.category[product]
    quantity = _quantity(rng, catalog.quantity_probabilities[category])
    price = catalog.price_at(product, secs[line_order])
    if faults is not None:
        price = spike_prices(price, horizon.day_index(secs[line_order]), faults)
    discount = _discount(rng, quantity * price, horizon.day_index(secs[line_order]), horizon)
    net = np.bincount(line_order, weights=quantity * price - discount, minlength=count)
    free = net >= geography.free_shipping_from_cents[country]
    shipping = np.where(free, 0, geography.shipping_fee_cents[country])
    tax = np.round(net * geography.city_tax_rate[city]).astype(np.int64)
    cancel_rate = np.array([CANCEL_RATES.get(m, BASE_CANCEL_RATE) for m in PAYMENT_METHODS])
    cancelled = rng.random(count) < cancel_rate[payment]
    return PlacedOrders(
        first_number=first_number,
        secs=secs,
        customer=customer,
        address=address,
        country=country,
        city=city,
        payment=payment,
        channel=channel,
        shipping_cents=shipping.astype(np.int64),
        tax_cents=tax,
        cancelled=cancelled,
        line_order=line_order,
        line_number=line_number,
        product=product,
        quantity=quantity,
        price_cents=price,
        discount_cents=discount,
    )


def _payment(
    rng: np.random.Generator,
    history: CustomerHistory,
    customer: np.ndarray,
    country: np.ndarray,
    geography: Geography,
) -> np.ndarray:
    """The customer's usual method most of the time, else a draw from the country's shares."""
    cumulative = np.cumsum(geography.payment_probabilities[country], axis=1)
    drawn = (rng.random(len(customer))[:, None] >= cumulative).sum(axis=1)
    drawn = np.minimum(drawn, len(PAYMENT_METHODS) - 1)
    usual = history.base.preferred_payment[customer]
    return np.where(rng.random(len(customer)) < PAYMENT_LOYALTY, usual, drawn).astype(np.int64)


def _sales_channel(
    rng: np.random.Generator,
    history: CustomerHistory,
    customer: np.ndarray,
    secs: np.ndarray,
    horizon: Horizon,
) -> np.ndarray:
    """Marketplace ~10%; the app's share grows over the period and with the customer's habit."""
    progress = (secs - horizon.start_secs) / max(horizon.end_secs - horizon.start_secs, 1)
    mobile = np.clip(history.base.mobile_affinity[customer] * (0.7 + 0.6 * progress), 0, 0.95)
    draw = rng.random(len(customer))
    channel = np.where(
        draw < mobile, SALES_CHANNELS.index("mobile_app"), SALES_CHANNELS.index("web")
    )
    marketplace = rng.random(len(customer)) < MARKETPLACE_SHARE
    return np.where(marketplace, SALES_CHANNELS.index("marketplace"), channel).astype(np.int64)


def _lines(
    rng: np.random.Generator, secs: np.ndarray, catalog: Catalog, horizon: Horizon
) -> tuple[np.ndarray, np.ndarray]:
    """(order index, product) per line: day-weighted draws, complements, duplicates removed."""
    count = len(secs)
    sizes = 1 + np.minimum(rng.poisson(EXTRA_LINES_MEAN, count), MAX_LINES - 1)
    line_order = np.repeat(np.arange(count), sizes)
    line_day = horizon.day_index(secs)[line_order]
    product = np.empty(len(line_order), dtype=np.int64)
    draws = rng.random(len(line_order))
    days: np.ndarray = np.unique(line_day)
    bounds = np.searchsorted(line_day, np.concatenate([days, days[-1:] + 1]))
    for position, day in enumerate(days):
        low, high = int(bounds[position]), int(bounds[position + 1])
        cumulative = np.cumsum(catalog.demand_weights(int(day)))
        picks = np.searchsorted(cumulative, draws[low:high] * cumulative[-1], side="right")
        product[low:high] = np.minimum(picks, catalog.count - 1)
    previous = np.r_[-1, product[:-1]]
    complement = np.where(previous >= 0, catalog.complement[np.maximum(previous, 0)], -1)
    follows = ~group_starts(line_order) & (complement >= 0)
    follows &= rng.random(len(line_order)) < COMPLEMENT_PROBABILITY
    product = np.where(follows, complement, product)
    # The same product twice in one order becomes one line.
    pair = line_order * catalog.count + product
    by_pair = np.argsort(pair, kind="stable")  # first line of a repeated pair stays first
    sorted_pair = pair[by_pair]
    repeated = np.zeros(len(product), dtype=bool)
    repeated[by_pair[1:]] = sorted_pair[1:] == sorted_pair[:-1]
    return line_order[~repeated], product[~repeated]


def _quantity(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return 1 + np.minimum((draws >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _discount(
    rng: np.random.Generator, gross_cents: np.ndarray, day: np.ndarray, horizon: Horizon
) -> np.ndarray:
    """Line discount in cents: promotions are likelier in the sales seasons."""
    month = horizon.month[day]
    day_of_month = horizon.day_of_month[day]
    rate = np.full(len(day), 0.12)
    rate[(month == 11) & (day_of_month >= 20)] = 0.45
    rate[(month == 12) & (day_of_month <= 20)] = 0.25
    rate[(month == 1) & (day_of_month <= 15)] = 0.25
    discounted = rng.random(len(day)) < rate
    percent = rng.choice(DISCOUNT_PERCENTS, size=len(day), p=DISCOUNT_PERCENT_WEIGHTS)
    return np.where(discounted, np.round(gross_cents * percent / 100), 0).astype(np.int64)
