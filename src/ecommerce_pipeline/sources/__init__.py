"""Source adapters: every source writes the landing format of the contract.

Live sources (incremental, with persisted high-water marks in ``<landing>/_state/``):
:mod:`.db_extract` (the shop's OLTP database, schema in :mod:`.oltp_schema`, demo data from
:mod:`.oltp_writer`) and :mod:`.api_extract` (the REST API of :mod:`.source_api`). Imports:
:mod:`.olist`, :mod:`.online_retail` and any export through a declarative :mod:`.mapping`.
All of them write through :mod:`.landing_writer`.

:func:`extract_for_day` is what the DAG calls: it brings one business day's data into the
landing folder from the source the settings name (``ECOM_SOURCE``).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from ecommerce_pipeline.errors import UserError

if TYPE_CHECKING:
    from ecommerce_pipeline.config import Settings
    from ecommerce_pipeline.sources.incremental import ExtractReport

logger = logging.getLogger(__name__)


class SourceKind(StrEnum):
    """Where a day's data comes from (``ECOM_SOURCE``)."""

    FILES = "files"
    DATABASE = "database"
    API = "api"


class SourceConfigError(UserError):
    """The settings do not say enough to reach the chosen source."""


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` (UTC): the exclusive bound of a day's extraction."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def source_kind(settings: Settings) -> SourceKind:
    try:
        return SourceKind(settings.source)
    except ValueError as exc:
        raise SourceConfigError(
            f"ECOM_SOURCE={settings.source!r} is not a source: use files, database or api"
        ) from exc


def extract_for_day(settings: Settings, day: date) -> ExtractReport | None:
    """Bring the changes up to the end of ``day`` into the landing folder; None for files.

    Incremental and idempotent: each table resumes after its persisted mark, so running it
    for the same day again (or after a crash) writes nothing twice; a day skipped is caught
    up by the next run (every change before the bound is extracted).
    """
    kind = source_kind(settings)
    if kind == SourceKind.FILES:
        logger.info("source files: the landing folder is used as it is")
        return None
    if kind == SourceKind.DATABASE:
        from ecommerce_pipeline.sources.db_extract import extract_db

        if not settings.source_db_url:
            raise SourceConfigError("ECOM_SOURCE=database needs ECOM_SOURCE_DB_URL")
        return extract_db(settings.source_db_url, settings.landing_dir, before=end_of_day(day))
    from ecommerce_pipeline.sources.api_extract import extract_api, make_client

    if not settings.source_api_url or not settings.source_api_token:
        raise SourceConfigError(
            "ECOM_SOURCE=api needs ECOM_SOURCE_API_URL and ECOM_SOURCE_API_TOKEN"
        )
    with make_client(settings.source_api_url, settings.source_api_token) as client:
        report, _ = extract_api(client, settings.landing_dir, before=end_of_day(day))
    return report
