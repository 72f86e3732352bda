"""API keys, cursors and the query layer's pure helpers (no services)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecommerce_pipeline.api.deps import (
    ApiConfigError,
    InvalidParameterError,
    decode_cursor,
    encode_cursor,
    parse_api_keys,
)
from ecommerce_pipeline.serving.queries import SalesFilter, period_start, ratio, relative_change

pytestmark = pytest.mark.unit


def test_api_keys_parse_scopes() -> None:
    keys = parse_api_keys(" analyst-key-1:pii , service-key-2: ,reader-key-3")
    assert keys == {
        "analyst-key-1": frozenset({"pii"}),
        "service-key-2": frozenset(),
        "reader-key-3": frozenset(),
    }
    assert parse_api_keys("") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [("short:pii", "at least 8"), ("long-enough-key:admin", "unknown scope"), (":pii", "at least")],
)
def test_malformed_api_keys_are_user_errors(text: str, message: str) -> None:
    with pytest.raises(ApiConfigError, match=message):
        parse_api_keys(text)


@given(st.text(min_size=1, max_size=64).filter(lambda text: "\x00" not in text))
def test_cursors_round_trip(customer_id: str) -> None:
    assert decode_cursor(encode_cursor(customer_id)) == customer_id


@pytest.mark.parametrize("cursor", ["zz", "not-a-cursor", "eyJ4IjogMX0", "bnVsbA", "W10"])
def test_foreign_cursors_are_invalid_parameters(cursor: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        decode_cursor(cursor)
    assert info.value.name == "cursor"


def test_previous_window_has_the_same_length() -> None:
    window = SalesFilter(date(2024, 3, 1), date(2024, 3, 31), country="US")
    previous = window.previous()
    assert (previous.start, previous.end) == (date(2024, 1, 30), date(2024, 2, 29))
    assert previous.country == "US"
    assert not SalesFilter(date(2024, 1, 1), date(2024, 1, 2)).filtered
    assert SalesFilter(date(2024, 1, 1), date(2024, 1, 2), channel="web").filtered


def test_period_start_of_each_grain() -> None:
    day = date(2024, 8, 17)
    assert period_start(day, "day") == day
    assert period_start(day, "month") == date(2024, 8, 1)
    assert period_start(day, "quarter") == date(2024, 7, 1)
    with pytest.raises(ValueError, match="grain"):
        period_start(day, "week")


def test_ratios_round_half_up_and_guard_zero() -> None:
    assert ratio(1, 3) == Decimal("0.333333")
    assert ratio(Decimal("10.005"), 1, Decimal("0.01")) == Decimal("10.01")
    assert ratio(5, 0) is None
    assert relative_change(110, 100) == pytest.approx(0.1)
    assert relative_change(1, 0) is None
    assert relative_change(None, 5) is None
