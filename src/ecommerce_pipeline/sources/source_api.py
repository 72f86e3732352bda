"""``ecom serve source-api``: a small storefront REST API over the shop's OLTP database.

It stands in for a third-party shop API in the demo and the tests:

- ``GET /health`` (no auth);
- ``GET /v1/changes/{table}?after=<cursor>&before=<ISO time>&limit=<n>`` (Bearer token): the
  contract-shaped changes of a landing table in keyset order, ``{"table", "data", "next_cursor",
  "has_more"}``; ``next_cursor`` is the cursor after the page's last row (pass it as ``after``).
  Money is sent as decimal text, times as ISO-8601 UTC.

Switches to misbehave on purpose (for tests and demos of the extractor's resilience):
``throttle_every=N`` answers every N-th data request with ``429`` and ``Retry-After``;
``fail_every=N`` answers every N-th data request with ``503``. Counting is deterministic.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response
from fastapi.responses import JSONResponse
from psycopg.rows import dict_row

from ecommerce_pipeline.sources.db_extract import fetch_page
from ecommerce_pipeline.sources.oltp_schema import CURSOR_COLUMNS, EXTRACT_TABLES
from ecommerce_pipeline.sources.state import CursorError

logger = logging.getLogger(__name__)

MAX_LIMIT = 1_000


@dataclass
class Misbehaviour:
    """Deterministic failure switches: every N-th data request is throttled / fails (0 = off)."""

    throttle_every: int = 0
    fail_every: int = 0
    retry_after_seconds: int = 1
    _requests: int = 0
    _lock: threading.Lock | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def next_response(self) -> Response | None:
        """The error response the current request gets, or None to serve it."""
        assert self._lock is not None
        with self._lock:
            self._requests += 1
            number = self._requests
        if self.throttle_every and number % self.throttle_every == 0:
            return JSONResponse(
                {"detail": "rate limit exceeded"},
                status_code=429,
                headers={"Retry-After": str(self.retry_after_seconds)},
            )
        if self.fail_every and number % self.fail_every == 0:
            return JSONResponse({"detail": "temporarily unavailable"}, status_code=503)
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def create_app(dsn: str, token: str, misbehaviour: Misbehaviour | None = None) -> FastAPI:
    """The source API over the OLTP database ``dsn``, guarded by the Bearer ``token``."""
    switches = misbehaviour or Misbehaviour()
    app = FastAPI(title="Demo shop source API", version="1")

    def authorised(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = f"Bearer {token}"
        if authorization is None or not secrets.compare_digest(authorization, expected):
            raise HTTPException(
                status_code=401,
                detail="missing or wrong token: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/changes/{table}", dependencies=[Depends(authorised)])
    def changes(
        table: str,
        after: str | None = None,
        before: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 500,
    ) -> Response:
        if table not in EXTRACT_TABLES:
            raise HTTPException(404, f"unknown table {table!r}: one of {', '.join(EXTRACT_TABLES)}")
        refused = switches.next_response()
        if refused is not None:
            return refused
        try:
            with psycopg.connect(dsn, row_factory=dict_row, autocommit=True) as connection:
                page = fetch_page(connection, table, after, limit, before)
        except CursorError as exc:
            raise HTTPException(400, str(exc)) from exc
        data = [
            {key: _jsonable(value) for key, value in row.items() if key not in CURSOR_COLUMNS}
            for row in page.rows
        ]
        body = {
            "table": table,
            "data": data,
            "next_cursor": page.last_cursor,
            "has_more": page.has_more,
        }
        return JSONResponse(body)

    return app


def serve(
    dsn: str, token: str, *, host: str, port: int, misbehaviour: Misbehaviour | None = None
) -> None:
    """Run the source API with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(dsn, token, misbehaviour), host=host, port=port, log_level="warning")
