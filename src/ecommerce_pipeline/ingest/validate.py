"""Record validation as one DuckDB SQL pass, built from the contract.

Every contract column of a file becomes a typed value and a list of rules; a record gets the
first rule it breaks (one reason per record) in this fixed priority order:

1. ``malformed_line``, ``invalid_encoding`` (records DuckDB's CSV reader rejected; NUL bytes)
2. ``wrong_type``  3. ``missing_key``  4. ``missing_required``  5. ``unknown_enum``
6. ``non_positive_quantity``  7. ``negative_amount``  8. ``malformed_email``
9. ``malformed_country_code``  10. ``future_timestamp``

i.e. the declaration order of :class:`contract.QuarantineReason`, then contract column order.
Checks other than "required" apply to non-empty values only (empty = null or blank). Text is kept
as received; enums compare ``lower(trim(value))``; booleans accept contract.TRUE_VALUES /
FALSE_VALUES in any case; money must have at most 2 decimal places (never rounded); integers
may carry a zero fraction (``3.0``, as pandas writes them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ecommerce_pipeline.contract import (
    COUNTRY_CODE_PATTERN,
    EMAIL_PATTERN,
    FALSE_VALUES,
    TRUE_VALUES,
    Check,
    Column,
    ColumnType,
    QuarantineReason,
    Table,
    sql_type,
)
from ecommerce_pipeline.ingest.raw_schema import quote_identifier

#: Type families of source columns (CSV columns are all VARCHAR).
VARCHAR, INTEGER, DECIMAL, FLOAT, DATE, TIMESTAMP, TIMESTAMPTZ, BOOLEAN, OTHER = (
    "varchar",
    "integer",
    "decimal",
    "float",
    "date",
    "timestamp",
    "timestamptz",
    "boolean",
    "other",
)

INTEGER_PATTERN = r"[+-]?[0-9]+(\.0*)?"
DECIMAL_PATTERN = r"[+-]?([0-9]+(\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)"

WRONG_TYPE_EXPECTATION: dict[ColumnType, str] = {
    ColumnType.INT: "a whole number",
    ColumnType.DECIMAL: "a number with at most 2 decimal places",
    ColumnType.DATE: "a date YYYY-MM-DD",
    ColumnType.TIMESTAMP: "an ISO-8601 timestamp such as 2024-01-31T13:45:00Z",
    ColumnType.BOOL: "a boolean: " + "/".join(TRUE_VALUES) + " or " + "/".join(FALSE_VALUES),
}

#: Typed source families that cast straight to a contract type (anything else goes via text).
DIRECT_CASTS: dict[ColumnType, tuple[str, ...]] = {
    ColumnType.INT: (INTEGER,),
    ColumnType.DECIMAL: (INTEGER, DECIMAL),
    ColumnType.DATE: (DATE,),
    ColumnType.TIMESTAMP: (TIMESTAMP, TIMESTAMPTZ),
    ColumnType.BOOL: (BOOLEAN,),
}


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(sql_string(value) for value in values)


@dataclass(frozen=True)
class SourceColumn:
    """A column of the files being read: its normalised header name and stage column."""

    name: str  # normalised header name
    stage_column: str  # column of the stage table (c0, c1, ...)
    family: str = VARCHAR


@dataclass(frozen=True)
class Rule:
    """A record breaks the contract when ``condition`` is true."""

    reason: QuarantineReason
    column: str | None
    condition: str
    expectation: str
    value_sql: str | None  # the value as received (text), shown in the quarantine detail


@dataclass(frozen=True)
class ColumnPlan:
    """How one contract column is read from its source column (``s`` = the stage row).

    The typed value and the emptiness flag are computed once per record (as ``__t_<name>`` and
    ``__e_<name>``); the rules refer to them.
    """

    name: str
    typed_expr: str  # typed value (null when empty or invalid)
    empty_expr: str  # true when the value is missing (null or blank)
    text: str  # value as text, as received
    present: bool = True  # False: the file lacks this (optional) column

    @property
    def typed(self) -> str:
        return f"s.{typed_alias(self.name)}"

    @property
    def empty(self) -> str:
        return f"s.{quote_identifier('__e_' + self.name)}"

    def computed_columns(self) -> str:
        """The select-list items computing the typed value and emptiness flag."""
        return (
            f"{self.typed_expr} as {typed_alias(self.name)}, "
            f"{self.empty_expr} as {quote_identifier('__e_' + self.name)}"
        )


def typed_alias(name: str) -> str:
    """Column holding the typed value of contract column ``name`` while the batch is checked."""
    return quote_identifier("__t_" + name)


def _text_of(source: str, family: str) -> str:
    return source if family == VARCHAR else f"cast({source} as varchar)"


def _typed_from_text(column: Column, text: str) -> str:
    trimmed = f"trim({text})"
    target = sql_type(column.type, "duckdb")
    if column.type == ColumnType.TEXT:
        return text
    if column.type in (ColumnType.INT, ColumnType.DECIMAL):
        pattern = sql_string(INTEGER_PATTERN if column.type == ColumnType.INT else DECIMAL_PATTERN)
        cast = f"try_cast({trimmed} as {target})"
        return f"case when regexp_full_match({trimmed}, {pattern}) then {cast} end"
    if column.type == ColumnType.DATE:
        return f"try_cast({trimmed} as date)"
    if column.type == ColumnType.TIMESTAMP:
        # A 'Z' (UTC) suffix casts straight to timestamp (fast); any other text goes through
        # timestamptz so that offsets are applied, never dropped.
        return (
            f"case when ends_with({trimmed}, 'Z') then try_cast({trimmed} as timestamp) "
            f"else try_cast({trimmed} as timestamptz) at time zone 'UTC' end"
        )
    lowered = f"lower({trimmed})"
    return (
        f"case when {lowered} in ({_sql_list(TRUE_VALUES)}) then true "
        f"when {lowered} in ({_sql_list(FALSE_VALUES)}) then false end"
    )


def _typed_direct(column: Column, source: str, family: str) -> str:
    if family == TIMESTAMPTZ:  # the UTC instant as a zone-less timestamp (no time-zone lookup)
        return f"make_timestamp(epoch_us({source}))"
    return f"try_cast({source} as {sql_type(column.type, 'duckdb')})"


def column_plan(column: Column, source: SourceColumn | None) -> ColumnPlan:
    """Typed value, text and emptiness of a contract column (all null when the file lacks it)."""
    if source is None:
        null_typed = f"cast(null as {sql_type(column.type, 'duckdb')})"
        return ColumnPlan(column.name, null_typed, "true", "cast(null as varchar)", present=False)
    reference = f"s.{quote_identifier(source.stage_column)}"
    text = _text_of(reference, source.family)
    if column.type != ColumnType.TEXT and source.family in DIRECT_CASTS.get(column.type, ()):
        typed_expr = _typed_direct(column, reference, source.family)
        return ColumnPlan(column.name, typed_expr, f"({reference} is null)", text)
    empty = f"({text} is null or trim({text}) = '')"
    return ColumnPlan(column.name, _typed_from_text(column, text), empty, text)


def _wrong_type_rule(column: Column, plan: ColumnPlan) -> Rule | None:
    if column.type == ColumnType.TEXT or not plan.present:
        return None
    return Rule(
        QuarantineReason.WRONG_TYPE,
        column.name,
        f"(not {plan.empty} and {plan.typed} is null)",
        WRONG_TYPE_EXPECTATION[column.type],
        plan.text,
    )


def _required_rule(column: Column, plan: ColumnPlan) -> Rule | None:
    if not column.required:
        return None
    if column.is_key:
        reason, expectation = (
            QuarantineReason.MISSING_KEY,
            "a non-empty key (*_id keys are required)",
        )
    else:
        reason, expectation = QuarantineReason.MISSING_REQUIRED, "a value (the column is required)"
    return Rule(reason, column.name, plan.empty, expectation, plan.text)


def _enum_rule(column: Column, plan: ColumnPlan) -> Rule | None:
    if column.enum is None:
        return None
    return Rule(
        QuarantineReason.UNKNOWN_ENUM,
        column.name,
        f"(not {plan.empty} and lower(trim({plan.text})) not in ({_sql_list(column.enum)}))",
        "one of " + ", ".join(column.enum),
        plan.text,
    )


def _check_rule(column: Column, plan: ColumnPlan, check: Check) -> Rule:
    value = f"({plan.typed})"
    if check == Check.POSITIVE:
        return Rule(
            QuarantineReason.NON_POSITIVE_QUANTITY,
            column.name,
            f"{value} <= 0",
            "a quantity >= 1",
            plan.text,
        )
    if check == Check.NON_NEGATIVE:
        return Rule(
            QuarantineReason.NEGATIVE_AMOUNT, column.name, f"{value} < 0", "a value >= 0", plan.text
        )
    if check == Check.EMAIL:
        return Rule(
            QuarantineReason.MALFORMED_EMAIL,
            column.name,
            f"(not {plan.empty} and not regexp_full_match({plan.text}, "
            f"{sql_string(EMAIL_PATTERN)}))",
            "a well-formed email (one @, a dotted domain, no spaces)",
            plan.text,
        )
    if check == Check.COUNTRY_CODE:
        return Rule(
            QuarantineReason.MALFORMED_COUNTRY_CODE,
            column.name,
            f"(not {plan.empty} and not regexp_full_match({plan.text}, "
            f"{sql_string(COUNTRY_CODE_PATTERN)}))",
            "an ISO-3166 alpha-2 code (two upper-case letters)",
            plan.text,
        )
    return Rule(
        QuarantineReason.FUTURE_TIMESTAMP,
        column.name,
        f"{value} >= s.__day_end",
        "a time no later than the end of the file's business day (UTC)",
        plan.text,
    )


def _nul_rules(sources: Sequence[SourceColumn]) -> list[Rule]:
    """NUL bytes are not valid text in PostgreSQL: such records are quarantined on both targets."""
    rules = []
    for source in sources:
        if source.family != VARCHAR:
            continue
        reference = f"s.{quote_identifier(source.stage_column)}"
        rules.append(
            Rule(
                QuarantineReason.INVALID_ENCODING,
                source.name,
                f"contains({reference}, chr(0))",
                "text without NUL bytes",
                reference,
            )
        )
    return rules


@dataclass(frozen=True)
class ValidationPlan:
    """The SQL that types and checks the records of one group of files of one table."""

    table: Table
    plans: dict[str, ColumnPlan]
    rules: list[Rule]
    extra_columns: tuple[SourceColumn, ...]

    def code_sql(self) -> str:
        """Index of the first rule the record breaks (null = the record is clean)."""
        if not self.rules:
            return "cast(null as integer)"
        branches = " ".join(
            f"when {rule.condition} then {index}" for index, rule in enumerate(self.rules)
        )
        return f"case {branches} end"

    def bad_value_sql(self, code: str) -> str:
        branches = " ".join(
            f"when {index} then {rule.value_sql}"
            for index, rule in enumerate(self.rules)
            if rule.value_sql is not None
        )
        return f"case {code} {branches} end" if branches else "cast(null as varchar)"

    def extra_sql(self) -> str:
        """``_extra``: a JSON object of the file's columns that are not in the contract."""
        if not self.extra_columns:
            return "cast(null as varchar)"
        pairs = ", ".join(
            f"{sql_string(source.name)}, s.{quote_identifier(source.stage_column)}"
            for source in self.extra_columns
        )
        return f"cast(json_object({pairs}) as varchar)"

    def record_json_sql(self, sources: Sequence[SourceColumn]) -> str:
        """The whole record as a JSON object (the raw record of a Parquet row)."""
        pairs = ", ".join(
            f"{sql_string(source.name)}, s.{quote_identifier(source.stage_column)}"
            for source in sources
        )
        return f"cast(json_object({pairs}) as varchar)"


#: Priority of the reasons: the declaration order of contract.QuarantineReason.
REASON_PRIORITY: dict[QuarantineReason, int] = {
    reason: index for index, reason in enumerate(QuarantineReason)
}


def _column_rules(column: Column, plan: ColumnPlan) -> list[Rule]:
    rules = [_wrong_type_rule(column, plan), _required_rule(column, plan), _enum_rule(column, plan)]
    checks = [_check_rule(column, plan, check) for check in column.checks]
    return [rule for rule in rules if rule is not None] + checks


def build_plan(
    table: Table, sources: Sequence[SourceColumn], *, check_nul: bool = False
) -> ValidationPlan:
    """Typed values and rules (in priority order) for files of ``table`` with these columns."""
    by_name = {source.name: source for source in sources}
    plans = {column.name: column_plan(column, by_name.get(column.name)) for column in table.columns}
    rules: list[Rule] = _nul_rules(sources) if check_nul else []
    for column in table.columns:
        if column.name in by_name:
            rules += _column_rules(column, plans[column.name])
    # Stable sort: reason priority first, then contract column order within a reason.
    rules.sort(key=lambda rule: REASON_PRIORITY[rule.reason])
    extras = tuple(source for source in sources if source.name not in table.column_names)
    return ValidationPlan(table=table, plans=plans, rules=rules, extra_columns=extras)
