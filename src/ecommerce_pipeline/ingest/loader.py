"""Landing -> raw: the load run (discover, skip what is loaded, batch, validate, write, report).

Files are processed per table in contract order; within a table, files sharing their columns are
read together in batches of up to ``batch_bytes`` / ``batch_files``. Each batch is written in one
transaction with its load-log rows, so a re-run after a crash loads exactly the files that are
missing. A file already in ``raw._load_log`` with the same path and checksum is skipped; a changed
file is loaded again as a new delivery.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.contract import TABLES
from ecommerce_pipeline.ingest.batch import BatchOutcome, FileOutcome, cleanup, prepare_batch
from ecommerce_pipeline.ingest.files import LandingFile, discover_landing
from ecommerce_pipeline.ingest.inspection import InspectedFile, inspect_file
from ecommerce_pipeline.ingest.report import FileLoadResult, LoadReport
from ecommerce_pipeline.ingest.targets import LoadLogRow, RawTarget, open_target

logger = logging.getLogger(__name__)

#: Bytes of landing files per batch: large on DuckDB (fewer, bigger scans and commits), smaller
#: on PostgreSQL so that validating the next batch overlaps the COPY of the previous one.
DEFAULT_BATCH_BYTES: dict[Target, int] = {
    Target.DUCKDB: 256 * 1024 * 1024,
    Target.POSTGRES: 64 * 1024 * 1024,
}
DEFAULT_BATCH_FILES = 2_000


def new_batch_id() -> str:
    """One id per load: UTC start time (sortable) plus a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _utc_now() -> datetime:
    """Lineage time (``_loaded_at``, load log): naive UTC, like every raw timestamp."""
    return datetime.now(UTC).replace(tzinfo=None)


def plan_batches(
    files: Sequence[InspectedFile], *, max_bytes: int, max_files: int
) -> list[list[InspectedFile]]:
    """Batches of files read together: same columns, bounded size; files decided up front alone."""
    groups: dict[tuple[object, ...], list[InspectedFile]] = {}
    for item in files:
        key = item.signature if item.status is None else ("decided",)
        groups.setdefault(key, []).append(item)
    batches: list[list[InspectedFile]] = []
    for group in groups.values():
        current: list[InspectedFile] = []
        size = 0
        for item in group:
            if current and (len(current) >= max_files or size + item.size > max_bytes):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += item.size
        if current:
            batches.append(current)
    return batches


def _shares(batch: list[InspectedFile], seconds: float) -> dict[str, float]:
    """Seconds of a batch shared out over its files by size."""
    total = sum(item.size for item in batch)
    if total == 0:
        return {item.file.source_file: seconds / len(batch) for item in batch}
    return {item.file.source_file: seconds * item.size / total for item in batch}


def _log_rows(
    outcome: BatchOutcome,
    batch: list[InspectedFile],
    batch_id: str,
    started_at: datetime,
    finished_at: datetime,
) -> list[LoadLogRow]:
    shares = _shares(batch, (finished_at - started_at).total_seconds())
    return [
        LoadLogRow(
            batch_id=batch_id,
            table_name=item.inspected.file.table,
            source_file=item.inspected.file.source_file,
            file_day=item.inspected.file.file_day,
            checksum=item.inspected.checksum,
            file_size=item.inspected.size,
            rows_read=item.inspected.rows_read,
            rows_loaded=item.rows_loaded,
            rows_quarantined=item.rows_quarantined,
            status=str(item.status),
            message=item.message,
            started_at=started_at,
            finished_at=finished_at,
            duration_ms=round(shares[item.inspected.file.source_file] * 1000),
        )
        for item in outcome.files
    ]


def _result(item: FileOutcome, seconds: float) -> FileLoadResult:
    landing_file = item.inspected.file
    return FileLoadResult(
        table=landing_file.table,
        source_file=landing_file.source_file,
        file_day=landing_file.file_day,
        status=item.status,
        rows_read=item.inspected.rows_read,
        rows_loaded=item.rows_loaded,
        rows_quarantined=item.rows_quarantined,
        message=item.message,
        seconds=seconds,
    )


@contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda _count: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("loading landing files", total=total)
        yield lambda count: progress.advance(task, count)


class _Run:
    """State of one load run."""

    def __init__(
        self, target: RawTarget, report: LoadReport, advance: Callable[[int], None]
    ) -> None:
        self.target = target
        self.report = report
        self.advance = advance
        # Read once: a run loads every file at most once, and the writer never has to pause.
        self.loaded = target.loaded_files()

    def pending(self, inspections: list[Inspection]) -> list[InspectedFile]:
        """Inspected files that are not loaded yet (the others are reported as skipped)."""
        pending = []
        for landing_file, inspected, error in inspections:
            if inspected is None:
                logger.warning(error)
                self.report.warnings.append(error)
                self.advance(1)
                continue
            if (landing_file.source_file, inspected.checksum) in self.loaded:
                self.report.skipped_files.append(landing_file.source_file)
                self.advance(1)
                continue
            pending.append(inspected)
        return pending

    def load_batch(self, table: str, batch: list[InspectedFile]) -> None:
        started_at, clock = _utc_now(), time.perf_counter()
        try:
            outcome = prepare_batch(
                self.target.engine, table, batch, arrow_checked=self.target.arrow_checked
            )
            finished_at = _utc_now()
            log_rows = _log_rows(outcome, batch, self.report.batch_id, started_at, finished_at)
            self.target.write(outcome, log_rows, self.report.batch_id, finished_at)
        finally:
            cleanup(self.target.engine)
        shares = _shares(batch, time.perf_counter() - clock)
        for item in outcome.files:
            self.report.files.append(_result(item, shares[item.inspected.file.source_file]))
        self.advance(len(batch))

    def load_table(
        self, table: str, inspections: list[Inspection], batch_bytes: int, batch_files: int
    ) -> None:
        pending = self.pending(inspections)
        for batch in plan_batches(pending, max_bytes=batch_bytes, max_files=batch_files):
            self.load_batch(table, batch)


#: A landing file with its inspection, or the reason it could not be read.
Inspection = tuple[LandingFile, InspectedFile | None, str]


def _inspect_files(files: list[LandingFile]) -> list[Inspection]:
    """Checksum and inspect files (runs on a helper thread, ahead of the batches)."""
    inspections: list[Inspection] = []
    for landing_file in files:
        try:
            inspections.append((landing_file, inspect_file(landing_file), ""))
        except OSError as exc:
            error = f"{landing_file.source_file}: cannot be read ({exc}); fix its permissions"
            inspections.append((landing_file, None, error))
    return inspections


def _log_summary(report: LoadReport, seconds: float) -> None:
    totals = report.totals
    logger.info(
        "load %s: %d files (%d loaded, %d empty, %d rejected), %d skipped, %d rows read, "
        "%d loaded, %d quarantined in %.1fs",
        report.batch_id,
        totals.files,
        totals.files_loaded,
        totals.files_empty,
        totals.files_rejected,
        len(report.skipped_files),
        totals.rows_read,
        totals.rows_loaded,
        totals.rows_quarantined,
        seconds,
    )


def load_landing(
    settings: Settings,
    *,
    since: date | None = None,
    until: date | None = None,
    tables: Sequence[str] | None = None,
    progress: bool = False,
    batch_bytes: int | None = None,
    batch_files: int = DEFAULT_BATCH_FILES,
) -> LoadReport:
    """Load the landing files of ``settings.landing_dir`` into ``raw.<table>`` of the target.

    ``since`` / ``until`` filter on the day folder (inclusive); ``tables`` limits the tables.
    ``batch_bytes`` / ``batch_files`` bound a batch (default: DEFAULT_BATCH_BYTES of the target).
    Raises LandingNotFoundError when the landing folder is missing; no files gives an empty
    report with a warning. Bad records and files never raise: see the report and raw._quarantine.
    """
    clock = time.perf_counter()
    discovery = discover_landing(settings.landing_dir, since=since, until=until, tables=tables)
    report = LoadReport(
        batch_id=new_batch_id(), target=str(settings.target), warnings=list(discovery.warnings)
    )
    if not discovery.files:
        warning = f"no landing files to load under {settings.landing_dir}" + (
            f" between {since or 'the start'} and {until or 'the end'}" if since or until else ""
        )
        logger.warning(warning)
        report.warnings.append(warning)
        return report
    order = {item.source_file: index for index, item in enumerate(discovery.files)}
    with (
        open_target(settings) as target,
        _progress_bar(progress, len(discovery.files)) as advance,
    ):
        run = _Run(target, report, advance)
        # Files are checksummed and inspected on a helper thread one table ahead of the load
        # (hashlib and numpy release the GIL), so reading files overlaps loading them.
        inspector = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecom-inspect")
        try:
            inspections = {
                table: inspector.submit(_inspect_files, files)
                for table in TABLES
                if (files := [item for item in discovery.files if item.table == table])
            }
            for table, inspected in inspections.items():
                size = batch_bytes or DEFAULT_BATCH_BYTES[settings.target]
                run.load_table(table, inspected.result(), size, batch_files)
        finally:
            inspector.shutdown(wait=True, cancel_futures=True)
    report.files.sort(key=lambda result: order[result.source_file])
    _log_summary(report, time.perf_counter() - clock)
    return report
