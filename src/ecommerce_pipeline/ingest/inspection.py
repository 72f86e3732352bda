"""Look at one landing file before loading it: checksum, columns, record count, early outcome.

Files that are empty or that must be rejected whole (missing required column, unreadable) get their
outcome here and are never read by DuckDB; the others get the source columns their group is read
with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from ecommerce_pipeline.contract import TABLES, FileStatus
from ecommerce_pipeline.ingest.errors import FileRejectedError
from ecommerce_pipeline.ingest.files import (
    LandingFile,
    checksum,
    normalise_column_name,
    summarise_csv,
)
from ecommerce_pipeline.ingest.validate import (
    BOOLEAN,
    DATE,
    DECIMAL,
    FLOAT,
    INTEGER,
    OTHER,
    TIMESTAMP,
    TIMESTAMPTZ,
    VARCHAR,
    SourceColumn,
)

logger = logging.getLogger(__name__)


@dataclass
class InspectedFile:
    """A landing file with what the loader knows before reading its records."""

    file: LandingFile
    checksum: str
    size: int
    rows_read: int = 0
    status: FileStatus | None = None  # decided before reading (empty / rejected), else None
    message: str = ""
    columns: tuple[SourceColumn, ...] = ()
    source_names: tuple[str, ...] = ()  # column names as in the file (Parquet selects by them)
    regular: bool = True  # CSV: record line k is physical line k
    has_nul: bool = False
    plain: bool = False  # CSV: see files.CsvSummary.plain
    notes: list[str] = field(default_factory=list)

    @property
    def signature(self) -> tuple[object, ...]:
        """Files with the same signature are read together in one DuckDB scan."""
        families = tuple(source.family for source in self.columns)
        return (self.file.file_format, tuple(self.source_names), families)

    def reject(self, message: str) -> None:
        self.status = FileStatus.REJECTED
        self.message = message

    def empty(self, message: str) -> None:
        self.status = FileStatus.EMPTY
        self.message = message


def arrow_family(data_type: pa.DataType) -> str:
    """The type family of a Parquet column (decides how its values are cast and checked)."""
    if pa.types.is_integer(data_type):
        return INTEGER
    if pa.types.is_decimal(data_type):
        return DECIMAL
    if pa.types.is_floating(data_type):
        return FLOAT
    if pa.types.is_timestamp(data_type):
        return TIMESTAMPTZ if data_type.tz is not None else TIMESTAMP
    if pa.types.is_date(data_type):
        return DATE
    if pa.types.is_boolean(data_type):
        return BOOLEAN
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return VARCHAR
    if hasattr(pa.types, "is_string_view") and pa.types.is_string_view(data_type):
        return VARCHAR
    return OTHER


def _check_columns(inspected: InspectedFile, names: tuple[str, ...]) -> None:
    """Reject files missing a required column or with duplicate names; note extras."""
    table = TABLES[inspected.file.table]
    source_file = inspected.file.source_file
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise FileRejectedError(
            f"{source_file}: column(s) {', '.join(duplicates)} appear more than once in the "
            "header (names compared trimmed and lower-cased); give every column one name"
        )
    missing = [name for name in table.required_columns if name not in names]
    if missing:
        raise FileRejectedError(
            f"{source_file}: missing required column(s) {', '.join(missing)}; nothing of the "
            f"file was loaded. Fix: deliver {table.name} files with every required column "
            f"({', '.join(table.required_columns)}); a corrected file is loaded as a new delivery"
        )
    extras = [name for name in names if name not in table.column_names]
    if extras:
        note = f"columns not in the contract kept in _extra: {', '.join(extras)}"
        logger.warning("%s: %s", source_file, note)
        inspected.notes.append(note)
    absent = [name for name in table.column_names if name not in names]
    if absent:
        inspected.notes.append(f"optional columns absent (loaded as null): {', '.join(absent)}")


def _inspect_csv(inspected: InspectedFile, data: bytes) -> None:
    source_file = inspected.file.source_file
    summary = summarise_csv(data, source_file)
    inspected.rows_read = summary.records
    inspected.regular = summary.regular
    inspected.has_nul = summary.has_nul
    inspected.plain = summary.plain
    if summary.records == 0:
        inspected.empty(f"{source_file}: header only, no data rows")
        return
    _check_columns(inspected, summary.header)
    inspected.source_names = summary.header
    inspected.columns = tuple(
        SourceColumn(name, f"c{index}", VARCHAR) for index, name in enumerate(summary.header)
    )


def _inspect_parquet(inspected: InspectedFile, data: bytes) -> None:
    source_file = inspected.file.source_file
    try:
        metadata = pq.read_metadata(pa.BufferReader(data))
        schema = metadata.schema.to_arrow_schema()
    except (pa.ArrowException, OSError) as exc:
        raise FileRejectedError(
            f"{source_file}: not a readable Parquet file ({exc}); re-export it"
        ) from exc
    inspected.rows_read = metadata.num_rows
    if metadata.num_rows == 0:
        inspected.empty(f"{source_file}: Parquet file with zero rows")
        return
    names = tuple(normalise_column_name(name) for name in schema.names)
    _check_columns(inspected, names)
    inspected.source_names = tuple(schema.names)
    inspected.columns = tuple(
        SourceColumn(name, f"c{index}", arrow_family(schema.field(index).type))
        for index, name in enumerate(names)
    )


def inspect_file(landing_file: LandingFile) -> InspectedFile:
    """Checksum, size, record count and early outcome (empty / rejected) of a landing file.

    Raises OSError when the file cannot be read (the caller reports it and moves on).
    """
    data = landing_file.path.read_bytes()
    inspected = InspectedFile(landing_file, checksum=checksum(data), size=len(data))
    if not data:
        inspected.empty(f"{landing_file.source_file}: zero bytes")
        return inspected
    try:
        if landing_file.file_format == "csv":
            _inspect_csv(inspected, data)
        else:
            _inspect_parquet(inspected, data)
    except FileRejectedError as exc:
        inspected.reject(str(exc))
    return inspected
