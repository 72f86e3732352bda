"""Writes rows into the landing layout: ``<out>/<table>/<YYYY-MM-DD>/<table>_<YYYY-MM-DD>.<ext>``.

CSV: header of the contract's column names, ``,`` separated, ``\\n`` line ends, nothing quoted
(generated values never contain ``,``, ``"`` or line breaks, so no field needs quoting),
timestamps ``YYYY-MM-DDTHH:MM:SSZ``, money with 2 decimals, ``true``/``false``, empty = null.
Parquet: the typed schema of :func:`columns.arrow_schema`. Each file is written by one call;
files are written by a small thread pool (Arrow releases the GIL) while the next chunk is
generated.
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from threading import Thread
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ecommerce_pipeline.contract import CORE_TABLES, TABLES, ColumnType
from ecommerce_pipeline.generate import columns
from ecommerce_pipeline.generate.seasonality import Horizon

if TYPE_CHECKING:
    from ecommerce_pipeline.generate.dirt import DirtInjector

logger = logging.getLogger(__name__)

MANIFEST_DIR = "_manifest"
CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="none", batch_size=65_536)
WRITER_THREADS = 2
MAX_PENDING_JOBS = 8  # about two chunks of the four tables
#: Generated text columns with few distinct values, besides the contract's enums.
CATEGORICAL_COLUMNS = frozenset(
    {"country_code", "region", "city", "category", "subcategory", "brand", "currency"}
    | {"ship_country_code", "ship_region", "ship_city", "return_reason"}
)
#: The columns Parquet landing files dictionary-encode. Hashing ids, emails and names as well
#: (pyarrow's default) cost a third of the generator's Parquet write time for no smaller file.
DICTIONARY_COLUMNS = CATEGORICAL_COLUMNS | {
    column.name
    for table in TABLES.values()
    for column in table.columns
    if column.type == ColumnType.TEXT and column.enum is not None
}


def clear_landing(out: Path) -> Thread | None:
    """Remove what a previous run wrote (the core table folders and the manifest).

    The folders are first renamed to ``_previous_run`` (ignored by the loader: ``_`` prefix) and
    deleted by a background thread while the new run writes; join the returned thread.
    """
    targets = [out / name for name in (*CORE_TABLES, MANIFEST_DIR) if (out / name).is_dir()]
    if not targets:
        return None
    trash = out / "_previous_run"
    if trash.exists():
        shutil.rmtree(trash)
    trash.mkdir()
    for target in targets:
        logger.info("removing previous landing data %s", target)
        target.rename(trash / target.name)
    remover = Thread(target=shutil.rmtree, args=(trash,), name="remove-previous-run")
    remover.start()
    return remover


def file_name(table: str, day: date, file_format: str, part: int | None = None) -> str:
    suffix = "" if part is None else f"_{part}"
    return f"{table}_{day.isoformat()}{suffix}.{file_format}"


def csv_header(names: list[str] | tuple[str, ...]) -> bytes:
    return (",".join(names) + "\n").encode("utf-8")


def csv_bytes(table: pa.Table, *, header: bool = True) -> bytes:
    """The CSV text of a typed (or CSV-ready) table, as written to landing files."""
    ready = columns.to_csv_ready(table)
    sink = pa.BufferOutputStream()
    if header:
        sink.write(csv_header(ready.column_names))
    if ready.num_rows:
        pa_csv.write_csv(ready, sink, CSV_OPTIONS)
    return sink.getvalue().to_pybytes()


def _write_bytes(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def write_parquet(table: pa.Table, where: str | pa.NativeFile) -> None:
    """One Parquet landing file (snappy; dictionary pages for the categorical columns only)."""
    dictionary = [name for name in table.column_names if name in DICTIONARY_COLUMNS]
    pq.write_table(table, where, use_dictionary=dictionary)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    write_parquet(table, sink)
    return sink.getvalue().to_pybytes()


@dataclass
class LandingWriter:
    """Splits each chunk's rows by day and writes one file per (table, day)."""

    out: Path
    file_format: str
    horizon: Horizon
    dirt: DirtInjector | None = None  # when dirty_rate > 0
    rows: Counter[str] = field(default_factory=Counter)
    files: int = 0
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(WRITER_THREADS))
    _pending: list[Future[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)

    def write(self, table_name: str, build: Callable[[], pa.Table], secs: np.ndarray) -> None:
        """Write rows by day: ``build()`` gives them typed, in file order; ``secs`` = updated_at.

        Clean runs build and write in a worker thread (the next chunk is generated meanwhile);
        dirty runs build here, because the dirt is decided file after file.
        """
        if not len(secs):
            return
        day = self.horizon.day_index(secs)
        days: np.ndarray = np.unique(day)
        bounds = np.searchsorted(day, np.concatenate([days, days[-1:] + 1]))
        spans = [
            (int(day_index), int(bounds[position]), int(bounds[position + 1]))
            for position, day_index in enumerate(days)
        ]
        if self.dirt is None:
            self.rows[table_name] += len(secs)
            self.files += len(spans)
            self._submit(self._build_and_write, table_name, build, spans)
            return
        table = build()
        for day_index, low, high in spans:
            self._write_dirty_day(table_name, day_index, table.slice(low, high - low))

    def _path(self, table_name: str, day: int, part: int | None = None) -> Path:
        day_date = self.horizon.day_date(day)
        name = file_name(table_name, day_date, self.file_format, part)
        return self.out / table_name / day_date.isoformat() / name

    def _build_and_write(
        self, table_name: str, build: Callable[[], pa.Table], spans: list[tuple[int, int, int]]
    ) -> None:
        table = build()
        if self.file_format == "csv":
            table = columns.to_csv_ready(table)
        for day, low, high in spans:
            self._write_file(self._path(table_name, day), table.slice(low, high - low))

    def _write_dirty_day(self, table_name: str, day: int, typed: pa.Table) -> None:
        if self.dirt is None:  # pragma: no cover - only called in dirty mode
            raise RuntimeError("dirty write without a DirtInjector")
        relative = f"{table_name}/{self.horizon.day_date(day).isoformat()}"
        dirty = self.dirt.corrupt_day(table_name, day, relative, typed)
        self.files += 1 + len(dirty.extras)
        self.rows[table_name] += dirty.main_rows + sum(rows for _, _, rows in dirty.extras)
        if dirty.main is None:
            ready = columns.to_csv_ready(typed) if self.file_format == "csv" else typed
            self._submit(self._write_file, self._path(table_name, day), ready)
        else:
            self._submit(_write_bytes, self._path(table_name, day), dirty.main)
        for name, content, _ in dirty.extras:
            self._submit(_write_bytes, self.out / relative / name, content)

    def _submit(self, job: Callable[..., None], *args: object) -> None:
        self._pending.append(self._pool.submit(job, *args))
        while len(self._pending) > MAX_PENDING_JOBS:  # bound the memory held by queued work
            self._pending.pop(0).result()

    def _write_file(self, path: Path, table: pa.Table) -> None:
        """Write one landing file (a CSV-ready table for CSV: timestamps already as text)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.file_format == "parquet":
            write_parquet(table, str(path))
            return
        with pa.OSFile(str(path), "wb") as sink:
            sink.write(csv_header(table.column_names))
            pa_csv.write_csv(table, sink, CSV_OPTIONS)

    def close(self) -> None:
        """Wait for every queued file (re-raising a failed write) and stop the threads."""
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pending = []
            self._pool.shutdown(wait=True, cancel_futures=True)
