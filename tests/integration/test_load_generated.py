"""The generator's dirty manifest is the loader's answer key (LANDING.md), on both warehouses:
every injected problem is caught exactly where the manifest says, nothing else is quarantined,
every file reconciles, and the clean rows equal those of a clean run with the same seed."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.contract import CORE_TABLES, TABLES, FileStatus, QuarantineReason
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.ingest import LoadReport, batch, load_landing
from ecommerce_pipeline.ingest.inspection import InspectedFile
from ecommerce_pipeline.warehouse import query

pytestmark = pytest.mark.integration

ROW_REASONS = {str(reason) for reason in QuarantineReason} - {"empty_file"}
LINE_LEVEL = {"malformed_line", "invalid_encoding"}  # the reader rejects the whole line
LOADED_AS_IS = {"duplicate_row", "orphan_reference"}
SCALE, DAYS, SEED = 0.003, 30, 7


@dataclass(frozen=True)
class Landings:
    """A dirty and a clean landing folder generated with the same seed."""

    file_format: str
    dirty: Path
    clean: Path


@pytest.fixture(scope="module", params=["csv", "parquet"])
def landings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Landings:
    root = tmp_path_factory.mktemp(f"generated_{request.param}")
    result = Landings(request.param, root / "dirty", root / "clean")
    for out, rate in ((result.dirty, 0.02), (result.clean, 0.0)):
        config = GeneratorConfig(
            out=out, scale=SCALE, days=DAYS, seed=SEED, dirty_rate=rate, file_format=request.param
        )
        generate(config)
    return result


def _manifest(landing: Path) -> list[dict[str, str]]:
    with (landing / "_manifest" / "dirty_manifest.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _settings(target: str, landing: Path, path: Path, request: pytest.FixtureRequest) -> Settings:
    dsn = request.getfixturevalue("pg_databases").create(path.name) if target == "postgres" else ""
    return Settings(
        target=Target(target), landing_dir=landing, duckdb_path=path / "w.duckdb", postgres_dsn=dsn
    )


def _load(settings: Settings) -> LoadReport:
    report = load_landing(settings)
    assert report.reconciles
    for item in report.files:
        if item.status != FileStatus.REJECTED:
            assert item.rows_read == item.rows_loaded + item.rows_quarantined, item
    return report


def test_every_manifest_entry_is_caught_as_landing_md_says(
    target: str, landings: Landings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = _settings(target, landings.dirty, tmp_path / "dirty", request)
    manifest = _manifest(landings.dirty)
    kinds = {entry["kind"] for entry in manifest}
    assert kinds >= {"missing_key", "future_timestamp", "empty_file", "extra_column"}
    if landings.file_format == "csv":  # text-only problems exist in CSV files only
        assert kinds >= ROW_REASONS

    report = _load(settings)

    quarantined = {
        (source, line): (reason, column)
        for source, line, reason, column in query(
            settings,
            "select source_file, line_number, reason, column_name from raw._quarantine "
            "where reason <> 'empty_file'",
        )
    }
    expected_lines = set()
    statuses = {item.source_file: item for item in report.files}
    for entry in manifest:
        kind, source = entry["kind"], entry["file"]
        if kind in ROW_REASONS:
            key = (source, int(entry["line"]))
            expected_lines.add(key)
            column = None if kind in LINE_LEVEL else entry["column"]
            assert quarantined.get(key) == (kind, column), entry
        elif kind == "empty_file":
            assert statuses[source].status == FileStatus.EMPTY, entry
            assert query(settings, "select line_number from raw._quarantine where source_file "
                         "= %s and reason = 'empty_file'", [source]) == [(None,)]  # fmt: skip
        elif kind == "missing_required_column":
            assert statuses[source].status == FileStatus.REJECTED, entry
            assert source in statuses[source].message
            assert entry["column"] in statuses[source].message
        elif kind == "extra_column":
            assert statuses[source].status == FileStatus.LOADED, entry
            extras = query(settings, f"select distinct _extra from raw.{entry['table']} "
                           "where _source_file = %s", [source])  # fmt: skip
            assert extras and all(f'"{entry["column"]}"' in extra for (extra,) in extras)
        else:
            assert kind in LOADED_AS_IS, entry
            rows = query(settings, f"select count(*) from raw.{entry['table']} "
                         "where _source_file = %s and _source_line = %s",
                         [source, int(entry["line"])])  # fmt: skip
            assert rows == [(1,)], entry
    assert set(quarantined) == expected_lines  # nothing else was quarantined


def _contract_rows(settings: Settings, table: str, skip: set[tuple[str, int]],
                   skip_files: set[str]) -> Counter[tuple[Any, ...]]:  # fmt: skip
    columns = ", ".join(TABLES[table].column_names)
    rows = query(settings, f"select _source_file, _source_line, {columns} from raw.{table}")
    return Counter(
        tuple(row[2:]) for row in rows if (row[0], row[1]) not in skip and row[0] not in skip_files
    )


def test_clean_rows_of_a_dirty_run_equal_a_clean_run(
    target: str, landings: Landings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    dirty = _settings(target, landings.dirty, tmp_path / "dirty", request)
    clean = _settings(target, landings.clean, tmp_path / "clean", request)
    manifest = _manifest(landings.dirty)
    added = {(entry["file"], int(entry["line"])) for entry in manifest
             if entry["kind"] in LOADED_AS_IS}  # fmt: skip
    extra_files = {entry["file"] for entry in manifest if entry["kind"] == "extra_column"}

    _load(dirty)
    _load(clean)

    for table in CORE_TABLES:
        expected = _contract_rows(clean, table, set(), set())
        assert expected, table
        assert _contract_rows(dirty, table, added, extra_files) == expected, table


def _loaded_state(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw row, quarantine record and load-log count, without batch ids and times."""
    state = {}
    for table in CORE_TABLES:
        columns = ", ".join(("_source_file", "_source_line", "_file_day", "_extra",
                             *TABLES[table].column_names))  # fmt: skip
        state[table] = sorted(query(settings, f"select {columns} from raw.{table}"), key=repr)
    state["_quarantine"] = query(
        settings,
        "select table_name, source_file, file_day, line_number, column_name, reason, detail, "
        "raw_record from raw._quarantine order by source_file, line_number, reason",
    )
    state["_load_log"] = query(
        settings,
        "select source_file, rows_read, rows_loaded, rows_quarantined, status, message "
        "from raw._load_log order by source_file",
    )
    return state


@pytest.mark.parametrize("landings", ["csv"], indirect=True)  # plain CSV files only
def test_plain_csv_read_by_arrow_loads_exactly_what_duckdbs_reader_loads(
    target: str,
    landings: Landings,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arrow_files: list[str] = []
    read_plain = batch.BatchReader.read_plain

    def spy(reader: batch.BatchReader, files: list[InspectedFile]) -> bool:
        taken = read_plain(reader, files)
        arrow_files.extend(item.file.source_file for item in files if taken)
        return taken

    monkeypatch.setattr(batch.BatchReader, "read_plain", spy)
    # One file per batch, so the plain files of the dirty landing take the Arrow route alone.
    with_arrow = _settings(target, landings.dirty, tmp_path / "arrow", request)
    assert load_landing(with_arrow, batch_files=1).reconciles
    monkeypatch.setattr(batch, "PLAIN_CSV_WITH_ARROW", False)
    with_duckdb = _settings(target, landings.dirty, tmp_path / "duckdb", request)
    assert load_landing(with_duckdb, batch_files=1).reconciles

    state = _loaded_state(with_arrow)
    assert state == _loaded_state(with_duckdb)
    # Both routes were taken, and the Arrow one also quarantined bad values of plain files.
    quarantined = {source for _, source, *_ in state["_quarantine"]}
    assert arrow_files and quarantined & set(arrow_files)
    manifest = _manifest(landings.dirty)
    not_plain = {entry["file"] for entry in manifest if entry["kind"] in LINE_LEVEL}
    assert not_plain and not not_plain & set(arrow_files)
