"""The source API and the API extractor on the real PostgreSQL: auth, 429/5xx, resume."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecommerce_pipeline.contract import CORE_TABLES
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.sources.api_extract import RetryPolicy, SourceApiError, extract_api
from ecommerce_pipeline.sources.db_extract import extract_db
from ecommerce_pipeline.sources.oltp_writer import write_history
from ecommerce_pipeline.sources.source_api import Misbehaviour, create_app

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

TOKEN = "test-token"
FAST = RetryPolicy(max_attempts=4, backoff_initial=0.01, backoff_max=0.05)


def versions(folder: Path) -> dict[str, set[tuple[str, ...]]]:
    """Every extracted row of every core table, as a set of value tuples."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for table in CORE_TABLES:
        rows: list[tuple[str, ...]] = []
        for path in sorted((folder / table).glob("*/*.csv")):
            with path.open(newline="", encoding="utf-8") as handle:
                rows.extend(tuple(row) for row in list(csv.reader(handle))[1:])
        assert len(rows) == len(set(rows)), f"{table}: a row extracted twice"
        found[table] = set(rows)
    return found


@pytest.fixture(scope="module")
def oltp(pg_databases: object, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("generated") / "landing"
    generate(GeneratorConfig(out=out, scale=0.004, start=date(2024, 1, 1), days=20, seed=3))
    dsn: str = pg_databases.create("api")  # type: ignore[attr-defined]
    write_history(dsn, out)
    return dsn


def client(dsn: str, misbehaviour: Misbehaviour | None = None, token: str = TOKEN) -> TestClient:
    app = create_app(dsn, TOKEN, misbehaviour)
    return TestClient(app, base_url="http://source", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def db_landing(oltp: str, tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "db"
    extract_db(oltp, folder)
    yield folder


def test_throttled_and_failing_api_still_delivers_everything(
    oltp: str, db_landing: Path, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    misbehaving = Misbehaviour(throttle_every=3, fail_every=4, retry_after_seconds=2)
    with client(oltp, misbehaving) as api:
        report, retries = extract_api(
            api, tmp_path / "api", page_size=40, policy=FAST, sleep=sleeps.append
        )
    assert retries > 0 and retries == len(sleeps)
    assert 2.0 in sleeps  # a 429 waits exactly the Retry-After the server asked for
    assert any(wait < 1 for wait in sleeps)  # a 503 waits the (short) exponential backoff
    assert versions(tmp_path / "api") == versions(db_landing)  # same rows as the DB extractor
    with client(oltp) as api:
        again, _ = extract_api(api, tmp_path / "api", page_size=40, policy=FAST)
    assert report.rows > 0 and again.rows == 0  # resumes from its cursor: nothing new


def test_wrong_token_is_refused(oltp: str, tmp_path: Path) -> None:
    with client(oltp, token="wrong") as api, pytest.raises(SourceApiError, match="token"):
        extract_api(api, tmp_path, policy=FAST)
    with client(oltp) as api:
        assert api.get("/v1/changes/orders", headers={"Authorization": ""}).status_code == 401
        assert api.get("/health").json() == {"status": "ok"}


def test_outage_stops_cleanly_and_the_next_run_resumes(
    oltp: str, db_landing: Path, tmp_path: Path
) -> None:
    landing = tmp_path / "api"
    outage = Misbehaviour(fail_every=1)  # every request fails...
    with client(oltp) as api:  # ...after a healthy server delivered the first tables
        first_tables = ("customers", "products")
        extract_api(api, landing, tables=first_tables, page_size=50, policy=FAST)
    with client(oltp, outage) as api, pytest.raises(SourceApiError, match="resumes"):
        extract_api(api, landing, page_size=50, policy=FAST, sleep=lambda _: None)
    with client(oltp) as api:
        report, _ = extract_api(api, landing, page_size=50, policy=FAST)
    assert report.tables["customers"].rows == 0  # already extracted before the outage
    assert report.tables["orders"].pages >= 1
    assert versions(landing) == versions(db_landing)  # no gap, no duplicate after the outage
