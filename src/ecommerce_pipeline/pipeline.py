"""The pipeline's steps as library functions: the CLI, the DAG and the API all call these.

generate (synthetic landing files) -> load (landing -> raw) -> transform (dbt build) -> summary.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ecommerce_pipeline.config import Settings

if TYPE_CHECKING:
    from ecommerce_pipeline.generate import GenerateResult
    from ecommerce_pipeline.ingest import LoadReport
    from ecommerce_pipeline.transform import TransformResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Summary:
    """Headline figures of the marts after a run."""

    net_revenue: float
    revenue_orders: int
    customers: int
    first_day: date | None
    last_day: date | None
    top_segments: list[tuple[str, int]]
    failed_tests: int


@dataclass
class RunResult:
    """What `ecom run` did, step by step."""

    generated: GenerateResult | None
    load: LoadReport
    transform: TransformResult | None = None
    summary: Summary | None = None
    steps_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        transform_ok = self.transform is None or self.transform.success
        return self.load.reconciles and transform_ok


def landing_is_empty(landing_dir: Path) -> bool:
    """True when the landing folder holds no landing file (ignoring `_`-prefixed entries)."""
    if not landing_dir.is_dir():
        return True
    return not any(
        path.is_file()
        and not any(part.startswith("_") for part in path.relative_to(landing_dir).parts)
        for path in landing_dir.rglob("*")
    )


def generate_landing(
    settings: Settings, *, dirty_rate: float = 0.0, progress: bool = False
) -> GenerateResult:
    """Write synthetic landing files to ``settings.landing_dir`` (scale, seed, days)."""
    from ecommerce_pipeline.generate import GeneratorConfig, generate

    config = GeneratorConfig(
        out=settings.landing_dir,
        scale=settings.scale,
        start=date.fromisoformat(settings.start_date),
        days=settings.days,
        seed=settings.seed,
        file_format=settings.file_format,
        dirty_rate=dirty_rate,
        progress=progress,
    )
    return generate(config)


def load(
    settings: Settings,
    *,
    since: date | None = None,
    until: date | None = None,
    progress: bool = False,
) -> LoadReport:
    """Load the landing files into the raw layer of the settings' target."""
    from ecommerce_pipeline.ingest import load_landing

    return load_landing(settings, since=since, until=until, progress=progress)
