"""Render a benchmark run (benchmarks/results/latest.json) as docs/benchmarks.md."""

from __future__ import annotations

from benchmarks.model import BenchResults, Measurement, SectionResult, Target

METHOD = """\
## How the figures are measured

- Every timed step runs in a fresh Python subprocess (`python -m benchmarks.step NAME ...`).
  **Seconds** is the step's timed region (interpreter start-up and imports excluded);
  **rows/s** = rows / seconds. **Peak RSS** is the subprocess's own high-water mark (`VmHWM`,
  read by the step itself as it ends; `ru_maxrss` from `wait4` would include the harness's
  resident set, inherited at fork), so it is that step's own peak, not the harness's.
  **Files (MiB)** is the size of the landing files the step wrote or read.
- Each load goes into a fresh DuckDB file or a fresh PostgreSQL database (`h_bench_*`), removed
  afterwards. The landing folders are generated once per run (by the generator section) and shared.
- Baselines that would take minutes run on a slice and are extrapolated at the same rows/s
  (marked *extrapolated*, with the slice in the note): the naive generator on a slice with the same
  table mix and the same rows per day file; pandas `to_sql` on whole days taken in a seeded shuffled
  order until a time budget is spent.
- The machine is shared and small: figures move by 10-30 % between runs when anything else runs.
  The load average at the start and end of the run is recorded above.
"""


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _machine_table(results: BenchResults) -> list[str]:
    machine = results.machine
    packages = machine.get("packages", {})
    package_list = ", ".join(
        f"{name} {version}" for name, version in packages.items() if version is not None
    )
    missing = [name for name, version in packages.items() if version is None]
    rows = [
        ("Date", machine.get("date")),
        ("CPU", f"{machine.get('cpu_model')} ({machine.get('cores')} cores)"),
        ("RAM", f"{machine.get('ram_gb')} GiB"),
        ("OS", machine.get("os")),
        ("Python", machine.get("python")),
        ("DuckDB", packages.get("duckdb")),
        ("PostgreSQL", machine.get("postgresql")),
        ("Packages", package_list + (f" (not installed: {', '.join(missing)})" if missing else "")),
        (
            "Load average (1/5/15 min)",
            f"start {machine.get('load_average_start')}, end {machine.get('load_average_end')}",
        ),
    ]
    return ["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]


def _measurement_row(measurement: Measurement) -> str:
    seconds = _number(measurement.seconds, 2)
    if measurement.extrapolated:
        seconds += f" (full: ~{_number(measurement.full_seconds)} s, extrapolated)"
    return (
        f"| {measurement.label} | {_number(measurement.rows)} | {seconds} "
        f"| {_number(measurement.rows_per_second)} | {_number(measurement.peak_rss_mb)} "
        f"| {_number(measurement.megabytes)} | {measurement.note} |"
    )


def _target_row(target: Target) -> str:
    unit = f" {target.unit}" if target.unit and target.unit != "x" else target.unit
    value = _number(target.value, 2 if abs(target.value) < 100 else 0)
    threshold = _number(target.threshold, 2 if abs(target.threshold) < 100 else 0)
    verdict = "**pass**" if target.passed else "**FAIL**"
    wanted = f"{target.comparison} {threshold}{unit}"
    return f"| {target.description} | {value}{unit} | {wanted} | {verdict} |"


def _section(section: SectionResult) -> list[str]:
    lines = [f"## {section.title}", "", section.description, ""]
    if section.error:
        lines += [f"**The section failed:** {section.error}", ""]
    if section.measurements:
        lines += [
            "| Step | Rows | Seconds | Rows/s | Peak RSS (MiB) | Files (MiB) | Note |",
            "|---|---:|---:|---:|---:|---:|---|",
            *(_measurement_row(measurement) for measurement in section.measurements),
            "",
        ]
    if section.targets:
        lines += [
            "| Target | Measured | Threshold | Result |",
            "|---|---:|---:|---|",
            *(_target_row(target) for target in section.targets),
            "",
        ]
    if section.ratios:
        lines += [
            f"- {ratio.description}: **{_number(ratio.value, 1)}{ratio.unit}**"
            for ratio in section.ratios
        ]
        lines.append("")
    lines += [f"- {note}" for note in section.notes]
    if section.notes:
        lines.append("")
    lines += [f"Section time: {_number(section.seconds, 0)} s.", ""]
    return lines


def _summary(results: BenchResults) -> list[str]:
    targets = [target for section in results.sections for target in section.targets]
    failed = [target for target in targets if not target.passed]
    errors = [section.key for section in results.sections if section.error]
    line = f"{len(targets) - len(failed)} of {len(targets)} targets pass"
    if failed:
        line += "; failing: " + "; ".join(target.description for target in failed)
    if errors:
        line += f"; sections that failed: {', '.join(errors)}"
    return [f"**Summary:** {line}.", ""]


def render_markdown(results: BenchResults) -> str:
    """The whole docs/benchmarks.md text for a run."""
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m benchmarks.run`) from "
        "`benchmarks/results/latest.json`; regenerate the page from the JSON with "
        "`python -m benchmarks.run --render-only`. Do not edit by hand.",
        "",
        f"Command: `{results.command}` (scale {results.scale:g}; whole run "
        f"{_number(results.total_seconds)} s, started {results.started_at}).",
        "",
        *([f"> {results.note}", ""] if results.note else []),
        *_summary(results),
        "## Machine",
        "",
        *_machine_table(results),
        "",
    ]
    for section in results.sections:
        lines += _section(section)
    lines.append(METHOD)
    return "\n".join(lines).rstrip() + "\n"
