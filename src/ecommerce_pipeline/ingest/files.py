"""Landing files: discovery, checksums, headers, and where the records of a CSV file are.

Layout: ``<landing>/<table>/<YYYY-MM-DD>/<name>.csv|.parquet``. Entries whose name starts with
``_`` (or ``.``) are not landing data and are skipped silently; anything else that does not fit
the layout is reported as a warning and not loaded.

DuckDB's CSV reader numbers records, not physical lines: its "line" k is the k-th *segment* of the
file split at the newlines that end a record (header = 1, a blank segment keeps its number but is
not a record). :func:`csv_segments` computes those segments from the file bytes (a quote-parity
scan, or a small state machine for unusual quoting) so every record gets its physical line.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ecommerce_pipeline.contract import LANDING_FORMATS, TABLES
from ecommerce_pipeline.ingest.errors import (
    FileRejectedError,
    LandingNotFoundError,
    UnknownTableError,
)

logger = logging.getLogger(__name__)

DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NEWLINE, CARRIAGE_RETURN, QUOTE, COMMA, SPACE = 10, 13, 34, 44, 32

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LandingFile:
    """One landing file found under the landing folder."""

    table: str
    path: Path
    source_file: str  # relative to the landing folder, posix separators
    file_day: date
    file_format: str  # csv | parquet


@dataclass
class Discovery:
    """The landing files to consider, in load order, and what was ignored."""

    files: list[LandingFile]
    warnings: list[str]


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(("_", "."))


def resolve_tables(tables: Sequence[str] | None) -> list[str]:
    """The contract tables asked for, in contract (load) order."""
    if tables is None:
        return list(TABLES)
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise UnknownTableError(
            f"unknown table(s) {', '.join(unknown)}: the contract's tables are {', '.join(TABLES)}"
        )
    return [name for name in TABLES if name in set(tables)]


def _parse_day(folder: Path) -> date | None:
    if not DAY_FOLDER.match(folder.name):
        return None
    try:
        return date.fromisoformat(folder.name)
    except ValueError:
        return None


def _day_files(day_folder: Path, table: str, day: date, landing_dir: Path) -> Discovery:
    found = Discovery(files=[], warnings=[])
    for path in sorted(day_folder.iterdir()):
        if _is_hidden(path):
            continue
        relative = path.relative_to(landing_dir).as_posix()
        file_format = path.suffix.lower().lstrip(".")
        if not path.is_file() or file_format not in LANDING_FORMATS:
            found.warnings.append(
                f"{relative}: not a .csv or .parquet landing file, ignored (rename it or move it "
                "out of the landing folder)"
            )
            continue
        found.files.append(LandingFile(table, path, relative, day, file_format))
    return found


def _table_files(
    landing_dir: Path, table: str, since: date | None, until: date | None
) -> Discovery:
    found = Discovery(files=[], warnings=[])
    folder = landing_dir / table
    if not folder.is_dir():
        return found
    for day_folder in sorted(folder.iterdir()):
        if _is_hidden(day_folder):
            continue
        day = _parse_day(day_folder) if day_folder.is_dir() else None
        if day is None:
            found.warnings.append(
                f"{table}/{day_folder.name}: not a YYYY-MM-DD day folder, ignored (landing "
                f"files go in {table}/<YYYY-MM-DD>/)"
            )
            continue
        if (since is not None and day < since) or (until is not None and day > until):
            continue
        day_found = _day_files(day_folder, table, day, landing_dir)
        found.files.extend(day_found.files)
        found.warnings.extend(day_found.warnings)
    return found


def _unknown_entries(landing_dir: Path) -> list[str]:
    return [
        f"{entry.name}: not a table of the contract ({', '.join(TABLES)}), ignored"
        for entry in sorted(landing_dir.iterdir())
        if not _is_hidden(entry) and entry.name not in TABLES
    ]


def discover_landing(
    landing_dir: Path,
    *,
    since: date | None = None,
    until: date | None = None,
    tables: Sequence[str] | None = None,
) -> Discovery:
    """Landing files in load order: contract table order, then day, then file name.

    ``since`` / ``until`` filter on the day folder, both inclusive.
    """
    if not landing_dir.is_dir():
        raise LandingNotFoundError(
            f"landing folder {landing_dir} does not exist: write landing files there (e.g. "
            f"`ecom generate --out {landing_dir}`) or point --landing / ECOM_LANDING_DIR at "
            "your landing folder"
        )
    discovery = Discovery(files=[], warnings=_unknown_entries(landing_dir))
    for table in resolve_tables(tables):
        found = _table_files(landing_dir, table, since, until)
        discovery.files.extend(found.files)
        discovery.warnings.extend(found.warnings)
    for warning in discovery.warnings:
        logger.warning("landing: %s", warning)
    return discovery


def checksum(data: bytes) -> str:
    """sha256 of a file's bytes (hex): a file with the same path and checksum is not reloaded."""
    return hashlib.sha256(data).hexdigest()


def normalise_column_name(name: str) -> str:
    """Header names are compared stripped, without a byte order mark, lower-cased."""
    return name.replace("\ufeff", "").strip().lower()


def parse_csv_header(line: bytes, source_file: str) -> tuple[str, ...]:
    """The normalised column names of a CSV header line (bytes without the newline)."""
    try:
        text = line.rstrip(b"\r").decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejectedError(
            f"{source_file}: the header line is not valid UTF-8 ({exc.reason} at byte "
            f"{exc.start}); re-export the file as UTF-8"
        ) from exc
    names = next(csv.reader([text]), [])
    return tuple(normalise_column_name(name) for name in names)


@dataclass(frozen=True)
class CsvSummary:
    """What the loader needs to know about a CSV file before reading it with DuckDB."""

    header: tuple[str, ...]
    records: int  # data records (blank lines are not records)
    regular: bool  # every record is one physical line and there is no blank line
    has_nul: bool  # a NUL byte somewhere (not valid in PostgreSQL text)
    #: No quote, carriage return, blank line or NUL byte: every line is a record whose fields
    #: are the text between commas, so any CSV reader splits it the same way (Arrow's is used).
    plain: bool = False


@dataclass(frozen=True)
class CsvSegments:
    """The file split at record-ending newlines; index i is DuckDB's record line i + 1."""

    starts: IntArray  # byte offset of each segment
    ends: IntArray  # byte offset of the newline ending it (or the file size)
    lines: IntArray  # physical line (1-based) on which each segment starts
    blank: BoolArray  # empty (or a lone carriage return): not a record

    @property
    def records(self) -> int:
        return int(np.count_nonzero(~self.blank[1:]))

    @property
    def embedded_newlines(self) -> bool:
        """True when some record spans several physical lines (a quoted line break)."""
        return bool(self.lines.size and self.lines[-1] != self.lines.size)

    def good_lines(self, rejected_record_lines: IntArray) -> IntArray:
        """Physical lines of the data records DuckDB parsed (not blank, not rejected), in order."""
        record_lines = np.arange(2, self.starts.size + 1, dtype=np.int64)
        keep = ~self.blank[1:] & ~np.isin(record_lines, rejected_record_lines)
        return self.lines[1:][keep]

    def physical_line(self, record_line: int) -> int:
        return int(self.lines[record_line - 1])

    def record_bytes(self, data: bytes, record_line: int) -> bytes:
        index = record_line - 1
        return data[int(self.starts[index]) : int(self.ends[index])].rstrip(b"\r")


def _parity_is_reliable(buffer: npt.NDArray[np.uint8], quotes: IntArray) -> bool:
    """True when every quote that opens a field (by parity) sits at the start of a field.

    Then quote parity at a newline equals the RFC 4180 state: even = the newline ends a record.
    A literal quote inside an unquoted field (``ab"c``) or a space before an opening quote breaks
    parity; the state machine handles those files.
    """
    opening = quotes[0::2]
    before = opening - 1
    previous = buffer[np.maximum(before, 0)]
    at_field_start = (before < 0) | (previous == COMMA) | (previous == NEWLINE)
    return bool(np.all(at_field_start | (previous == QUOTE)))


def _at_field_start(data: bytes, position: int) -> bool:
    index = position - 1
    while index >= 0 and data[index] == SPACE:
        index -= 1
    return index < 0 or data[index] in (COMMA, NEWLINE, CARRIAGE_RETURN)


def _terminators_by_state_machine(data: bytes, newlines: IntArray, quotes: IntArray) -> BoolArray:
    """Which newlines end a record, following DuckDB's CSV states (slow path, unusual quoting).

    A quote opens a quoted field only at the start of a field (spaces allowed before it); inside,
    ``""`` is an escaped quote and any other quote closes the field; elsewhere a quote is text.
    """
    is_terminator = np.zeros(newlines.size, dtype=np.bool_)
    positions = np.concatenate((newlines, quotes))
    order = np.argsort(positions, kind="stable")
    newline_count = newlines.size
    quoted = False
    skip_quote_at = -1
    for event in order.tolist():
        if event < newline_count:
            if not quoted:
                is_terminator[event] = True
            continue
        position = int(positions[event])
        if position == skip_quote_at:
            continue
        if quoted:
            if position + 1 < len(data) and data[position + 1] == QUOTE:
                skip_quote_at = position + 1  # an escaped quote: stay quoted
            else:
                quoted = False
        elif _at_field_start(data, position):
            quoted = True
    return is_terminator


def _record_terminators(
    data: bytes, buffer: npt.NDArray[np.uint8], newlines: IntArray
) -> BoolArray:
    quotes = np.flatnonzero(buffer == QUOTE).astype(np.int64)
    if quotes.size == 0:
        return np.ones(newlines.size, dtype=np.bool_)
    if _parity_is_reliable(buffer, quotes):
        return np.asarray(np.searchsorted(quotes, newlines) % 2 == 0)
    return _terminators_by_state_machine(data, newlines, quotes)


def csv_segments(data: bytes) -> CsvSegments:
    """Split a CSV file (non-empty bytes) into DuckDB's record segments."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == NEWLINE).astype(np.int64)
    is_terminator = _record_terminators(data, buffer, newlines)
    terminator_index = np.flatnonzero(is_terminator).astype(np.int64)
    terminators = newlines[terminator_index]
    starts = np.concatenate(([0], terminators + 1)).astype(np.int64)
    ends = np.concatenate((terminators, [len(data)])).astype(np.int64)
    lines = np.concatenate(([1], terminator_index + 2)).astype(np.int64)
    if starts.size > 1 and starts[-1] == len(data):  # the file ends with a record terminator
        starts, ends, lines = starts[:-1], ends[:-1], lines[:-1]
    length = ends - starts
    first_byte = buffer[np.minimum(starts, len(data) - 1)]
    blank = (length == 0) | ((length == 1) & (first_byte == CARRIAGE_RETURN))
    return CsvSegments(starts=starts, ends=ends, lines=lines, blank=blank)


def _has_blank_line(data: bytes) -> bool:
    return b"\n\n" in data or b"\n\r\n" in data or data.startswith((b"\n", b"\r\n"))


def summarise_csv(data: bytes, source_file: str) -> CsvSummary:
    """Header, record count and shape of a non-empty CSV file (a fast path for plain files)."""
    has_nul = b"\0" in data
    if b'"' not in data and not _has_blank_line(data):
        plain = not has_nul and b"\r" not in data
        header_end = data.find(b"\n")
        if header_end < 0:
            return CsvSummary(parse_csv_header(data, source_file), 0, True, has_nul, plain)
        tail = data[data.rfind(b"\n") + 1 :]
        records = data.count(b"\n") - 1 + (1 if tail.strip(b"\r") else 0)
        header = parse_csv_header(data[:header_end], source_file)
        return CsvSummary(header, records, True, has_nul, plain)
    segments = csv_segments(data)
    header = parse_csv_header(data[: int(segments.ends[0])], source_file)
    regular = not segments.embedded_newlines and not bool(segments.blank[1:].any())
    return CsvSummary(header, segments.records, regular, has_nul)
