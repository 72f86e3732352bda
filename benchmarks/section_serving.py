"""Serving section: the data API's latency and the dashboard's page render times at the run's scale.

Both run on the warehouses the transform section built (or build their own when it did not run):
``ecom serve api`` under a local async load generator (a round-robin mix of 14 endpoints, 8 and 1
requests in flight), and ``ecom serve dashboard`` timed in headless Chromium per page, cold (the
first visit: queries not cached) and warm (a second visit). See :mod:`benchmarks.serving_steps`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from benchmarks.context import BenchContext, measurement_from
from benchmarks.model import SectionResult, Target

logger = logging.getLogger(__name__)

SERVING_DESCRIPTION = (
    "`ecom serve api` (uvicorn, one worker) on the built warehouse under a local load generator "
    "(httpx async client, a round-robin mix of 14 endpoints: KPIs with and without filters, "
    "sales by day and month, customer lists, segments, cohorts, product rankings, geography, "
    "payment methods, fulfillment, data quality), 8 and 1 requests in flight; and `ecom serve "
    "dashboard` (Streamlit) timed in headless Chromium from navigation until each page's title "
    "and charts are drawn. Rows = requests (API) or pages (dashboard)."
)
API_P95_MAX_MS = 50.0
PAGE_MAX_SECONDS = 2.0


def _built(ctx: BenchContext, target: str) -> str:
    """A warehouse with built marts: the transform section's, or one built here (untimed)."""
    key = f"built_{target}"
    if key not in ctx.warehouses:
        last_day = ctx.start + timedelta(days=ctx.days - 1)
        landing = ctx.landing("csv")
        if target == "duckdb":
            path = ctx.path("warehouse", "serving.duckdb")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            base: dict[str, Any] = {"target": target, "duckdb_path": str(path)}
            location = str(path)
        else:
            location = ctx.create_database("serving")
            base = {"target": target, "postgres_dsn": location}
        ctx.run("load_ours", {**base, "landing": str(landing.path)})
        ctx.run(
            "transform_build",
            {
                **base,
                "target_dir": str(ctx.path("dbt_target", f"serving_{target}")),
                "as_of": (last_day + timedelta(days=1)).isoformat(),
                "full_refresh": True,
            },
        )
        ctx.warehouses[key] = location
    return ctx.warehouses[key]


def _run_target(ctx: BenchContext, result: SectionResult, target: str) -> None:
    location = _built(ctx, target)
    base = {"target": target, ("duckdb_path" if target == "duckdb" else "postgres_dsn"): location}
    for concurrency in (8, 1):
        outcome = ctx.run("api_latency", {**base, "requests": 2000, "concurrency": concurrency})
        measurement = measurement_from(
            f"api_{target}_c{concurrency}",
            f"data API, {target}, {concurrency} in flight",
            outcome,
            note=(
                f"p50 {outcome.result['p50_ms']} ms, p95 {outcome.result['p95_ms']} ms, "
                f"p99 {outcome.result['p99_ms']} ms, {outcome.result['errors']} errors"
            ),
        )
        result.measurements.append(measurement)
        result.targets.append(
            Target(
                key=f"api_p95_{target}_c{concurrency}",
                description=f"data API p95 latency, {target}, {concurrency} in flight (ms)",
                value=float(outcome.result["p95_ms"]),
                threshold=API_P95_MAX_MS,
                comparison="<=",
                unit="ms",
            )
        )
    # For information (no target): the same mix with the result cache off, i.e. every request
    # runs its SQL on the warehouse.
    uncached = ctx.run(
        "api_latency", {**base, "requests": 1000, "concurrency": 8, "cache_entries": 0}
    )
    result.measurements.append(
        measurement_from(
            f"api_{target}_c8_uncached",
            f"info: data API, {target}, 8 in flight, result cache off",
            uncached,
            note=(
                f"p50 {uncached.result['p50_ms']} ms, p95 {uncached.result['p95_ms']} ms, "
                f"p99 {uncached.result['p99_ms']} ms, {uncached.result['errors']} errors"
            ),
        )
    )
    pages = ctx.run("dashboard_render", base)
    cold = pages.result["cold_seconds"]
    warm = pages.result["warm_seconds"]
    result.measurements.append(
        measurement_from(
            f"dashboard_{target}",
            f"dashboard pages, {target}",
            pages,
            note="cold: "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in cold.items())
            + "; warm: "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in warm.items())
            + f"; frontend boot {pages.result['frontend_boot_seconds']:.2f} s",
        )
    )
    for kind, values in (("cold", cold), ("warm", warm)):
        result.targets.append(
            Target(
                key=f"dashboard_{kind}_{target}",
                description=f"slowest dashboard page, {kind}, {target} (seconds)",
                value=round(max(values.values()), 2),
                threshold=PAGE_MAX_SECONDS,
                comparison="<=",
                unit="s",
            )
        )


def run_serving_section(ctx: BenchContext, result: SectionResult) -> None:
    """API latency and dashboard render on DuckDB, then PostgreSQL."""
    for target in ("duckdb", "postgres"):
        _run_target(ctx, result, target)
    result.notes.append(
        "The load generator runs on the same 2 cores as the server and the warehouse. The query "
        "layer keeps a small LRU result cache keyed on the warehouse's version (DuckDB: the "
        "file's and WAL's modification time, size and inode; PostgreSQL: the MVCC snapshot the "
        "statement reads, taken in its repeatable-read transaction), so a pipeline write never "
        "leaves a stale result and repeated reads in the mix are answered from memory; "
        "`ECOM_SERVING_CACHE_ENTRIES=0` turns it off (the 'result cache off' rows)."
    )
