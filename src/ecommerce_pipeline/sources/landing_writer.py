"""The one writer of landing files for every source adapter (database, API, imports, mappings).

It reads the contract (:mod:`ecommerce_pipeline.contract`) for the column order and types and
writes ``<landing>/<table>/<YYYY-MM-DD>/<table>_<YYYY-MM-DD>_<source>.csv``: one file per business
day, the day being the UTC date of the table's version column (``updated_at``, or ``paid_at`` /
``event_ts`` for the optional tables). Values are formatted the way the generator writes them:
timestamps ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), money with 2 decimals, dates ``YYYY-MM-DD``, booleans
``true``/``false``, empty = null. A text value that does not parse as its column's type is written
as it is, so the loader quarantines it with its reason: an adapter never drops a row silently.

Input is an Arrow table (typed or text columns, any order; contract columns it lacks are written
empty; ``extra_columns`` are written after the contract's and land in ``raw.<table>._extra``).
Formatting and the split by day run in DuckDB. Every file is written atomically (a hidden
temporary file, fsync, rename, fsync of the folder), so a crash never leaves half a file behind
and a re-run that writes the same file name replaces it whole.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from ecommerce_pipeline.contract import (
    MONEY_PRECISION,
    MONEY_SCALE,
    TABLES,
    Column,
    ColumnType,
    Table,
)
from ecommerce_pipeline.errors import UserError

logger = logging.getLogger(__name__)

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_INPUT = "_landing_input"


class LandingWriteError(UserError):
    """Rows that cannot be written to the landing layout (unknown table, no version column)."""


@dataclass
class WriteResult:
    """Files and rows one :func:`write_table` call wrote."""

    table: str
    rows: int = 0
    files: list[Path] = field(default_factory=list)
    undated_rows: int = 0  # rows whose version column is empty or unparseable (see fallback_day)


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection in UTC (the adapters' transformation engine)."""
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    return connection


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text_expression(column: Column, source: str, source_type: str) -> str:
    """SQL turning ``source`` (of DuckDB type ``source_type``) into the contract's text form."""
    money = f"decimal({MONEY_PRECISION},{MONEY_SCALE})"
    is_text = source_type.upper() in ("VARCHAR", "NULL", '"NULL"')
    value = f"nullif(trim(cast({source} as varchar)), '')" if is_text else source
    formatted = {
        ColumnType.TIMESTAMP: f"strftime(try_cast({value} as timestamptz), '{TIMESTAMP_FORMAT}')",
        ColumnType.DATE: f"strftime(try_cast({value} as date), '%Y-%m-%d')",
        ColumnType.DECIMAL: f"cast(try_cast({value} as {money}) as varchar)",
        ColumnType.INT: f"cast(try_cast({value} as bigint) as varchar)",
        ColumnType.BOOL: f"cast(try_cast({value} as boolean) as varchar)",
        ColumnType.TEXT: f"cast({value} as varchar)",
    }[column.type]
    if is_text:  # a value that does not parse is kept as it is: the loader quarantines it
        return f"coalesce({formatted}, {value})"
    return formatted


def _column_types(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    described = connection.execute(f"describe select * from {_INPUT}").fetchall()
    return {str(row[0]): str(row[1]) for row in described}


def _select_list(table: Table, types: dict[str, str], extra_columns: Sequence[str]) -> list[str]:
    expressions = []
    for column in table.columns:
        if column.name in types:
            expression = _text_expression(column, _quote(column.name), types[column.name])
        else:
            expression = "cast(null as varchar)"
        expressions.append(f"{expression} as {_quote(column.name)}")
    for name in extra_columns:
        text = f"nullif(cast({_quote(name)} as varchar), '')"
        expressions.append(f"{text} as {_quote(name)}")
    return expressions


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def durable_replace(temporary: Path, final: Path) -> None:
    """Make ``temporary`` durable and rename it to ``final`` (atomic on POSIX)."""
    with temporary.open("rb+") as handle:
        os.fsync(handle.fileno())
    temporary.replace(final)
    _fsync_folder(final.parent)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a small text file atomically (state files, reports)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    durable_replace(temporary, path)


def landing_file(landing_dir: Path, table: str, day: date, source: str) -> Path:
    """Path of a source's landing file for one table and day."""
    name = f"{table}_{day.isoformat()}_{source}.csv"
    return landing_dir / table / day.isoformat() / name


def write_table(
    landing_dir: Path,
    table_name: str,
    data: pa.Table,
    *,
    source: str,
    extra_columns: Sequence[str] = (),
    fallback_day: date | None = None,
) -> WriteResult:
    """Write ``data`` as landing files of ``table_name``, one per day of its version column.

    Rows whose version column is empty or unparseable go to ``fallback_day`` (default: the
    earliest day of the batch) so the loader quarantines them with their reason.
    """
    if table_name not in TABLES:
        raise LandingWriteError(
            f"unknown landing table {table_name!r}: the contract's tables are {', '.join(TABLES)}"
        )
    table = TABLES[table_name]
    result = WriteResult(table=table_name)
    if data.num_rows == 0:
        return result
    if table.version_column not in data.column_names:
        raise LandingWriteError(
            f"{table_name}: rows need the version column {table.version_column!r} (the day folder "
            "of a row is the date of that column); add it to the source's mapping"
        )
    connection = connect()
    try:
        connection.register(_INPUT, data)
        select = ", ".join(_select_list(table, _column_types(connection), extra_columns))
        connection.execute(f"create temp table _formatted as select {select} from {_INPUT}")
        version = _quote(table.version_column)
        connection.execute(
            f"create temp table _dated as select *, "
            f"cast(try_cast({version} as timestamptz) as date) as _day from _formatted"
        )
        result.rows = data.num_rows
        result.undated_rows = _count(connection, "select count(*) from _dated where _day is null")
        days = [row[0] for row in connection.execute(_DAYS_SQL).fetchall()]
        day_of_undated = fallback_day or (min(days) if days else None)
        if result.undated_rows and day_of_undated is None:
            raise LandingWriteError(
                f"{table_name}: no row has a valid {table.version_column}; cannot place the rows "
                "in a day folder (check the source's date format)"
            )
        if day_of_undated is not None and result.undated_rows:
            connection.execute("update _dated set _day = ? where _day is null", [day_of_undated])
            logger.warning(
                "%s: %d rows without a valid %s written to day %s (the loader quarantines them)",
                table_name,
                result.undated_rows,
                table.version_column,
                day_of_undated,
            )
        columns = ", ".join(_quote(name) for name in (*table.column_names, *extra_columns))
        for (day,) in connection.execute(_DAYS_SQL).fetchall():
            path = landing_file(landing_dir, table_name, day, source)
            _copy_day(connection, columns, day, path, table)
            result.files.append(path)
    finally:
        connection.close()
    logger.info("%s: %d rows in %d files (%s)", table_name, result.rows, len(result.files), source)
    return result


_DAYS_SQL = "select distinct _day from _dated where _day is not null order by _day"


def _count(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = connection.execute(sql).fetchall()
    row = rows[0] if rows else None
    return int(row[0]) if row else 0


def _copy_day(
    connection: duckdb.DuckDBPyConnection, columns: str, day: date, path: Path, table: Table
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    target = str(temporary).replace("'", "''")
    connection.execute(
        f"copy (select {columns} from _dated where _day = date '{day.isoformat()}' "
        f"order by {_quote(table.version_column)}, {_quote(table.key)}) "
        f"to '{target}' (format csv, header true, delimiter ',')"
    )
    durable_replace(temporary, path)
