"""Number formatting of the dashboard (the e2e test parses these strings back)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def money(value: Any) -> str:
    """$1,234.56 (— when unknown)."""
    if value is None:
        return "—"
    return f"${Decimal(value):,.2f}"


def count(value: Any) -> str:
    """1,234 (— when unknown)."""
    if value is None:
        return "—"
    return f"{int(value):,}"


def percent(value: Any) -> str:
    """A fraction as a percentage with 2 decimals: 0.034314 -> 3.43%."""
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.2f}%"


def change(value: float | None) -> str | None:
    """A relative change as a signed percentage, None when there is no previous value."""
    if value is None:
        return None
    return f"{value * 100:+.1f}%"


def points(current: Any, previous: Any) -> str | None:
    """The change of a rate in percentage points, None when either is unknown."""
    if current is None or previous is None:
        return None
    return f"{(Decimal(current) - Decimal(previous)) * 100:+.2f} pp"
