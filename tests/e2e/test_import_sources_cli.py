"""The live sources through the CLI, as a user runs them: generate --to-db, serve, extract."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ECOM = [sys.executable, "-m", "ecommerce_pipeline"]


def ecom(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*ECOM, *args], capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_generate_to_db_then_extract_by_db_and_by_api(pg_databases: object, tmp_path: Path) -> None:
    dsn: str = pg_databases.create("cli")  # type: ignore[attr-defined]
    env = {**os.environ, "COLUMNS": "200"}
    generation = ("--scale", "0.003", "--days", "20", "--seed", "5")
    ecom("generate", *generation, "--to-db", dsn, env=env)
    db = ecom("extract", "db", "--url", dsn, "--landing", str(tmp_path / "db"), env=env)
    assert "rows in" in db.stdout
    rerun = ecom("extract", "db", "--url", dsn, "--landing", str(tmp_path / "db"), env=env)
    assert "0 rows in 0 files" in rerun.stdout

    port = free_port()
    server = subprocess.Popen(
        [
            *ECOM,
            "serve",
            "source-api",
            "--url",
            dsn,
            "--token",
            "t0k",
            "--port",
            str(port),
            "--throttle-every",
            "4",
            "--retry-after",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        api = ecom(
            "extract", "api", "--base-url", base, "--token", "t0k",
            "--landing", str(tmp_path / "api"), "--page-size", "200",
            env=env,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert "retries (429/5xx/network):" in api.stdout
    assert "retries (429/5xx/network): 0" not in api.stdout  # it was throttled and went on
    for table in ("customers", "products", "orders", "order_items", "payments"):
        assert landed_rows(tmp_path / "api", table) == landed_rows(tmp_path / "db", table), table


def landed_rows(folder: Path, table: str) -> list[str]:
    return sorted(
        line
        for path in (folder / table).rglob("*.csv")
        for line in path.read_text().splitlines()[1:]
    )
