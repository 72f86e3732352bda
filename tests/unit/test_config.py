"""Settings: defaults, the ECOM_ environment prefix, and CLI flags overriding settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecommerce_pipeline.cli_options import settings_with
from ecommerce_pipeline.config import Settings, Target, get_settings

pytestmark = pytest.mark.unit


def test_defaults_match_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ECOM_TARGET", "ECOM_DUCKDB_PATH", "ECOM_POSTGRES_DSN", "ECOM_LANDING_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.target is Target.DUCKDB
    assert settings.duckdb_path == Path("warehouse/ecommerce.duckdb")
    assert settings.postgres_dsn == "postgresql://postgres@127.0.0.1:5432/ecommerce_dw"
    assert settings.landing_dir == Path("data/landing")


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_TARGET", "postgres")
    monkeypatch.setenv("ECOM_LANDING_DIR", "/tmp/elsewhere")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.target is Target.POSTGRES
    assert settings.landing_dir == Path("/tmp/elsewhere")


def test_invalid_target_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_TARGET", "oracle")
    with pytest.raises(ValueError, match="target"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_cli_flags_override_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_TARGET", "postgres")
    get_settings.cache_clear()
    try:
        settings = settings_with(target=Target.DUCKDB, landing_dir=Path("x"), duckdb_path=None)
        assert settings.target is Target.DUCKDB
        assert settings.landing_dir == Path("x")
        assert settings.duckdb_path == Path("warehouse/ecommerce.duckdb")  # not given: kept
    finally:
        get_settings.cache_clear()
