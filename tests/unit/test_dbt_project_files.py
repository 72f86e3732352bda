"""Generated files of the dbt project stay in step with their sources."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from ecommerce_pipeline import contract
from ecommerce_pipeline.transform import PROJECT_DIR

pytestmark = pytest.mark.unit


def _script(name: str) -> ModuleType:
    path = PROJECT_DIR / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"dbt_script_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_contract_macros_and_sources_are_generated_from_contract_py() -> None:
    sync = _script("sync_contract_macros")

    assert sync.OUTPUT.read_text(encoding="utf-8") == sync.render(), (
        "transform/macros/contract/contract_generated.sql is stale: run "
        "transform/scripts/sync_contract_macros.py"
    )
    assert sync.SOURCES_OUTPUT.read_text(encoding="utf-8") == sync.render_sources(), (
        "transform/models/staging/_raw__sources.yml is stale: run "
        "transform/scripts/sync_contract_macros.py"
    )


def test_contract_macros_hold_every_enum_of_the_contract() -> None:
    text = (PROJECT_DIR / "macros" / "contract" / "contract_generated.sql").read_text()

    for table in contract.TABLES.values():
        for column in table.columns:
            if column.enum:
                listed = ", ".join(f"'{value}'" for value in column.enum)
                assert f"'{table.name}.{column.name}': [{listed}]" in text


def test_holiday_seed_covers_every_country_and_year() -> None:
    holidays_script = _script("make_holidays_seed")
    path: Path = holidays_script.OUTPUT
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert rows, f"{path} is empty: run transform/scripts/make_holidays_seed.py"
    countries = Counter(row["country_code"] for row in rows)
    assert set(countries) == set(holidays_script.COUNTRIES)
    years = {row["holiday_date"][:4] for row in rows}
    assert years == {str(year) for year in holidays_script.YEARS}
    christmas = {row["country_code"] for row in rows if row["holiday_date"] == "2024-12-25"}
    assert christmas == set(holidays_script.COUNTRIES)
    assert len({tuple(row.values()) for row in rows}) == len(rows)
