"""Find the files of a landing folder (``<landing>/<table>/<YYYY-MM-DD>/*.csv|*.parquet``)."""

from __future__ import annotations

from pathlib import Path

from ecommerce_pipeline.contract import TABLES


def landing_tables(landing: Path) -> list[str]:
    """The contract tables that have a folder in ``landing``, in contract (load) order."""
    return [table for table in TABLES if (landing / table).is_dir()]


def day_folders(landing: Path, table: str) -> list[Path]:
    """The day folders of one table (names not starting with ``_``), sorted."""
    return sorted(
        path
        for path in (landing / table).iterdir()
        if path.is_dir() and not path.name.startswith("_")
    )


def table_files(landing: Path, table: str, file_format: str) -> list[Path]:
    """Every landing file of one table in one format, sorted by day then name."""
    return [
        path
        for folder in day_folders(landing, table)
        for path in sorted(folder.glob(f"*.{file_format}"))
        if not path.name.startswith("_")
    ]


def table_glob(landing: Path, table: str, file_format: str) -> str:
    """The glob DuckDB reads for one table: ``<landing>/<table>/*/*.<format>``."""
    return str(landing / table / "*" / f"*.{file_format}")


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
