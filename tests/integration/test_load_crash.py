"""A load killed mid-way (SIGKILL, in a subprocess) and re-run ends with exactly the rows of an
uninterrupted load, on DuckDB and PostgreSQL: every file is committed whole or not at all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.contract import TABLES
from ecommerce_pipeline.ingest import load_landing
from ecommerce_pipeline.warehouse import query

pytestmark = pytest.mark.integration

# Runs the load with one file per batch; pauses before the second commit so the test can kill it
# while the second batch's transaction is open.
LOAD_SCRIPT = """
import json, sys, time
from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.ingest import load_landing, targets

commits = 0

def pausing(original):
    def commit(self):
        global commits
        commits += 1
        if commits >= 2:
            print(f"PAUSED {commits}", flush=True)
            time.sleep(600)
        original(self)
        print(f"COMMITTED {commits}", flush=True)
    return commit

for target in (targets.DuckDBTarget, targets.PostgresTarget):
    target.commit = pausing(target.commit)
load_landing(Settings(**json.loads(sys.argv[1])), batch_files=1)
"""

ORDER_HEADER = ",".join(TABLES["orders"].column_names)


def _order(order_id: str, day: str, status: str = "delivered", tax: str = "1.00") -> str:
    stamp = f"{day}T10:00:00Z"
    return f"{order_id},C1,{stamp},{status},paypal,web,USD,5.00,{tax},US,CA,LA,{day},,,{stamp}"


def _write_landing(landing: Path) -> int:
    """Eight files over three days and two tables, with bad rows, an empty and a rejected file."""
    days = ("2024-01-01", "2024-01-02", "2024-01-03")
    files = 0
    for day_number, day in enumerate(days):
        folder = landing / "orders" / day
        folder.mkdir(parents=True)
        rows = [_order(f"O{day_number}{index}", day) for index in range(40)]
        rows[5] = _order(f"O{day_number}bad", day, status="lost")
        rows[9] = _order(f"O{day_number}neg", day, tax="-3.00")
        (folder / "a.csv").write_text("\n".join([ORDER_HEADER, *rows]) + "\n")
        (folder / "b.csv").write_text(ORDER_HEADER + "\n" + _order(f"B{day_number}", day) + "\n")
        files += 2
    (landing / "orders" / days[0] / "c.csv").write_text("")
    rejected = [
        ORDER_HEADER.replace(",order_status", ""),
        _order("R1", days[1]).replace(",delivered", ""),
    ]
    (landing / "orders" / days[1] / "c.csv").write_text("\n".join(rejected) + "\n")
    customers = landing / "customers" / days[0]
    customers.mkdir(parents=True)
    header = ",".join(TABLES["customers"].column_names)
    row = "C1,a@b.co,Ann,Lee,,,US,,,,organic,gold,2024-01-01T09:00:00Z,2024-01-01T09:00:00Z"
    (customers / "c.csv").write_text(f"{header}\n{row}\n{row.replace('a@b.co', 'nope')}\n")
    return files + 3


def _snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the load wrote, minus the per-run columns (batch id, load times)."""
    snapshot = {}
    for table in ("customers", "orders"):
        columns = ", ".join(
            name for name in (*TABLES[table].column_names, "_extra", "_source_file",
                              "_source_line", "_file_day")
        )  # fmt: skip
        snapshot[table] = sorted(query(settings, f"select {columns} from raw.{table}"), key=repr)
    snapshot["_quarantine"] = sorted(
        query(
            settings,
            "select table_name, source_file, file_day, line_number, column_name, reason, detail, "
            "raw_record from raw._quarantine",
        ),
        key=repr,
    )
    snapshot["_load_log"] = sorted(
        query(
            settings,
            "select table_name, source_file, file_day, checksum, file_size, rows_read, "
            "rows_loaded, rows_quarantined, status, message from raw._load_log",
        ),
        key=repr,
    )
    return snapshot


def _settings(target: str, landing: Path, duckdb_path: Path, dsn: str) -> Settings:
    return Settings(
        target=Target(target), landing_dir=landing, duckdb_path=duckdb_path, postgres_dsn=dsn
    )


def _kill_after_first_commit(settings: Settings, tmp_path: Path) -> list[str]:
    script = tmp_path / "load_and_pause.py"
    script.write_text(LOAD_SCRIPT)
    arguments = json.dumps(
        {
            "target": str(settings.target),
            "landing_dir": str(settings.landing_dir),
            "duckdb_path": str(settings.duckdb_path),
            "postgres_dsn": settings.postgres_dsn,
        }
    )
    process = subprocess.Popen(
        [sys.executable, str(script), arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seen: list[str] = []
    deadline = time.monotonic() + 120
    try:
        assert process.stdout is not None
        while time.monotonic() < deadline:
            output = process.stdout.readline().strip()
            if not output:
                break
            seen.append(output)
            if output == "PAUSED 2":
                break
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return seen


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_killed_load_rerun_equals_an_uninterrupted_load(
    target: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    landing = tmp_path / "landing"
    files = _write_landing(landing)
    dsn = ref_dsn = ""
    if target == "postgres":
        databases = request.getfixturevalue("pg_databases")
        dsn, ref_dsn = databases.create("crash"), databases.create("crashref")
    crashed = _settings(target, landing, tmp_path / "crashed" / "w.duckdb", dsn)
    reference = _settings(target, landing, tmp_path / "reference" / "w.duckdb", ref_dsn)

    seen = _kill_after_first_commit(crashed, tmp_path)

    assert seen == ["COMMITTED 1", "PAUSED 2"]
    assert query(crashed, "select count(*) from raw._load_log") == [(1,)]
    rerun = load_landing(crashed)
    assert len(rerun.skipped_files) == 1
    assert len(rerun.files) == files - 1
    assert rerun.reconciles
    uninterrupted = load_landing(reference)
    assert len(uninterrupted.files) == files
    crashed_rows, reference_rows = _snapshot(crashed), _snapshot(reference)
    assert crashed_rows == reference_rows
    assert len(reference_rows["orders"]) == 3 * 39 and len(reference_rows["_quarantine"]) == 8
    assert sorted(row[8] for row in reference_rows["_load_log"]).count("rejected") == 1
