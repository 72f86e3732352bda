"""ecommerce_pipeline.transform without a warehouse: environment, vars, results."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from ecommerce_pipeline import transform
from ecommerce_pipeline.config import Settings, Target

pytestmark = pytest.mark.unit


def test_dbt_env_maps_the_settings_onto_the_profile_variables(tmp_path: Path) -> None:
    settings = Settings(
        target=Target.POSTGRES,
        duckdb_path=tmp_path / "wh.duckdb",
        postgres_dsn="postgresql://analyst:secret@db.example:6543/shop_dw",
    )

    env = transform.dbt_env(settings)

    assert env["ECOM_DBT_TARGET"] == "postgres"
    assert env["ECOM_DBT_DUCKDB_PATH"] == str((tmp_path / "wh.duckdb").resolve())
    assert (
        env["ECOM_DBT_PG_HOST"],
        env["ECOM_DBT_PG_PORT"],
        env["ECOM_DBT_PG_USER"],
        env["ECOM_DBT_PG_PASSWORD"],
        env["ECOM_DBT_PG_DBNAME"],
    ) == ("db.example", "6543", "analyst", "secret", "shop_dw")
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert env["DO_NOT_TRACK"] == "1"
    assert env["ECOM_DBT_PG_THREADS"] == "4"


def test_dbt_env_reads_a_keyword_dsn() -> None:
    settings = Settings(postgres_dsn="host=127.0.0.1 dbname=h_dw user=postgres")

    env = transform.dbt_env(settings)

    assert env["ECOM_DBT_PG_DBNAME"] == "h_dw"
    assert env["ECOM_DBT_PG_PORT"] == "5432"


def test_build_dates_env_sets_every_date_variable_empty_when_not_given() -> None:
    assert transform.build_dates_env() == {
        "ECOM_DBT_AS_OF_DATE": "",
        "ECOM_DBT_START_DATE": "",
        "ECOM_DBT_END_DATE": "",
    }
    assert transform.build_dates_env(as_of=date(2025, 1, 2))["ECOM_DBT_AS_OF_DATE"] == "2025-01-02"
    backfill = transform.build_dates_env(start=date(2024, 2, 1), end=date(2024, 2, 29))
    assert backfill["ECOM_DBT_START_DATE"] == "2024-02-01"
    assert backfill["ECOM_DBT_END_DATE"] == "2024-02-29"


def test_the_macros_read_the_date_variables_build_sets() -> None:
    folder = transform.PROJECT_DIR / "macros"
    macros = "\n".join(path.read_text(encoding="utf-8") for path in folder.rglob("*.sql"))
    for variable in transform.RUN_DATE_ENV.values():
        assert f"env_var('{variable}'" in macros, variable


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2024, 2, 1), None, "needs both"),
        (None, date(2024, 2, 1), "needs both"),
        (date(2024, 3, 1), date(2024, 2, 1), "after end"),
    ],
)
def test_build_dates_env_rejects_a_half_or_reversed_backfill_range(
    start: date | None, end: date | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        transform.build_dates_env(start=start, end=end)


def test_the_environment_is_set_for_the_block_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_DBT_TARGET", "before")
    monkeypatch.delenv("ECOM_DBT_PG_HOST", raising=False)

    with transform._environment({"ECOM_DBT_TARGET": "inside", "ECOM_DBT_PG_HOST": "h"}):
        assert os.environ["ECOM_DBT_TARGET"] == "inside"
        assert os.environ["ECOM_DBT_PG_HOST"] == "h"

    assert os.environ["ECOM_DBT_TARGET"] == "before"
    assert "ECOM_DBT_PG_HOST" not in os.environ


def test_each_target_has_its_own_artifacts_folder() -> None:
    duckdb_path = transform.target_path(Settings(target=Target.DUCKDB))
    postgres_path = transform.target_path(Settings(target=Target.POSTGRES))

    assert duckdb_path != postgres_path
    assert duckdb_path.parent == postgres_path.parent == transform.PROJECT_DIR / "target"


def test_timing_sums_the_nodes_of_a_name() -> None:
    result = transform.TransformResult(
        success=True,
        command="dbt build",
        elapsed=3.0,
        results=[
            transform.NodeOutcome("model.ecommerce.fact_orders", "model", "success", 1.5),
            transform.NodeOutcome("model.ecommerce.fact_order_items", "model", "success", 0.5),
        ],
    )

    assert result.timing("fact_orders") == 1.5
    assert result.timing("dim_date") == 0.0


def test_docs_server_serves_the_generated_folder(tmp_path: Path) -> None:
    import threading
    import urllib.request

    (tmp_path / "index.html").write_text("<html>lineage</html>", encoding="utf-8")
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    server = transform.docs_server(tmp_path, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as reply:
            assert reply.read() == b"<html>lineage</html>"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json", timeout=5) as reply:
            assert reply.read() == b"{}"
    finally:
        server.shutdown()
        server.server_close()


def test_docs_server_refuses_a_folder_without_docs(tmp_path: Path) -> None:
    with pytest.raises(transform.TransformError, match="ecom docs"):
        transform.docs_server(tmp_path, port=0)
