"""``ecom extract api --base-url URL --token T``: incremental extraction from the source API.

Pages through ``GET /v1/changes/{table}`` with httpx; retries are tenacity's: a ``429`` waits the
``Retry-After`` the server asked for (seconds or an HTTP date, capped), a ``5xx`` or a transport
error waits an exponential backoff with jitter; after ``max_attempts`` the run stops with a clear
error and the marks of the pages already written stay, so the next run resumes from its persisted
cursor (``<landing>/_state/api.json``). Page files and marks follow :mod:`.incremental`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from ecommerce_pipeline.errors import UserError
from ecommerce_pipeline.sources import incremental
from ecommerce_pipeline.sources.oltp_schema import EXTRA_COLUMNS, EXTRACT_TABLES

logger = logging.getLogger(__name__)

SOURCE = "api"
DEFAULT_PAGE_SIZE = 500
MAX_RETRY_AFTER_SECONDS = 300.0


class SourceApiError(UserError):
    """The source API refused the request or stayed unavailable after every retry."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry: attempts per request and the exponential backoff for 5xx."""

    max_attempts: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0


class _RetryableError(Exception):
    """A response worth retrying (429 or 5xx), with the wait the server asked for."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    reference = now or datetime.now(UTC)
    return min(max((when - reference).total_seconds(), 0.0), MAX_RETRY_AFTER_SECONDS)


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, _RetryableError | httpx.TransportError)


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_random_exponential(multiplier=policy.backoff_initial, max=policy.backoff_max)

    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _RetryableError) and error.retry_after is not None:
            return error.retry_after
        return float(backoff(state))

    return wait


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    logger.warning("source API: %s, retry %d in %.1f s", error, state.attempt_number, wait)


class ApiClient:
    """Fetches pages of changes from the source API, with retries."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        policy: RetryPolicy | None = None,
        before: datetime | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.policy = policy or RetryPolicy()
        self.before = before
        self.sleep = sleep
        self.retries = 0

    def _get(self, table: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.client.get(f"/v1/changes/{table}", params=params)
        if response.status_code == 429 or response.status_code >= 500:
            raise _RetryableError(
                response.status_code, retry_after_seconds(response.headers.get("Retry-After"))
            )
        if response.status_code in (401, 403):
            raise SourceApiError(
                f"the source API refused the token (HTTP {response.status_code}): pass the right "
                "--token (ECOM_SOURCE_API_TOKEN)"
            )
        if response.status_code != 200:
            raise SourceApiError(
                f"the source API answered HTTP {response.status_code} for {table}: {response.text}"
            )
        body: dict[str, Any] = response.json()
        return body

    def fetch(self, table: str, after: str | None, limit: int) -> incremental.Page:
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        if self.before is not None:
            params["before"] = self.before.isoformat()
        retrying = Retrying(
            retry=retry_if_exception(_is_retryable),
            wait=_wait(self.policy),
            stop=stop_after_attempt(self.policy.max_attempts),
            sleep=self.sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            body = retrying(self._get, table, params)
        except (_RetryableError, httpx.TransportError) as exc:
            raise SourceApiError(
                f"the source API stayed unavailable for {table} after "
                f"{self.policy.max_attempts} attempts ({exc}); run the extraction again later: "
                "it resumes from its last saved cursor"
            ) from exc
        return incremental.Page(
            rows=list(body["data"]),
            last_cursor=body.get("next_cursor"),
            has_more=bool(body.get("has_more")),
        )

    def _count_retry(self, state: RetryCallState) -> None:
        self.retries += 1
        _log_retry(state)


def make_client(base_url: str, token: str, *, timeout: float = 30.0) -> httpx.Client:
    """An httpx client for the source API with the Bearer token."""
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
    )


def extract_api(
    client: httpx.Client,
    landing_dir: Path,
    *,
    tables: Sequence[str] = EXTRACT_TABLES,
    before: datetime | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[incremental.ExtractReport, int]:
    """Extract every table's changes since its persisted cursor; the report and the retries."""
    api = ApiClient(client, policy=policy, before=before, sleep=sleep)
    report = incremental.ExtractReport(source=SOURCE)
    for table in tables:
        report.tables[table] = incremental.extract_table(
            landing_dir, SOURCE, table, api.fetch, page_size=page_size, extra_columns=EXTRA_COLUMNS
        )
    return report, api.retries
