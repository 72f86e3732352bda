"""The CLI end to end, as a user runs it: `ecom generate`, `ecom load`, `ecom run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

ECOM = [sys.executable, "-m", "ecommerce_pipeline"]


def _ecom(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "COLUMNS": "160", **(env or {})}
    return subprocess.run(
        [*ECOM, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = _ecom("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("generate", "load", "transform", "docs", "run"):
        assert command in result.stdout


def test_generate_then_load_reconciles_and_is_idempotent(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    db = tmp_path / "wh.duckdb"
    gen = _ecom(
        "generate",
        "--scale",
        "0.002",
        "--days",
        "30",
        "--out",
        str(landing),
        "--dirty-rate",
        "0.02",
        cwd=tmp_path,
    )
    assert gen.returncode == 0, gen.stderr
    assert "rows/s" in gen.stdout
    assert (landing / "_manifest" / "dirty_manifest.csv").is_file()

    first = _ecom("load", "--landing", str(landing), "--duckdb-path", str(db), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "reconciles" in first.stdout and "NO" not in first.stdout
    assert "quarantined" in first.stdout

    with duckdb.connect(str(db), read_only=True) as con:
        raw_rows = con.execute("select count(*) from raw.orders").fetchone()
        quarantined = con.execute("select count(*) from raw._quarantine").fetchone()
    assert raw_rows is not None and raw_rows[0] > 0
    assert quarantined is not None and quarantined[0] > 0

    second = _ecom("load", "--landing", str(landing), "--duckdb-path", str(db), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "already loaded" in second.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        again = con.execute("select count(*) from raw.orders").fetchone()
    assert again == raw_rows


def test_environment_settings_are_used_and_flags_win(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    env = {"ECOM_LANDING_DIR": str(landing), "ECOM_DUCKDB_PATH": str(tmp_path / "env.duckdb")}
    gen = _ecom("generate", "--scale", "0.001", "--days", "10", cwd=tmp_path, env=env)
    assert gen.returncode == 0, gen.stderr
    assert (landing / "orders").is_dir()
    flag_db = tmp_path / "flag.duckdb"
    load = _ecom("load", "--duckdb-path", str(flag_db), cwd=tmp_path, env=env)
    assert load.returncode == 0, load.stderr
    assert flag_db.is_file()
    assert not (tmp_path / "env.duckdb").exists()


def test_load_of_a_missing_landing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = _ecom(
        "load",
        "--landing",
        str(tmp_path / "nowhere"),
        "--duckdb-path",
        str(tmp_path / "x.duckdb"),
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "nowhere" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
