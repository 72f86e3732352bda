"""Dirty mode: extra bad rows and files exactly as ``LANDING.md`` describes, and their manifest.

Every injected bad row is an ADDITIONAL line - a copy of a real row of the same file, then
corrupted - placed at a random position, so the clean rows stay complete and in order: a dirty
file minus its manifest lines is byte for byte the file of the clean run with the same seed.
The dirt has its own random streams, so the clean data does not depend on the dirty rate.

Row kinds (``line`` = physical CSV line, 1 = header; Parquet: 1-based row):

* ``malformed_line`` (CSV only): an extra field, a missing field, or broken quoting
  (``"O0000000042"x``: a closed quote followed by stray characters, never an open quote);
* ``invalid_encoding`` (CSV only): a text field in Latin-1 (``M\\xfcller``), not UTF-8;
* ``wrong_type`` (CSV only): a value that does not parse as the column's type;
* ``missing_key``, ``missing_required``: an empty key / other required value;
* ``unknown_enum``, ``non_positive_quantity``, ``negative_amount``, ``malformed_email``,
  ``malformed_country_code``, ``future_timestamp`` (after the end of the file's day);
* ``duplicate_row``: an exact copy of another line of the file;
* ``orphan_reference``: a new row (new key) referencing a customer / order / product id that
  exists nowhere.

File kinds (extra files ``<table>_<day>_<n>.<ext>`` holding copies of rows of that day):
``empty_file`` (a zero-byte file or a header-only / zero-row file), ``missing_required_column``,
``extra_column``.

Parquet carries every kind except ``malformed_line``, ``invalid_encoding`` and ``wrong_type``:
a typed column cannot hold a value of another type and a Parquet file has no lines or bytes
to break. With ``dirty_rate > 0`` every kind that applies to a table (and format) appears at
least once in that table.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecommerce_pipeline.contract import (
    CORE_TABLES,
    TABLES,
    Check,
    ColumnType,
    QuarantineReason,
    Table,
)
from ecommerce_pipeline.generate import columns
from ecommerce_pipeline.generate.faults import FaultPlan, dirty_rate_of_day
from ecommerce_pipeline.generate.seasonality import SECONDS_PER_DAY, SECONDS_PER_HOUR, Horizon

logger = logging.getLogger(__name__)

DUPLICATE_ROW = "duplicate_row"
ORPHAN_REFERENCE = "orphan_reference"
EXTRA_COLUMN = "extra_column"
MISSING_REQUIRED_COLUMN = "missing_required_column"
EMPTY_FILE = QuarantineReason.EMPTY_FILE.value
CSV_ONLY_KINDS = (
    QuarantineReason.MALFORMED_LINE.value,
    QuarantineReason.INVALID_ENCODING.value,
    QuarantineReason.WRONG_TYPE.value,
)
FILE_KINDS = (EMPTY_FILE, MISSING_REQUIRED_COLUMN, EXTRA_COLUMN)
MANIFEST_COLUMNS = ("file", "line", "table", "column", "kind")
MANIFEST_FILE = "dirty_manifest.csv"
EXTRA_FILE_ROWS = 20  # rows copied into an extra file
FILES_PER_KIND_PER_DAYS = 30  # each file kind once per this many days x dirty rate (>= 1)

#: Values that do not parse as the column type (``"..."`` = written quoted, it holds a comma).
WRONG_TYPE_VALUES: dict[ColumnType, tuple[bytes, ...]] = {
    ColumnType.INT: (b"seven", b"3 pcs", b"many"),
    ColumnType.DECIMAL: (b"ten", b"12.5.0", b'"1,250.00"'),
    ColumnType.DATE: (b"2024-02-30", b"someday", b"2024-13-01"),
    ColumnType.TIMESTAMP: (b"2024-02-30T10:00:00Z", b"last tuesday", b"2024-01-01T25:61:00Z"),
    ColumnType.BOOL: (b"maybe", b"ja", b"tru"),
}
LATIN_1_TEXTS = tuple(
    text.encode("latin-1") for text in ("Müller", "José", "São Paulo", "Café", "Köln", "Genève")
)
UNKNOWN_ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "order_status": ("on_hold", "refunded", "in_transit"),
    "payment_method": ("crypto", "check", "voucher"),
    "sales_channel": ("phone", "store", "fax"),
    "acquisition_channel": ("tv", "podcast", "radio"),
    "loyalty_tier": ("diamond", "vip", "none"),
}
BAD_COUNTRY_CODES = ("USA", "GBR", "DEU", "Germany", "u.s.", "1A", "fr")
EXTRA_COLUMN_NAMES = ("coupon_code", "source_system", "notes", "exported_by")


def row_kinds(table: Table, file_format: str) -> tuple[str, ...]:
    """The row-level kinds that apply to ``table`` in ``file_format``, in a fixed order."""
    kinds = [kind for kind in _ROW_KIND_COLUMNS if _ROW_KIND_COLUMNS[kind](table)]
    if table.foreign_keys:
        kinds.append(ORPHAN_REFERENCE)
    kinds.append(DUPLICATE_ROW)
    if file_format != "csv":
        kinds = [kind for kind in kinds if kind not in CSV_ONLY_KINDS]
    return tuple(kinds)


def kind_columns(table: Table, kind: str) -> list[str]:
    """Columns a row kind may corrupt (empty list: a line-level kind)."""
    if kind == ORPHAN_REFERENCE:
        return [fk.column for fk in table.foreign_keys]
    if kind in (DUPLICATE_ROW, QuarantineReason.MALFORMED_LINE.value):
        return []
    return _ROW_KIND_COLUMNS[kind](table)


def _names(table: Table, keep: Callable[..., bool]) -> list[str]:
    return [column.name for column in table.columns if keep(column)]


_ROW_KIND_COLUMNS: dict[str, Callable[[Table], list[str]]] = {
    QuarantineReason.MALFORMED_LINE.value: lambda t: _names(t, lambda c: True),
    QuarantineReason.INVALID_ENCODING.value: lambda t: _names(
        t, lambda c: c.type == ColumnType.TEXT and not c.is_key and not c.enum and not c.checks
    ),
    QuarantineReason.WRONG_TYPE.value: lambda t: _names(t, lambda c: c.type != ColumnType.TEXT),
    QuarantineReason.MISSING_KEY.value: lambda t: _names(t, lambda c: c.is_key),
    QuarantineReason.MISSING_REQUIRED.value: lambda t: _names(
        t, lambda c: c.required and not c.is_key
    ),
    QuarantineReason.UNKNOWN_ENUM.value: lambda t: _names(t, lambda c: bool(c.enum)),
    QuarantineReason.NON_POSITIVE_QUANTITY.value: lambda t: _names(
        t, lambda c: Check.POSITIVE in c.checks
    ),
    QuarantineReason.NEGATIVE_AMOUNT.value: lambda t: _names(
        t, lambda c: c.type == ColumnType.DECIMAL and Check.NON_NEGATIVE in c.checks
    ),
    QuarantineReason.MALFORMED_EMAIL.value: lambda t: _names(t, lambda c: Check.EMAIL in c.checks),
    QuarantineReason.MALFORMED_COUNTRY_CODE.value: lambda t: _names(
        t, lambda c: Check.COUNTRY_CODE in c.checks
    ),
    QuarantineReason.FUTURE_TIMESTAMP.value: lambda t: _names(
        t, lambda c: c.type == ColumnType.TIMESTAMP and c.required
    ),
}


@dataclass(frozen=True)
class ManifestLine:
    file: str
    line: int | None
    table: str
    column: str
    kind: str


@dataclass
class DirtyDay:
    """What to write for one (table, day): the main file (None: the clean one) and extra files."""

    main: bytes | None
    main_rows: int
    extras: list[tuple[str, bytes, int]] = field(default_factory=list)  # (file name, content, rows)


@dataclass
class _BadRows:
    table: pa.Table  # typed bad rows, in the order of ``kinds``
    kinds: list[str]
    columns: list[str]


class DirtInjector:
    """Decides and applies the dirt of every file; collects the manifest."""

    def __init__(
        self,
        rate: float,
        file_format: str,
        horizon: Horizon,
        streams: Callable[..., np.random.Generator],
        faults: FaultPlan | None = None,
    ) -> None:
        self.rate = rate
        self.faults = faults or FaultPlan()
        self.file_format = file_format
        self.horizon = horizon
        self.streams = streams
        self.manifest: list[ManifestLine] = []
        self._unused_row_kinds = {
            name: list(row_kinds(TABLES[name], file_format)) for name in CORE_TABLES
        }
        self._planned_files = self._plan_files()
        self._orphan_serial = 0
        self._orphaned_orders: set[str] = set()

    # -- planning ------------------------------------------------------------------------------

    def _plan_files(self) -> dict[str, list[tuple[int, str]]]:
        """(day, kind) of every extra file per table; the first of each kind early in the period."""
        if self.rate == 0:  # only a bad-row surge (faults.py): bad rows, no extra files
            return {name: [] for name in CORE_TABLES}
        rng = self.streams("dirt-files")
        days = self.horizon.days
        per_kind = max(1, round(self.rate * days / FILES_PER_KIND_PER_DAYS))
        plan: dict[str, list[tuple[int, str]]] = {}
        for name in CORE_TABLES:
            entries: list[tuple[int, str]] = []
            for kind in FILE_KINDS:
                first = int(rng.integers(0, max(1, days // 2)))
                others = rng.integers(0, days, per_kind - 1).tolist()
                entries.extend((int(day), kind) for day in [first, *others])
            plan[name] = sorted(entries)
        return plan

    # -- one (table, day) ------------------------------------------------------------------------

    def corrupt_day(
        self, table_name: str, day: int, relative_folder: str, typed: pa.Table
    ) -> DirtyDay:
        """The main file of the day (with its bad rows) and the extra files due that day."""
        table = TABLES[table_name]
        rng = self.streams("dirt", list(TABLES).index(table_name), day)
        day_date = self.horizon.day_date(day).isoformat()
        main_name = f"{table_name}_{day_date}.{self.file_format}"
        bad = self._bad_rows(table, typed, day, rng)
        result = DirtyDay(main=None, main_rows=typed.num_rows)
        if bad.table.num_rows:
            content, lines = self._interleave(table, typed, bad, rng)
            result.main = content
            result.main_rows = typed.num_rows + bad.table.num_rows
            for line, kind, column in zip(lines, bad.kinds, bad.columns, strict=True):
                self.manifest.append(
                    ManifestLine(f"{relative_folder}/{main_name}", line, table_name, column, kind)
                )
        planned = self._planned_files[table_name]
        due = [kind for planned_day, kind in planned if planned_day <= day]
        self._planned_files[table_name] = [entry for entry in planned if entry[0] > day]
        for part, kind in enumerate(due, start=1):
            name = f"{table_name}_{day_date}_{part}.{self.file_format}"
            content, rows, column = self._extra_file(table, typed, kind, part, rng)
            result.extras.append((name, content, rows))
            self.manifest.append(
                ManifestLine(f"{relative_folder}/{name}", None, table_name, column, kind)
            )
        return result

    def _bad_rows(
        self, table: Table, typed: pa.Table, day: int, rng: np.random.Generator
    ) -> _BadRows:
        """The day's bad rows (copies of random rows, corrupted), grouped by kind and column."""
        available = np.array(row_kinds(table, self.file_format), dtype=object)
        rate = dirty_rate_of_day(day, self.rate, self.faults)
        count = int(rng.binomial(typed.num_rows, rate))
        # Every kind at least once per table: the first dirty file with rows gets the unused ones.
        unused = np.array(self._unused_row_kinds[table.name] if rate > 0 else [], dtype=object)
        if rate > 0:
            self._unused_row_kinds[table.name] = []
        row_kind = np.concatenate([unused, available[rng.integers(0, len(available), count)]])
        if not len(row_kind):
            return _BadRows(typed.slice(0, 0), [], [])
        row_column = np.full(len(row_kind), "", dtype=object)
        for kind in dict.fromkeys(row_kind.tolist()):
            candidates = kind_columns(table, kind)
            members = np.flatnonzero(row_kind == kind)
            if candidates and kind != ORPHAN_REFERENCE:  # orphans choose their column per row
                choice = rng.integers(0, len(candidates), len(members))
                row_column[members] = np.array(candidates, dtype=object)[choice]
        source = rng.integers(0, typed.num_rows, len(row_kind))
        parts, part_kinds, part_columns = [], [], []
        for kind in dict.fromkeys(row_kind.tolist()):
            for column in dict.fromkeys(row_column[row_kind == kind].tolist()):
                members = np.flatnonzero((row_kind == kind) & (row_column == column))
                rows = typed.take(columns.integers(source[members]))
                rows, columns_used = self._corrupt_group(table, rows, kind, column, day, rng)
                parts.append(rows)
                part_kinds.extend([kind] * rows.num_rows)
                part_columns.extend(columns_used)
        return _BadRows(pa.concat_tables(parts), part_kinds, part_columns)

    # -- typed corruptions ---------------------------------------------------------------------

    def _corrupt_group(
        self,
        table: Table,
        rows: pa.Table,
        kind: str,
        column: str,
        day: int,
        rng: np.random.Generator,
    ) -> tuple[pa.Table, list[str]]:
        """Copied rows with the kind's corruption (CSV-only kinds are applied to the bytes)."""
        count = rows.num_rows
        if kind == ORPHAN_REFERENCE:
            return self._orphans(table, rows, rng)
        if kind in (QuarantineReason.MISSING_KEY.value, QuarantineReason.MISSING_REQUIRED.value):
            values: pa.Array = pa.nulls(count, rows.schema.field(column).type)
        elif kind == QuarantineReason.UNKNOWN_ENUM.value:
            choices = UNKNOWN_ENUM_VALUES.get(column, ("unknown_value",))
            if set(choices) & set(table.column(column).enum or ()):  # pragma: no cover
                raise RuntimeError(f"dirt values of {column} overlap the contract enum")
            values = columns.labels(choices, rng.integers(0, len(choices), count))
        elif kind == QuarantineReason.NON_POSITIVE_QUANTITY.value:
            quantity = np.asarray(rows.column(column).to_numpy(), dtype=np.int64)
            values = columns.integers(-rng.integers(0, 2, count) * quantity)
        elif kind == QuarantineReason.NEGATIVE_AMOUNT.value:
            values = columns.money(-np.abs(columns.cents(rows.column(column))) - 1)
        elif kind == QuarantineReason.MALFORMED_EMAIL.value:
            values = _malformed_emails(rows.column(column), rng)
        elif kind == QuarantineReason.MALFORMED_COUNTRY_CODE.value:
            values = columns.labels(
                BAD_COUNTRY_CODES, rng.integers(0, len(BAD_COUNTRY_CODES), count)
            )
        elif kind == QuarantineReason.FUTURE_TIMESTAMP.value:
            day_end = self.horizon.start_secs + (day + 1) * SECONDS_PER_DAY
            values = columns.timestamps(
                day_end + rng.integers(SECONDS_PER_HOUR, 400 * SECONDS_PER_DAY, count)
            )
        else:
            return rows, [column] * count  # duplicate_row and the CSV-only kinds
        return _set(rows, column, values), [column] * count

    def _orphans(
        self, table: Table, rows: pa.Table, rng: np.random.Generator
    ) -> tuple[pa.Table, list[str]]:
        """New rows referencing ids that exist nowhere (ids of the never-used ``9...`` range)."""
        count = rows.num_rows
        serial = self._orphan_serial + 1 + np.arange(count)
        self._orphan_serial += count
        ghost_order = 9_000_000_000 + serial
        if table.name == "orders":
            rows = _set(rows, "order_id", columns.prefixed_numbers("O", ghost_order, 10))
            rows = _set(rows, "customer_id", columns.prefixed_numbers("C", 90_000_000 + serial, 8))
            return rows, ["customer_id"] * count
        # order_items: a line of a real order with a ghost product (once per order, id "-99"),
        # or a line of a ghost order.
        order_ids = rows.column("order_id").to_pylist()
        ghost_product = np.zeros(count, dtype=bool)
        for position in np.flatnonzero(rng.random(count) < 0.5):
            if order_ids[position] not in self._orphaned_orders:
                self._orphaned_orders.add(order_ids[position])
                ghost_product[position] = True
        item_ids = pc.if_else(
            columns.booleans(ghost_product),
            pc.binary_join_element_wise(
                rows.column("order_id"), columns.text_scalar("99"), columns.text_scalar("-")
            ),
            columns.suffixed_numbers("O", ghost_order, 10, np.ones(count, np.int64), 2),
        )
        order_column = pc.if_else(
            columns.booleans(ghost_product),
            rows.column("order_id"),
            columns.prefixed_numbers("O", ghost_order, 10),
        )
        product_column = pc.if_else(
            columns.booleans(ghost_product),
            columns.prefixed_numbers("P", 9_000_000 + serial, 7),
            rows.column("product_id"),
        )
        rows = _set(rows, "order_item_id", item_ids)
        rows = _set(rows, "order_id", order_column)
        rows = _set(rows, "product_id", product_column)
        return rows, np.where(ghost_product, "product_id", "order_id").tolist()

    # -- files ----------------------------------------------------------------------------------

    def _interleave(
        self, table: Table, clean: pa.Table, bad: _BadRows, rng: np.random.Generator
    ) -> tuple[bytes, list[int]]:
        """The file with the bad rows at random positions; their line numbers."""
        total = clean.num_rows + bad.table.num_rows
        positions = np.sort(rng.choice(total, size=bad.table.num_rows, replace=False))
        order = np.empty(total, dtype=np.int64)
        is_bad = np.zeros(total, dtype=bool)
        is_bad[positions] = True
        order[positions] = clean.num_rows + np.arange(bad.table.num_rows)
        order[~is_bad] = np.arange(clean.num_rows)
        combined = pa.concat_tables([clean, bad.table.cast(clean.schema)]).take(
            columns.integers(order)
        )
        if self.file_format != "csv":
            return _parquet_bytes(combined), (positions + 1).tolist()
        lines = _csv_bytes(combined).split(b"\n")
        names = list(table.column_names)
        for position, kind, column in zip(positions, bad.kinds, bad.columns, strict=True):
            if kind in CSV_ONLY_KINDS:
                index = int(position) + 1  # lines[0] is the header
                lines[index] = _corrupt_line(lines[index], kind, names, column, table, rng)
        return b"\n".join(lines), (positions + 2).tolist()

    def _extra_file(
        self, table: Table, typed: pa.Table, kind: str, part: int, rng: np.random.Generator
    ) -> tuple[bytes, int, str]:
        """(content, data rows, manifest column) of an extra file of a file kind."""
        count = min(EXTRA_FILE_ROWS, typed.num_rows)
        rows = typed.take(
            columns.integers(np.sort(rng.choice(typed.num_rows, count, replace=False)))
        )
        if kind == EMPTY_FILE:
            if rng.random() < 0.5:
                return b"", 0, ""  # zero bytes; otherwise a header-only / zero-row file
            empty = typed.slice(0, 0)
            return (
                (_csv_bytes(empty) if self.file_format == "csv" else _parquet_bytes(empty)),
                0,
                "",
            )
        if kind == MISSING_REQUIRED_COLUMN:
            required = list(table.required_columns)
            column = required[int(rng.integers(0, len(required)))]
            rows = rows.drop_columns([column])
        else:
            column = EXTRA_COLUMN_NAMES[int(rng.integers(0, len(EXTRA_COLUMN_NAMES)))]
            position = int(rng.integers(1, rows.num_columns + 1))
            values = columns.texts([f"{column}_{i}" for i in range(rows.num_rows)])
            rows = rows.add_column(position, column, values)
        content = _csv_bytes(rows) if self.file_format == "csv" else _parquet_bytes(rows)
        return content, rows.num_rows, column

    def leftover_files(self) -> int:
        return sum(len(entries) for entries in self._planned_files.values())

    def write_manifest(self, out: Path) -> Path:
        """``<out>/_manifest/dirty_manifest.csv``, sorted by file then line."""
        path = out / "_manifest" / MANIFEST_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = sorted(self.manifest, key=lambda entry: (entry.file, entry.line or 0, entry.kind))
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(MANIFEST_COLUMNS)
            for entry in rows:
                line = "" if entry.line is None else entry.line
                writer.writerow([entry.file, line, entry.table, entry.column, entry.kind])
        return path


def _set(row: pa.Table, column: str, values: pa.Array) -> pa.Table:
    index = row.schema.get_field_index(column)
    return row.set_column(index, row.schema.field(index), values.cast(row.schema.field(index).type))


def _malformed_emails(emails: pa.ChunkedArray, rng: np.random.Generator) -> pa.Array:
    """Emails without ``@``, with ``#`` instead, or with ``@@`` (one variant per row)."""
    filled = pc.fill_null(emails, columns.text_scalar("someone@example.com"))
    variants = [pc.replace_substring(filled, "@", replacement) for replacement in ("#", "", "@@")]
    choice = rng.integers(0, 3, len(emails))
    result = variants[0]
    for index in (1, 2):
        result = pc.if_else(columns.booleans(choice == index), variants[index], result)
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def _corrupt_line(
    line: bytes, kind: str, names: list[str], column: str, table: Table, rng: np.random.Generator
) -> bytes:
    """Apply a CSV-only corruption to one data line (whose fields hold no commas or quotes)."""
    fields = line.split(b",")
    if kind == QuarantineReason.WRONG_TYPE.value:
        choices = WRONG_TYPE_VALUES[table.column(column).type]
        fields[names.index(column)] = choices[int(rng.integers(0, len(choices)))]
    elif kind == QuarantineReason.INVALID_ENCODING.value:
        fields[names.index(column)] = LATIN_1_TEXTS[int(rng.integers(0, len(LATIN_1_TEXTS)))]
    else:  # malformed_line
        variant = int(rng.integers(0, 3))
        if variant == 0:
            fields.append(b"surplus")
        elif variant == 1:
            fields.pop()
        else:
            fields[0] = b'"' + fields[0] + b'"x'
    return b",".join(fields)


def _csv_bytes(table: pa.Table) -> bytes:
    from ecommerce_pipeline.generate.writer import csv_bytes

    return csv_bytes(table)


def _parquet_bytes(table: pa.Table) -> bytes:
    from ecommerce_pipeline.generate.writer import parquet_bytes

    return parquet_bytes(table)
