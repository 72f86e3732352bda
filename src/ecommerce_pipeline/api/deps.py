"""Dependencies of the data API: the query layer, API keys and scopes, parameter checks.

API keys come from ``ECOM_API_KEYS``: comma-separated ``key:scopes`` entries, scopes joined by
``+`` (``"k1:pii,k2:"`` = ``k1`` with the ``pii`` scope, ``k2`` with none). Clients send the key in
the ``X-API-Key`` header. Only keys with the ``pii`` scope see email, name, phone (and city).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from ecommerce_pipeline.errors import UserError
from ecommerce_pipeline.serving import Marts

API_KEY_HEADER = "X-API-Key"
SCOPES = frozenset({"pii"})
#: Dates outside these bounds are rejected (422) instead of overflowing date arithmetic.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)

api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="API key from ECOM_API_KEYS; the `pii` scope unlocks email, name and phone",
)


class ApiConfigError(UserError):
    """ECOM_API_KEYS is missing or malformed."""


class InvalidParameterError(Exception):
    """A parameter that passed type validation but is still invalid (answered with a 422)."""

    def __init__(self, name: str, message: str, location: str = "query") -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.location = location


@dataclass(frozen=True)
class ApiKey:
    """An authenticated caller: the key's position in ECOM_API_KEYS and its scopes."""

    label: str
    scopes: frozenset[str]

    @property
    def pii(self) -> bool:
        """Whether the key may see personal data."""
        return "pii" in self.scopes


def parse_api_keys(text: str) -> dict[str, frozenset[str]]:
    """``"k1:pii,k2:"`` -> ``{"k1": {"pii"}, "k2": set()}``; ApiConfigError when malformed."""
    keys: dict[str, frozenset[str]] = {}
    for position, entry in enumerate(text.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        key, _, scope_text = entry.partition(":")
        key = key.strip()
        scopes = frozenset(scope.strip() for scope in scope_text.split("+") if scope.strip())
        if len(key) < 8:
            raise ApiConfigError(
                f"ECOM_API_KEYS entry {position}: a key needs at least 8 characters"
            )
        unknown = scopes - SCOPES
        if unknown:
            raise ApiConfigError(
                f"ECOM_API_KEYS entry {position}: unknown scope(s) {sorted(unknown)}; "
                f"known: {sorted(SCOPES)}"
            )
        keys[key] = scopes
    return keys


def find_key(keys: dict[str, frozenset[str]], presented: str) -> ApiKey | None:
    """The configured key equal to ``presented`` (constant-time comparisons), or None."""
    found: ApiKey | None = None
    for position, (known, scopes) in enumerate(keys.items(), start=1):
        if secrets.compare_digest(known.encode(), presented.encode()):
            found = ApiKey(label=f"key{position}", scopes=scopes)
    return found


def get_marts(request: Request) -> Iterator[Marts]:
    """The app's query layer on one read-only connection for the request (DuckDB: opened
    here and closed after the request, never held between requests; PostgreSQL: the pool)."""
    marts: Marts = request.app.state.marts
    with marts.session() as session:
        yield session


def require_key(
    request: Request, key: Annotated[str | None, Security(api_key_header)] = None
) -> ApiKey:
    """The caller's key; 401 when it is missing or unknown (constant-time comparison)."""
    if not key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"missing API key: send it in the {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    found = find_key(request.app.state.api_keys, key)
    if found is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown API key",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    return found


MartsDep = Annotated[Marts, Depends(get_marts)]
KeyDep = Annotated[ApiKey, Depends(require_key)]


def check_date(name: str, value: date | None) -> None:
    """422 for dates outside 1900-01-01..2999-12-31."""
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise InvalidParameterError(name, f"must be between {MIN_DATE} and {MAX_DATE}")


def date_range(
    marts: Marts, start: date | None, end: date | None, *, default_days: int | None = None
) -> tuple[date, date]:
    """The requested range with defaults from the data (never the wall clock).

    end defaults to the last order date; start to ``end - default_days + 1`` or, without
    ``default_days``, to the first order date. 422 when start is after end.
    """
    check_date("start", start)
    check_date("end", end)
    if start is None or end is None:
        bounds = marts.date_bounds()
        if bounds is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "the marts hold no orders yet")
        first, last = bounds
        end = end or last
        if start is None:
            start = end - timedelta(days=default_days - 1) if default_days else first
            start = min(start, end)
    if start > end:
        raise InvalidParameterError("start", f"start ({start}) is after end ({end})")
    return start, end


def encode_cursor(after: str) -> str:
    """An opaque cursor for the page after the customer ``after``."""
    raw = json.dumps({"after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The customer_id a cursor continues after; 422 naming ``cursor`` when it is invalid."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = payload["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise InvalidParameterError("cursor", "not a cursor returned by this API") from exc
    if not isinstance(after, str) or not after or "\x00" in after:
        raise InvalidParameterError("cursor", "not a cursor returned by this API")
    return after
