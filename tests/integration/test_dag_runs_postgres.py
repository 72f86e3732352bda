"""The DAG run for real with ``dag.test()`` on PostgreSQL, and with the OLTP database as its source
(see test_dag_runs.py for the method; helpers in tests/dag_run_support.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.dag_run_support import (
    Shop,
    assert_same_marts,
    assert_success,
    backfill_run_days,
    cli_route_marts,
    dag_env,
    export_marts,
    parse_dag,
    run_day,
)

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.warehouse import query

pytestmark = pytest.mark.integration


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_backfill_matches_the_cli(
    metadata_db: Path,
    shop: Shop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_dsn: str,
    pg_databases: Any,
) -> None:
    settings = Settings(target=Target.POSTGRES, postgres_dsn=pg_dsn, landing_dir=shop.landing)
    backfill_run_days(monkeypatch, settings, shop, tmp_path)
    dag_marts = export_marts(settings)
    cli = Settings(
        target=Target.POSTGRES,
        postgres_dsn=pg_databases.create("dagcli"),
        landing_dir=shop.landing,
    )
    assert_same_marts(dag_marts, cli_route_marts(cli, shop.run_days[-1], tmp_path / "cli-dbt"))


@pytest.mark.postgres
def test_the_dag_takes_its_day_from_the_oltp_database(
    metadata_db: Path,
    shop: Shop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_databases: Any,
) -> None:
    """ECOM_SOURCE=database: the extract task fills the empty landing folder from the OLTP DB."""
    from ecommerce_pipeline.sources.oltp_writer import write_history

    day = shop.run_days[0]
    oltp = pg_databases.create("dag_oltp")
    write_history(oltp, shop.landing, until=day)
    landing = tmp_path / "extracted"
    settings = Settings(
        target=Target.DUCKDB, duckdb_path=tmp_path / "wh.duckdb", landing_dir=landing
    )
    env = dag_env(
        settings,
        Shop(landing, shop.run_days, shop.missing_day),
        tmp_path,
        ECOM_SOURCE="database",
        ECOM_SOURCE_DB_URL=oltp,
    )
    assert_success(run_day(parse_dag(monkeypatch, env), day))

    generated = {
        row.split(",", 1)[0]
        for folder in (shop.landing / "orders").iterdir()
        if folder.name <= day.isoformat()
        for path in folder.glob("*.csv")
        for row in path.read_text(encoding="utf-8").splitlines()[1:]
    }
    loaded = {row[0] for row in query(settings, "select distinct order_id from raw.orders")}
    assert loaded == generated
    built = query(settings, "select count(*) from marts.customer_summary")
    assert built[0][0] > 0
