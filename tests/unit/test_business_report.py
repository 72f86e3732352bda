"""The business report's month parsing and inline SVG charts (no services)."""

from __future__ import annotations

from datetime import date

import pytest

from ecommerce_pipeline.reports import svg
from ecommerce_pipeline.reports.business import ReportError, parse_month

pytestmark = pytest.mark.unit


def test_months_parse_to_their_first_day() -> None:
    assert parse_month("2024-03") == date(2024, 3, 1)
    assert parse_month(" 2025-12 ") == date(2025, 12, 1)


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "2024-3", "March", "2024-03-01"])
def test_other_text_is_a_user_error_naming_the_format(text: str) -> None:
    with pytest.raises(ReportError, match="YYYY-MM"):
        parse_month(text)


def test_charts_are_inline_svg_with_escaped_labels() -> None:
    charts = [
        svg.columns(["2024-01", "<b>"], [1.0, 2.0], highlight=1),
        svg.line(["a", "b", "c"], [3.0, 1.0, 2.0]),
        svg.bars([("Champions & co", 10.0), ("Lost", 0.0)]),
    ]
    for chart in charts:
        assert chart.startswith("<svg xmlns='http://www.w3.org/2000/svg'")
        assert "<script" not in chart
    assert "&lt;b&gt;" in charts[0]
    assert "Champions &amp; co" in charts[2]
    assert charts[1].count("<circle") == 3
    assert svg.line([], []) == svg.columns([], []) == "<p class='muted'>no data</p>"
