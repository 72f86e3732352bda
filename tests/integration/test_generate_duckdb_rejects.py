"""DuckDB, reading the dirty CSV files with all-VARCHAR columns and ``store_rejects``, reports
exactly the injected ``malformed_line`` / ``invalid_encoding`` lines - on the manifest's line
number - and reads every other line (bad lines never disturb their neighbours)."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ecommerce_pipeline.contract import TABLES
from ecommerce_pipeline.generate import GeneratorConfig, generate

pytestmark = pytest.mark.integration

UNREADABLE = {"malformed_line", "invalid_encoding"}


def test_duckdb_rejects_exactly_the_unreadable_lines(tmp_path: Path) -> None:
    config = GeneratorConfig(
        out=tmp_path / "landing",
        scale=0.01,
        start=date(2024, 5, 1),
        days=45,
        seed=9,
        dirty_rate=0.1,
    )
    result = generate(config)
    assert result.manifest is not None
    unreadable: dict[str, set[int]] = defaultdict(set)
    skip = set()
    with result.manifest.open(encoding="utf-8") as handle:
        for entry in csv.DictReader(handle):
            if entry["kind"] in UNREADABLE:
                unreadable[entry["file"]].add(int(entry["line"]))
            if not entry["line"]:
                skip.add(entry["file"])  # file-level kinds: another column set or no header
    assert sum(len(lines) for lines in unreadable.values()) >= 20
    con = duckdb.connect()
    checked = 0
    for path in sorted(result.out.glob("*/*/*.csv")):
        relative = path.relative_to(result.out).as_posix()
        if relative in skip:
            continue
        table = TABLES[relative.split("/")[0]]
        columns = ", ".join(f"'{name}': 'VARCHAR'" for name in table.column_names)
        con.execute("drop table if exists reject_errors; drop table if exists reject_scans")
        con.execute(
            f"create or replace table rows as select * from read_csv('{path}', header = true,"
            f" auto_detect = false, columns = {{{columns}}}, delim = ',', quote = '\"',"
            f" escape = '\"', store_rejects = true)"
        )
        rejected = {row[0] for row in con.execute("select line from reject_errors").fetchall()}
        assert rejected == unreadable.get(relative, set()), relative
        lines = path.read_bytes().count(b"\n")
        read = con.execute("select count(*) from rows").fetchone()
        assert read == (lines - 1 - len(rejected),), relative
        checked += bool(rejected)
    assert checked == len(unreadable)
