"""`ecom run`, `ecom transform` and `ecom docs` end to end, as a user runs them, on both targets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.warehouse import query

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ECOM = [sys.executable, "-m", "ecommerce_pipeline"]
WAREHOUSES = [
    pytest.param(Target.DUCKDB, id="duckdb"),
    pytest.param(Target.POSTGRES, id="postgres", marks=pytest.mark.postgres),
]


def _ecom(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "160", **env}
    return subprocess.run(
        [*ECOM, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=900
    )


def _summary_value(stdout: str, metric: str) -> str:
    match = re.search(rf"{re.escape(metric)}\s*[│|]\s*([^│|]+?)\s*[│|]", stdout)
    assert match, f"no {metric!r} row in the summary:\n{stdout}"
    return match.group(1)


@pytest.mark.parametrize("target", WAREHOUSES)
def test_run_then_transform_as_of_then_docs(
    target: Target, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = {
        "ECOM_TARGET": target.value,
        "ECOM_LANDING_DIR": str(tmp_path / "landing"),
        "ECOM_DUCKDB_PATH": str(tmp_path / "wh.duckdb"),
    }
    if target is Target.POSTGRES:
        env["ECOM_POSTGRES_DSN"] = request.getfixturevalue("pg_databases").create("cli_run")
    settings = Settings(
        target=target,
        duckdb_path=Path(env["ECOM_DUCKDB_PATH"]),
        postgres_dsn=env.get("ECOM_POSTGRES_DSN", Settings().postgres_dsn),
    )

    run = _ecom("run", "--scale", "0.002", "--days", "45", "--seed", "5", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Pipeline summary" in run.stdout
    assert _summary_value(run.stdout, "failed tests") == "0"
    net, orders = query(
        settings,
        "select sum(net_revenue), sum(revenue_orders) from marts.sales_summary"
        " where period_grain = 'day'",
    )[0]
    assert _summary_value(run.stdout, "net revenue") == f"{float(net):,.2f}"
    assert _summary_value(run.stdout, "revenue orders") == f"{int(orders):,}"
    assert "Results:" in run.stdout

    # A second run finds the landing folder full and every file loaded: nothing new, same marts.
    again = _ecom("run", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _summary_value(again.stdout, "net revenue") == f"{float(net):,.2f}"

    last_day = query(settings, "select max(order_date) from warehouse.fact_orders")[0][0]
    later = last_day + timedelta(days=10)
    as_of = _ecom(
        "transform",
        "--as-of",
        later.isoformat(),
        "--select",
        "+customer_summary",
        cwd=tmp_path,
        env=env,
    )
    assert as_of.returncode == 0, as_of.stdout + as_of.stderr
    dates = query(settings, "select distinct as_of_date from marts.customer_summary")
    assert [row[0] for row in dates] == [later]

    # An as-of date inside the loaded data would give negative recencies: the build refuses it
    # on fact_orders and skips the marts, which keep the previous build.
    early = _ecom("transform", "--as-of", "2024-01-20", cwd=tmp_path, env=env)
    assert early.returncode == 1
    assert "assert_as_of_date_is_after_the_last_order" in early.stdout
    dates = query(settings, "select distinct as_of_date from marts.customer_summary")
    assert [row[0] for row in dates] == [later]

    half = _ecom("transform", "--start", "2024-01-10", cwd=tmp_path, env=env)
    assert half.returncode != 0
    assert "both" in (half.stdout + half.stderr)

    if target is Target.DUCKDB:
        docs = _ecom("docs", cwd=tmp_path, env=env)
        assert docs.returncode == 0, docs.stdout + docs.stderr
        index = re.search(r"dbt docs written to (\S+index\.html)", docs.stdout.replace("\n", ""))
        assert index and Path(index.group(1)).is_file()
