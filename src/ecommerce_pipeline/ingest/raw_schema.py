"""DDL of the raw layer from the contract: ``raw.<table>``, ``raw._load_log``, ``raw._quarantine``.

The DDL is idempotent (``create ... if not exists``) and additive: columns the contract gained
since the tables were created are added, nothing is dropped or retyped.
"""

from __future__ import annotations

from ecommerce_pipeline.contract import (
    LINEAGE_COLUMNS,
    LOAD_LOG_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    TABLES,
    ColumnType,
    sql_type,
)

#: Types of the lineage columns (their names and descriptions are in contract.LINEAGE_COLUMNS).
LINEAGE_TYPES: dict[str, ColumnType] = {
    "_extra": ColumnType.TEXT,  # JSON object of the file's columns that are not in the contract
    "_source_file": ColumnType.TEXT,
    "_source_line": ColumnType.INT,
    "_file_day": ColumnType.DATE,
    "_loaded_at": ColumnType.TIMESTAMP,
    "_batch_id": ColumnType.TEXT,
}

#: ``raw._load_log``: one row per landing file processed (loaded, empty or rejected).
LOAD_LOG_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("batch_id", ColumnType.TEXT),
    ("table_name", ColumnType.TEXT),
    ("source_file", ColumnType.TEXT),
    ("file_day", ColumnType.DATE),
    ("checksum", ColumnType.TEXT),  # sha256 of the file's bytes
    ("file_size", ColumnType.INT),
    ("rows_read", ColumnType.INT),
    ("rows_loaded", ColumnType.INT),
    ("rows_quarantined", ColumnType.INT),
    ("status", ColumnType.TEXT),  # contract.FileStatus
    ("message", ColumnType.TEXT),
    ("started_at", ColumnType.TIMESTAMP),
    ("finished_at", ColumnType.TIMESTAMP),
    ("duration_ms", ColumnType.INT),
)

#: ``raw._quarantine``: one row per rejected record (or per empty file).
QUARANTINE_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("batch_id", ColumnType.TEXT),
    ("table_name", ColumnType.TEXT),
    ("source_file", ColumnType.TEXT),
    ("file_day", ColumnType.DATE),
    ("line_number", ColumnType.INT),  # physical line (1 = header); Parquet: row number; null: file
    ("column_name", ColumnType.TEXT),  # null for line- and file-level reasons
    ("reason", ColumnType.TEXT),  # contract.QuarantineReason
    ("detail", ColumnType.TEXT),  # file, line, column, bad value and what was expected
    ("raw_record", ColumnType.TEXT),  # the record as in the file (Parquet: the row as JSON)
    ("quarantined_at", ColumnType.TIMESTAMP),
)


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier (same rule on DuckDB and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(table: str) -> str:
    """``raw."<table>"``."""
    return f"{quote_identifier(RAW_SCHEMA)}.{quote_identifier(table)}"


def raw_columns(table: str) -> list[tuple[str, ColumnType]]:
    """Columns of ``raw.<table>``: the contract columns, then the lineage columns."""
    contract_columns = [(column.name, column.type) for column in TABLES[table].columns]
    lineage = [(name, LINEAGE_TYPES[name]) for name, _ in LINEAGE_COLUMNS]
    return contract_columns + lineage


def raw_column_names(table: str) -> list[str]:
    return [name for name, _ in raw_columns(table)]


def _create_table(table: str, columns: list[tuple[str, ColumnType]], dialect: str) -> str:
    body = ",\n    ".join(
        f"{quote_identifier(name)} {sql_type(column_type, dialect)}"
        for name, column_type in columns
    )
    return f"create table if not exists {qualified(table)} (\n    {body}\n)"


def schema_tables(tables: list[str] | None = None) -> dict[str, list[tuple[str, ColumnType]]]:
    """Every table of the raw schema and its columns (bookkeeping tables included)."""
    wanted = list(TABLES) if tables is None else tables
    result = {table: raw_columns(table) for table in wanted}
    result[LOAD_LOG_TABLE] = list(LOAD_LOG_COLUMNS)
    result[QUARANTINE_TABLE] = list(QUARANTINE_COLUMNS)
    return result


def create_statements(dialect: str, tables: list[str] | None = None) -> list[str]:
    """Idempotent DDL of the raw schema on ``dialect`` (``duckdb`` or ``postgres``)."""
    statements = [f"create schema if not exists {quote_identifier(RAW_SCHEMA)}"]
    statements += [
        _create_table(table, columns, dialect) for table, columns in schema_tables(tables).items()
    ]
    statements.append(
        f"create unique index if not exists {quote_identifier(LOAD_LOG_TABLE + '_file_checksum')}"
        f" on {qualified(LOAD_LOG_TABLE)} (source_file, checksum)"
    )
    if dialect == "postgres":
        statements += change_index_statements(tables)
    return statements


def change_index_statements(tables: list[str] | None = None) -> list[str]:
    """PostgreSQL: a BRIN index on ``(updated_at, _loaded_at)`` of every versioned raw table.

    The incremental dbt models find what changed since their watermark with range filters on
    these two columns (transform/macros/incremental/change_scope.sql). Raw rows are appended day by
    day, so both columns follow the physical order and a BRIN index (a few pages, next to free to
    maintain on a bulk ``COPY``) turns the daily run's scans of the whole raw history into reads
    of the last days' blocks. DuckDB needs none: its zone maps do the same on every column.
    """
    wanted = list(TABLES) if tables is None else tables
    return [
        f"create index if not exists {quote_identifier(table + '_changes')}"
        f" on {qualified(table)} using brin (updated_at, _loaded_at)"
        for table in wanted
        if "updated_at" in TABLES[table].column_names
    ]


def add_column_statements(
    dialect: str, existing: dict[str, set[str]], tables: list[str] | None = None
) -> list[str]:
    """``alter table add column`` for contract columns missing from existing raw tables."""
    statements = []
    for table, columns in schema_tables(tables).items():
        present = existing.get(table)
        if present is None:
            continue
        statements += [
            f"alter table {qualified(table)} add column {quote_identifier(name)} "
            f"{sql_type(column_type, dialect)}"
            for name, column_type in columns
            if name not in present
        ]
    return statements


EXISTING_COLUMNS_SQL = (
    "select table_name, column_name from information_schema.columns where table_schema = "
    f"'{RAW_SCHEMA}'"
)
