"""Shared fixtures: real DuckDB files in tmp_path and real PostgreSQL databases per test session.

PostgreSQL runs at 127.0.0.1:5432 (user postgres, trust auth). Tests create their own databases
(named ``ecom_test_<pid>_<n>``) and drop them afterwards. When the server is unreachable the
PostgreSQL tests are skipped locally but FAIL in CI (``CI=true``): a missing service is never green.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

PG_ADMIN_DSN = os.environ.get(
    "ECOM_TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
_counter = itertools.count()


def _pg_reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=5):
            return None
    except psycopg.OperationalError as exc:
        return str(exc)


def _dsn_for(database: str) -> str:
    base, _, _ = PG_ADMIN_DSN.rpartition("/")
    return f"{base}/{database}"


class PostgresDatabases:
    """Creates uniquely named PostgreSQL databases and drops them all at the end."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self, label: str = "db") -> str:
        import psycopg

        name = f"ecom_test_{os.getpid()}_{next(_counter)}_{label}".lower()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
            conn.execute(f'create database "{name}"')
        self.created.append(name)
        return _dsn_for(name)

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'drop database if exists "{name}" with (force)')
        self.created.clear()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    """Factory for fresh PostgreSQL databases; fails in CI when the server is unreachable."""
    error = _pg_reachable()
    if error is not None:
        message = f"PostgreSQL at {PG_ADMIN_DSN} is unreachable: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture
def pg_dsn(pg_databases: PostgresDatabases, request: pytest.FixtureRequest) -> str:
    """DSN of a fresh, empty PostgreSQL database for one test."""
    label = "".join(ch for ch in request.node.name.lower() if ch.isalnum())[:20]
    return pg_databases.create(label)


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    """Path of a (not yet existing) DuckDB warehouse file for one test."""
    return tmp_path / "warehouse" / "ecommerce.duckdb"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the repository (spec, datasets)."""
    if not SHARED_DIR.is_dir():
        pytest.fail(f"{SHARED_DIR} is missing: ../shared must sit beside the repository")
    return SHARED_DIR


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """../shared/datasets (real public data: Olist sample, UCI Online Retail)."""
    path = SHARED_DIR / "datasets"
    if not path.is_dir():
        pytest.fail(f"{path} is missing: the shared datasets must sit beside the repository")
    return path


class _Webhook(BaseHTTPRequestHandler):
    """Records the JSON body of every POST (a Slack-compatible alert receiver)."""

    posts: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.posts.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP receiver on 127.0.0.1: (its URL, the posts it received)."""
    posts: list[dict[str, Any]] = []
    handler = type("Recorder", (_Webhook,), {"posts": posts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/dq", posts
    server.shutdown()
    server.server_close()
    thread.join(5)
