"""`make airflow` as a user runs it: log into the API with admin/admin, trigger a day, stop it.

Airflow runs for real (``airflow standalone``: API server, scheduler, DAG processor, triggerer,
LocalExecutor) in a temporary AIRFLOW_HOME on a free port, over a small generated landing folder.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ecommerce_pipeline.airflow_standalone import leftover_processes, lineage_file
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.orchestration import DAG_ID, missing_day_folders

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
START = date(2024, 1, 1)
DAYS = 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Airflow:
    """A running `make airflow` and what the test needs to talk to it."""

    api: str
    home: Path
    env: dict[str, str]
    make_args: str
    warehouse: Path
    day: date


def _make(target: str, airflow: Airflow | None, env: dict[str, str], args: str) -> Any:
    return subprocess.run(
        ["make", "--no-print-directory", target, f"AIRFLOW_ARGS={args}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _request(
    url: str, *, method: str = "GET", body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, method=method
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    tmp = tmp_path_factory.mktemp("airflow-e2e")
    landing = tmp / "landing"
    generate(GeneratorConfig(out=landing, scale=0.005, days=DAYS, seed=11, start=START))
    days = [START + timedelta(days=offset) for offset in range(DAYS)]
    day = next(day for day in days if not missing_day_folders(landing, day))
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("ECOM_", "AIRFLOW"))
    }
    env.update(
        {
            "ECOM_TARGET": "duckdb",
            "ECOM_DUCKDB_PATH": str(tmp / "warehouse.duckdb"),
            "ECOM_LANDING_DIR": str(landing),
            "ECOM_START_DATE": START.isoformat(),
            "ECOM_DAYS": str(DAYS),
            "ECOM_DBT_MANIFEST_PATH": str(tmp / "dbt" / "manifest.json"),
            "ECOM_DBT_DOCS_DIR": str(tmp / "docs"),
        }
    )
    port = _free_port()
    home = tmp / "home"
    args = f"--home {home} --port {port}"
    started = _make("airflow", None, env, args)
    running = Airflow(f"http://127.0.0.1:{port}", home, env, args, tmp / "warehouse.duckdb", day)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://localhost:{port}" in started.stdout
        yield running
    finally:
        _make("airflow-stop", running, env, args)


def _token(airflow: Airflow, password: str = "admin") -> tuple[int, Any]:
    return _request(
        f"{airflow.api}/auth/token",
        method="POST",
        body={"username": "admin", "password": password},
    )


def test_login_pool_variables_connection_and_unpaused_dag(airflow: Airflow) -> None:
    status, _ = _token(airflow, password="wrong")
    assert status == 401
    status, body = _token(airflow)
    assert status in (200, 201)
    token = body["access_token"]

    status, dag = _request(f"{airflow.api}/api/v2/dags/{DAG_ID}", token=token)
    assert status == 200
    assert dag["is_paused"] is False
    status, pool = _request(f"{airflow.api}/api/v2/pools/duckdb_writer", token=token)
    assert status == 200 and pool["slots"] == 1
    status, variable = _request(f"{airflow.api}/api/v2/variables/ecom_target", token=token)
    assert status == 200 and variable["value"] == "duckdb"
    status, connection = _request(f"{airflow.api}/api/v2/connections/ecom_warehouse", token=token)
    assert status == 200 and connection["host"] == str(airflow.warehouse)
    status, _ = _request(f"{airflow.api}/api/v2/dags/{DAG_ID}")
    assert status == 401  # nothing without a login


def test_a_run_triggered_over_http_succeeds(airflow: Airflow) -> None:
    token = _token(airflow)[1]["access_token"]
    run_id = f"e2e_{airflow.day.isoformat()}"
    status, body = _request(
        f"{airflow.api}/api/v2/dags/{DAG_ID}/dagRuns",
        method="POST",
        body={"dag_run_id": run_id, "logical_date": f"{airflow.day.isoformat()}T02:00:00Z"},
        token=token,
    )
    assert status == 200, body
    deadline = time.monotonic() + 540
    state = "queued"
    while time.monotonic() < deadline:
        status, run = _request(f"{airflow.api}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}", token=token)
        assert status == 200, run
        state = run["state"]
        if state in ("success", "failed"):
            break
        time.sleep(3)
    status, instances = _request(
        f"{airflow.api}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=200",
        token=token,
    )
    not_ok = {
        ti["task_id"]: ti["state"] for ti in instances["task_instances"] if ti["state"] != "success"
    }
    assert state == "success", not_ok
    assert len(instances["task_instances"]) > 40

    with duckdb.connect(str(airflow.warehouse), read_only=True) as con:
        days = con.execute(
            "select count(*) from marts.sales_summary where period_grain = 'day'"
        ).fetchone()
        loaded = con.execute("select min(_file_day), max(_file_day) from raw.orders").fetchone()
    assert days is not None and days[0] > 0
    assert loaded is not None and loaded[1] == airflow.day  # loaded up to its business day

    # Lineage: the OpenLineage provider wrote each task's events to the file transport.
    events = [
        json.loads(line)
        for line in lineage_file(airflow.home).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    completed = {event["job"]["name"] for event in events if event.get("eventType") == "COMPLETE"}
    assert f"{DAG_ID}.load_day" in completed, sorted(completed)[:10]
    assert any(name.startswith(f"{DAG_ID}.dbt.") for name in completed)


def test_airflow_stop_leaves_no_process(airflow: Airflow) -> None:
    pid, _, run_id = (airflow.home / "standalone.pid").read_text().strip().partition(" ")
    assert leftover_processes(int(pid), run_id)  # it runs
    stopped = _make("airflow-stop", airflow, airflow.env, airflow.make_args)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "no process of it is left" in stopped.stdout
    assert leftover_processes(int(pid), run_id) == []
    assert not (airflow.home / "standalone.pid").exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(airflow.api.rsplit(":", 1)[1]))) != 0
