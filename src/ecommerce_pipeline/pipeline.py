"""The pipeline's steps as library functions: the CLI, the DAG and the API all call these.

generate (synthetic landing files) -> load (landing -> raw) -> transform (dbt build) -> summary.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecommerce_pipeline.config import Settings, Target

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
    settings: Settings,
    *,
    dirty_rate: float = 0.0,
    progress: bool = False,
    faults: dict[str, Any] | None = None,
) -> GenerateResult:
    """Write synthetic landing files to ``settings.landing_dir`` (scale, seed, days).

    ``faults``: fault-injection fields of ``GeneratorConfig`` (e.g. ``volume_drop_day``).
    """
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
        **(faults or {}),
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


def transform(
    settings: Settings,
    *,
    as_of: date | None = None,
    full_refresh: bool = False,
    start: date | None = None,
    end: date | None = None,
    select: str | None = None,
) -> TransformResult:
    """Build the dbt project on the settings' target (``dbt build``)."""
    from ecommerce_pipeline import transform as dbt

    return dbt.build(
        settings, as_of=as_of, full_refresh=full_refresh, start=start, end=end, select=select
    )


def summarize(settings: Settings, transform_result: TransformResult | None) -> Summary:
    """Headline figures read from the marts (revenue, orders, customers, top RFM segments)."""
    from ecommerce_pipeline.warehouse import query

    totals = query(
        settings,
        "select coalesce(sum(net_revenue), 0), coalesce(sum(revenue_orders), 0), "
        "min(period_start), max(period_start) "
        "from marts.sales_summary where period_grain = 'day'",
    )[0]
    customers = query(settings, "select count(*) from marts.customer_summary")[0][0]
    segments = query(
        settings,
        "select rfm_segment, count(*) as customers from marts.customer_summary "
        "group by rfm_segment order by customers desc, rfm_segment limit 3",
    )
    failed = len(transform_result.failures) if transform_result is not None else 0
    return Summary(
        net_revenue=float(totals[0]),
        revenue_orders=int(totals[1]),
        customers=int(customers),
        first_day=totals[2],
        last_day=totals[3],
        top_segments=[(str(name), int(count)) for name, count in segments],
        failed_tests=failed,
    )


def run(settings: Settings, *, as_of: date | None = None, progress: bool = False) -> RunResult:
    """The whole pipeline: generate (if the landing folder is empty) -> load -> transform."""
    steps: dict[str, float] = {}
    generated = None
    started = time.perf_counter()
    if landing_is_empty(settings.landing_dir):
        logger.info("landing folder %s is empty: generating", settings.landing_dir)
        generated = generate_landing(settings, progress=progress)
        steps["generate"] = time.perf_counter() - started
    mark = time.perf_counter()
    report = load(settings, progress=progress)
    steps["load"] = time.perf_counter() - mark
    result = RunResult(generated=generated, load=report, steps_seconds=steps)
    mark = time.perf_counter()
    result.transform = transform(settings, as_of=as_of)
    steps["transform"] = time.perf_counter() - mark
    result.summary = summarize(settings, result.transform)
    return result


def results_location(settings: Settings) -> str:
    """Where a user finds the results of the settings' target."""
    if settings.target == Target.DUCKDB:
        return f"DuckDB file {settings.duckdb_path} (schemas raw, staging, warehouse, marts)"
    from ecommerce_pipeline.warehouse import redact_dsn

    return (
        f"PostgreSQL {redact_dsn(settings.postgres_dsn)} (schemas raw, staging, warehouse, marts)"
    )
