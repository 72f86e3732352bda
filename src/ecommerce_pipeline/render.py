"""Rich tables for the CLI: how a generate, load or run result looks in a terminal."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from ecommerce_pipeline.contract import FileStatus

if TYPE_CHECKING:
    from ecommerce_pipeline.generate import GenerateResult
    from ecommerce_pipeline.ingest import LoadReport
    from ecommerce_pipeline.pipeline import Summary
    from ecommerce_pipeline.transform import TransformResult

#: At most this many problem files are listed one by one after a load.
MAX_PROBLEM_FILES = 20


def print_generate_result(console: Console, result: GenerateResult) -> None:
    """Rows per table of a generator run, its speed and where the files are."""
    table = Table(title=f"Generated landing files in {result.out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result.rows.items():
        table.add_row(name, f"{rows:,}")
    total = sum(result.rows.values())
    rate = total / result.seconds if result.seconds > 0 else 0.0
    table.add_row("[bold]total", f"[bold]{total:,}")
    console.print(table)
    console.print(
        f"{result.files:,} files in {result.seconds:.1f} s ({rate:,.0f} rows/s)"
        + (f"; dirty manifest: {result.manifest}" if result.manifest else "")
    )


def print_load_report(console: Console, report: LoadReport) -> None:
    """Reconciliation per table (read = loaded + quarantined), then every problem file."""
    per_table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for item in report.files:
        counts = per_table[item.table]
        counts[0] += 1
        counts[1] += item.rows_read
        counts[2] += item.rows_loaded
        counts[3] += item.rows_quarantined
        counts[4] += item.rows_rejected
    table = Table(title=f"Load {report.batch_id} into {report.target}")
    for header in ("table", "files", "rows read", "loaded", "quarantined", "in rejected files"):
        table.add_column(header, justify="left" if header == "table" else "right")
    table.add_column("reconciles")
    for name, (files, read, loaded, quarantined, rejected) in per_table.items():
        ok = read == loaded + quarantined + rejected
        table.add_row(
            name,
            f"{files:,}",
            f"{read:,}",
            f"{loaded:,}",
            f"{quarantined:,}",
            f"{rejected:,}",
            "[green]yes" if ok else "[red]NO",
        )
    console.print(table)
    if report.skipped_files:
        console.print(f"{len(report.skipped_files):,} files already loaded: skipped (idempotent).")
    problems = [
        item for item in report.files if item.status != FileStatus.LOADED or item.rows_quarantined
    ]
    if problems:
        listing = Table(title="Files with quarantined records, empty or rejected")
        for header in ("status", "file", "quarantined", "message"):
            listing.add_column(header, justify="right" if header == "quarantined" else "left")
        for item in problems[:MAX_PROBLEM_FILES]:
            colour = "red" if item.status == FileStatus.REJECTED else "yellow"
            message = item.message.removeprefix(f"{item.source_file}: ")
            listing.add_row(
                f"[{colour}]{item.status}", item.source_file, f"{item.rows_quarantined:,}", message
            )
        console.print(listing)
        if len(problems) > MAX_PROBLEM_FILES:
            console.print(f"... and {len(problems) - MAX_PROBLEM_FILES} more (see raw._load_log)")
    for warning in report.warnings:
        console.print(f"[yellow]warning[/] {warning}")
    if report.totals.rows_quarantined:
        console.print(
            f"{report.totals.rows_quarantined:,} records quarantined: see raw._quarantine "
            "(file, line, column, reason, original text)."
        )


def print_transform_result(console: Console, result: TransformResult) -> None:
    """dbt outcome: counts by status and every failure."""
    counts: dict[str, int] = defaultdict(int)
    for node in result.results:
        counts[f"{node.resource_type} {node.status}"] += 1
    summary = ", ".join(f"{count} {label}" for label, count in sorted(counts.items()))
    colour = "green" if result.success else "red"
    console.print(f"[{colour}]dbt {result.command}[/] in {result.elapsed:.1f} s: {summary}")
    for failure in result.failures:
        console.print(f"[red]failed[/] {failure}")


def print_summary(console: Console, summary: Summary, location: str) -> None:
    """Headline figures of the marts and where they are."""
    table = Table(title="Pipeline summary")
    table.add_column("metric")
    table.add_column("value", justify="right")
    period = f"{summary.first_day} .. {summary.last_day}" if summary.first_day else "-"
    table.add_row("orders period", period)
    table.add_row("net revenue", f"{summary.net_revenue:,.2f}")
    table.add_row("revenue orders", f"{summary.revenue_orders:,}")
    table.add_row("customers (with a revenue order)", f"{summary.customers:,}")
    for segment, count in summary.top_segments:
        table.add_row(f"segment: {segment}", f"{count:,}")
    table.add_row("failed tests", f"{summary.failed_tests:,}")
    console.print(table)
    console.print(f"Results: {location}")
