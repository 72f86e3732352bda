"""The generated period and its seasonality: weekly and yearly demand cycles, an hour-of-day curve.

All times are ``int64`` seconds since the Unix epoch (UTC). :class:`DemandClock` turns the
seasonality into a clock on which a homogeneous random process (a customer's purchases) becomes
seasonal in real time: more orders on weekends, in November and December, fewer in January.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property

import numpy as np

SECONDS_PER_HOUR = 3_600
SECONDS_PER_DAY = 86_400

#: Demand by weekday, Monday first: the weekend sells about a third more than a weekday.
WEEKDAY_FACTORS = np.array([0.92, 0.90, 0.90, 0.92, 0.97, 1.18, 1.26])
#: Demand by month, January first: a January dip, November and December peaks.
MONTH_FACTORS = np.array([0.76, 0.86, 0.95, 0.95, 0.98, 0.95, 0.92, 0.95, 1.00, 1.05, 1.45, 1.55])
#: Relative demand by UTC hour (the customers live mostly in the Americas and Europe).
HOUR_WEIGHTS = np.array(
    [
        2.6, 2.2, 1.6, 1.1, 0.8, 0.6, 0.6, 0.8, 1.2, 1.7, 2.2, 2.6,
        3.0, 3.3, 3.4, 3.4, 3.5, 3.7, 3.9, 4.1, 4.2, 4.1, 3.7, 3.1,
    ]
)  # fmt: skip
BLACK_FRIDAY_FACTOR = 2.3
CYBER_MONDAY_FACTOR = 1.9
CHRISTMAS_FACTOR = 0.65  # 24-26 December: shops are quiet
#: Signups grow as ``exp(GROWTH_PER_YEAR * years since the first day)`` (a growing shop).
GROWTH_PER_YEAR = 0.35


@dataclass(frozen=True)
class Horizon:
    """The business days the generator writes: ``start`` and the ``days - 1`` days after it."""

    start: date
    days: int

    @cached_property
    def start_secs(self) -> int:
        return int(
            datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC).timestamp()
        )

    @property
    def end_secs(self) -> int:
        """First second after the last day: nothing at or after it is written."""
        return self.start_secs + self.days * SECONDS_PER_DAY

    @cached_property
    def epoch_day(self) -> int:
        """Days since 1970-01-01 of the first day."""
        return self.start_secs // SECONDS_PER_DAY

    @cached_property
    def dates(self) -> np.ndarray:
        """``datetime64[D]`` of every day."""
        return np.arange(self.days) + np.datetime64(self.start, "D")

    @cached_property
    def weekday(self) -> np.ndarray:
        """0 = Monday ... 6 = Sunday, per day."""
        return ((self.epoch_day + np.arange(self.days) + 3) % 7).astype(np.int8)

    @cached_property
    def month(self) -> np.ndarray:
        """Month 1..12 per day."""
        return (self.dates.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int8)

    @cached_property
    def day_of_month(self) -> np.ndarray:
        return (self.dates - self.dates.astype("datetime64[M]")).astype(np.int64) + 1

    @cached_property
    def month_end_days(self) -> np.ndarray:
        """Indices of the days that are the last day of their month."""
        following_month = (self.dates + 1).astype("datetime64[M]")
        return np.flatnonzero(following_month != self.dates.astype("datetime64[M]"))

    def day_index(self, secs: np.ndarray) -> np.ndarray:
        """Day index (0 = first day) of each time."""
        return (np.asarray(secs) - self.start_secs) // SECONDS_PER_DAY

    def day_date(self, day: int) -> date:
        return self.dates[day].astype(object)

    @cached_property
    def special_day_factors(self) -> np.ndarray:
        """Black Friday, Cyber Monday and Christmas multipliers per day (1 elsewhere)."""
        factors = np.ones(self.days)
        november = self.month == 11
        fridays = november & (self.weekday == 4)
        # Black Friday: the fourth Friday of November (days 22..28).
        black_friday = fridays & (self.day_of_month >= 22) & (self.day_of_month <= 28)
        factors[black_friday] = BLACK_FRIDAY_FACTOR
        cyber_monday = np.flatnonzero(black_friday) + 3
        factors[cyber_monday[cyber_monday < self.days]] = CYBER_MONDAY_FACTOR
        christmas = (self.month == 12) & (self.day_of_month >= 24) & (self.day_of_month <= 26)
        factors[christmas] = CHRISTMAS_FACTOR
        return factors

    @cached_property
    def day_factors(self) -> np.ndarray:
        """Seasonal demand per day (weekday x month x special days), about 1 on average."""
        return (
            WEEKDAY_FACTORS[self.weekday] * MONTH_FACTORS[self.month - 1] * self.special_day_factors
        )

    @cached_property
    def growth(self) -> np.ndarray:
        """Trend of a growing shop per day (1 on the first day)."""
        return np.exp(GROWTH_PER_YEAR * np.arange(self.days) / 365.0)

    def chunks(self, size: int) -> list[tuple[int, int]]:
        """``[first, stop)`` day ranges of at most ``size`` days covering the horizon."""
        return [(first, min(first + size, self.days)) for first in range(0, self.days, size)]


def hour_probabilities() -> np.ndarray:
    return HOUR_WEIGHTS / HOUR_WEIGHTS.sum()


def sample_moments(
    rng: np.random.Generator, horizon: Horizon, day_weights: np.ndarray, count: int
) -> np.ndarray:
    """``count`` times (sorted) on days drawn by ``day_weights`` and hours by the hour curve."""
    cumulative = np.cumsum(day_weights)
    days = np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
    hours = rng.choice(24, size=count, p=hour_probabilities())
    seconds = rng.integers(0, SECONDS_PER_HOUR, size=count)
    moments = horizon.start_secs + days * SECONDS_PER_DAY + hours * SECONDS_PER_HOUR + seconds
    return np.sort(moments.astype(np.int64))


class DemandClock:
    """Cumulative seasonal demand, in "average days": one unit = the demand of an average day.

    A customer who buys at a constant rate on this clock buys seasonally in real time.
    """

    def __init__(self, horizon: Horizon) -> None:
        hourly = np.repeat(horizon.day_factors, 24) * np.tile(hour_probabilities(), horizon.days)
        hourly = hourly / hourly.sum() * horizon.days
        self.horizon = horizon
        self._knots = horizon.start_secs + np.arange(horizon.days * 24 + 1) * SECONDS_PER_HOUR
        self._clock = np.concatenate([[0.0], np.cumsum(hourly)])

    @property
    def end(self) -> float:
        return float(self._clock[-1])

    def to_clock(self, secs: np.ndarray) -> np.ndarray:
        return np.interp(secs, self._knots, self._clock)

    def to_secs(self, clock: np.ndarray) -> np.ndarray:
        return np.floor(np.interp(clock, self._clock, self._knots)).astype(np.int64)
