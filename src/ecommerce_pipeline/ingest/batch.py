"""Read and validate one batch of landing files of one table with DuckDB (one scan, one SQL pass).

The files of a batch share their columns (the same header or Parquet schema).

- CSV: one ``read_csv`` of all the files (every column VARCHAR, unparsable records to a rejects
  table) into a stage table. Its rowid follows the files' records, so a row's physical line is
  ``rowid - first rowid of its file + 2``, corrected from the file bytes (:func:`.csv_segments`)
  for files with rejected records, blank lines or quoted line breaks.
- Plain CSV (no quote, carriage return, blank line or NUL: every line is a record): Arrow's CSV
  reader, into an Arrow stage with each row's file and row number. It spends a third of the CPU of
  DuckDB's VARCHAR stage table; a file it cannot split into exactly the expected records (a line
  with too many or too few fields, bytes that are not UTF-8) sends the batch the DuckDB way.
- Parquet: ``read_parquet`` with the file row number (the "line" of a Parquet row).

One ``select`` then types and checks every record (:mod:`.validate`) into the checked rows
(CHECKED): a DuckDB temp table when DuckDB is the target, an Arrow table registered with DuckDB
when PostgreSQL is (a third less CPU than a temp table and its export: the COPY takes the clean
rows straight from it). The clean rows wait there until the target copies them into
``raw.<table>``; the bad ones become quarantine records here, with their original text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ecommerce_pipeline.contract import TABLES, FileStatus, QuarantineReason
from ecommerce_pipeline.ingest.files import CsvSegments, IntArray, csv_segments
from ecommerce_pipeline.ingest.inspection import InspectedFile
from ecommerce_pipeline.ingest.raw_schema import quote_identifier, raw_column_names
from ecommerce_pipeline.ingest.validate import ValidationPlan, build_plan, sql_string

logger = logging.getLogger(__name__)

STAGE = "__ecom_stage"
STAGE_VIEW = "__ecom_stage_view"
ARROW_STAGE = "__ecom_stage_arrow"
CHECKED = "__ecom_checked"
LINES = "__ecom_lines"
FILES = "__ecom_files"
REJECTS = "__ecom_rejects"
REJECT_SCANS = "__ecom_reject_scans"
PROBE = "__ecom_probe"
FILE_COLUMN = "__file"
ROW_NUMBER_COLUMN = "__row_number"
MAX_RAW_RECORD_CHARS = 100_000
#: Threads reading plain CSV files with Arrow (one file each; landing files are small).
ARROW_READ_THREADS = 2

#: Read plain CSV files with Arrow (False: every CSV file with DuckDB; tests compare the two).
PLAIN_CSV_WITH_ARROW = True

#: Lineage columns of ``raw.<table>`` taken from a column of the checked rows.
LINEAGE_FROM_CHECKED = {
    "_extra": "_extra",
    "_source_file": "__source_file",
    "_source_line": "__line",
    "_file_day": "__file_day",
}

#: DuckDB reject error types that mean the bytes are not UTF-8; every other one is a bad line.
ENCODING_ERRORS = frozenset({"INVALID ENCODING", "INVALID UNICODE"})


@dataclass(frozen=True)
class QuarantineRecord:
    """One row of ``raw._quarantine`` (batch id and time are added by the target)."""

    table_name: str
    source_file: str
    file_day: date
    line_number: int | None
    column_name: str | None
    reason: QuarantineReason
    detail: str
    raw_record: str | None


@dataclass
class FileOutcome:
    """What happened to one file of the batch."""

    inspected: InspectedFile
    status: FileStatus
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""


@dataclass
class BatchOutcome:
    """A validated batch, ready to be written by a target in one transaction."""

    table: str
    files: list[FileOutcome]
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    checked: pa.Table | None = None  # every checked record (registered as CHECKED)

    @property
    def clean_rows(self) -> int:
        """Rows the target must write (it checks that it wrote exactly these)."""
        return sum(item.rows_loaded for item in self.files)

    @property
    def has_rows(self) -> bool:
        return self.clean_rows > 0

    def raw_select(self, batch_id: str, loaded_at: datetime) -> str:
        """The clean rows, as the columns of ``raw.<table>`` in order."""
        table = TABLES[self.table]
        lineage = {
            **{name: quote_identifier(column) for name, column in LINEAGE_FROM_CHECKED.items()},
            "_loaded_at": f"timestamp {sql_string(loaded_at.isoformat(sep=' '))}",
            "_batch_id": sql_string(batch_id),
        }
        expressions = [
            quote_identifier(name) if name in table.column_names else lineage[name]
            for name in raw_column_names(self.table)
        ]
        return f"select {', '.join(expressions)} from {CHECKED} where __code is null and __accepted"

    def raw_arrow(self, batch_id: str, loaded_at: datetime) -> pa.Table:
        """The clean rows as Arrow, the columns of ``raw.<table>`` in order (``raw_select``)."""
        if self.checked is None:
            raise RuntimeError(f"raw.{self.table}: the batch has no checked rows")
        checked = self.checked
        clean = pc.and_kleene(pc.is_null(checked["__code"]), checked["__accepted"])
        if pc.all(clean).as_py() is not True:
            checked = checked.filter(clean)
        count = checked.num_rows
        table = TABLES[self.table]
        lineage = {
            **{name: checked[column] for name, column in LINEAGE_FROM_CHECKED.items()},
            "_loaded_at": pa.repeat(pa.scalar(loaded_at, pa.timestamp("us")), count),
            "_batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), count),
        }
        names = raw_column_names(self.table)
        columns = [checked[name] if name in table.column_names else lineage[name] for name in names]
        return pa.table(columns, names=names)


@dataclass
class _BadRecord:
    line: int  # DuckDB record line (CSV rejects) or physical line / row number
    reason: QuarantineReason
    column: str | None
    message: str
    value: str | None = None
    record_json: str | None = None


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def csv_reader_sql(paths: Sequence[str], column_count: int) -> str:
    columns = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(column_count))
    return (
        f"select * from read_csv([{', '.join(sql_string(path) for path in paths)}], "
        f"header = true, columns = {{{columns}}}, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', filename = '{FILE_COLUMN}', store_rejects = true, "
        f"rejects_table = '{REJECTS}', rejects_scan = '{REJECT_SCANS}')"
    )


def _parquet_reader_sql(paths: Sequence[str], source_names: Sequence[str]) -> str:
    columns = ", ".join(
        f"{quote_identifier(name)} as c{index}" for index, name in enumerate(source_names)
    )
    return (
        f"select {columns}, {FILE_COLUMN}, file_row_number as {ROW_NUMBER_COLUMN} from "
        f"read_parquet([{', '.join(sql_string(path) for path in paths)}], "
        f"filename = '{FILE_COLUMN}', file_row_number = true)"
    )


class BatchReader:
    """Reads the files of one batch with DuckDB (stage table or view, rejected records)."""

    def __init__(
        self, engine: duckdb.DuckDBPyConnection, table: str, *, arrow_checked: bool = False
    ) -> None:
        self.engine = engine
        self.table = table
        self.arrow_checked = arrow_checked  # CHECKED as Arrow (else a DuckDB temp table)

    def _reader_sql(self, files: Sequence[InspectedFile]) -> str:
        first = files[0]
        paths = [str(item.file.path) for item in files]
        if first.file.file_format == "csv":
            return csv_reader_sql(paths, len(first.columns))
        return _parquet_reader_sql(paths, first.source_names)

    def _drop_rejects(self) -> None:
        self.engine.execute(f"drop table if exists {REJECTS}")
        self.engine.execute(f"drop table if exists {REJECT_SCANS}")

    def _create(self, name: str, files: Sequence[InspectedFile]) -> None:
        self._drop_rejects()
        self.engine.execute(f"create or replace temp table {name} as {self._reader_sql(files)}")

    def isolated(
        self, files: list[InspectedFile], run: Callable[[list[InspectedFile]], None]
    ) -> tuple[list[InspectedFile], dict[int, str]]:
        """``run`` the scan of ``files``; when DuckDB cannot read one, leave the unreadable out.

        Returns the files ``run`` succeeded with and, by position in ``files``, why the others
        failed (each file is then read alone to find them).
        """
        try:
            run(files)
            return files, {}
        except duckdb.Error as exc:
            if len(files) == 1:
                return [], {0: _first_line(exc)}
            logger.warning("a file of the batch is unreadable; reading the files one by one")
        failures: dict[int, str] = {}
        for index, item in enumerate(files):
            try:
                self._create(PROBE, [item])
            except duckdb.Error as exc:
                failures[index] = _first_line(exc)
        self.engine.execute(f"drop table if exists {PROBE}")
        readable = [item for index, item in enumerate(files) if index not in failures]
        if readable:
            run(readable)
        return readable, failures

    def read_stage(self, files: list[InspectedFile]) -> tuple[list[InspectedFile], dict[int, str]]:
        """CSV: read the files into the stage table (its rowid follows the files' records)."""
        return self.isolated(files, lambda subset: self._create(STAGE, subset))

    def define_stage_view(self, files: Sequence[InspectedFile]) -> None:
        """Parquet: the stage is a view; rows carry their file row number, no rowid is needed."""
        self.engine.execute(
            f"create or replace temp view {STAGE_VIEW} as {self._reader_sql(files)}"
        )

    def read_plain(self, files: Sequence[InspectedFile]) -> bool:
        """Plain CSV files into the Arrow stage (registered as ARROW_STAGE).

        False, with nothing registered, when a file does not split into exactly its records
        (Arrow rejects a line with another number of fields, or bytes that are not UTF-8): the
        batch is then read by DuckDB, which finds and quarantines those lines.
        """
        names = [source.stage_column for source in files[0].columns]
        read_options = pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=False)
        parse_options = pa_csv.ParseOptions(quote_char=False, double_quote=False)
        convert_options = pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
        )

        def read(item: InspectedFile) -> pa.Table | None:
            try:
                table = pa_csv.read_csv(
                    str(item.file.path), read_options, parse_options, convert_options
                )
            except (pa.ArrowInvalid, OSError):
                return None
            return table if table.num_rows == item.rows_read else None

        with ThreadPoolExecutor(ARROW_READ_THREADS, thread_name_prefix="ecom-csv") as pool:
            tables = [table for table in pool.map(read, files) if table is not None]
        if len(tables) != len(files):
            return False
        counts = np.array([table.num_rows for table in tables], dtype=np.int64)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        paths = pa.array([str(item.file.path) for item in files], pa.string())
        file_index = np.repeat(np.arange(len(files), dtype=np.int32), counts)
        stage = pa.concat_tables(tables)
        stage = stage.append_column(
            FILE_COLUMN,
            pa.chunked_array(
                [pa.DictionaryArray.from_arrays(_arrow_integers(file_index, pa.int32()), paths)]
            ),
        )
        row_numbers = np.arange(int(counts.sum()), dtype=np.int64) - starts
        stage = stage.append_column(ROW_NUMBER_COLUMN, [_arrow_integers(row_numbers, pa.int64())])
        self.engine.register(ARROW_STAGE, stage)
        return True

    def rejected_lines(self, files: Sequence[InspectedFile]) -> dict[int, dict[int, _BadRecord]]:
        """Records DuckDB's CSV reader rejected, by file position then record line."""
        if files[0].file.file_format != "csv":
            return {}
        position = {str(item.file.path): index for index, item in enumerate(files)}
        rows = self.engine.execute(
            f"select scans.file_path, errors.line, cast(errors.error_type as varchar), "
            f"errors.error_message, errors.column_name from {REJECTS} as errors "
            f"join {REJECT_SCANS} as scans using (scan_id, file_id) "
            "order by scans.file_path, errors.line"
        ).fetchall()
        rejected: dict[int, dict[int, _BadRecord]] = {}
        for path, line, error_type, message, _column in rows:
            reason = (
                QuarantineReason.INVALID_ENCODING
                if error_type in ENCODING_ERRORS
                else QuarantineReason.MALFORMED_LINE
            )
            by_line = rejected.setdefault(position[path], {})
            known = by_line.get(int(line))
            if known is None or reason == QuarantineReason.MALFORMED_LINE:
                by_line[int(line)] = _BadRecord(int(line), reason, None, message)
        return rejected

    def stage_counts(self, files: Sequence[InspectedFile]) -> list[StagedFile]:
        """Rows and first rowid of every file in the stage; checks the stage keeps file order."""
        rows = self.engine.execute(
            f"select {FILE_COLUMN}, count(*), min(rowid), max(rowid) from {STAGE} "
            f"group by {FILE_COLUMN}"
        ).fetchall()
        by_path = {path: (count, first, last) for path, count, first, last in rows}
        staged, expected_first = [], 0
        for item in files:
            count, first, last = by_path.get(str(item.file.path), (0, expected_first, -1))
            if count and (first != expected_first or last - first + 1 != count):
                raise RuntimeError(
                    f"DuckDB did not keep the row order of {item.file.source_file} in the stage "
                    "table; the physical line numbers cannot be trusted (report this bug)"
                )
            staged.append(StagedFile(int(count), int(first)))
            expected_first += count
        return staged


@dataclass(frozen=True)
class StagedFile:
    """Where a file's rows are in the stage table (rows in file order from ``first_rowid``)."""

    count: int
    first_rowid: int


def _good_lines(
    item: InspectedFile,
    count: int,
    rejected: dict[int, _BadRecord],
    segments: CsvSegments | None,
) -> IntArray | None:
    """Physical line of each stage row of a CSV file; None when DuckDB's records do not match."""
    if segments is None:
        return np.arange(2, count + 2, dtype=np.int64) if count == item.rows_read else None
    reject_lines = np.fromiter(rejected, dtype=np.int64, count=len(rejected))
    segment_count = segments.starts.size
    valid = all(2 <= line <= segment_count and not segments.blank[line - 1] for line in rejected)
    good = segments.good_lines(reject_lines)
    if not valid or good.size != count or count + len(rejected) != item.rows_read:
        return None
    return good


def _arrow_integers(values: npt.NDArray[np.integer], data_type: pa.DataType) -> pa.Array:
    """An Arrow integer array sharing the numpy buffer (``pa.array`` would import pandas)."""
    contiguous = np.ascontiguousarray(values, dtype=data_type.to_pandas_dtype())
    return pa.Array.from_buffers(data_type, len(contiguous), [None, pa.py_buffer(contiguous)])


def _decode_record(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="backslashreplace").replace("\0", "\\x00")
    if len(text) > MAX_RAW_RECORD_CHARS:
        return text[:MAX_RAW_RECORD_CHARS] + f"... [truncated, {len(raw)} bytes in all]"
    return text


def _describe_value(value: str | None) -> str:
    if value is None or not value.strip():
        return "an empty value"
    return repr(value if len(value) <= 200 else value[:200] + "...")


class BatchValidator:
    """Turns a read batch into clean rows (left in CHECKED) and quarantine records."""

    checked: pa.Table | None = None

    def __init__(self, reader: BatchReader, files: list[InspectedFile]) -> None:
        self.reader = reader
        self.engine = reader.engine
        self.table = TABLES[reader.table]
        self.files = files
        self.segments: dict[int, tuple[bytes, CsvSegments]] = {}

    def segments_of(self, index: int) -> tuple[bytes, CsvSegments]:
        if index not in self.segments:
            data = Path(self.files[index].file.path).read_bytes()
            self.segments[index] = (data, csv_segments(data))
        return self.segments[index]

    def line_overrides(
        self, staged: list[StagedFile], rejected: dict[int, dict[int, _BadRecord]]
    ) -> tuple[pa.Table, set[int]]:
        """Physical lines of stage rows (by rowid) that are not ``rowid - first_rowid + 2``.

        Only CSV files with rejected records, blank lines or quoted line breaks need them. Also
        returns the positions of files whose records do not line up with DuckDB's rows.
        """
        positions, lines, misaligned = [], [], set()
        for index, (item, stage) in enumerate(zip(self.files, staged, strict=True)):
            file_rejects = rejected.get(index, {})
            segments = None
            if item.file.file_format == "csv" and (not item.regular or file_rejects):
                segments = self.segments_of(index)[1]
            good = _good_lines(item, stage.count, file_rejects, segments)
            if good is None:
                misaligned.add(index)
            elif segments is not None:
                positions.append(np.arange(stage.count, dtype=np.int64) + stage.first_rowid)
                lines.append(good)
        empty = np.array([], np.int64)
        table = pa.Table.from_arrays(
            [
                _arrow_integers(np.concatenate(positions or [empty]), pa.int64()),
                _arrow_integers(np.concatenate(lines or [empty]), pa.int64()),
            ],
            names=["pos", "line"],
        )
        return table, misaligned

    def create_files(self, staged: list[StagedFile], misaligned: set[int]) -> None:
        """The FILES table: the batch's files (stage path, position, first rowid, lineage)."""
        self.engine.execute(
            f"create or replace temp table {FILES} as {self.files_sql(staged, misaligned)}"
        )

    def files_sql(self, staged: list[StagedFile], misaligned: set[int]) -> str:
        """The batch's files (stage path, position, first rowid, lineage) as a SQL query."""
        rows = []
        for index, (item, stage) in enumerate(zip(self.files, staged, strict=True)):
            day = item.file.file_day
            day_end = datetime.combine(day + timedelta(days=1), time())
            rows.append(
                f"({sql_string(str(item.file.path))}, {index}, {stage.first_rowid}, "
                f"{sql_string(item.file.source_file)}, date '{day.isoformat()}', "
                f"timestamp '{day_end.isoformat(sep=' ')}', {index not in misaligned})"
            )
        return (
            f"select * from (values {', '.join(rows)}) as "
            "files(path, file_idx, first_rowid, source_file, file_day, day_end, accepted)"
        )

    def create_checked(self, plan: ValidationPlan, source: str) -> None:
        """Type and check every record of the stage into the CHECKED rows (an Arrow table when
        the reader keeps them as Arrow, else a DuckDB temp table).

        ``source``: "stage" (the CSV stage table), "arrow" (the Arrow stage of plain CSV files)
        or "parquet" (the Parquet stage view).
        """
        typed = ", ".join(column_plan.computed_columns() for column_plan in plan.plans.values())
        values = ", ".join(
            f"{column_plan.typed} as {quote_identifier(name)}"
            for name, column_plan in plan.plans.items()
        )
        record_json = "cast(null as varchar)"
        lines_join = ""
        if source == "parquet":
            record_json = plan.record_json_sql(self.files[0].columns)
            stage, line = STAGE_VIEW, f"s.{ROW_NUMBER_COLUMN} + 1"
        elif source == "arrow":  # row 0 of a file is on line 2, under the header
            stage, line = ARROW_STAGE, f"s.{ROW_NUMBER_COLUMN} + 2"
        else:
            stage, line = STAGE, "coalesce(l.line, s.rowid - f.first_rowid + 2)"
            lines_join = f"left join {LINES} as l on l.pos = s.rowid"
        checked_sql = f"""
            with typed as (
                select
                    s.*,
                    f.file_idx as __file_idx,
                    {line} as __line,
                    f.accepted as __accepted,
                    f.source_file as __source_file,
                    f.file_day as __file_day,
                    f.day_end as __day_end,
                    {typed}
                from {stage} as s
                join {FILES} as f on f.path = s.{FILE_COLUMN}
                {lines_join}
            ),
            coded as (select s.*, {plan.code_sql()} as __code from typed as s)
            select
                __file_idx, __line, __accepted, __source_file, __file_day,
                {values},
                {plan.extra_sql()} as "_extra",
                __code,
                case when __code is not null then {plan.bad_value_sql("__code")} end
                    as __bad_value,
                case when __code is not null then {record_json} end as __record_json
            from coded as s
            """
        if self.reader.arrow_checked:
            self.checked = self.engine.sql(checked_sql).to_arrow_table()
            self.engine.register(CHECKED, self.checked)
        else:
            self.engine.execute(f"create or replace temp table {CHECKED} as {checked_sql}")

    def bad_records(self, plan: ValidationPlan) -> dict[int, list[_BadRecord]]:
        """Records that break a rule, by file position."""
        rows = self.engine.execute(
            f"select __file_idx, __line, __code, __bad_value, __record_json from {CHECKED} "
            "where __code is not null and __accepted order by __file_idx, __line"
        ).fetchall()
        bad: dict[int, list[_BadRecord]] = {}
        for index, line, code, value, record_json in rows:
            rule = plan.rules[code]
            bad.setdefault(int(index), []).append(
                _BadRecord(
                    int(line), rule.reason, rule.column, rule.expectation, value, record_json
                )
            )
        return bad

    def row_counts(self) -> dict[int, int]:
        """Checked rows per file position (clean or not)."""
        rows = self.engine.execute(
            f"select __file_idx, count(*) from {CHECKED} group by __file_idx"
        ).fetchall()
        return {int(index): int(count) for index, count in rows}

    def loaded_counts(self) -> dict[int, int]:
        """Clean rows per file position."""
        rows = self.engine.execute(
            f"select __file_idx, count(*) from {CHECKED} where __code is null and __accepted "
            "group by __file_idx"
        ).fetchall()
        return {int(index): int(count) for index, count in rows}


def _unregister_arrow_stage(engine: duckdb.DuckDBPyConnection) -> None:
    """Release the Arrow stage (DuckDB holds a reference to it while it is registered)."""
    engine.unregister(ARROW_STAGE)


def cleanup(engine: duckdb.DuckDBPyConnection) -> None:
    """Drop the batch's temporary tables and views, release its Arrow tables."""
    _unregister_arrow_stage(engine)
    engine.unregister(CHECKED)
    engine.execute(f"drop view if exists {STAGE_VIEW}")
    for name in (CHECKED, STAGE, LINES, FILES, PROBE, REJECTS, REJECT_SCANS):
        engine.execute(f"drop table if exists {name}")


def empty_file_record(item: InspectedFile) -> QuarantineRecord:
    return QuarantineRecord(
        table_name=item.file.table,
        source_file=item.file.source_file,
        file_day=item.file.file_day,
        line_number=None,
        column_name=None,
        reason=QuarantineReason.EMPTY_FILE,
        detail=f"{item.message}; expected a header and at least one data row",
        raw_record=None,
    )


class _QuarantineBuilder:
    """Turns bad records into quarantine rows with the raw record and a readable detail."""

    def __init__(self, validator: BatchValidator) -> None:
        self.validator = validator

    def _raw_at_record(self, index: int, record_line: int) -> str:
        data, segments = self.validator.segments_of(index)
        return _decode_record(segments.record_bytes(data, record_line))

    def _raw_at_line(self, index: int, physical_line: int) -> str:
        _, segments = self.validator.segments_of(index)
        record_line = int(np.searchsorted(segments.lines, physical_line)) + 1
        return self._raw_at_record(index, record_line)

    def rejected(self, index: int, bad: _BadRecord) -> QuarantineRecord:
        item = self.validator.files[index]
        _, segments = self.validator.segments_of(index)
        physical = segments.physical_line(bad.line)
        where = f"{item.file.source_file} line {physical}"
        if bad.reason == QuarantineReason.INVALID_ENCODING:
            detail = f"{where}: not valid UTF-8 ({bad.message}); re-export the file as UTF-8"
        else:
            detail = (
                f"{where}: {bad.message}; expected {len(item.columns)} comma-separated fields "
                'with RFC 4180 quoting ("" inside quoted fields)'
            )
        return QuarantineRecord(
            table_name=item.file.table,
            source_file=item.file.source_file,
            file_day=item.file.file_day,
            line_number=physical,
            column_name=None,
            reason=bad.reason,
            detail=detail,
            raw_record=self._raw_at_record(index, bad.line),
        )

    def invalid(self, index: int, bad: _BadRecord) -> QuarantineRecord:
        item = self.validator.files[index]
        csv_file = item.file.file_format == "csv"
        where = f"{item.file.source_file} {'line' if csv_file else 'row'} {bad.line}"
        expectation = bad.message
        if bad.reason == QuarantineReason.FUTURE_TIMESTAMP:
            expectation += f": {item.file.file_day.isoformat()} 23:59:59"
        got = _describe_value(bad.value)
        detail = f"{where}, column {bad.column}: got {got}, expected {expectation}"
        raw = self._raw_at_line(index, bad.line) if csv_file else bad.record_json
        return QuarantineRecord(
            table_name=item.file.table,
            source_file=item.file.source_file,
            file_day=item.file.file_day,
            line_number=bad.line,
            column_name=bad.column,
            reason=bad.reason,
            detail=detail,
            raw_record=raw,
        )


def _loaded_message(outcome: FileOutcome) -> str:
    parts = [f"{outcome.rows_loaded} rows loaded"]
    if outcome.rows_quarantined:
        parts.append(f"{outcome.rows_quarantined} quarantined (see raw._quarantine)")
    return "; ".join(parts + outcome.inspected.notes)


def _read_failure_message(item: InspectedFile, error: str) -> str:
    kind = (
        "CSV (UTF-8, comma separated, RFC 4180 quoting)"
        if item.file.file_format == "csv"
        else "Parquet"
    )
    return (
        f"{item.file.source_file}: DuckDB cannot read the file ({error}); nothing of it was "
        f"loaded. Fix: deliver it as valid {kind}"
    )


def _misaligned_message(item: InspectedFile) -> str:
    return (
        f"{item.file.source_file}: the records DuckDB parsed do not match the file's lines "
        "(unusual quoting or line endings); nothing of it was loaded. Fix: re-export it with "
        "RFC 4180 quoting and one kind of line ending"
    )


def _create_from_arrow(engine: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """A temp table holding an Arrow table."""
    view = f"{name}_arrow"
    engine.register(view, table)
    try:
        engine.execute(f"create or replace temp table {name} as select * from {view}")
    finally:
        engine.unregister(view)


def prepare_batch(
    engine: duckdb.DuckDBPyConnection,
    table: str,
    files: list[InspectedFile],
    *,
    arrow_checked: bool = False,
) -> BatchOutcome:
    """Read and validate a batch of files of ``table`` that share their columns.

    Files already decided (empty, rejected) just get their outcome. Clean rows are left in the
    CHECKED rows of ``engine`` (``BatchOutcome.raw_select`` selects them; with
    ``arrow_checked``, CHECKED is Arrow and ``BatchOutcome.raw_arrow`` gives them).
    """
    outcomes: list[FileOutcome] = []
    quarantine: list[QuarantineRecord] = []
    for item in files:
        if item.status is not None:
            outcomes.append(FileOutcome(item, item.status, message=item.message))
            if item.status == FileStatus.EMPTY:
                quarantine.append(empty_file_record(item))
    readable = [item for item in files if item.status is None]
    batch = BatchOutcome(table=table, files=outcomes, quarantine=quarantine)
    if readable:
        _validate_readable(BatchReader(engine, table, arrow_checked=arrow_checked), readable, batch)
    return batch


def _check_csv(
    reader: BatchReader, readable: list[InspectedFile], plan: ValidationPlan
) -> tuple[BatchValidator | None, dict[int, str], dict[int, dict[int, _BadRecord]], set[int]]:
    """CSV: stage the files, number their records, check them. Returns the validator, read
    failures (by position in ``readable``), rejected records and misaligned files (by position
    in the validator's files)."""
    if PLAIN_CSV_WITH_ARROW and all(item.plain for item in readable):
        if reader.read_plain(readable):
            validator = BatchValidator(reader, readable)
            validator.create_files([StagedFile(item.rows_read, 0) for item in readable], set())
            validator.create_checked(plan, "arrow")
            _unregister_arrow_stage(reader.engine)
            return validator, {}, {}, set()
        logger.info("a plain CSV file of the batch does not split into its records; using DuckDB")
    staged, failures = reader.read_stage(readable)
    if not staged:
        return None, failures, {}, set()
    rejected = reader.rejected_lines(staged)
    stage = reader.stage_counts(staged)
    validator = BatchValidator(reader, staged)
    lines, misaligned = validator.line_overrides(stage, rejected)
    _create_from_arrow(reader.engine, LINES, lines)
    validator.create_files(stage, misaligned)
    validator.create_checked(plan, "stage")
    return validator, failures, rejected, misaligned


def _check_parquet(
    reader: BatchReader, readable: list[InspectedFile], plan: ValidationPlan
) -> tuple[BatchValidator | None, dict[int, str]]:
    """Parquet: check the files straight from the reader (one scan), leaving unreadable out."""
    validators: list[BatchValidator] = []

    def check(files: list[InspectedFile]) -> None:
        validator = BatchValidator(reader, files)
        reader.define_stage_view(files)
        validator.create_files([StagedFile(item.rows_read, 0) for item in files], set())
        validator.create_checked(plan, "parquet")  # the scan: read errors surface here
        validators.append(validator)

    staged, failures = reader.isolated(readable, check)
    if not staged:
        return None, failures
    validator = validators[-1]
    counts = validator.row_counts()
    for index, item in enumerate(staged):
        if counts.get(index, 0) != item.rows_read:
            raise RuntimeError(
                f"DuckDB read {counts.get(index, 0)} rows of {item.file.source_file}, its "
                f"metadata says {item.rows_read} (report this bug)"
            )
    return validator, failures


def _validate_readable(
    reader: BatchReader, readable: list[InspectedFile], batch: BatchOutcome
) -> None:
    table = reader.table
    plan = build_plan(
        TABLES[table], readable[0].columns, check_nul=any(item.has_nul for item in readable)
    )
    rejected: dict[int, dict[int, _BadRecord]] = {}
    misaligned: set[int] = set()
    if readable[0].file.file_format == "csv":
        validator, failures, rejected, misaligned = _check_csv(reader, readable, plan)
    else:
        validator, failures = _check_parquet(reader, readable, plan)
    for index, error in failures.items():
        item = readable[index]
        message = _read_failure_message(item, error)
        logger.warning(message)
        batch.files.append(FileOutcome(item, FileStatus.REJECTED, message=message))
    if validator is None:
        return
    batch.checked = validator.checked
    bad = validator.bad_records(plan)
    loaded = validator.loaded_counts()
    builder = _QuarantineBuilder(validator)
    for index, item in enumerate(validator.files):
        if index in misaligned:
            message = _misaligned_message(item)
            logger.warning(message)
            batch.files.append(FileOutcome(item, FileStatus.REJECTED, message=message))
            continue
        records = [builder.rejected(index, record) for record in rejected.get(index, {}).values()]
        records += [builder.invalid(index, record) for record in bad.get(index, [])]
        records.sort(key=lambda record: record.line_number or 0)
        batch.quarantine.extend(records)
        outcome = FileOutcome(item, FileStatus.LOADED, loaded.get(index, 0), len(records))
        outcome.message = _loaded_message(outcome)
        batch.files.append(outcome)
    validator.segments.clear()
