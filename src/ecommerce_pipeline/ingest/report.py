"""What a load did: one result per landing file and the report of the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ecommerce_pipeline.contract import FileStatus


@dataclass
class FileLoadResult:
    """Outcome of one landing file (one row of ``raw._load_log``).

    ``rows_read`` is the number of data records in the file (a quoted field may span lines).
    ``seconds`` is the file's share (by bytes) of the time of the batch that loaded it.
    """

    table: str
    source_file: str  # relative to the landing folder, posix separators
    file_day: date
    status: FileStatus
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    message: str
    seconds: float

    @property
    def rows_rejected(self) -> int:
        """Records not loaded because the whole file was rejected (missing required column)."""
        return self.rows_read if self.status == FileStatus.REJECTED else 0

    @property
    def reconciles(self) -> bool:
        """Every record is accounted for: loaded, quarantined, or in a rejected file."""
        if self.status == FileStatus.REJECTED:
            return self.rows_loaded == 0 and self.rows_quarantined == 0
        return self.rows_read == self.rows_loaded + self.rows_quarantined


@dataclass(frozen=True)
class LoadTotals:
    """Sums over the files a load processed (skipped files are not counted)."""

    files: int
    files_loaded: int
    files_empty: int
    files_rejected: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_rejected: int


@dataclass
class LoadReport:
    """What one ``load_landing`` run did."""

    batch_id: str
    target: str
    files: list[FileLoadResult] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # already loaded (same path + checksum)
    warnings: list[str] = field(default_factory=list)

    @property
    def totals(self) -> LoadTotals:
        by_status = [item.status for item in self.files]
        return LoadTotals(
            files=len(self.files),
            files_loaded=by_status.count(FileStatus.LOADED),
            files_empty=by_status.count(FileStatus.EMPTY),
            files_rejected=by_status.count(FileStatus.REJECTED),
            rows_read=sum(item.rows_read for item in self.files),
            rows_loaded=sum(item.rows_loaded for item in self.files),
            rows_quarantined=sum(item.rows_quarantined for item in self.files),
            rows_rejected=sum(item.rows_rejected for item in self.files),
        )

    @property
    def reconciles(self) -> bool:
        """``rows_read == rows_loaded + rows_quarantined`` for every loaded or empty file."""
        return all(item.reconciles for item in self.files)
