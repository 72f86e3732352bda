"""The generator's flags, its result, and how big a run is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

from ecommerce_pipeline.contract import LANDING_FORMATS

#: At scale 1.0 and the default 730 days.
CUSTOMERS_AT_SCALE_1 = 100_000
PRODUCTS_AT_SCALE_1 = 10_000
ORDERS_AT_SCALE_1 = 1_000_000
REFERENCE_DAYS = 730
MIN_PRODUCTS = 200
MIN_CUSTOMERS = 20
MAX_DIRTY_RATE = 0.5


class GeneratorConfigError(ValueError):
    """An invalid generator flag; the message names the flag, the value and the fix."""


@dataclass(frozen=True)
class GeneratorConfig:
    """Flags of one generator run.

    ``scale`` 1.0 is 100,000 customers, 10,000 products and 1,000,000 orders (~2.5 lines each)
    over the default 730 days; customers and orders are proportional to ``days`` (the shop's
    daily volume does not depend on how long a history you ask for), products are not.
    """

    out: Path
    scale: float = 1.0
    start: date = date(2024, 1, 1)
    days: int = 730
    seed: int = 42
    file_format: str = "csv"
    dirty_rate: float = 0.0
    progress: bool = False
    # Fault injection (see generate/faults.py); a fault is off while its day is None.
    volume_drop_day: date | None = None
    volume_drop_keep: float = 0.3
    revenue_spike_day: date | None = None
    revenue_spike_factor: float = 5.0
    bad_rows_day: date | None = None
    bad_rows_rate: float = 0.3

    #: Fields describing injected faults (kept out of generation.json's flags; see "faults").
    FAULT_FIELDS: ClassVar[tuple[str, ...]] = (
        "volume_drop_day",
        "volume_drop_keep",
        "revenue_spike_day",
        "revenue_spike_factor",
        "bad_rows_day",
        "bad_rows_rate",
    )

    def validate(self) -> None:
        """Raise :class:`GeneratorConfigError` for a flag the generator cannot honour."""
        if not isinstance(self.scale, int | float) or not self.scale > 0:
            raise GeneratorConfigError(
                f"--scale must be a number > 0 (1.0 = 100,000 customers); got {self.scale!r}"
            )
        if not isinstance(self.days, int) or self.days < 1:
            raise GeneratorConfigError(f"--days must be an integer >= 1; got {self.days!r}")
        if self.file_format not in LANDING_FORMATS:
            raise GeneratorConfigError(
                f"--format must be one of {', '.join(LANDING_FORMATS)}; got {self.file_format!r}"
            )
        if (
            not isinstance(self.dirty_rate, int | float)
            or not 0 <= self.dirty_rate <= MAX_DIRTY_RATE
        ):
            raise GeneratorConfigError(
                f"--dirty-rate must be between 0 and {MAX_DIRTY_RATE} (share of injected bad rows);"
                f" got {self.dirty_rate!r}"
            )
        if not isinstance(self.start, date):
            raise GeneratorConfigError(f"--start must be a date (YYYY-MM-DD); got {self.start!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise GeneratorConfigError(f"--seed must be an integer >= 0; got {self.seed!r}")
        self._validate_faults()
        if Path(self.out).exists() and not Path(self.out).is_dir():
            raise GeneratorConfigError(
                f"--out {self.out} is a file; give a folder (it is created if missing)"
            )

    def _validate_faults(self) -> None:
        last = self.start + timedelta(days=self.days - 1)
        for flag in ("volume_drop_day", "revenue_spike_day", "bad_rows_day"):
            day = getattr(self, flag)
            if day is not None and (not isinstance(day, date) or not self.start <= day <= last):
                raise GeneratorConfigError(
                    f"--{flag.replace('_', '-')} must be a day between {self.start} and {last}"
                    f" (the generated period); got {day!r}"
                )
        if not 0 <= self.volume_drop_keep < 1:
            raise GeneratorConfigError(
                f"--volume-drop-keep must be >= 0 and < 1 (share of the day's orders kept); "
                f"got {self.volume_drop_keep!r}"
            )
        if not self.revenue_spike_factor > 0:
            raise GeneratorConfigError(
                f"--revenue-spike-factor must be > 0; got {self.revenue_spike_factor!r}"
            )
        if not 0 < self.bad_rows_rate <= MAX_DIRTY_RATE:
            raise GeneratorConfigError(
                f"--bad-rows-rate must be > 0 and <= {MAX_DIRTY_RATE}; got {self.bad_rows_rate!r}"
            )


@dataclass(frozen=True)
class GenerateResult:
    """What a run wrote: data rows per table (injected bad rows included), files, duration."""

    out: Path
    rows: dict[str, int]
    files: int
    seconds: float
    manifest: Path | None


@dataclass(frozen=True)
class Sizes:
    """Entity counts of a run."""

    customers: int
    products: int
    orders: int

    @classmethod
    def of(cls, config: GeneratorConfig) -> Sizes:
        span = config.scale * config.days / REFERENCE_DAYS
        return cls(
            customers=max(MIN_CUSTOMERS, round(CUSTOMERS_AT_SCALE_1 * span)),
            products=max(MIN_PRODUCTS, round(PRODUCTS_AT_SCALE_1 * config.scale)),
            orders=max(1, round(ORDERS_AT_SCALE_1 * span)),
        )
