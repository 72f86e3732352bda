"""Gather the checks of a run: dbt results (run_results.json + manifest) and the loader's figures.

dbt: every test and unit test becomes a check (``dbt_test`` / ``unit_test``), every model,
snapshot and seed a ``dbt_model`` check plus a :class:`ModelRun` (its execution time). A test's
``model`` is the node it is attached to (else the first model it depends on); its failing rows are
the ``store_failures`` relation when the test stores failures, else the compiled SQL file.

Loader (``raw._load_log`` of the business day): per table a ``quarantine`` check (rows sent to
``raw._quarantine``, with the top reasons) and a ``reconciliation`` check (rows read = rows
loaded + rows quarantined).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from ecommerce_pipeline.contract import CORE_TABLES
from ecommerce_pipeline.quality.results import CheckResult, ModelRun
from ecommerce_pipeline.quality.store import Session

logger = logging.getLogger(__name__)

#: dbt node status -> check status.
DBT_STATUS = {
    "success": "pass",
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "error": "error",
    "runtime error": "error",
    "skipped": "skipped",
    "no-op": "pass",
}
BUILD_NODES = ("model", "snapshot", "seed")
#: Share of a day's rows quarantined above which the quarantine check fails (else warns).
QUARANTINE_FAIL_RATE = 0.05


def _read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _node_name(unique_id: str) -> str:
    return unique_id.split(".")[-1]


def _test_model(node: dict[str, Any]) -> str:
    attached = node.get("attached_node")
    if attached:
        return _node_name(str(attached))
    for parent in node.get("depends_on", {}).get("nodes", []):
        if str(parent).startswith(("model.", "snapshot.")):
            return _node_name(str(parent))
    return ""


def _test_link(node: dict[str, Any]) -> str | None:
    config = node.get("config", {})
    if config.get("store_failures") and node.get("relation_name"):
        return str(node["relation_name"])
    path = node.get("compiled_path")
    return str(path) if path else None


def dbt_checks(artifacts: Path) -> tuple[list[CheckResult], list[ModelRun]]:
    """Checks and node timings of the last dbt invocation whose artifacts are in ``artifacts``.

    Returns empty lists (and logs a warning) when there is no ``run_results.json``.
    """
    run_results_path = artifacts / "run_results.json"
    if not run_results_path.is_file():
        logger.warning("no dbt run_results.json in %s: dbt checks not recorded", artifacts)
        return [], []
    run_results = _read_json(run_results_path)
    manifest_path = artifacts / "manifest.json"
    manifest = _read_json(manifest_path) if manifest_path.is_file() else {}
    nodes: dict[str, Any] = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    checks: list[CheckResult] = []
    model_runs: list[ModelRun] = []
    for result in run_results.get("results", []):
        unique_id = str(result["unique_id"])
        resource_type = unique_id.split(".")[0]
        node = nodes.get(unique_id, {})
        status = DBT_STATUS.get(str(result.get("status")), "error")
        message = str(result.get("message") or "")
        if resource_type in BUILD_NODES:
            elapsed = float(result.get("execution_time") or 0.0)
            name = _node_name(unique_id)
            model_runs.append(
                ModelRun(unique_id, name, resource_type, str(result.get("status")), elapsed)
            )
            checks.append(
                CheckResult(
                    check_name=f"dbt_{resource_type}_build",
                    check_type="dbt_model",
                    model=name,
                    status=status,
                    failures=0 if status in ("pass", "skipped") else 1,
                    severity="error",
                    message=message,
                    details={"execution_time": elapsed},
                )
            )
        elif resource_type == "test":
            config = node.get("config", {})
            checks.append(
                CheckResult(
                    check_name=_node_name(unique_id),
                    check_type="dbt_test",
                    model=_test_model(node),
                    status=status,
                    failures=int(result.get("failures") or 0),
                    severity=str(config.get("severity", "error")).lower(),
                    message=message,
                    failing_rows=_test_link(node),
                )
            )
        elif resource_type == "unit_test":
            checks.append(
                CheckResult(
                    check_name=_node_name(unique_id),
                    check_type="unit_test",
                    model=str(node.get("model") or unique_id.split(".")[-2]),
                    status=status,
                    failures=int(result.get("failures") or 0),
                    severity="error",
                    message=message,
                    failing_rows=str(node.get("original_file_path") or "") or None,
                )
            )
    return checks, model_runs


def _quarantine_reasons(db: Session, table: str, day: date) -> list[tuple[str, int]]:
    rows = db.fetch(
        "select reason, count(*) from raw._quarantine where table_name = %s and file_day = %s "
        "group by reason order by count(*) desc, reason",
        (table, day),
    )
    return [(str(reason), int(count)) for reason, count in rows]


def load_checks(db: Session, day: date) -> list[CheckResult]:
    """Quarantine and reconciliation checks of the files of business day ``day`` per table."""
    if not db.table_exists("raw", "_load_log"):
        return []
    figures = {
        str(table): (int(files), int(read), int(loaded), int(quarantined))
        for table, files, read, loaded, quarantined in db.fetch(
            "select table_name, count(*), coalesce(sum(rows_read), 0), "
            "coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0) "
            "from raw._load_log where file_day = %s group by table_name",
            (day,),
        )
    }
    checks: list[CheckResult] = []
    for table in sorted(set(CORE_TABLES) | set(figures)):
        if table not in figures:
            continue  # the table had no files that day (optional sources, partial loads)
        files, read, loaded, quarantined = figures[table]
        checks.append(_quarantine_check(db, table, day, read, quarantined))
        balanced = read == loaded + quarantined
        checks.append(
            CheckResult(
                check_name="rows_reconcile",
                check_type="reconciliation",
                model=f"raw.{table}",
                status="pass" if balanced else "fail",
                failures=abs(read - loaded - quarantined),
                severity="error",
                message=(
                    f"{files} files of {day}: {read} rows read = {loaded} loaded + "
                    f"{quarantined} quarantined"
                    if balanced
                    else f"{files} files of {day}: {read} rows read but {loaded} loaded + "
                    f"{quarantined} quarantined"
                ),
                failing_rows=(
                    f"select * from raw._load_log where table_name = '{table}' "
                    f"and file_day = '{day.isoformat()}'"
                ),
                observed=float(loaded + quarantined),
                expected=float(read),
                checked_day=day,
            )
        )
    return checks


def _quarantine_check(
    db: Session, table: str, day: date, read: int, quarantined: int
) -> CheckResult:
    rate = quarantined / read if read else 0.0
    reasons = _quarantine_reasons(db, table, day) if quarantined else []
    status = "pass"
    if quarantined:
        status = "fail" if rate > QUARANTINE_FAIL_RATE else "warn"
    top = ", ".join(f"{reason} {count}" for reason, count in reasons[:3])
    return CheckResult(
        check_name="rows_quarantined",
        check_type="quarantine",
        model=f"raw.{table}",
        status=status,
        failures=quarantined,
        severity="warn" if status != "fail" else "error",
        message=(
            f"{quarantined} of {read} rows of {day} quarantined ({rate:.1%})"
            + (f": {top}" if top else "")
        ),
        failing_rows=(
            f"select * from raw._quarantine where table_name = '{table}' "
            f"and file_day = '{day.isoformat()}'"
        ),
        observed=rate,
        expected=0.0,
        checked_day=day,
        details={"reasons": dict(Counter(dict(reasons)))},
    )
