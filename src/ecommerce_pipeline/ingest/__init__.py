"""Landing -> raw: the file loader, quarantine and load log (see :func:`load_landing`)."""

from ecommerce_pipeline.ingest.errors import (
    FileRejectedError,
    LandingNotFoundError,
    LoadError,
    LoadInProgressError,
    UnknownTableError,
)
from ecommerce_pipeline.ingest.loader import load_landing
from ecommerce_pipeline.ingest.report import FileLoadResult, LoadReport, LoadTotals

__all__ = [
    "FileLoadResult",
    "FileRejectedError",
    "LandingNotFoundError",
    "LoadError",
    "LoadInProgressError",
    "LoadReport",
    "LoadTotals",
    "UnknownTableError",
    "load_landing",
]
