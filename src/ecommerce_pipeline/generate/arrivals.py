"""When each customer orders: a first order after signup, then repeat orders until they churn.

Repeat buyers order as a Poisson process on the :class:`DemandClock` (so their orders follow the
weekly and yearly seasonality) at a personal rate (segment rate x a Gamma draw), until the end
of an exponential active life. The common rate scale is solved so the run has exactly the
target number of orders: every potential repeat order ``j`` of customer ``i`` happens iff
``scale >= E_j / (rate_i * window_i)`` (``E_j`` the cumulative unit exponential draws), so the
k-th smallest of those thresholds is the scale that yields k repeat orders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ecommerce_pipeline.generate.customers import LOYAL, NEVER, OCCASIONAL, CustomerBase
from ecommerce_pipeline.generate.grouping import cumsum_by_group
from ecommerce_pipeline.generate.seasonality import SECONDS_PER_DAY, DemandClock, Horizon

logger = logging.getLogger(__name__)

SEGMENT_RATES = {OCCASIONAL: 1.0, LOYAL: 5.0}  # relative purchase rates
SEGMENT_LIFETIME_DAYS = {OCCASIONAL: 300.0, LOYAL: 1_000.0}  # mean active life (demand-clock days)
RATE_SHAPE = 2.5  # Gamma shape of the personal rate multiplier (mean 1)
SAME_SESSION_SHARE = 0.55  # first orders placed within 90 minutes of the signup
FIRST_ORDER_DELAY_DAYS = 12.0  # mean delay of the other first orders
EXISTING_FIRST_ORDER_DAYS = 30.0  # mean wait for the first order in the period (old customers)


@dataclass(frozen=True)
class OrderPlan:
    """Every order of the run: time and customer, sorted by time; order number = index + 1."""

    secs: np.ndarray
    customer: np.ndarray


def plan_orders(
    base: CustomerBase,
    clock: DemandClock,
    horizon: Horizon,
    target: int,
    rng: np.random.Generator,
) -> OrderPlan:
    first_customer, first_secs = _first_orders(base, horizon, rng)
    repeat_customer, repeat_secs = _repeat_orders(
        base, first_customer, first_secs, clock, horizon, max(target - len(first_customer), 0), rng
    )
    customer = np.concatenate([first_customer, repeat_customer])
    secs = np.concatenate([first_secs, repeat_secs])
    order = np.argsort((secs << 28) + customer, kind="stable")  # time, then customer
    logger.debug("planned %d orders (%d first orders)", len(secs), len(first_secs))
    return OrderPlan(secs=secs[order], customer=customer[order])


def _first_orders(
    base: CustomerBase, horizon: Horizon, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    buyers = np.flatnonzero(base.segment != NEVER)
    existing = base.is_existing[buyers]
    same_session = rng.random(len(buyers)) < SAME_SESSION_SHARE
    delay = np.where(
        same_session,
        rng.integers(300, 90 * 60, len(buyers)),
        3_600 + rng.exponential(FIRST_ORDER_DELAY_DAYS * SECONDS_PER_DAY, len(buyers)),
    )
    delay = np.where(
        existing,
        60 + rng.exponential(EXISTING_FIRST_ORDER_DAYS * SECONDS_PER_DAY, len(buyers)),
        delay,
    )
    secs = base.first_version_secs[buyers] + delay.astype(np.int64)
    keep = secs < horizon.end_secs
    return buyers[keep], secs[keep]


def _repeat_orders(
    base: CustomerBase,
    first_customer: np.ndarray,
    first_secs: np.ndarray,
    clock: DemandClock,
    horizon: Horizon,
    wanted: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    segment = base.segment[first_customer]
    repeat = np.isin(segment, list(SEGMENT_RATES))
    customer, start_secs, segment = first_customer[repeat], first_secs[repeat], segment[repeat]
    rate = np.select([segment == s for s in SEGMENT_RATES], list(SEGMENT_RATES.values()))
    rate = rate * rng.gamma(RATE_SHAPE, 1 / RATE_SHAPE, len(customer))
    life = np.select(
        [segment == s for s in SEGMENT_LIFETIME_DAYS], list(SEGMENT_LIFETIME_DAYS.values())
    )
    start = clock.to_clock(start_secs)
    window = np.minimum(rng.exponential(life), clock.end - start)
    exposure = rate * np.maximum(window, 0.0)
    if wanted == 0 or exposure.sum() <= 0:
        return np.array([], np.int64), np.array([], np.int64)
    expected = wanted / exposure.sum() * exposure
    pool = np.ceil(1.3 * expected + 4 * np.sqrt(expected) + 3).astype(np.int64)
    pool[exposure <= 0] = 0
    owner = np.repeat(np.arange(len(customer)), pool)
    cumulative = cumsum_by_group(rng.standard_exponential(len(owner)), owner)
    threshold = cumulative / exposure[owner]
    if wanted >= len(threshold):
        logger.warning("repeat-order pool too small: %d < %d", len(threshold), wanted)
        chosen = np.arange(len(threshold))
    else:
        chosen = np.argpartition(threshold, wanted - 1)[:wanted]
    scale = threshold[chosen].max()
    owner = owner[chosen]
    clock_time = start[owner] + cumulative[chosen] / (scale * rate[owner])
    secs = np.maximum(clock.to_secs(clock_time), start_secs[owner] + 60)
    keep = secs < horizon.end_secs
    return customer[owner][keep], secs[keep]
