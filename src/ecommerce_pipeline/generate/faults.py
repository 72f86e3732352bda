"""Fault injection: a volume drop, a revenue spike and a surge of bad rows on chosen days.

Used to prove the data-quality anomaly checks (``ecommerce_pipeline.quality.anomalies``) catch
real incidents. Each fault is off unless its day is set, and a run without faults writes exactly
the files of a run of a generator without this module:

* volume drop (``volume_drop_day``): only ``volume_drop_keep`` (default 30%) of the orders
  planned on that day are placed (chosen by their own random stream); the other days are unchanged;
* revenue spike (``revenue_spike_day``): the unit prices of that day's order lines are multiplied
  by ``revenue_spike_factor`` (default 5; discounts and tax follow the price);
* bad-row surge (``bad_rows_day``): that day's files get ``bad_rows_rate`` (default 30%) extra bad
  rows of the dirty-mode kinds (:mod:`.dirt`), on top of the run's ``dirty_rate`` elsewhere.

The faults applied are recorded in ``_manifest/generation.json`` under ``"faults"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from ecommerce_pipeline.generate.seasonality import SECONDS_PER_DAY, Horizon

DEFAULT_VOLUME_KEEP = 0.3
DEFAULT_REVENUE_FACTOR = 5.0
DEFAULT_BAD_ROWS_RATE = 0.3


@dataclass(frozen=True)
class FaultPlan:
    """The faults of a run, as day indices of the horizon (None: fault off)."""

    volume_drop_day: int | None = None
    volume_drop_keep: float = DEFAULT_VOLUME_KEEP
    revenue_spike_day: int | None = None
    revenue_spike_factor: float = DEFAULT_REVENUE_FACTOR
    bad_rows_day: int | None = None
    bad_rows_rate: float = DEFAULT_BAD_ROWS_RATE

    @property
    def active(self) -> bool:
        return any(
            day is not None
            for day in (self.volume_drop_day, self.revenue_spike_day, self.bad_rows_day)
        )

    @classmethod
    def of(
        cls,
        horizon: Horizon,
        *,
        volume_drop_day: date | None,
        volume_drop_keep: float,
        revenue_spike_day: date | None,
        revenue_spike_factor: float,
        bad_rows_day: date | None,
        bad_rows_rate: float,
    ) -> FaultPlan:
        def index(day: date | None) -> int | None:
            return None if day is None else (day - horizon.day_date(0)).days

        return cls(
            volume_drop_day=index(volume_drop_day),
            volume_drop_keep=volume_drop_keep,
            revenue_spike_day=index(revenue_spike_day),
            revenue_spike_factor=revenue_spike_factor,
            bad_rows_day=index(bad_rows_day),
            bad_rows_rate=bad_rows_rate,
        )

    def describe(self, horizon: Horizon) -> list[dict[str, Any]]:
        """The active faults as JSON-ready records (kind, day, parameter)."""
        faults: list[dict[str, Any]] = []
        if self.volume_drop_day is not None:
            faults.append(
                {
                    "kind": "volume_drop",
                    "day": horizon.day_date(self.volume_drop_day).isoformat(),
                    "keep": self.volume_drop_keep,
                }
            )
        if self.revenue_spike_day is not None:
            faults.append(
                {
                    "kind": "revenue_spike",
                    "day": horizon.day_date(self.revenue_spike_day).isoformat(),
                    "price_factor": self.revenue_spike_factor,
                }
            )
        if self.bad_rows_day is not None:
            faults.append(
                {
                    "kind": "bad_rows_surge",
                    "day": horizon.day_date(self.bad_rows_day).isoformat(),
                    "dirty_rate": self.bad_rows_rate,
                }
            )
        return faults


def drop_orders(
    secs: np.ndarray, horizon: Horizon, plan: FaultPlan, rng: np.random.Generator
) -> np.ndarray:
    """Boolean mask of the planned orders to keep (all but the dropped share of the drop day)."""
    keep = np.ones(len(secs), dtype=bool)
    if plan.volume_drop_day is None:
        return keep
    start = horizon.start_secs + plan.volume_drop_day * SECONDS_PER_DAY
    low, high = np.searchsorted(secs, [start, start + SECONDS_PER_DAY])
    count = int(high - low)
    kept = round(count * plan.volume_drop_keep)
    dropped = rng.choice(count, size=count - kept, replace=False)
    keep[low + dropped] = False
    return keep


def spike_prices(price_cents: np.ndarray, line_day: np.ndarray, plan: FaultPlan) -> np.ndarray:
    """Line prices with the revenue-spike day's prices multiplied (unchanged without a spike)."""
    if plan.revenue_spike_day is None:
        return price_cents
    spiked = np.round(price_cents * plan.revenue_spike_factor).astype(price_cents.dtype)
    return np.where(line_day == plan.revenue_spike_day, spiked, price_cents)


def dirty_rate_of_day(day: int, base_rate: float, plan: FaultPlan) -> float:
    """The share of injected bad rows of ``day``: the surge rate on the surge day."""
    if plan.bad_rows_day is not None and day == plan.bad_rows_day:
        return max(base_rate, plan.bad_rows_rate)
    return base_rate
