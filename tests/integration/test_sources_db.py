"""The OLTP database source on the real PostgreSQL: writer, incremental extraction, crash, deletes.

A small generated history is written day by day into a separate OLTP database, extracted into a
landing folder, and compared with what the generator itself wrote: the latest version of every
record must be identical, nothing may be extracted twice, and the result must load cleanly.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.contract import CORE_TABLES, TABLES
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.ingest import load_landing
from ecommerce_pipeline.sources import end_of_day, extract_for_day, state
from ecommerce_pipeline.sources.db_extract import extract_db
from ecommerce_pipeline.sources.oltp_writer import write_history
from ecommerce_pipeline.warehouse import query

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

START = date(2024, 1, 1)
DAYS = 30


def read_landing(folder: Path, table: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((folder / table).glob("*/*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def latest(rows: list[dict[str, str]], table: str) -> dict[str, dict[str, str]]:
    """The latest version of every key, contract columns only (payment_method aside)."""
    spec = TABLES[table]
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        key = row[spec.key]
        if key not in found or row[spec.version_column] >= found[key][spec.version_column]:
            found[key] = {column: row.get(column) or "" for column in spec.column_names}
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "landing"
    generate(GeneratorConfig(out=out, scale=0.005, start=START, days=DAYS, seed=7))
    return out


def test_extract_reproduces_the_generated_history(
    generated: Path, pg_databases: object, tmp_path: Path
) -> None:
    dsn = pg_databases.create("oltp")  # type: ignore[attr-defined]
    written = write_history(dsn, generated)
    assert written.days >= DAYS - 2

    report = extract_db(dsn, tmp_path, page_size=100)

    for table in CORE_TABLES:
        expected = latest(read_landing(generated, table), table)
        extracted = latest(read_landing(tmp_path, table), table)
        assert extracted == expected, table
    assert report.tables["payments"].rows == len(
        latest(read_landing(generated, "orders"), "orders")
    )
    again = extract_db(dsn, tmp_path, page_size=100)
    assert again.rows == 0  # a re-run extracts nothing new


def test_day_by_day_extraction_brings_each_days_changes_once(
    generated: Path, pg_databases: object, tmp_path: Path
) -> None:
    dsn = pg_databases.create("daily")  # type: ignore[attr-defined]
    settings = Settings(source="database", source_db_url=dsn, landing_dir=tmp_path)
    middle = date(2024, 1, 12)
    write_history(dsn, generated, until=middle)
    first = extract_for_day(settings, middle)
    write_history(dsn, generated, since=date(2024, 1, 13))
    second = extract_for_day(settings, date(2024, 1, 31))
    assert first is not None and second is not None
    assert first.rows > 0 and second.rows > 0

    for table in CORE_TABLES:
        rows = read_landing(tmp_path, table)
        spec = TABLES[table]
        versions = [(row[spec.key], row[spec.version_column]) for row in rows]
        assert len(versions) == len(set(versions)), f"{table}: a version extracted twice"
        assert latest(rows, table) == latest(read_landing(generated, table), table), table
    first_days = {p.parent.name for p in tmp_path.glob("orders/*/*db-start*.csv")}
    assert max(first_days) <= middle.isoformat()  # the first run stopped at its day's end
    assert end_of_day(middle).isoformat() == "2024-01-13T00:00:00+00:00"


def test_crash_mid_way_resumes_without_duplicates_or_gaps(
    generated: Path, pg_databases: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = pg_databases.create("crash")  # type: ignore[attr-defined]
    write_history(dsn, generated)
    real_save: Callable[..., None] = state.save_mark
    saves = {"count": 0}

    def crash_on_third_mark(*args: object) -> None:
        saves["count"] += 1
        if saves["count"] == 3:
            raise OSError("disk gone")  # files of this page are written, its mark is not
        real_save(*args)

    monkeypatch.setattr(state, "save_mark", crash_on_third_mark)
    with pytest.raises(OSError, match="disk gone"):
        extract_db(dsn, tmp_path, page_size=50)
    monkeypatch.setattr(state, "save_mark", real_save)
    extract_db(dsn, tmp_path, page_size=50)

    for table in CORE_TABLES:
        rows = read_landing(tmp_path, table)
        spec = TABLES[table]
        versions = [(row[spec.key], row[spec.version_column]) for row in rows]
        assert len(versions) == len(set(versions)), f"{table}: duplicates after the resume"
        assert latest(rows, table) == latest(read_landing(generated, table), table), table


def test_soft_deletes_become_contract_changes_and_load_cleanly(
    generated: Path, pg_databases: object, tmp_path: Path
) -> None:
    dsn = pg_databases.create("deletes")  # type: ignore[attr-defined]
    write_history(dsn, generated)
    landing = tmp_path / "landing"
    extract_db(dsn, landing)
    deleted_at = "2024-02-01T10:00:00Z"
    with psycopg.connect(dsn, autocommit=True) as connection:
        order_id = connection.execute(
            "select order_id from shop.orders where status = 'delivered' order by 1 limit 1"
        ).fetchall()[0][0]
        customer_id = connection.execute(
            "select customer_id from shop.customers order by 1 limit 1"
        ).fetchall()[0][0]
        for table, key, value in (
            ("orders", "order_id", order_id),
            ("customers", "customer_id", customer_id),
        ):
            connection.execute(
                f"update shop.{table} set deleted_at = %s, updated_at = %s where {key} = %s",
                (deleted_at, deleted_at, value),
            )
    report = extract_db(dsn, landing)
    assert report.tables["orders"].rows == 1 and report.tables["orders"].deleted_rows == 1
    assert report.tables["customers"].deleted_rows == 1
    order = latest(read_landing(landing, "orders"), "orders")[order_id]
    assert order["order_status"] == "cancelled"
    customer = latest(read_landing(landing, "customers"), "customers")[customer_id]
    assert customer["email"] == "" and customer["last_name"] == ""  # erased personal data

    settings = Settings(
        target=Target.DUCKDB, duckdb_path=tmp_path / "w.duckdb", landing_dir=landing
    )
    load = load_landing(settings)
    assert load.reconciles
    assert query(settings, "select count(*) from raw._quarantine")[0][0] == 0
    extras = query(
        settings, "select count(*) from raw.orders where _extra like '%deleted_at%2024-02-01%'"
    )
    assert extras[0][0] == 1  # the soft-delete time is kept in raw._extra
