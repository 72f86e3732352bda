"""One read-write connection to the warehouse for the quality tables, on DuckDB or PostgreSQL.

Statements use psycopg placeholders (``%s``) on both targets; DuckDB gets them as ``?``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.warehouse import connect_duckdb, connect_postgres, ensure_postgres_database


def _duckdb_statement(statement: str) -> str:
    return statement.replace("%%", "\0").replace("%s", "?").replace("\0", "%")


class Session:
    """A transaction on the warehouse: ``execute``, ``executemany`` and ``fetch``."""

    def __init__(self, connection: Any, target: Target) -> None:
        self._connection = connection
        self.target = target

    def _text(self, statement: str) -> str:
        return _duckdb_statement(statement) if self.target is Target.DUCKDB else statement

    def execute(self, statement: str, params: Sequence[Any] | None = None) -> None:
        self._connection.execute(self._text(statement), list(params) if params else None)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.target is Target.DUCKDB:
            self._connection.executemany(self._text(statement), [list(row) for row in rows])
        else:
            with self._connection.cursor() as cursor:
                cursor.executemany(statement, rows)

    def fetch(self, statement: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        cursor = self._connection.execute(self._text(statement), list(params) if params else None)
        return list(cursor.fetchall())

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.fetch(
            "select count(*) from information_schema.tables "
            "where table_schema = %s and table_name = %s",
            (schema, table),
        )
        return bool(rows[0][0])


@contextmanager
def session(settings: Settings) -> Iterator[Session]:
    """A read-write session on the settings' warehouse, committed when the block succeeds."""
    if settings.target is Target.DUCKDB:
        con = connect_duckdb(settings.duckdb_path)
        try:
            con.execute("begin transaction")
            yield Session(con, Target.DUCKDB)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        finally:
            con.close()
        return
    ensure_postgres_database(settings.postgres_dsn)
    with connect_postgres(settings.postgres_dsn) as conn:  # commits on success, else rolls back
        yield Session(conn, Target.POSTGRES)
