"""Transform steps (run in a subprocess by :mod:`benchmarks.step`).

- ``transform_build``: ``ecommerce_pipeline.transform.build`` (``dbt build``: seed, snapshots,
  models, tests) on a warehouse whose raw layer is loaded; reports the wall time and the models'
  own execution time (sum of the model nodes' times in run_results).
- ``transform_plain_sql``: the floor, the same transformations outside dbt: every table and
  incremental model's SQL, compiled for a full refresh, executed as a bare
  ``CREATE TABLE bench_floor.<model> AS <sql>`` in dependency order on one connection (no
  materialisation macros, no contracts, no tests, no hooks). Run after a full build, so the
  views and snapshots the models read exist.
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

FLOOR_SCHEMA = "bench_floor"
BUILT_MATERIALIZATIONS = frozenset({"table", "incremental"})


def _settings(params: dict[str, Any]) -> Any:
    from ecommerce_pipeline.config import Settings, Target

    return Settings(
        target=Target(params["target"]),
        duckdb_path=Path(params.get("duckdb_path") or "warehouse/unused.duckdb"),
        postgres_dsn=params.get("postgres_dsn") or "postgresql://postgres@127.0.0.1:5432/unused",
    )


def _count(settings: Any, table: str) -> int:
    from ecommerce_pipeline.warehouse import query

    return int(query(settings, f"select count(*) from {table}")[0][0])


def transform_build(params: dict[str, Any]) -> dict[str, Any]:
    """Time one ``dbt build`` (full refresh or incremental) with ``as_of``."""
    from ecommerce_pipeline.transform import build

    settings = _settings(params)
    target_dir = Path(params["target_dir"])
    started = time.perf_counter()
    result = build(
        settings,
        as_of=date.fromisoformat(params["as_of"]),
        full_refresh=bool(params.get("full_refresh", False)),
        target_dir=target_dir,
    )
    seconds = time.perf_counter() - started
    if not result.success:
        raise RuntimeError(f"dbt build failed: {'; '.join(result.failures[:5])}")
    by_type: dict[str, float] = {}
    models: dict[str, float] = {}
    for outcome in result.results:
        by_type[outcome.resource_type] = (
            by_type.get(outcome.resource_type, 0.0) + outcome.execution_time
        )
        if outcome.resource_type == "model":
            models[outcome.node_id.rsplit(".", 1)[-1]] = round(outcome.execution_time, 3)
    slowest = dict(sorted(models.items(), key=lambda item: -item[1])[:6])
    return {
        "rows": _count(settings, "warehouse.fact_order_items"),
        "seconds": seconds,
        "model_seconds": round(by_type.get("model", 0.0), 3),
        "snapshot_seconds": round(by_type.get("snapshot", 0.0), 3),
        "test_seconds": round(by_type.get("test", 0.0) + by_type.get("unit_test", 0.0), 3),
        "nodes": len(result.results),
        "slowest_models": slowest,
        "model_times": models,
    }


def _topological(nodes: dict[str, dict[str, Any]]) -> list[str]:
    """Node ids in dependency order (parents first), restricted to ``nodes``."""
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        if node_id in seen:
            return
        seen.add(node_id)
        for parent in nodes[node_id]["depends_on"]["nodes"]:
            if parent in nodes:
                visit(parent)
        ordered.append(node_id)

    for node_id in sorted(nodes):
        visit(node_id)
    return ordered


def _compiled_models(settings: Any, target_dir: Path, as_of: str) -> list[tuple[str, str]]:
    """(model name, compiled full-refresh SQL) of every table/incremental model, parents first."""
    from ecommerce_pipeline.transform import run_dbt

    result = run_dbt(
        settings,
        ["compile", "--full-refresh", "--vars", json.dumps({"as_of_date": as_of})],
        target_dir=target_dir,
    )
    if not result.success:
        raise RuntimeError(f"dbt compile failed: {'; '.join(result.failures[:5])}")
    manifest = json.loads((target_dir / "manifest.json").read_text(encoding="utf-8"))
    models = {
        node_id: node
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["config"]["materialized"] in BUILT_MATERIALIZATIONS
    }
    return [
        (models[node_id]["name"], models[node_id]["compiled_code"])
        for node_id in _topological(models)
    ]


def transform_plain_sql(params: dict[str, Any]) -> dict[str, Any]:
    """Time the compiled SQL of every built model as bare CTAS statements (the floor)."""
    settings = _settings(params)
    compiled = _compiled_models(settings, Path(params["target_dir"]), params["as_of"])
    times: dict[str, float] = {}
    if params["target"] == "duckdb":
        import duckdb

        con = duckdb.connect(str(settings.duckdb_path))
        execute = con.execute
        close = con.close
    else:
        import psycopg

        from ecommerce_pipeline.transform import POSTGRES_SESSION_OPTIONS

        pg = psycopg.connect(
            settings.postgres_dsn, autocommit=True, options=POSTGRES_SESSION_OPTIONS
        )
        execute = pg.execute
        close = pg.close
    try:
        execute(f"drop schema if exists {FLOOR_SCHEMA} cascade")
        execute(f"create schema {FLOOR_SCHEMA}")
        started = time.perf_counter()
        for name, sql in compiled:
            mark = time.perf_counter()
            execute(f"create table {FLOOR_SCHEMA}.{name} as {sql}")
            times[name] = round(time.perf_counter() - mark, 3)
        seconds = time.perf_counter() - started
        execute(f"drop schema {FLOOR_SCHEMA} cascade")
    finally:
        close()
    slowest = dict(sorted(times.items(), key=lambda item: -item[1])[:6])
    return {
        "rows": _count(settings, "warehouse.fact_order_items"),
        "seconds": seconds,
        "models": len(compiled),
        "slowest_models": slowest,
        "model_times": times,
    }
