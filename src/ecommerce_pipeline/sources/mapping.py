"""Declarative mappings: bring any export onto the landing contract without writing code.

A mapping is a YAML file (format and example in docs/sources.md)::

    source: {format: csv, delimiter: ";"}     # csv | parquet; delimiter/encoding for csv
    tables:
      orders:                                 # a contract table
        distinct: true                        # drop identical output rows (wide exports)
        columns:
          order_id: OrderNo                   # shorthand for {from: OrderNo}
          order_ts: {from: Date, format: "%d.%m.%Y %H:%M", timezone: Europe/Berlin}
          order_status: {from: Status, map: {offen: pending, storno: cancelled}, default: pending}
          currency: {const: EUR}
          shipping_cost: {from: Porto, decimal_comma: true}
          order_item_id: {template: "{OrderNo}-{LineNo}"}

Column rules: exactly one of ``from`` (a source column), ``const`` (a constant) or ``template``
(source columns in ``{}``); then optionally ``map`` (value map on the trimmed text; a value
mapped to ``""`` becomes empty), ``default`` (for empty values, and for values the map does not
know), ``format`` (strptime format of a date/timestamp), ``timezone`` (IANA zone of local
source times; default UTC), ``decimal_comma`` (``1.234,50``), ``cast: int`` (a float-looking
id like ``17850.0`` -> ``17850``). Contract columns a mapping does not name are written empty.

Nothing is dropped: a value that fails its cast is written as it is (the loader quarantines the
row with the reason), and every such value, and every value a map does not know, is counted in
the report per table and column. Mappings compile to one DuckDB query per table; the rows are
written by the one landing writer.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml  # type: ignore[import-untyped]

from ecommerce_pipeline.contract import TABLES, ColumnType
from ecommerce_pipeline.errors import UserError
from ecommerce_pipeline.sources.landing_writer import connect, write_table
from ecommerce_pipeline.sources.report import ImportReport

logger = logging.getLogger(__name__)

RULE_KEYS = {"from", "const", "template", "map", "default", "format", "timezone", "decimal_comma"}
RULE_KEYS |= {"cast"}


class MappingError(UserError):
    """A mapping file that cannot be applied; the message names the table, column and fix."""


@dataclass(frozen=True)
class ColumnRule:
    """How one contract column is filled."""

    target: str
    source: str | None = None
    const: str | None = None
    template: str | None = None
    value_map: dict[str, str] | None = None
    default: str | None = None
    format: str | None = None
    timezone: str | None = None
    decimal_comma: bool = False
    cast: str | None = None

    @property
    def source_columns(self) -> list[str]:
        if self.source is not None:
            return [self.source]
        if self.template is not None:
            return [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        return []


@dataclass(frozen=True)
class TableMapping:
    """How one contract table is filled from an input."""

    table: str
    columns: tuple[ColumnRule, ...]
    input: str | None = None  # named input of an adapter; None = the mapping's one input file
    distinct: bool = False


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file."""

    tables: tuple[TableMapping, ...]
    source_format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"


@dataclass
class ColumnIssues:
    """Values of one column that a mapping could not turn into the contract's form."""

    unmapped_values: int = 0  # values the value map does not know (kept or defaulted)
    cast_failures: int = 0  # non-empty values that do not parse (kept: the loader quarantines)
    examples: list[str] = field(default_factory=list)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rule(table: str, target: str, spec: Any) -> ColumnRule:
    where = f"mapping of {table}.{target}"
    if isinstance(spec, str):
        return ColumnRule(target=target, source=spec)
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: give a source column name or a rule (from/const/template)")
    unknown = sorted(set(spec) - RULE_KEYS)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(unknown)}; use {sorted(RULE_KEYS)}")
    given = [key for key in ("from", "const", "template") if key in spec]
    if len(given) != 1:
        raise MappingError(f"{where}: give exactly one of from, const, template (got {given})")
    value_map = spec.get("map")
    if value_map is not None and not isinstance(value_map, dict):
        raise MappingError(f"{where}: map must be a dictionary of source value -> contract value")
    if spec.get("cast") not in (None, "int"):
        raise MappingError(f"{where}: cast must be 'int' (the other casts follow the contract)")

    def text(key: str) -> str | None:
        return None if spec.get(key) is None else str(spec[key])

    return ColumnRule(
        target=target,
        source=text("from"),
        const=text("const"),
        template=text("template"),
        value_map=None
        if value_map is None
        else {str(k): "" if v is None else str(v) for k, v in value_map.items()},
        default=text("default"),
        format=text("format"),
        timezone=text("timezone"),
        decimal_comma=bool(spec.get("decimal_comma", False)),
        cast=text("cast"),
    )


def _table_mapping(name: str, spec: Any) -> TableMapping:
    if name not in TABLES:
        raise MappingError(f"mapping: {name!r} is not a contract table ({', '.join(TABLES)})")
    if not isinstance(spec, dict) or not isinstance(spec.get("columns"), dict):
        raise MappingError(f"mapping of {name}: give a 'columns' dictionary")
    table = TABLES[name]
    rules = tuple(_rule(name, target, rule) for target, rule in spec["columns"].items())
    unknown = [rule.target for rule in rules if rule.target not in table.column_names]
    if unknown:
        raise MappingError(
            f"mapping of {name}: {', '.join(unknown)} not in the contract; the columns are "
            f"{', '.join(table.column_names)}"
        )
    missing = [column for column in table.required_columns if column not in spec["columns"]]
    if missing:
        raise MappingError(
            f"mapping of {name}: required column(s) {', '.join(missing)} have no rule; map them "
            "from a source column or give a const"
        )
    return TableMapping(
        table=name,
        columns=rules,
        input=None if spec.get("input") is None else str(spec["input"]),
        distinct=bool(spec.get("distinct", False)),
    )


def parse_mapping(document: MappingType[str, Any]) -> Mapping:
    """A :class:`Mapping` from its parsed YAML document (validated)."""
    tables = document.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise MappingError("mapping: give a 'tables' dictionary (contract table -> columns)")
    source = document.get("source") or {}
    source_format = str(source.get("format", "csv"))
    if source_format not in ("csv", "parquet"):
        raise MappingError(f"mapping: source.format must be csv or parquet, not {source_format!r}")
    return Mapping(
        tables=tuple(_table_mapping(str(name), spec) for name, spec in tables.items()),
        source_format=source_format,
        delimiter=str(source.get("delimiter", ",")),
        encoding=str(source.get("encoding", "utf-8")),
    )


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping YAML file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"cannot read mapping {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise MappingError(f"{path}: a mapping is a YAML dictionary with 'tables'")
    return parse_mapping(document)


def _base(rule: ColumnRule) -> str:
    if rule.const is not None:
        return _literal(rule.const)
    if rule.source is not None:
        return f"nullif(trim(cast({_quote(rule.source)} as varchar)), '')"
    parts = []
    for literal, name, _, _ in string.Formatter().parse(rule.template or ""):
        if literal:
            parts.append(_literal(literal))
        if name:
            parts.append(f"coalesce(trim(cast({_quote(name)} as varchar)), '')")
    return f"nullif(concat({', '.join(parts)}), '')"


def _mapped(rule: ColumnRule, base: str) -> str:
    if rule.value_map is None:
        return base if rule.default is None else f"coalesce({base}, {_literal(rule.default)})"
    cases = " ".join(
        f"when {base} = {_literal(key)} then {'null' if value == '' else _literal(value)}"
        for key, value in rule.value_map.items()
    )
    unmapped = base if rule.default is None else _literal(rule.default)
    return f"case when {base} is null then {_default(rule)} {cases} else {unmapped} end"


def _default(rule: ColumnRule) -> str:
    return "null" if rule.default is None else _literal(rule.default)


def _parsed(rule: ColumnRule, column_type: ColumnType, value: str) -> str | None:
    """SQL of the typed value, or None when the writer's own parsing is enough."""
    if rule.decimal_comma:
        return f"try_cast(replace(replace({value}, '.', ''), ',', '.') as double)"
    if rule.cast == "int":
        return f"cast(try_cast(try_cast({value} as double) as bigint) as varchar)"
    if rule.format is not None and column_type in (ColumnType.TIMESTAMP, ColumnType.DATE):
        parsed = f"try_strptime({value}, {_literal(rule.format)})"
        if column_type == ColumnType.DATE:
            return f"cast(cast({parsed} as date) as varchar)"
        if rule.timezone:
            return f"cast(timezone({_literal(rule.timezone)}, {parsed}) as varchar)"
        return f"cast({parsed} as varchar)"
    if rule.timezone and column_type == ColumnType.TIMESTAMP:
        return (
            f"cast(timezone({_literal(rule.timezone)}, try_cast({value} as timestamp)) as varchar)"
        )
    return None


def column_sql(rule: ColumnRule, column_type: ColumnType) -> tuple[str, str | None]:
    """The column's SQL value (text; kept as-is when it does not parse) and its parsed form."""
    value = _mapped(rule, _base(rule))
    parsed = _parsed(rule, column_type, value)
    if parsed is None:
        return value, None
    return f"coalesce(cast({parsed} as varchar), {value})", parsed


def _check_sources(mapping: TableMapping, available: list[str], input_name: str) -> None:
    missing = sorted(
        {name for rule in mapping.columns for name in rule.source_columns} - set(available)
    )
    if missing:
        raise MappingError(
            f"mapping of {mapping.table}: column(s) {', '.join(missing)} not in {input_name}; "
            f"its columns are {', '.join(available)}"
        )


def _issues(
    connection: duckdb.DuckDBPyConnection, mapping: TableMapping, relation: str
) -> dict[str, ColumnIssues]:
    table = TABLES[mapping.table]
    found: dict[str, ColumnIssues] = {}
    for rule in mapping.columns:
        base = _base(rule)
        value, parsed = column_sql(rule, table.column(rule.target).type)
        checks = []
        if rule.value_map is not None:
            keys = ", ".join(_literal(key) for key in rule.value_map)
            checks.append(f"count(*) filter ({base} is not null and {base} not in ({keys}))")
        else:
            checks.append("0")
        failed = "false" if parsed is None else f"({value}) is not null and ({parsed}) is null"
        checks.append(f"count(*) filter ({failed})")
        checks.append(f"list(distinct {base}) filter ({failed})[1:3]")
        rows = connection.execute(f"select {', '.join(checks)} from {relation}").fetchall()
        row = rows[0] if rows else None
        if row and (row[0] or row[1]):
            found[rule.target] = ColumnIssues(int(row[0]), int(row[1]), list(row[2] or []))
    return found


def map_relation(
    connection: duckdb.DuckDBPyConnection, mapping: TableMapping, relation: str
) -> tuple[duckdb.DuckDBPyRelation, dict[str, ColumnIssues]]:
    """The contract-shaped rows of ``relation`` (a table or view name) under ``mapping``."""
    available = [str(row[0]) for row in connection.execute(f"describe {relation}").fetchall()]
    _check_sources(mapping, available, relation)
    table = TABLES[mapping.table]
    selects = [
        f"{column_sql(rule, table.column(rule.target).type)[0]} as {_quote(rule.target)}"
        for rule in mapping.columns
    ]
    distinct = "distinct " if mapping.distinct else ""
    rows = connection.sql(f"select {distinct}{', '.join(selects)} from {relation}")
    return rows, _issues(connection, mapping, relation)


def apply_table(
    connection: duckdb.DuckDBPyConnection,
    mapping: TableMapping,
    relation: str,
    landing_dir: Path,
    report: ImportReport,
    *,
    fallback_day: date | None = None,
) -> None:
    """Map ``relation`` onto ``mapping.table`` and write its landing files; record in ``report``."""
    rows, issues = map_relation(connection, mapping, relation)
    written = write_table(
        landing_dir,
        mapping.table,
        rows.to_arrow_table(),
        source=report.source,
        fallback_day=fallback_day,
    )
    report.record_write(written)
    for column, issue in issues.items():
        report.column_issues[f"{mapping.table}.{column}"] = issue.__dict__
        logger.warning("%s.%s: %s", mapping.table, column, issue)


def read_input(
    connection: duckdb.DuckDBPyConnection, mapping: Mapping, path: Path, name: str = "input"
) -> int:
    """Create the view ``name`` over the input file, every column as text; its row count."""
    if not path.is_file():
        raise MappingError(f"input file {path} does not exist")
    location = _literal(str(path))
    if mapping.source_format == "parquet":
        connection.execute(
            f"create or replace view {name} as select * from read_parquet({location})"
        )
    else:
        connection.execute(
            f"create or replace view {name} as select * from read_csv({location}, "
            f"all_varchar = true, header = true, delim = {_literal(mapping.delimiter)}, "
            f"encoding = {_literal(mapping.encoding)})"
        )
    rows = connection.execute(f"select count(*) from {name}").fetchall()
    row = rows[0] if rows else None
    return int(row[0]) if row else 0


def import_mapped(mapping_path: Path, input_path: Path, landing_dir: Path) -> ImportReport:
    """``ecom import mapped``: apply a mapping file to one export and write landing files."""
    mapping = load_mapping(mapping_path)
    report = ImportReport(source=f"mapped-{input_path.stem}")
    connection = connect()
    try:
        report.rows_in[input_path.name] = read_input(connection, mapping, input_path)
        for table_mapping in mapping.tables:
            apply_table(connection, table_mapping, "input", landing_dir, report)
    finally:
        connection.close()
    report.save(landing_dir)
    return report
