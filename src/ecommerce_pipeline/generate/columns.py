"""Arrow columns of the landing contract built from numpy arrays (no per-row Python).

Money is handled as ``int64`` cents and becomes ``decimal128(18, 2)``; times are ``int64`` epoch
seconds and become ``timestamp[us, UTC]`` (Parquet) or ``YYYY-MM-DDTHH:MM:SSZ`` text (CSV).
Fixed-width text (ids, timestamps) is assembled as a byte matrix and handed to Arrow as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecommerce_pipeline.contract import MONEY_PRECISION, MONEY_SCALE, ColumnType, Table

TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")
MONEY_TYPE = pa.decimal128(MONEY_PRECISION, MONEY_SCALE)
ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.TEXT: pa.string(),
    ColumnType.INT: pa.int64(),
    ColumnType.DECIMAL: MONEY_TYPE,
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: TIMESTAMP_TYPE,
    ColumnType.BOOL: pa.bool_(),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The typed (Parquet) schema of a contract table, columns in contract order."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in table.columns])


def assemble(table: Table, columns: Mapping[str, pa.Array]) -> pa.Table:
    """A typed Arrow table with exactly the contract's columns, in contract order."""
    schema = arrow_schema(table)
    return pa.Table.from_arrays([columns[field.name] for field in schema], schema=schema)


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    if valid is None or valid.all():
        return None
    return pa.py_buffer(np.packbits(valid.astype(np.uint8), bitorder="little"))


def _null_count(valid: np.ndarray | None) -> int:
    return 0 if valid is None else int(len(valid) - np.count_nonzero(valid))


def fixed_width_text(matrix: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string array from an ``(n, width)`` ``uint8`` matrix of ASCII bytes."""
    count, width = matrix.shape
    offsets = np.arange(count + 1, dtype=np.int32) * width
    data = np.ascontiguousarray(matrix, dtype=np.uint8)
    return pa.Array.from_buffers(
        pa.string(),
        count,
        [_validity(valid), pa.py_buffer(offsets), pa.py_buffer(data)],
        null_count=_null_count(valid),
    )


#: "0000".."9999" as 4 ASCII bytes each, viewed as one uint32 per number.
_FOUR_DIGITS = np.frombuffer(
    "".join(f"{number:04d}" for number in range(10_000)).encode("ascii"), dtype=np.uint32
)


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """``(n, width)`` ASCII digits of non-negative ``numbers`` (zero padded, 4 digits a gather)."""
    groups = -(-width // 4)
    remaining = np.asarray(numbers, dtype=np.int64)
    words = np.empty((len(remaining), groups), dtype=np.uint32)
    for group in range(groups - 1, -1, -1):
        words[:, group] = _FOUR_DIGITS[remaining % 10_000]
        remaining = remaining // 10_000
    return words.view(np.uint8).reshape(len(words), groups * 4)[:, groups * 4 - width :]


def _constant(text: str, count: int) -> np.ndarray:
    return np.tile(np.frombuffer(text.encode("ascii"), dtype=np.uint8), (count, 1))


def prefixed_numbers(
    prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None
) -> pa.Array:
    """``prefix`` + zero-padded ``numbers`` (e.g. ``C00000042``)."""
    count = len(numbers)
    matrix = np.hstack([_constant(prefix, count), _digits(numbers, width)])
    return fixed_width_text(matrix, valid)


def suffixed_numbers(
    prefix: str, numbers: np.ndarray, width: int, suffixes: np.ndarray, suffix_width: int
) -> pa.Array:
    """``prefix`` + padded ``numbers`` + ``-`` + padded ``suffixes`` (order line ids)."""
    count = len(numbers)
    matrix = np.hstack(
        [
            _constant(prefix, count),
            _digits(numbers, width),
            _constant("-", count),
            _digits(suffixes, suffix_width),
        ]
    )
    return fixed_width_text(matrix)


def line_ids(
    prefix: str, numbers: np.ndarray, width: int, lines: np.ndarray, line_width: int
) -> tuple[pa.Array, pa.Array]:
    """(``prefix`` + number + ``-`` + line, ``prefix`` + number) from one digit matrix."""
    count = len(numbers)
    matrix = np.hstack(
        [
            _constant(prefix, count),
            _digits(numbers, width),
            _constant("-", count),
            _digits(lines, line_width),
        ]
    )
    return fixed_width_text(matrix), fixed_width_text(matrix[:, : len(prefix) + width])


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``decimal128(18, 2)`` from integer cents (exact)."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)  # two's complement sign extension
    return pa.Array.from_buffers(
        MONEY_TYPE,
        len(cents),
        [_validity(valid), pa.py_buffer(words)],
        null_count=_null_count(valid),
    )


def cents(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Integer cents of a ``decimal128(18, 2)`` column (nulls become 0)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    words = np.frombuffer(column.buffers()[1], dtype=np.int64).reshape(-1, 2)
    values = words[column.offset : column.offset + len(column), 0].copy()
    mask = valid_mask(column)
    return values if mask is None else np.where(mask, values, 0)


def timestamps(secs: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``timestamp[us, UTC]`` from epoch seconds."""
    micros = np.asarray(secs, dtype=np.int64) * 1_000_000
    if valid is not None:
        micros = np.where(valid, micros, 0)
    return pa.Array.from_buffers(
        TIMESTAMP_TYPE,
        len(micros),
        [_validity(valid), pa.py_buffer(micros)],
        null_count=_null_count(valid),
    )


def dates(epoch_days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``date32`` from days since 1970-01-01."""
    days = np.asarray(epoch_days, dtype=np.int32)
    if valid is not None:
        days = np.where(valid, days, 0).astype(np.int32)
    return pa.Array.from_buffers(
        pa.date32(),
        len(days),
        [_validity(valid), pa.py_buffer(days)],
        null_count=_null_count(valid),
    )


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``int64`` array from numpy (``pa.array`` would import pandas, ~1 s, on first use)."""
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.int64(), len(data), [_validity(valid), pa.py_buffer(data)], null_count=_null_count(valid)
    )


def booleans(values: np.ndarray) -> pa.Array:
    bits = np.packbits(np.asarray(values, dtype=bool).astype(np.uint8), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def texts(values: Sequence[str | None]) -> pa.Array:
    """A string array from Python strings (vocabularies, per-customer texts); None is null."""
    encoded = [b"" if value is None else value.encode("utf-8") for value in values]
    lengths = np.fromiter((len(value) for value in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    valid = np.fromiter((value is not None for value in values), dtype=bool, count=len(values))
    return pa.Array.from_buffers(
        pa.large_string(),
        len(encoded),
        [_validity(valid), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
        null_count=_null_count(valid),
    ).cast(pa.string())


def bytes_texts(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string array from a numpy ``S`` (null-padded ASCII bytes) array, vectorised."""
    width = values.dtype.itemsize
    matrix = np.ascontiguousarray(values).view(np.uint8).reshape(len(values), width)
    lengths = (matrix != 0).sum(axis=1)  # the texts hold no NUL bytes
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = matrix[np.arange(width) < lengths[:, None]]
    return pa.Array.from_buffers(
        pa.string(),
        len(values),
        [_validity(valid), pa.py_buffer(offsets), pa.py_buffer(data)],
        null_count=_null_count(valid),
    )


def text_scalar(value: str) -> pa.Scalar:
    """A string scalar (``pa.scalar`` would import pandas on first use)."""
    return texts([value])[0]


def labels(names: Sequence[str], codes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Text from a small vocabulary by code (``names[code]``)."""
    vocabulary = names if isinstance(names, pa.Array) else _vocabulary(tuple(names))
    return vocabulary.take(integers(codes, valid))


@lru_cache(maxsize=256)
def _vocabulary(names: tuple[str, ...]) -> pa.Array:
    return texts(names)


def valid_mask(column: pa.Array) -> np.ndarray | None:
    """Boolean numpy mask of the non-null values (None when there is no null)."""
    if column.null_count == 0:
        return None
    bits = np.frombuffer(column.buffers()[0], dtype=np.uint8)
    return np.unpackbits(bits, bitorder="little")[
        column.offset : column.offset + len(column)
    ].astype(bool)


def timestamp_text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SSZ`` text of a ``timestamp[us, UTC]`` column (nulls stay null).

    ``pyarrow.compute.strftime`` formats about 1M values/s here; casting to seconds and patching
    the fixed-width ISO text is ~30x faster and gives the same text.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    valid = valid_mask(column)
    words = np.frombuffer(column.buffers()[1], dtype=np.int64)
    micros = words[column.offset : column.offset + len(column)]
    if valid is not None:
        micros = np.where(valid, micros, 0)
    seconds = integers(micros // 1_000_000).view(pa.timestamp("s"))
    text = pc.cast(seconds, pa.string())  # "YYYY-MM-DD HH:MM:SS", 19 bytes each
    raw = np.frombuffer(text.buffers()[2], dtype=np.uint8)[: 19 * len(text)]
    matrix = np.empty((len(text), 20), dtype=np.uint8)
    matrix[:, :19] = raw.reshape(-1, 19)
    matrix[:, 10] = ord("T")
    matrix[:, 19] = ord("Z")
    return fixed_width_text(matrix, valid)


def to_csv_ready(table: pa.Table) -> pa.Table:
    """The typed table with its timestamp columns as landing text (the rest Arrow formats)."""
    columns = [
        timestamp_text(column) if pa.types.is_timestamp(column.type) else column
        for column in table.columns
    ]
    return pa.Table.from_arrays(columns, names=table.column_names)
