"""Generator section: rows/s of ``generate`` (CSV and Parquet) against the naive Faker generator."""

from __future__ import annotations

from benchmarks.context import BenchContext, Landing, extrapolate, measurement_from
from benchmarks.landing import day_folders, landing_tables
from benchmarks.model import Measurement, Ratio, SectionResult, Target
from ecommerce_pipeline.contract import CORE_TABLES

GENERATOR_DESCRIPTION = (
    "Rows per second of `ecommerce_pipeline.generate.generate` writing a fresh landing folder, "
    "against a naive per-row generator (benchmarks/naive_generator.py: Python loops, one Faker "
    "call per field, `csv.DictWriter.writerow` per row; same four tables, same columns, same "
    "layout), "
    "the way typical tutorial generators work."
)
TARGET_ROWS_PER_SECOND = 1_000_000


def naive_slice_plan(
    rows_by_table: dict[str, int], slice_rows: int, days: int
) -> tuple[dict[str, int], int]:
    """Counts per core table and days for a naive slice of about ``slice_rows`` rows.

    The slice keeps the table mix of the real run and its rows per day file (so per-file overhead
    weighs the same): it covers ``days * slice_rows / total`` days, at least one.
    """
    core = {table: rows_by_table.get(table, 0) for table in CORE_TABLES}
    total = sum(core.values())
    if total <= 0:
        raise ValueError(
            f"the generator wrote no core-table rows ({rows_by_table}); nothing to compare"
        )
    fraction = min(1.0, slice_rows / total)
    counts = {table: max(1, round(count * fraction)) for table, count in core.items()}
    return counts, max(1, round(days * fraction))


def _measure_ours(ctx: BenchContext, result: SectionResult, file_format: str) -> Measurement:
    out = ctx.path("landing", file_format)
    outcome = ctx.run("generate_ours", ctx.generator_params(out, file_format))
    ctx.remember_landing(out, file_format, outcome.result)
    measurement = measurement_from(
        f"ours_{file_format}", f"ours, {file_format} (scale {ctx.scale:g})", outcome
    )
    result.measurements.append(measurement)
    result.targets.append(
        Target(
            key=f"ours_{file_format}_rows_per_second",
            description=f"ours, {file_format}: rows/s",
            value=round(measurement.rows_per_second),
            threshold=TARGET_ROWS_PER_SECOND,
            comparison=">=",
            unit="rows/s",
        )
    )
    return measurement


def _landing_days(landing: Landing) -> int:
    """How many distinct day folders the landing folder holds (over all tables)."""
    return len(
        {
            folder.name
            for table in landing_tables(landing.path)
            for folder in day_folders(landing.path, table)
        }
    )


def _measure_naive(ctx: BenchContext, result: SectionResult, landing: Landing) -> Measurement:
    days_written = _landing_days(landing) or ctx.days
    counts, days = naive_slice_plan(landing.rows_by_table, ctx.naive_rows, days_written)
    params = {
        "out": str(ctx.path("naive")),
        "counts": counts,
        "start": ctx.start.isoformat(),
        "days": days,
        "seed": ctx.seed,
    }
    outcome = ctx.run("generate_naive", params)
    measurement = measurement_from(
        "naive_csv",
        "naive per-row Faker, csv",
        outcome,
        note=f"slice of {sum(counts.values()):,} rows over {days} day(s), extrapolated",
        slice_days=days,
    )
    result.measurements.append(extrapolate(measurement, landing.rows))
    return measurement


def run_generator_section(ctx: BenchContext, result: SectionResult) -> None:
    """Time ours in CSV and Parquet, then the naive generator on a slice, and compare."""
    ours_csv = _measure_ours(ctx, result, "csv")
    ours_parquet = _measure_ours(ctx, result, "parquet")
    naive = _measure_naive(ctx, result, ctx.landing("csv"))
    for ours in (ours_csv, ours_parquet):
        result.ratios.append(
            Ratio(
                description=f"{ours.label} vs the naive generator (rows/s ratio, ours / naive)",
                value=round(ours.rows_per_second / naive.rows_per_second, 1),
            )
        )
    result.notes.append(
        f"The naive generator ran on a slice of {naive.rows:,} rows with the same table mix and "
        f"the same rows per day file as ours, and is extrapolated to ours' {ours_csv.rows:,} rows: "
        f"about {naive.full_seconds:,.0f} s instead of ours' {ours_csv.seconds:,.1f} s."
    )
