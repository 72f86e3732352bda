"""Airflow test support: one private AIRFLOW_HOME per test process, set before Airflow loads.

Airflow reads its configuration when it is first imported, so the test modules call
:func:`airflow_home` at import time (pytest imports every test module before running any test),
before they import anything from Airflow. The metadata DB is SQLite in that folder, migrated once
(:func:`migrated_metadata_db`); dbt manifests are parsed once per target (:func:`dbt_manifest`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.orchestration import TELEMETRY_OFF

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGS_FOLDER = REPO_ROOT / "dags"
DAG_FILE = DAGS_FOLDER / "ecommerce_etl_pipeline.py"

_home: Path | None = None
_migrated = False
_manifests: dict[str, Path] = {}


def airflow_environment(home: Path) -> dict[str, str]:
    """The variables that point Airflow (and Cosmos) at ``home`` and the repository's dags/."""
    return {
        **TELEMETRY_OFF,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }


def airflow_home() -> Path:
    """This process's AIRFLOW_HOME (a temporary folder), exported before Airflow is imported."""
    global _home
    if _home is None:
        if "airflow" in sys.modules and not os.environ.get("AIRFLOW_HOME", "").startswith(
            tempfile.gettempdir()
        ):
            raise RuntimeError(
                "Airflow was imported before tests/airflow_support.py set AIRFLOW_HOME: import "
                "this module first in every test module that uses Airflow"
            )
        _home = Path(tempfile.mkdtemp(prefix="ecom-airflow-"))
        os.environ.update(airflow_environment(_home))
        atexit.register(shutil.rmtree, _home, ignore_errors=True)
    return _home


def migrated_metadata_db() -> Path:
    """Migrate the SQLite metadata DB of :func:`airflow_home` once per process."""
    global _migrated
    home = airflow_home()
    if not _migrated:
        airflow = Path(sys.executable).parent / "airflow"
        done = subprocess.run(
            [str(airflow), "db", "migrate"],
            env={**os.environ, **airflow_environment(home)},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{done.stdout}\n{done.stderr}")
        _migrated = True
    return home


def dbt_manifest(settings: Settings) -> Path:
    """The dbt manifest of the settings' target, parsed once per process into AIRFLOW_HOME."""
    from ecommerce_pipeline import transform

    key = settings.target.value
    if key not in _manifests:
        folder = airflow_home() / "dbt" / key
        _manifests[key] = transform.parse(settings, target_dir=folder)
    return _manifests[key]
