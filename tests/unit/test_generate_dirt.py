"""Dirty mode: every kind of LANDING.md appears, each manifest line really is its kind, the
clean rows are untouched (dirty minus manifest == clean run, byte for byte), and the dirt is
deterministic. The checks re-parse every line with an independent validator of the contract."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ecommerce_pipeline.contract import (
    CORE_TABLES,
    COUNTRY_CODE_PATTERN,
    EMAIL_PATTERN,
    FALSE_VALUES,
    TABLES,
    TRUE_VALUES,
    Check,
    Column,
    ColumnType,
    Table,
)
from ecommerce_pipeline.generate import GenerateResult, GeneratorConfig, generate

pytestmark = pytest.mark.unit

SMALL = {"scale": 0.01, "start": date(2024, 3, 1), "days": 60, "seed": 3}
RATE = 0.05
FILE_KINDS = {"empty_file", "missing_required_column", "extra_column"}
COMMON = {"missing_key", "missing_required", "future_timestamp", "duplicate_row"}
EXPECTED_PARQUET_KINDS = {
    "customers": COMMON | {"unknown_enum", "malformed_email", "malformed_country_code"},
    "products": COMMON | {"negative_amount"},
    "orders": COMMON
    | {"unknown_enum", "negative_amount", "malformed_country_code", "orphan_reference"},
    "order_items": COMMON | {"non_positive_quantity", "negative_amount", "orphan_reference"},
}
CSV_ONLY = {"malformed_line", "invalid_encoding", "wrong_type"}


def expected_kinds(table: str, file_format: str) -> set[str]:
    kinds = EXPECTED_PARQUET_KINDS[table] | FILE_KINDS
    return kinds | CSV_ONLY if file_format == "csv" else kinds


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, float], GenerateResult]:
    base = tmp_path_factory.mktemp("dirt")
    results = {}
    for file_format in ("csv", "parquet"):
        for rate in (0.0, RATE):
            out = base / f"{file_format}_{rate}"
            config = GeneratorConfig(out=out, file_format=file_format, dirty_rate=rate, **SMALL)  # type: ignore[arg-type]
            results[(file_format, rate)] = generate(config)
    return results


def read_manifest(result: GenerateResult) -> list[dict[str, str]]:
    assert result.manifest == result.out / "_manifest" / "dirty_manifest.csv"
    text = result.manifest.read_text(encoding="utf-8")
    assert text.startswith("file,line,table,column,kind\n")
    return list(csv.DictReader(io.StringIO(text)))


# -- an independent validator of the contract -----------------------------------------------------


def day_end(relative: str) -> datetime:
    day = date.fromisoformat(relative.split("/")[1])
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


def parse_text(column: Column, text: str) -> Any:
    """The typed value of a CSV field; ValueError when it does not parse."""
    if column.type == ColumnType.INT:
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError(text)
        return int(text)
    if column.type == ColumnType.DECIMAL:
        try:
            return Decimal(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else Decimal("x")
        except InvalidOperation as error:
            raise ValueError(text) from error
    if column.type == ColumnType.DATE:
        return (
            date.fromisoformat(text)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)
            else date.fromisoformat("x")
        )
    if column.type == ColumnType.TIMESTAMP:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if column.type == ColumnType.BOOL:
        if text.lower() in TRUE_VALUES:
            return True
        if text.lower() in FALSE_VALUES:
            return False
        raise ValueError(text)
    return text


def value_problems(column: Column, value: Any, end: datetime) -> set[str]:
    if value is None:
        if column.is_key:
            return {"missing_key"}
        return {"missing_required"} if column.required else set()
    problems = set()
    if column.enum and value not in column.enum:
        problems.add("unknown_enum")
    if Check.POSITIVE in column.checks and value <= 0:
        problems.add("non_positive_quantity")
    if column.type == ColumnType.DECIMAL and Check.NON_NEGATIVE in column.checks and value < 0:
        problems.add("negative_amount")
    if Check.EMAIL in column.checks and not re.fullmatch(EMAIL_PATTERN, value):
        problems.add("malformed_email")
    if Check.COUNTRY_CODE in column.checks and not re.fullmatch(COUNTRY_CODE_PATTERN, value):
        problems.add("malformed_country_code")
    if Check.NOT_IN_FUTURE in column.checks and value >= end:
        problems.add("future_timestamp")
    return problems


def csv_line_problems(raw: bytes, table: Table, end: datetime) -> set[str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"invalid_encoding"}
    try:
        fields = next(csv.reader([text], strict=True))
    except csv.Error:
        return {"malformed_line"}
    if len(fields) != len(table.columns):
        return {"malformed_line"}
    problems: set[str] = set()
    for column, text_value in zip(table.columns, fields, strict=True):
        if text_value == "":
            problems |= value_problems(column, None, end)
            continue
        try:
            value = parse_text(column, text_value)
        except ValueError:
            problems.add("wrong_type")
            continue
        problems |= value_problems(column, value, end)
    return problems


def parquet_row_problems(row: dict[str, Any], table: Table, end: datetime) -> set[str]:
    problems: set[str] = set()
    for column in table.columns:
        problems |= value_problems(column, row[column.name], end)
    return problems


# -- tests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_every_applicable_kind_appears_in_every_table(
    runs: dict[tuple[str, float], GenerateResult], file_format: str
) -> None:
    manifest = read_manifest(runs[(file_format, RATE)])
    kinds = defaultdict(set)
    for entry in manifest:
        kinds[entry["table"]].add(entry["kind"])
        line_level = entry["kind"] in FILE_KINDS
        assert (entry["line"] == "") == line_level, entry
        no_column = entry["kind"] in {"malformed_line", "duplicate_row", "empty_file"}
        assert (entry["column"] == "") == no_column, entry
    for table in CORE_TABLES:
        assert kinds[table] == expected_kinds(table, file_format), table
    assert runs[(file_format, 0.0)].manifest is None


def test_each_csv_manifest_line_is_its_kind_and_every_other_line_is_clean(
    runs: dict[tuple[str, float], GenerateResult],
) -> None:
    result = runs[("csv", RATE)]
    clean_ids = ids_of_clean_run(runs[("csv", 0.0)])
    by_file = defaultdict(dict)
    for entry in read_manifest(result):
        if entry["line"]:
            by_file[entry["file"]][int(entry["line"])] = entry
    checked = 0
    for path in sorted(result.out.glob("*/*/*.csv")):
        relative = path.relative_to(result.out).as_posix()
        table = TABLES[relative.split("/")[0]]
        if relative in file_level_files(result):
            continue
        lines = path.read_bytes().split(b"\n")
        assert lines[-1] == b"" and lines[0] == ",".join(table.column_names).encode()
        for number, raw in enumerate(lines[1:-1], start=2):
            entry = by_file[relative].get(number)
            problems = csv_line_problems(raw, table, day_end(relative))
            if entry is None:
                assert problems == set(), (relative, number, raw)
                continue
            checked += 1
            kind = entry["kind"]
            if kind == "duplicate_row":
                assert problems == set() and lines[1:-1].count(raw) >= 2
            elif kind == "orphan_reference":
                assert problems == set()
                fields = raw.decode().split(",")
                reference = fields[table.column_names.index(entry["column"])]
                assert reference not in clean_ids[entry["column"]]
                assert fields[0] not in clean_ids[table.key]
            else:
                assert problems == {kind}, (relative, number, raw, problems)
                if kind not in {"malformed_line"}:
                    assert_only_column_differs(raw, lines, table, entry["column"])
    assert checked == sum(len(lines) for lines in by_file.values())


def test_each_parquet_manifest_row_is_its_kind(
    runs: dict[tuple[str, float], GenerateResult],
) -> None:
    result = runs[("parquet", RATE)]
    clean_ids = ids_of_clean_run(runs[("csv", 0.0)])
    by_file = defaultdict(dict)
    for entry in read_manifest(result):
        if entry["line"]:
            by_file[entry["file"]][int(entry["line"])] = entry
    for path in sorted(result.out.glob("*/*/*.parquet")):
        relative = path.relative_to(result.out).as_posix()
        if relative in file_level_files(result):
            continue
        table = TABLES[relative.split("/")[0]]
        rows = pq.read_table(path).to_pylist()
        for number, row in enumerate(rows, start=1):
            entry = by_file[relative].get(number)
            problems = parquet_row_problems(row, table, day_end(relative))
            if entry is None:
                assert problems == set(), (relative, number, row)
            elif entry["kind"] == "duplicate_row":
                assert problems == set() and rows.count(row) >= 2
            elif entry["kind"] == "orphan_reference":
                assert problems == set()
                assert row[entry["column"]] not in clean_ids[entry["column"]]
                assert row[table.key] not in clean_ids[table.key]
            else:
                assert problems == {entry["kind"]}, (relative, number, row, problems)


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_dirty_run_minus_its_manifest_is_the_clean_run(
    runs: dict[tuple[str, float], GenerateResult], file_format: str
) -> None:
    clean, dirty = runs[(file_format, 0.0)], runs[(file_format, RATE)]
    manifest = read_manifest(dirty)
    bad_lines = defaultdict(set)
    for entry in manifest:
        if entry["line"]:
            bad_lines[entry["file"]].add(int(entry["line"]))
    extra_files = file_level_files(dirty)
    clean_files = relative_files(clean)
    assert relative_files(dirty) == clean_files | set(extra_files)
    assert not clean_files & set(extra_files)
    for relative in sorted(clean_files):
        clean_path, dirty_path = clean.out / relative, dirty.out / relative
        if file_format == "csv":
            lines = dirty_path.read_bytes().split(b"\n")
            kept = [
                line
                for number, line in enumerate(lines, start=1)
                if number not in bad_lines[relative]
            ]
            assert b"\n".join(kept) == clean_path.read_bytes(), relative
        else:
            rows = pq.read_table(dirty_path).to_pylist()
            kept = [
                row for number, row in enumerate(rows, start=1) if number not in bad_lines[relative]
            ]
            assert kept == pq.read_table(clean_path).to_pylist(), relative
    injected_rows = sum(len(lines) for lines in bad_lines.values())
    extra_rows = {table: 0 for table in CORE_TABLES}
    for relative in extra_files:
        extra_rows[relative.split("/")[0]] += data_rows(dirty.out / relative)
    for table in CORE_TABLES:
        table_bad = sum(
            len(lines) for file, lines in bad_lines.items() if file.startswith(table + "/")
        )
        assert dirty.rows[table] == clean.rows[table] + table_bad + extra_rows[table]
    assert injected_rows > 0


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_extra_files_are_what_the_manifest_says(
    runs: dict[tuple[str, float], GenerateResult], file_format: str
) -> None:
    clean, dirty = runs[(file_format, 0.0)], runs[(file_format, RATE)]
    for relative, entry in file_level_files(dirty).items():
        table = TABLES[entry["table"]]
        path = dirty.out / relative
        assert re.fullmatch(
            rf"{table.name}/(\d{{4}}-\d{{2}}-\d{{2}})/{table.name}_\1_\d+\.{file_format}", relative
        )
        if entry["kind"] == "empty_file":
            assert path.stat().st_size == 0 or data_rows(path) == 0
            continue
        header, rows = read_any(path)
        main = relative.rsplit("_", 1)[0] + f".{file_format}"
        _, main_rows = read_any(clean.out / main)
        if entry["kind"] == "missing_required_column":
            assert entry["column"] in table.required_columns
            assert header == [name for name in table.column_names if name != entry["column"]]
        else:
            assert entry["column"] not in table.column_names
            assert sorted(header) == sorted([*table.column_names, entry["column"]])
            rows = [{k: v for k, v in row.items() if k != entry["column"]} for row in rows]
        assert rows, relative
        for row in rows:
            assert any(all(main_row[k] == v for k, v in row.items()) for main_row in main_rows)


def test_dirty_runs_are_deterministic(
    tmp_path: Path, runs: dict[tuple[str, float], GenerateResult]
) -> None:
    again = generate(
        GeneratorConfig(out=tmp_path / "again", file_format="csv", dirty_rate=RATE, **SMALL)
    )  # type: ignore[arg-type]
    original = runs[("csv", RATE)].out
    for path in sorted(original.rglob("*")):
        if path.is_file():
            twin = again.out / path.relative_to(original)
            assert (
                hashlib.sha256(twin.read_bytes()).digest()
                == hashlib.sha256(path.read_bytes()).digest()
            )


# -- helpers ---------------------------------------------------------------------------------------


def relative_files(result: GenerateResult) -> set[str]:
    return {
        path.relative_to(result.out).as_posix()
        for table in CORE_TABLES
        for path in (result.out / table).glob("*/*")
    }


def file_level_files(result: GenerateResult) -> dict[str, dict[str, str]]:
    if result.manifest is None:
        return {}
    return {entry["file"]: entry for entry in read_manifest(result) if entry["kind"] in FILE_KINDS}


def data_rows(path: Path) -> int:
    if path.stat().st_size == 0:
        return 0
    return len(read_any(path)[1])


def read_any(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return table.column_names, table.to_pylist()
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def ids_of_clean_run(result: GenerateResult) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = defaultdict(set)
    for table in CORE_TABLES:
        for path in (result.out / table).glob("*/*.csv"):
            for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
                for name, value in row.items():
                    if name.endswith("_id"):
                        ids[name].add(value)
    return ids


def assert_only_column_differs(raw: bytes, lines: list[bytes], table: Table, column: str) -> None:
    """The bad line is a copy of a clean line of the same file except in ``column``."""
    index = table.column_names.index(column)

    def fields(line: bytes) -> list[str]:
        return next(csv.reader([line.decode("utf-8", errors="surrogateescape")]))

    bad = fields(raw)
    assert len(bad) == len(table.columns)
    assert any(
        other[:index] == bad[:index] and other[index + 1 :] == bad[index + 1 :]
        for other in (fields(line) for line in lines[1:-1] if line != raw)
    ), raw
