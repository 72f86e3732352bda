"""Customers: who signs up when, where they live, how they buy, and how their record changes.

Segments (shares of all customers): ``never`` buys, ``one_time`` buyers, ``occasional``
repeat buyers and ``loyal`` frequent buyers; repeat buyers stop after an exponential active life
(churn). Some customers exist before the first day (their first row is written on the first
day); the rest sign up over the period at a growing, seasonal rate.

A customer's record changes (a new row on the day of the change, with that ``updated_at``):
an address move, a new phone, a new email, a loyalty tier up (after the 8th/25th/60th order) or
down (240 days after the last order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ecommerce_pipeline.contract import ACQUISITION_CHANNELS, CUSTOMERS, LOYALTY_TIERS
from ecommerce_pipeline.generate import columns
from ecommerce_pipeline.generate.geography import Geography
from ecommerce_pipeline.generate.grouping import (
    forward_fill,
    group_starts,
    position_in_group,
    rank_within,
)
from ecommerce_pipeline.generate.people import EMAIL_DOMAINS, NameBook, emails
from ecommerce_pipeline.generate.seasonality import SECONDS_PER_DAY, Horizon, sample_moments
from ecommerce_pipeline.generate.timeline import Timeline

NEVER, ONE_TIME, OCCASIONAL, LOYAL = range(4)
SEGMENT_SHARES = np.array([0.10, 0.50, 0.28, 0.12])
EXISTING_SHARE = 0.30  # customers who signed up before the first day
BIRTH_DATE_SHARE = 0.85  # the rest have no birth date
PHONE_SHARE = 0.90
#: Acquisition channel shares by segment (referral and email customers are more loyal).
CHANNEL_SHARES: dict[str, tuple[float, float, float, float]] = {
    # channel: (never, one_time, occasional, loyal)
    "organic": (0.30, 0.28, 0.32, 0.35),
    "paid_search": (0.28, 0.30, 0.22, 0.12),
    "social": (0.25, 0.22, 0.15, 0.08),
    "email": (0.03, 0.05, 0.12, 0.20),
    "referral": (0.05, 0.06, 0.12, 0.20),
    "affiliate": (0.09, 0.09, 0.07, 0.05),
}
if set(CHANNEL_SHARES) != set(ACQUISITION_CHANNELS):  # pragma: no cover - guards the contract
    raise RuntimeError("customers.CHANNEL_SHARES must cover every contract acquisition channel")
#: Tier of customers who exist before the first day, by segment (bronze, silver, gold, platinum).
EXISTING_TIER_SHARES = np.array(
    [
        [0.80, 0.15, 0.05, 0.0],
        [0.75, 0.20, 0.05, 0.0],
        [0.50, 0.35, 0.12, 0.03],
        [0.25, 0.35, 0.28, 0.12],
    ]
)
TIER_ORDER_THRESHOLDS = np.array([8, 25, 60])  # orders to reach silver, gold, platinum
TIER_DOWNGRADE_AFTER_DAYS = 240
MOVE_PROBABILITIES = (0.045, 0.01)  # at least one move, a second move
MOVE_ABROAD_SHARE = 0.08
PHONE_CHANGE_SHARE = 0.03
EMAIL_CHANGE_SHARE = 0.04
SALES_CHANNEL_LOYALTY = 0.7  # share of orders placed on the customer's usual channel
PAYMENT_LOYALTY = 0.8


@dataclass
class CustomerBase:
    """Static attributes and buying behaviour per customer (index = customer number - 1)."""

    created_secs: np.ndarray
    first_version_secs: np.ndarray  # updated_at of the first row
    segment: np.ndarray
    country: np.ndarray  # at signup
    city: np.ndarray  # at signup
    first_name: np.ndarray
    last_name: np.ndarray
    birth_epoch_day: np.ndarray  # -1: unknown
    acquisition_channel: np.ndarray
    initial_tier: np.ndarray
    preferred_payment: np.ndarray
    mobile_affinity: np.ndarray  # 0..1: how much the customer prefers the app
    email_domain: np.ndarray

    @property
    def count(self) -> int:
        return len(self.created_secs)

    @property
    def is_existing(self) -> np.ndarray:
        return self.created_secs < self.first_version_secs


def draw_customers(
    count: int, horizon: Horizon, geography: Geography, names: NameBook, rng: np.random.Generator
) -> CustomerBase:
    existing = rng.random(count) < EXISTING_SHARE
    n_existing = int(existing.sum())
    before = horizon.start_secs - rng.integers(SECONDS_PER_DAY, 540 * SECONDS_PER_DAY, n_existing)
    signup_weights = horizon.day_factors * horizon.growth
    during = sample_moments(rng, horizon, signup_weights, count - n_existing)
    created = np.sort(np.concatenate([before, during]).astype(np.int64))
    segment = rng.choice(4, size=count, p=SEGMENT_SHARES)
    country = rng.choice(len(geography.countries), size=count, p=geography.country_shares)
    language_names = sorted({c.language for c in geography.countries})
    language = np.array([language_names.index(c.language) for c in geography.countries])[country]
    first, last = names.sample(rng, language)
    age_days = (18 + rng.gamma(4.0, 5.0, count)).clip(18, 90) * 365.25
    birth = (created // SECONDS_PER_DAY - age_days).astype(np.int64)
    birth = np.where(rng.random(count) < BIRTH_DATE_SHARE, birth, -1)
    channel_shares = np.array([CHANNEL_SHARES[name] for name in ACQUISITION_CHANNELS]).T
    channel = _choice_by_row(rng, channel_shares[segment])
    tier = np.where(
        created < horizon.start_secs, _choice_by_row(rng, EXISTING_TIER_SHARES[segment]), 0
    )
    payment = _choice_by_row(rng, geography.payment_probabilities[country])
    return CustomerBase(
        created_secs=created,
        first_version_secs=np.maximum(created, horizon.start_secs),
        segment=segment.astype(np.int8),
        country=country.astype(np.int16),
        city=geography.sample_cities(rng, country),
        first_name=first,
        last_name=last,
        birth_epoch_day=birth,
        acquisition_channel=channel.astype(np.int8),
        initial_tier=tier.astype(np.int8),
        preferred_payment=payment.astype(np.int8),
        mobile_affinity=rng.beta(1.5, 2.0, count),
        email_domain=rng.integers(0, len(EMAIL_DOMAINS), count),
    )


def _choice_by_row(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row of a ``(n, k)`` probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return np.minimum((draws >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


# -- change history -------------------------------------------------------------------------------

EVENT_BASE, EVENT_MOVE, EVENT_PHONE, EVENT_EMAIL, EVENT_TIER = range(5)


@dataclass(frozen=True)
class _Changes:
    """Changes of one kind: who, when, and the new value of the attributes it sets."""

    customer: np.ndarray
    secs: np.ndarray
    kind: int
    values: dict[str, np.ndarray]


VERSIONED = ("address", "phone", "email_version", "email_domain", "tier")


class CustomerHistory:
    """Every version of every customer, plus the address valid at any time (ship-to)."""

    def __init__(
        self,
        base: CustomerBase,
        order_customer: np.ndarray,
        order_secs: np.ndarray,
        horizon: Horizon,
        geography: Geography,
        rng: np.random.Generator,
    ) -> None:
        self.base = base
        self.horizon = horizon
        self.geography = geography
        ids = np.arange(base.count)
        signup = _Changes(
            ids,
            base.first_version_secs,
            EVENT_BASE,
            {
                "address": ids,
                "phone": ids,
                "email_version": np.zeros(base.count, np.int64),
                "email_domain": base.email_domain,
                "tier": base.initial_tier.astype(np.int64),
            },
        )
        changes = [
            signup,
            self._moves(rng),
            self._phone_changes(rng),
            self._email_changes(rng),
            _Changes(*_tier_changes(base, order_customer, order_secs, horizon, rng)),
        ]
        self.versions = _versions(changes)
        self.version_day = horizon.day_index(self.versions["secs"])

    def _moves(self, rng: np.random.Generator) -> _Changes:
        """Address moves (mostly within the country); addresses = signup ones, then moves."""
        count = self.base.count
        customer, secs = self._change_times(rng, _repeat_counts(rng, count, MOVE_PROBABILITIES))
        geography = self.geography
        abroad = rng.random(len(customer)) < MOVE_ABROAD_SHARE
        drawn = rng.choice(len(geography.countries), size=len(customer), p=geography.country_shares)
        move_country = np.where(abroad, drawn, -1)
        self.address_country = np.concatenate(
            [self.base.country, np.zeros(len(customer), np.int16)]
        )
        self.address_city = np.concatenate([self.base.city, np.zeros(len(customer), np.int16)])
        self._resolve_moves(rng, customer, secs, move_country, count)
        self.address_postal = columns.bytes_texts(geography.postal_codes(rng, self.address_city))
        self._has_moved = np.zeros(count, dtype=bool)
        self._has_moved[customer] = True
        address = count + np.arange(len(customer))
        self.address_timeline = Timeline(
            np.concatenate([np.arange(count), customer]),
            np.concatenate([self.base.first_version_secs, secs]),
            {"address": np.concatenate([np.arange(count), address])},
        )
        return _Changes(customer, secs, EVENT_MOVE, {"address": address})

    def _phone_changes(self, rng: np.random.Generator) -> _Changes:
        """Phones: one per customer (some have none), then one per change."""
        count = self.base.count
        counts = _repeat_counts(rng, count, (PHONE_CHANGE_SHARE,))
        customer, secs = self._change_times(rng, counts)
        country = np.concatenate([self.base.country, self.base.country[customer]])
        has_phone = np.concatenate([rng.random(count) < PHONE_SHARE, np.ones(len(customer), bool)])
        numbers = self.geography.phone_numbers(rng, country)
        self.phones = columns.bytes_texts(numbers, has_phone)
        return _Changes(customer, secs, EVENT_PHONE, {"phone": count + np.arange(len(customer))})

    def _email_changes(self, rng: np.random.Generator) -> _Changes:
        counts = _repeat_counts(rng, self.base.count, (EMAIL_CHANGE_SHARE,))
        customer, secs = self._change_times(rng, counts)
        values = {
            "email_version": rank_within(customer, secs) + 1,
            "email_domain": rng.integers(0, len(EMAIL_DOMAINS), len(customer)),
        }
        return _Changes(customer, secs, EVENT_EMAIL, values)

    def _change_times(
        self, rng: np.random.Generator, counts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(customer, time) of each change: uniform between the first row + 1 day and the end."""
        customer = np.repeat(np.arange(len(counts)), counts)
        low = self.base.first_version_secs[customer] + SECONDS_PER_DAY
        span = np.maximum(self.horizon.end_secs - low, 0)
        secs = low + (rng.random(len(customer)) * span).astype(np.int64)
        keep = secs < self.horizon.end_secs
        return customer[keep], secs[keep]

    def _resolve_moves(
        self,
        rng: np.random.Generator,
        move_customer: np.ndarray,
        move_secs: np.ndarray,
        move_country: np.ndarray,
        count: int,
    ) -> None:
        """New country (mostly the same one) and city of each move, in time order per customer."""
        country = np.where(move_country >= 0, move_country, self.base.country[move_customer])
        order = np.lexsort((move_secs, move_customer))
        # A second move abroad keeps the first move's country unless it moves abroad itself.
        sorted_customer = move_customer[order]
        sorted_country = country[order]
        same_as_previous = np.r_[False, sorted_customer[1:] == sorted_customer[:-1]]
        stays = same_as_previous & (move_country[order] < 0)
        previous = np.r_[sorted_country[:1], sorted_country[:-1]]
        sorted_country = np.where(stays, previous, sorted_country)
        country[order] = sorted_country
        self.address_country[count:] = country
        self.address_city[count:] = self.geography.sample_cities(rng, country)

    def ship_address(self, customers: np.ndarray, secs: np.ndarray) -> np.ndarray:
        """Index of the address valid for each (customer, time)."""
        address = customers.astype(np.int64)  # the signup address (index = customer)
        movers = np.flatnonzero(self._has_moved[customers])
        if len(movers):
            address[movers] = self.address_timeline.value_at(
                "address", customers[movers], secs[movers]
            )
        return address

    def table(self, rows: np.ndarray, names: NameBook) -> pa.Table:
        """Typed customers table of the version ``rows``."""
        v = {name: values[rows] for name, values in self.versions.items()}
        customer = v["customer"]
        base = self.base
        geography = self.geography
        address = v["address"]
        city = self.address_city[address]
        birth = base.birth_epoch_day[customer]
        first = base.first_name[customer]
        last = base.last_name[customer]
        data = {
            "customer_id": columns.prefixed_numbers("C", customer + 1, 8),
            "email": emails(
                names, first, last, customer + 1, v["email_version"], v["email_domain"]
            ),
            "first_name": columns.labels(names.first_names, first),
            "last_name": columns.labels(names.last_names, last),
            "phone": self.phones.take(columns.integers(v["phone"])),
            "birth_date": columns.dates(birth, birth >= 0),
            "country_code": columns.labels(geography.country_codes, self.address_country[address]),
            "region": columns.labels(geography.region_names, geography.city_region[city]),
            "city": columns.labels(geography.city_names, city),
            "postal_code": self.address_postal.take(columns.integers(address)),
            "acquisition_channel": columns.labels(
                ACQUISITION_CHANNELS, base.acquisition_channel[customer]
            ),
            "loyalty_tier": columns.labels(LOYALTY_TIERS, v["tier"]),
            "created_at": columns.timestamps(base.created_secs[customer]),
            "updated_at": columns.timestamps(v["secs"]),
        }
        return columns.assemble(CUSTOMERS, data)


def _versions(changes: list[_Changes]) -> dict[str, np.ndarray]:
    """Full rows per change: each attribute carried forward from the customer's last change.

    Sorted by time then customer (file order); the signup row is each customer's first.
    """
    rows = {
        "customer": np.concatenate([change.customer for change in changes]),
        "secs": np.concatenate([change.secs for change in changes]),
        "kind": np.concatenate([np.full(len(change.customer), change.kind) for change in changes]),
    }
    for name in VERSIONED:
        rows[name] = np.concatenate(
            [
                change.values.get(name, np.full(len(change.customer), -1, dtype=np.int64))
                for change in changes
            ]
        )
    by_customer = np.lexsort((rows["kind"], rows["secs"], rows["customer"]))
    rows = {name: values[by_customer] for name, values in rows.items()}
    for name in VERSIONED:
        rows[name] = forward_fill(rows[name])
    by_time = np.lexsort((rows["customer"], rows["secs"]))
    return {name: values[by_time] for name, values in rows.items()}


def _repeat_counts(
    rng: np.random.Generator, count: int, probabilities: tuple[float, ...]
) -> np.ndarray:
    """How many times each customer changes: P(>=1) = p[0], P(>=2) = p[1] ..."""
    draws = rng.random(count)
    counts = np.zeros(count, dtype=np.int64)
    for probability in probabilities:
        counts += draws < probability
    return counts


def _tier_changes(
    base: CustomerBase,
    order_customer: np.ndarray,
    order_secs: np.ndarray,
    horizon: Horizon,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, int, dict[str, np.ndarray]]:
    """Tier ups after an order crosses a threshold; one tier down after a long silence.

    ``order_secs`` is sorted (the order plan), so a stable sort by customer keeps time order.
    """
    order = np.argsort(order_customer, kind="stable")
    customer = order_customer[order]
    secs = order_secs[order]
    first_of_customer = group_starts(customer)
    by_count = np.searchsorted(TIER_ORDER_THRESHOLDS, position_in_group(customer) + 1, "right")
    level = np.maximum(by_count, base.initial_tier[customer])
    previous = np.where(
        first_of_customer, base.initial_tier[customer], np.r_[0, level[:-1]][: len(level)]
    )
    up = level > previous
    up_secs = secs[up] + rng.integers(3_600, 6 * 3_600, int(up.sum()))
    # Downgrade: one level, TIER_DOWNGRADE_AFTER_DAYS after the last order (or the first row).
    last_level = base.initial_tier.astype(np.int64).copy()
    last_seen = base.first_version_secs.copy()
    if len(customer):
        is_last = np.r_[customer[1:] != customer[:-1], True]
        last_level[customer[is_last]] = level[is_last]
        last_seen[customer[is_last]] = secs[is_last]
    down_secs = (
        last_seen
        + TIER_DOWNGRADE_AFTER_DAYS * SECONDS_PER_DAY
        + rng.integers(0, SECONDS_PER_DAY, base.count)
    )
    down = (last_level > 0) & (down_secs < horizon.end_secs)
    all_customer = np.concatenate([customer[up], np.flatnonzero(down)])
    all_secs = np.concatenate([up_secs, down_secs[down]])
    all_level = np.concatenate([level[up], last_level[down] - 1])
    keep = all_secs < horizon.end_secs
    return all_customer[keep], all_secs[keep], EVENT_TIER, {"tier": all_level[keep]}
