"""The benchmark plumbing: subprocess steps with peak RSS, sections, targets, JSON and the doc."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

from benchmarks import machine  # noqa: E402
from benchmarks.context import BenchContext, Landing, measurement_from  # noqa: E402
from benchmarks.harness import StepFailedError, run_step  # noqa: E402
from benchmarks.load_steps import load_bare_duckdb, load_to_sql  # noqa: E402
from benchmarks.model import BenchResults, Measurement, SectionResult, Target  # noqa: E402
from benchmarks.naive_generator import generate_naive  # noqa: E402
from benchmarks.report import render_markdown  # noqa: E402
from benchmarks.run import parse_args, run_benchmarks, run_section, write_results  # noqa: E402
from benchmarks.sections import (  # noqa: E402
    SECTIONS,
    Section,
    UnknownSectionError,
    select_sections,
)
from benchmarks.step import UnknownStepError, resolve_step  # noqa: E402

pytestmark = pytest.mark.unit

COUNTS = {"customers": 6, "products": 3, "orders": 9, "order_items": 14}


def test_step_runs_in_a_subprocess_and_reports_its_peak_rss(tmp_path: Path) -> None:
    outcome = run_step("sleep", {"megabytes": 80, "seconds": 0.05}, scratch=tmp_path)
    assert outcome.result["rows"] == 80 * 1024 * 1024
    assert outcome.result["seconds"] >= 0.05
    assert outcome.wall_seconds >= outcome.result["seconds"]
    assert 80 <= outcome.peak_rss_mb < 400
    assert list(tmp_path.iterdir()) == []  # the result file is cleaned up


def test_a_failing_step_raises(tmp_path: Path) -> None:
    with pytest.raises(StepFailedError, match="step sleep failed"):
        run_step("sleep", {"megabytes": 1, "fail": True}, scratch=tmp_path)


def test_a_step_past_its_timeout_is_killed(tmp_path: Path) -> None:
    with pytest.raises(StepFailedError, match="longer than"):
        run_step("sleep", {"megabytes": 1, "seconds": 30}, scratch=tmp_path, timeout=1.0)


def test_unknown_step_names_the_known_ones() -> None:
    with pytest.raises(UnknownStepError, match="generate_ours"):
        resolve_step("nope")


def test_section_selection() -> None:
    assert select_sections("all") == SECTIONS
    assert [section.key for section in select_sections("load, generator")] == ["generator", "load"]
    with pytest.raises(UnknownSectionError, match="nope"):
        select_sections("generator,nope")


def test_targets_compare_both_ways() -> None:
    assert Target("a", "a", value=1.4, threshold=1.5, comparison="<=").passed
    assert not Target("b", "b", value=1.6, threshold=1.5, comparison="<=").passed
    assert Target("c", "c", value=0.7, threshold=0.7, comparison=">=").passed
    assert not Target("d", "d", value=0.69, threshold=0.7, comparison=">=").passed
    with pytest.raises(ValueError, match="comparison"):
        Target("e", "e", value=1, threshold=1, comparison="<")


def test_machine_reads_cpuinfo_and_meminfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU 9000\n", encoding="utf-8")
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       25165824 kB\nMemFree: 1 kB\n", encoding="utf-8")
    assert machine.cpu_model(cpuinfo) == "Test CPU 9000"
    assert machine.total_ram_gb(meminfo) == pytest.approx(24.0)
    assert machine.package_versions()["duckdb"]


@pytest.fixture(scope="module")
def naive_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate_naive(out, COUNTS, start=date(2024, 1, 1), days=2, seed=1)
    return out


@pytest.mark.parametrize("typed", [False, True])
def test_bare_duckdb_floor_reads_every_row(
    naive_landing: Path, tmp_path: Path, typed: bool
) -> None:
    import duckdb

    path = tmp_path / "floor.duckdb"
    params = {"landing": str(naive_landing), "file_format": "csv", "typed": typed}
    result = load_bare_duckdb({**params, "duckdb_path": str(path)})
    assert result["rows_by_table"] == COUNTS
    assert result["rows"] == sum(COUNTS.values())
    assert result["seconds"] > 0
    with duckdb.connect(str(path), read_only=True) as con:
        types = dict(
            con.execute("select column_name, column_type from (describe orders)").fetchall()
        )
    assert types["order_ts"] == ("TIMESTAMP" if typed else "TIMESTAMP WITH TIME ZONE")
    assert types["shipping_cost"] == ("DECIMAL(18,2)" if typed else "DOUBLE")


def test_to_sql_baseline_loads_every_row_on_duckdb(naive_landing: Path, tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "to_sql.duckdb"
    params = {"target": "duckdb", "landing": str(naive_landing), "duckdb_path": str(path)}
    result = load_to_sql({**params, "budget_seconds": 600})
    assert result["complete"] and result["days_done"] == 2
    assert result["rows"] == sum(COUNTS.values())
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute("select count(*) from order_items").fetchone()
    assert row is not None and row[0] == COUNTS["order_items"]


def test_to_sql_baseline_stops_after_its_budget(naive_landing: Path, tmp_path: Path) -> None:
    params = {"target": "duckdb", "landing": str(naive_landing), "duckdb_path": str(tmp_path / "b")}
    result = load_to_sql({**params, "budget_seconds": 0})
    assert result["days_done"] == 1 and not result["complete"]
    assert 0 < result["rows"] < sum(COUNTS.values())


def _sleep_section(ctx: BenchContext, result: SectionResult) -> None:
    outcome = ctx.run("sleep", {"megabytes": 20, "seconds": 0.01})
    measurement = measurement_from("sleep", "sleep 20 MB", outcome)
    result.measurements.append(measurement)
    result.targets.append(
        Target("mb", "held 20 MiB", value=measurement.peak_rss_mb, threshold=20, comparison=">=")
    )


def _broken_section(ctx: BenchContext, result: SectionResult) -> None:
    result.notes.append("measured before the failure")
    ctx.run("sleep", {"megabytes": 1, "fail": True})


def test_a_failing_section_keeps_what_it_measured(tmp_path: Path) -> None:
    ctx = BenchContext(scale=0.001, workdir=tmp_path / "work")
    result = run_section(Section("broken", "Broken", "fails", _broken_section), ctx)
    assert result.error is not None and "StepFailedError" in result.error
    assert result.notes == ["measured before the failure"]


def test_whole_run_writes_json_and_doc_and_renders_again(tmp_path: Path) -> None:
    argv = [
        "--scale",
        "0.001",
        "--workdir",
        str(tmp_path / "work"),
        "--out",
        str(tmp_path / "bench.md"),
        "--results",
        str(tmp_path / "latest.json"),
        "--pg-admin-dsn",
        "postgresql://postgres@127.0.0.1:1/postgres",  # no server: the version is just unknown
    ]
    args = parse_args(argv)
    sections = [Section("sleep", "Sleep", "A harness check.", _sleep_section)]
    results = run_benchmarks(args, sections, argv)
    write_results(results, args.results, args.out)
    assert not (tmp_path / "work").exists()  # scratch removed
    data = json.loads(args.results.read_text(encoding="utf-8"))
    assert data["sections"][0]["measurements"][0]["peak_rss_mb"] >= 20
    assert data["machine"]["cores"] >= 1 and data["machine"]["cpu_model"]
    first = args.out.read_text(encoding="utf-8")
    assert "## Sleep" in first and "**pass**" in first and "--scale 0.001" in first
    write_results(BenchResults.from_dict(data), args.results, args.out)
    assert args.out.read_text(encoding="utf-8") == first


def test_doc_marks_failures_and_extrapolations() -> None:
    slow = Measurement("naive", "naive", rows=1000, seconds=0.5, peak_rss_mb=50, wall_seconds=1)
    slow.extrapolated, slow.full_rows, slow.full_seconds = True, 1_000_000, 500.0
    section = SectionResult("generator", "Generator", "desc", measurements=[slow])
    section.targets.append(Target("t", "rows/s", value=2000, threshold=1e6, comparison=">="))
    results = BenchResults("python -m benchmarks.run", 1.0, {"cpu_model": "X"}, [section])
    text = render_markdown(results)
    assert "**FAIL**" in text and "extrapolated" in text and "0 of 1 targets pass" in text
    assert BenchResults.from_dict(results.to_dict()).to_dict() == results.to_dict()


def test_loaded_warehouse_is_loaded_once_and_kept(naive_landing: Path, tmp_path: Path) -> None:
    import duckdb

    ctx = BenchContext(scale=0.001, workdir=tmp_path / "work")
    ctx.landings["csv"] = Landing(naive_landing, "csv", dict(COUNTS))
    path = ctx.loaded_warehouse("duckdb")
    assert ctx.loaded_warehouse("duckdb") == path  # not loaded twice
    with duckdb.connect(path, read_only=True) as con:
        row = con.execute("select count(*) from raw.order_items").fetchone()
    assert row is not None and row[0] == COUNTS["order_items"]
