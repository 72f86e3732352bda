"""`make bench`: run the benchmark sections, write benchmarks/results/latest.json and the doc.

    python -m benchmarks.run [--scale 1.0] [--sections all|generator,load]
        [--out docs/benchmarks.md] [--workdir benchmarks/.work]
        [--results benchmarks/results/latest.json]
    python -m benchmarks.run --render-only     # re-render the doc from the JSON

Exit code 0 when every section ran (targets that fail are reported, not fatal), 1 when a section
failed, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from benchmarks.context import DEFAULT_PG_ADMIN_DSN, BenchContext
from benchmarks.harness import REPO_ROOT, StepFailedError
from benchmarks.machine import describe_machine, load_average
from benchmarks.model import BenchResults, SectionResult
from benchmarks.report import render_markdown
from benchmarks.sections import Section, UnknownSectionError, select_sections

logger = logging.getLogger("benchmarks")

#: Failures a section may hit; the run records them and goes on with the next section.
SECTION_ERRORS = (StepFailedError, psycopg.Error, OSError, KeyError, ValueError, RuntimeError)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scale", type=float, default=1.0, help="generator scale (default 1.0)")
    parser.add_argument("--sections", default="all", help="comma-separated section keys, or all")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"), help="markdown doc")
    parser.add_argument(
        "--workdir", type=Path, default=Path("benchmarks/.work"), help="scratch folder"
    )
    parser.add_argument(
        "--results", type=Path, default=Path("benchmarks/results/latest.json"), help="results JSON"
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
    parser.add_argument(
        "--days", type=int, default=730, help="days of history the generator writes"
    )
    parser.add_argument("--naive-rows", type=int, default=20_000, help="rows of the naive slice")
    parser.add_argument(
        "--to-sql-budget", type=float, default=60.0, help="seconds of to_sql before extrapolating"
    )
    parser.add_argument(
        "--pg-admin-dsn", default=DEFAULT_PG_ADMIN_DSN, help="creates h_bench_* dbs"
    )
    parser.add_argument("--note", default="", help="a note printed at the top of the doc")
    parser.add_argument("--keep-workdir", action="store_true", help="keep generated files")
    parser.add_argument("--render-only", action="store_true", help="re-render --out from --results")
    return parser.parse_args(argv)


def _absolute(path: Path) -> Path:
    return path if path.is_absolute() else Path.cwd() / path


def run_section(section: Section, ctx: BenchContext) -> SectionResult:
    """Run one section; a failure is recorded in the result (the run goes on)."""
    result = section.new_result()
    started = time.perf_counter()
    logger.info("section %s: starting", section.key)
    try:
        section.run(ctx, result)
    except SECTION_ERRORS as exc:
        logger.error("section %s failed: %s", section.key, exc)
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = round(time.perf_counter() - started, 1)
    logger.info("section %s: done in %.0f s", section.key, result.seconds)
    return result


def run_benchmarks(
    args: argparse.Namespace, sections: list[Section], argv: list[str]
) -> BenchResults:
    """Run ``sections`` with the settings in ``args``; databases and scratch files are removed."""
    ctx = BenchContext(
        scale=args.scale,
        workdir=_absolute(args.workdir),
        seed=args.seed,
        days=args.days,
        pg_admin_dsn=args.pg_admin_dsn,
        naive_rows=args.naive_rows,
        to_sql_budget_seconds=args.to_sql_budget,
    )
    results = BenchResults(
        command=shlex.join(["python", "-m", "benchmarks.run", *argv]),
        scale=args.scale,
        machine=describe_machine(args.pg_admin_dsn),
        started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        note=args.note,
    )
    started = time.perf_counter()
    ctx.remove_workdir()
    try:
        for section in sections:
            results.sections.append(run_section(section, ctx))
    finally:
        ctx.drop_all_databases()
        if not args.keep_workdir:
            ctx.remove_workdir()
    results.total_seconds = round(time.perf_counter() - started, 1)
    results.machine["load_average_end"] = load_average()
    return results


def write_results(results: BenchResults, results_path: Path, out: Path) -> None:
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results.to_dict(), indent=2) + "\n", encoding="utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(results), encoding="utf-8")
    logger.info("wrote %s and %s", results_path, out)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    results_path, out = _absolute(args.results), _absolute(args.out)
    if args.render_only:
        data = json.loads(results_path.read_text(encoding="utf-8"))
        write_results(BenchResults.from_dict(data), results_path, out)
        return 0
    try:
        sections = select_sections(args.sections)
    except UnknownSectionError as exc:
        logger.error("%s", exc)
        return 2
    logger.info("benchmarks at scale %s in %s (repository %s)", args.scale, args.workdir, REPO_ROOT)
    results = run_benchmarks(args, sections, argv)
    write_results(results, results_path, out)
    return 1 if any(section.error for section in results.sections) else 0


if __name__ == "__main__":
    sys.exit(main())
