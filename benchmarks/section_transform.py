"""Transform section: the dbt build at the run's scale on DuckDB and PostgreSQL.

Per warehouse, on one fresh warehouse, in order:

1. load every landing day but the last (timed: the load half of "load + full build");
2. full ``dbt build`` (``--full-refresh``; seed, snapshots, models, unit and data tests);
3. the plain-SQL floor: the same models' compiled SQL as bare CTAS (see
   :mod:`benchmarks.transform_steps`);
4. load the last day (the daily delivery) and run the daily incremental ``dbt build``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from benchmarks.context import BenchContext, measurement_from
from benchmarks.model import Measurement, Ratio, SectionResult, Target

logger = logging.getLogger(__name__)

TRANSFORM_DESCRIPTION = (
    "`ecom transform` (`dbt build` through dbtRunner: seed, 2 snapshots, every model, unit and "
    "data "
    "tests) on a warehouse holding all landing days but the last; then the daily incremental run "
    "after loading the last day; and the floor, the same models' SQL outside dbt: each table and "
    "incremental model compiled for a full refresh and run as a bare `CREATE TABLE AS` in "
    "dependency order on one connection (no materialisation, contracts, indexes, hooks or tests). "
    "Rows = rows of `fact_order_items` after the build. Model time = the models' own execution "
    "times from run_results.json."
)
MODELS_MAX_SLOWDOWN = 2.0
DUCKDB_LOAD_BUILD_MAX_SECONDS = 20.0
POSTGRES_BUILD_MAX_SECONDS = 60.0
INCREMENTAL_MAX_SHARE = 0.10


def _run_target(ctx: BenchContext, result: SectionResult, target: str, location: str) -> None:
    landing = ctx.landing("csv")
    last_day = ctx.start + timedelta(days=ctx.days - 1)
    key = "duckdb_path" if target == "duckdb" else "postgres_dsn"
    base: dict[str, Any] = {"target": target, key: location}
    artifacts = str(ctx.path("dbt_target", target))

    load = ctx.run(
        "load_ours",
        {**base, "landing": str(landing.path), "until": (last_day - timedelta(days=1)).isoformat()},
    )
    load_m = measurement_from(
        f"load_{target}_all_but_last_day", f"load all days but the last, {target}", load
    )
    full = ctx.run(
        "transform_build",
        {**base, "target_dir": artifacts, "as_of": last_day.isoformat(), "full_refresh": True},
    )
    full_m = measurement_from(f"full_build_{target}", f"full dbt build, {target}", full)
    floor = ctx.run(
        "transform_plain_sql",
        {**base, "target_dir": artifacts + "_floor", "as_of": last_day.isoformat()},
    )
    floor_m = measurement_from(
        f"plain_sql_{target}", f"floor: the models' SQL as bare CTAS, {target}", floor
    )
    day = ctx.run(
        "load_ours",
        {
            **base,
            "landing": str(landing.path),
            "since": last_day.isoformat(),
            "until": last_day.isoformat(),
        },
    )
    day_m = measurement_from(f"load_{target}_last_day", f"load the last day, {target}", day)
    incremental = ctx.run(
        "transform_build",
        {**base, "target_dir": artifacts, "as_of": (last_day + timedelta(days=1)).isoformat()},
    )
    incremental_m = measurement_from(
        f"incremental_build_{target}", f"daily incremental dbt build, {target}", incremental
    )
    for measurement in (full_m, incremental_m, floor_m):
        measurement.details.pop("model_times", None)
    result.measurements += [load_m, full_m, floor_m, day_m, incremental_m]
    _targets(ctx, result, target, load_m, full, floor, full_m, incremental_m)


def _targets(
    ctx: BenchContext,
    result: SectionResult,
    target: str,
    load_m: Measurement,
    full: Any,
    floor: Any,
    full_m: Measurement,
    incremental_m: Measurement,
) -> None:
    floor_times: dict[str, float] = floor.result["model_times"]
    model_times: dict[str, float] = full.result["model_times"]
    same_models = sum(model_times.get(name, 0.0) for name in floor_times)
    result.targets.append(
        Target(
            key=f"models_vs_plain_sql_{target}",
            description=(
                f"{target}: the built models' own time in the full build / the same SQL as bare "
                f"CTAS ({same_models:.1f} s / {floor.result['seconds']:.1f} s)"
            ),
            value=round(same_models / floor.result["seconds"], 2),
            threshold=MODELS_MAX_SLOWDOWN,
            comparison="<=",
            unit="x",
        )
    )
    result.targets.append(
        Target(
            key=f"incremental_share_{target}",
            description=f"{target}: daily incremental build time / full build time",
            value=round(incremental_m.seconds / full_m.seconds, 2),
            threshold=INCREMENTAL_MAX_SHARE,
            comparison="<=",
        )
    )
    if target == "duckdb":
        result.targets.append(
            Target(
                key="duckdb_load_plus_full_build_seconds",
                description="duckdb: load + full dbt build (models, snapshots, tests), seconds",
                value=round(load_m.seconds + full_m.seconds, 1),
                threshold=DUCKDB_LOAD_BUILD_MAX_SECONDS,
                comparison="<=",
                unit="s",
            )
        )
    else:
        result.targets.append(
            Target(
                key="postgres_full_build_seconds",
                description="postgres: full dbt build (models, snapshots, tests), seconds",
                value=round(full_m.seconds, 1),
                threshold=POSTGRES_BUILD_MAX_SECONDS,
                comparison="<=",
                unit="s",
            )
        )
    result.ratios.append(
        Ratio(
            description=f"{target}: full build wall time / plain-SQL floor time",
            value=round(full_m.seconds / floor.result["seconds"], 2),
        )
    )


def run_transform_section(ctx: BenchContext, result: SectionResult) -> None:
    """Full build, plain-SQL floor and daily incremental on DuckDB, then PostgreSQL."""
    path = ctx.path("warehouse", "built.duckdb")
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    _run_target(ctx, result, "duckdb", str(path))
    ctx.warehouses["built_duckdb"] = str(path)  # kept for later sections (serving)
    dsn = ctx.create_database("built")
    _run_target(ctx, result, "postgres", dsn)
    ctx.warehouses["built_postgres"] = dsn
    result.notes.append(
        "The full build includes the seed, both snapshots, every data test and unit test; the "
        "floor runs only the table/incremental models' SQL (no views, snapshots or tests), so "
        "the targeted ratio compares the same models' times. Slowest models are listed in the "
        "JSON results (`slowest_models`)."
    )
