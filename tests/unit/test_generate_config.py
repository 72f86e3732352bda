"""Generator flags: validation with actionable messages, run sizes, the public API's shape."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from ecommerce_pipeline import generate as generate_package
from ecommerce_pipeline.generate import (
    GenerateResult,
    GeneratorConfig,
    GeneratorConfigError,
    generate,
)
from ecommerce_pipeline.generate.config import Sizes

pytestmark = pytest.mark.unit


def test_public_api_has_the_agreed_fields() -> None:
    assert set(generate_package.__all__) == {
        "GenerateResult",
        "GeneratorConfig",
        "GeneratorConfigError",
        "generate",
    }
    config_fields = {field.name: field.default for field in dataclasses.fields(GeneratorConfig)}
    assert config_fields == {
        "out": dataclasses.MISSING,
        "scale": 1.0,
        "start": date(2024, 1, 1),
        "days": 730,
        "seed": 42,
        "file_format": "csv",
        "dirty_rate": 0.0,
        "progress": False,
        "volume_drop_day": None,
        "volume_drop_keep": 0.3,
        "revenue_spike_day": None,
        "revenue_spike_factor": 5.0,
        "bad_rows_day": None,
        "bad_rows_rate": 0.3,
    }
    result_fields = [field.name for field in dataclasses.fields(GenerateResult)]
    assert result_fields == ["out", "rows", "files", "seconds", "manifest"]


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"scale": 0}, "--scale"),
        ({"scale": -1.5}, "--scale"),
        ({"days": 0}, "--days"),
        ({"file_format": "json"}, "--format"),
        ({"dirty_rate": -0.1}, "--dirty-rate"),
        ({"dirty_rate": 0.51}, "--dirty-rate"),
        ({"seed": -3}, "--seed"),
    ],
)
def test_invalid_flags_raise_a_clear_error(
    tmp_path: Path, changes: dict[str, object], flag: str
) -> None:
    config = dataclasses.replace(GeneratorConfig(out=tmp_path / "landing"), **changes)
    with pytest.raises(GeneratorConfigError) as error:
        generate(config)
    message = str(error.value)
    assert flag in message
    assert repr(next(iter(changes.values()))) in message
    assert not (tmp_path / "landing").exists(), "nothing is written for an invalid flag"


def test_out_must_not_be_a_file(tmp_path: Path) -> None:
    target = tmp_path / "landing"
    target.write_text("not a folder")
    with pytest.raises(GeneratorConfigError, match="is a file"):
        generate(GeneratorConfig(out=target, scale=0.01, days=5))


def test_boundary_values_are_accepted() -> None:
    GeneratorConfig(out=Path("x"), dirty_rate=0.5, days=1, scale=0.001).validate()
    GeneratorConfig(out=Path("x"), dirty_rate=0.0, file_format="parquet").validate()


def test_scale_one_is_the_documented_size() -> None:
    sizes = Sizes.of(GeneratorConfig(out=Path("x")))
    assert (sizes.customers, sizes.products, sizes.orders) == (100_000, 10_000, 1_000_000)


def test_customers_and_orders_follow_the_days_products_do_not() -> None:
    sizes = Sizes.of(GeneratorConfig(out=Path("x"), scale=2.0, days=365))
    assert (sizes.customers, sizes.products, sizes.orders) == (100_000, 20_000, 1_000_000)
    tiny = Sizes.of(GeneratorConfig(out=Path("x"), scale=0.0001, days=10))
    assert tiny.products >= 200 and tiny.customers >= 20 and tiny.orders >= 1
