"""Same config -> byte-identical files; CSV and Parquet carry the same rows; reruns overwrite."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ecommerce_pipeline.contract import CORE_TABLES, TABLES
from ecommerce_pipeline.generate import GenerateResult, GeneratorConfig, generate
from ecommerce_pipeline.generate.columns import arrow_schema
from ecommerce_pipeline.generate.writer import DICTIONARY_COLUMNS

pytestmark = pytest.mark.unit

SMALL = {"scale": 0.01, "start": date(2024, 11, 15), "days": 45, "seed": 5}


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def run(out: Path, **changes: object) -> GenerateResult:
    return generate(GeneratorConfig(out=out, **{**SMALL, **changes}))  # type: ignore[arg-type]


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_same_config_gives_byte_identical_files(tmp_path: Path, file_format: str) -> None:
    first = run(tmp_path / "a", file_format=file_format)
    second = run(tmp_path / "b", file_format=file_format)
    hashes = digests(tmp_path / "a")
    assert len(hashes) == first.files + 1  # + _manifest/generation.json
    assert hashes == digests(tmp_path / "b")
    assert first.rows == second.rows
    other_seed = run(tmp_path / "c", file_format=file_format, seed=6)
    assert digests(tmp_path / "c") != hashes
    assert other_seed.rows != first.rows


def test_rerun_into_a_used_folder_overwrites_deterministically(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    run(fresh)
    used = tmp_path / "used"
    run(used, seed=99, days=60, file_format="parquet", dirty_rate=0.1)
    (used / "web_events").mkdir()
    (used / "web_events" / "keep.csv").write_text("event_id\n")
    run(used)
    kept = digests(used)
    assert kept.pop("web_events/keep.csv")
    assert kept == digests(fresh)
    assert not (used / "_previous_run").exists()


def test_result_counts_match_the_files(tmp_path: Path) -> None:
    result = run(tmp_path / "landing")
    assert result.out == tmp_path / "landing"
    assert result.manifest is None and result.seconds > 0
    assert set(result.rows) == set(CORE_TABLES)
    files = 0
    for table in CORE_TABLES:
        data_lines = 0
        for path in (result.out / table).rglob("*.csv"):
            files += 1
            data_lines += path.read_bytes().count(b"\n") - 1
        assert data_lines == result.rows[table], table
    assert files == result.files
    document = json.loads((result.out / "_manifest" / "generation.json").read_text())
    assert document["rows"] == result.rows
    assert document["files"] == result.files
    assert document["flags"] == {
        "scale": 0.01,
        "start": "2024-11-15",
        "days": 45,
        "seed": 5,
        "file_format": "csv",
        "dirty_rate": 0.0,
    }


def test_csv_and_parquet_hold_the_same_rows(tmp_path: Path) -> None:
    run(tmp_path / "csv")
    run(tmp_path / "parquet", file_format="parquet")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for table in CORE_TABLES:
        for path in (tmp_path / "parquet" / table).rglob("*.parquet"):
            assert pq.read_schema(path).remove_metadata() == arrow_schema(TABLES[table])
            chunks = pq.ParquetFile(path).metadata.row_group(0)
            dictionary = {
                chunks.column(index).path_in_schema
                for index in range(chunks.num_columns)
                if chunks.column(index).has_dictionary_page
            }
            # Only categorical text is dictionary-encoded (ids and emails are not: cost, no gain).
            assert dictionary == DICTIONARY_COLUMNS & set(TABLES[table].column_names), path
            assert "payment_method" in DICTIONARY_COLUMNS and "email" not in DICTIONARY_COLUMNS
        types = {field.name: str(field.type) for field in arrow_schema(TABLES[table])}
        duck_types = {
            name: "TIMESTAMPTZ"
            if kind.startswith("timestamp")
            else "DECIMAL(18,2)"
            if kind.startswith("decimal")
            else {"string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN", "date32[day]": "DATE"}[
                kind
            ]
            for name, kind in types.items()
        }
        columns = ", ".join(f"'{name}': '{kind}'" for name, kind in duck_types.items())
        csv_rows = (
            f"select * from read_csv('{tmp_path}/csv/{table}/*/*.csv', header = true,"
            f" auto_detect = false, columns = {{{columns}}})"
        )
        parquet_rows = f"select * from read_parquet('{tmp_path}/parquet/{table}/*/*.parquet')"
        assert con.execute(f"select count(*) from ({csv_rows})").fetchone()[0] > 0
        for left, right in ((csv_rows, parquet_rows), (parquet_rows, csv_rows)):
            difference = con.execute(f"select count(*) from ({left} except all {right})").fetchone()
            assert difference == (0,), table


def test_progress_bar_shows_the_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(tmp_path / "landing", days=10, progress=True)
    assert sum(result.rows.values()) > 0
    assert "10/10 days" in capsys.readouterr().out
    run(tmp_path / "quiet", days=10)
    assert "days" not in capsys.readouterr().out
