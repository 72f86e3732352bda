"""Where a validated batch goes: the DuckDB warehouse file or PostgreSQL (bulk paths only).

Each batch (its raw rows, quarantine records and load-log rows) is written in ONE transaction, so
a load killed mid-way leaves whole files or nothing, and the load log says which files are in.

- DuckDB: the batch is validated on the warehouse connection itself, then
  ``insert into raw.<table> select ... from <checked temp table>``.
- PostgreSQL: the batch is validated on an in-memory DuckDB; its clean rows come out as Arrow and
  go into ``COPY raw.<table> FROM STDIN (FORMAT binary)`` in large blocks (:mod:`.pg_binary`).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import astuple, dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb
import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.contract import LOAD_LOG_TABLE, QUARANTINE_TABLE, ColumnType, sql_type
from ecommerce_pipeline.ingest.batch import BatchOutcome, QuarantineRecord
from ecommerce_pipeline.ingest.errors import LoadInProgressError
from ecommerce_pipeline.ingest.pg_binary import copy_stream
from ecommerce_pipeline.ingest.raw_schema import (
    EXISTING_COLUMNS_SQL,
    LOAD_LOG_COLUMNS,
    QUARANTINE_COLUMNS,
    add_column_statements,
    create_statements,
    qualified,
    quote_identifier,
    raw_column_names,
    raw_columns,
)
from ecommerce_pipeline.warehouse import (
    connect_duckdb,
    connect_memory_duckdb,
    connect_postgres,
    ensure_postgres_database,
)

logger = logging.getLogger(__name__)

#: Rows encoded per binary COPY block sent to PostgreSQL.
COPY_BATCH_ROWS = 250_000
#: Key of the PostgreSQL advisory lock held while a load runs (one load at a time).
LOAD_LOCK_KEY = 7_301_202_401
LOCK_WAIT_SECONDS = 30


@dataclass(frozen=True)
class LoadLogRow:
    """One row of ``raw._load_log`` (fields in LOAD_LOG_COLUMNS order)."""

    batch_id: str
    table_name: str
    source_file: str
    file_day: date
    checksum: str
    file_size: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    status: str
    message: str
    started_at: datetime
    finished_at: datetime
    duration_ms: int


def _quarantine_rows(
    records: Iterable[QuarantineRecord], batch_id: str, quarantined_at: datetime
) -> list[tuple[Any, ...]]:
    return [
        (
            batch_id,
            record.table_name,
            record.source_file,
            record.file_day,
            record.line_number,
            record.column_name,
            str(record.reason),
            record.detail,
            record.raw_record,
            quarantined_at,
        )
        for record in records
    ]


def _csv_field(value: Any) -> str:
    """Bookkeeping CSV: unquoted empty = NULL, anything else quoted (NUL bytes escaped)."""
    if value is None:
        return ""
    text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
    return '"' + text.replace('"', '""').replace("\0", "\\x00") + '"'


def bookkeeping_csv(rows: list[tuple[Any, ...]]) -> str:
    """Load-log or quarantine rows as CSV text, bulk-loaded by both targets."""
    return "".join(",".join(_csv_field(value) for value in row) + "\n" for row in rows)


def _duckdb_csv_reader(path: Path, columns: Sequence[tuple[str, ColumnType]]) -> str:
    types = ", ".join(
        f"'{name}': '{sql_type(column_type, 'duckdb')}'" for name, column_type in columns
    )
    location = str(path).replace("'", "''")
    return (
        f"read_csv('{location}', header = false, columns = {{{types}}}, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', new_line = '\\n', allow_quoted_nulls = false)"
    )


def _check_written(batch: BatchOutcome, written: int) -> None:
    """The clean rows written must be exactly those the batch counted (else: a loader bug)."""
    if written != batch.clean_rows:
        raise RuntimeError(
            f"raw.{batch.table}: {written} clean rows were written but the batch counted "
            f"{batch.clean_rows}; nothing of the batch is kept (report this bug)"
        )


class RawTarget:
    """A warehouse the loader writes to; ``engine`` is the DuckDB that validates batches."""

    name: str
    engine: duckdb.DuckDBPyConnection
    #: Batches keep their checked rows as Arrow (PostgreSQL copies from Arrow; DuckDB inserts
    #: from a DuckDB temp table faster than from Arrow).
    arrow_checked = False

    def loaded_files(self) -> set[tuple[str, str]]:
        """(source_file, checksum) of the files already in the load log."""
        raise NotImplementedError

    def write(
        self,
        batch: BatchOutcome,
        log_rows: list[LoadLogRow],
        batch_id: str,
        loaded_at: datetime,
    ) -> None:
        """Write the batch's raw rows, quarantine records and load-log rows, then commit."""
        raise NotImplementedError

    def commit(self) -> None:
        """Commit the open transaction (one batch)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class DuckDBTarget(RawTarget):
    """The DuckDB warehouse file: validates and writes on the same connection."""

    def __init__(self, path: Path) -> None:
        self.name = "duckdb"
        self.engine = connect_duckdb(path)
        self._ensure_schema()
        self._scratch = tempfile.TemporaryDirectory(prefix="ecom-load-")
        self.csv_path = Path(self._scratch.name) / "bookkeeping.csv"

    def _ensure_schema(self) -> None:
        for statement in create_statements("duckdb"):
            self.engine.execute(statement)
        existing: dict[str, set[str]] = {}
        for table, column in self.engine.execute(EXISTING_COLUMNS_SQL).fetchall():
            existing.setdefault(table, set()).add(column)
        for statement in add_column_statements("duckdb", existing):
            self.engine.execute(statement)

    def loaded_files(self) -> set[tuple[str, str]]:
        rows = self.engine.execute(
            f"select source_file, checksum from {qualified(LOAD_LOG_TABLE)}"
        ).fetchall()
        return {(path, digest) for path, digest in rows}

    def _insert_rows(
        self, table: str, columns: Sequence[tuple[str, ColumnType]], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        self.csv_path.write_text(bookkeeping_csv(rows), encoding="utf-8")
        names = ", ".join(quote_identifier(name) for name, _ in columns)
        self.engine.execute(
            f"insert into {qualified(table)} ({names}) "
            f"select {names} from {_duckdb_csv_reader(self.csv_path, columns)}"
        )

    def write(
        self,
        batch: BatchOutcome,
        log_rows: list[LoadLogRow],
        batch_id: str,
        loaded_at: datetime,
    ) -> None:
        quarantine = _quarantine_rows(batch.quarantine, batch_id, loaded_at)
        log = [astuple(row) for row in log_rows]
        self.engine.execute("begin transaction")
        try:
            if batch.has_rows:
                names = ", ".join(quote_identifier(name) for name in raw_column_names(batch.table))
                inserted = self.engine.execute(
                    f"insert into {qualified(batch.table)} ({names}) "
                    f"{batch.raw_select(batch_id, loaded_at)}"
                ).fetchall()
                _check_written(batch, int(inserted[0][0]))
            self._insert_rows(QUARANTINE_TABLE, QUARANTINE_COLUMNS, quarantine)
            self._insert_rows(LOAD_LOG_TABLE, LOAD_LOG_COLUMNS, log)
            self.commit()
        except Exception:
            self.engine.execute("rollback")
            raise
        finally:
            self.csv_path.unlink(missing_ok=True)

    def commit(self) -> None:
        self.engine.execute("commit")

    def close(self) -> None:
        self.engine.close()
        self._scratch.cleanup()


@dataclass
class _PendingCopy:
    """A batch exported by DuckDB, waiting to be copied into PostgreSQL in one transaction."""

    table: str
    rows: pa.Table | None  # the clean rows, columns of raw.<table> in order
    quarantine: list[tuple[Any, ...]]
    log: list[tuple[Any, ...]]


class PostgresTarget(RawTarget):
    """PostgreSQL: validates on an in-memory DuckDB, writes with COPY FROM STDIN.

    Copies run on a writer thread while the next batch is validated (DuckDB and the PostgreSQL
    backend then use a core each); at most one batch is in flight, and every batch is still
    one transaction. Errors of the writer surface at the next write or at close.
    """

    arrow_checked = True

    def __init__(self, dsn: str) -> None:
        self.name = "postgres"
        ensure_postgres_database(dsn)
        self.conn = connect_postgres(dsn)
        self._lock()
        self._ensure_schema()
        self.engine = connect_memory_duckdb()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecom-copy")
        self._in_flight: Future[None] | None = None

    def _lock(self) -> None:
        """One load at a time; waits a little for a load that was just killed to be cleaned up."""
        try:
            self.conn.execute(f"set lock_timeout = '{LOCK_WAIT_SECONDS}s'")
            self.conn.execute("select pg_advisory_lock(%s)", (LOAD_LOCK_KEY,))
            self.conn.execute("reset lock_timeout")
            self.conn.commit()
        except psycopg.errors.LockNotAvailable as exc:
            self.conn.close()
            raise LoadInProgressError(
                f"another `ecom load` has been writing to this PostgreSQL warehouse for more "
                f"than {LOCK_WAIT_SECONDS}s; wait for it to finish and run the load again"
            ) from exc

    def _ensure_schema(self) -> None:
        with self.conn.cursor() as cursor:
            for statement in create_statements("postgres"):
                cursor.execute(sql.SQL(statement))
            existing: dict[str, set[str]] = {}
            for table, column in cursor.execute(EXISTING_COLUMNS_SQL).fetchall():
                existing.setdefault(table, set()).add(column)
            for statement in add_column_statements("postgres", existing):
                cursor.execute(sql.SQL(statement))
        self.conn.commit()

    def _wait(self) -> None:
        """Wait for the batch in flight (re-raising its error)."""
        if self._in_flight is not None:
            in_flight, self._in_flight = self._in_flight, None
            in_flight.result()

    def loaded_files(self) -> set[tuple[str, str]]:
        self._wait()
        rows = self.conn.execute(
            sql.SQL("select source_file, checksum from {}").format(
                sql.SQL(qualified(LOAD_LOG_TABLE))
            )
        ).fetchall()
        self.conn.commit()
        return {(path, digest) for path, digest in rows}

    def _copy_raw(self, cursor: psycopg.Cursor[Any], table: str, rows: pa.Table) -> None:
        """One binary COPY of the clean rows, encoded in blocks of COPY_BATCH_ROWS rows.

        psycopg's queued writer sends the blocks from its own thread, so encoding the next
        block overlaps PostgreSQL storing the previous one.
        """
        columns = raw_columns(table)
        names = ", ".join(quote_identifier(name) for name, _ in columns)
        types = [column_type for _, column_type in columns]
        statement = f"copy {qualified(table)} ({names}) from stdin (format binary)"
        with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
            for block in copy_stream(iter(rows.to_batches(COPY_BATCH_ROWS)), types):
                copy.write(block)

    def _copy_rows(
        self,
        cursor: psycopg.Cursor[Any],
        table: str,
        columns: Sequence[tuple[str, ColumnType]],
        rows: list[tuple[Any, ...]],
    ) -> None:
        if not rows:
            return
        names = ", ".join(quote_identifier(name) for name, _ in columns)
        statement = f"copy {qualified(table)} ({names}) from stdin (format csv)"
        with cursor.copy(statement) as copy:
            copy.write(bookkeeping_csv(rows))

    def _export(self, batch: BatchOutcome, batch_id: str, loaded_at: datetime) -> pa.Table | None:
        """The batch's clean rows as Arrow (independent of DuckDB, so encoded on the writer)."""
        if not batch.has_rows:
            return None
        rows = batch.raw_arrow(batch_id, loaded_at)
        _check_written(batch, rows.num_rows)
        return rows

    def _copy(self, pending: _PendingCopy) -> None:
        """One transaction: raw rows, quarantine records, load-log rows (writer thread)."""
        try:
            with self.conn.cursor() as cursor:
                if pending.rows is not None:
                    self._copy_raw(cursor, pending.table, pending.rows)
                self._copy_rows(cursor, QUARANTINE_TABLE, QUARANTINE_COLUMNS, pending.quarantine)
                self._copy_rows(cursor, LOAD_LOG_TABLE, LOAD_LOG_COLUMNS, pending.log)
            self.commit()
        except Exception:
            self.conn.rollback()
            raise

    def write(
        self,
        batch: BatchOutcome,
        log_rows: list[LoadLogRow],
        batch_id: str,
        loaded_at: datetime,
    ) -> None:
        pending = _PendingCopy(
            table=batch.table,
            rows=self._export(batch, batch_id, loaded_at),
            quarantine=_quarantine_rows(batch.quarantine, batch_id, loaded_at),
            log=[astuple(row) for row in log_rows],
        )
        self._wait()
        self._in_flight = self._writer.submit(self._copy, pending)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._writer.shutdown(wait=True)
            self.engine.close()
            self.conn.close()


def open_target(settings: Settings) -> RawTarget:
    """The target of ``settings`` with the raw schema in place."""
    if settings.target == Target.DUCKDB:
        return DuckDBTarget(settings.duckdb_path)
    return PostgresTarget(settings.postgres_dsn)
