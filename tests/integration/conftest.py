"""Fixtures of the DAG run tests. Module-scoped: each test file gets its own shop and metadata
DB, so test_dag_runs.py and test_dag_runs_postgres.py run in parallel under pytest-xdist
(--dist loadfile)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.airflow_support import migrated_metadata_db
from tests.dag_run_support import Shop, make_shop


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory)


@pytest.fixture(scope="module")
def metadata_db() -> Path:
    return migrated_metadata_db()


@pytest.fixture
def alerts(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "alerts.jsonl"
