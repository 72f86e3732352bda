"""The monthly business report: ``ecom report business --month YYYY-MM``.

One self-contained HTML file (inline CSS and SVG charts, no scripts or external files, so the
alerting channel can send it as an e-mail): the month's KPIs with the change vs the previous
month, the last 12 months' trend, the month's daily revenue, RFM segments, the month's top
products and payment methods. Every figure comes from the shared query layer over the marts.
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.errors import UserError
from ecommerce_pipeline.reports import svg
from ecommerce_pipeline.serving import Marts, SalesFilter
from ecommerce_pipeline.serving.queries import relative_change

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
TREND_MONTHS = 12
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
#: (label, column of sales_summary, kind) of the KPI cards.
KPI_CARDS = (
    ("Net revenue", "net_revenue", "money"),
    ("Orders", "orders", "count"),
    ("Avg order value", "avg_order_value", "money"),
    ("Customers", "customers", "count"),
    ("New customers", "new_customers", "count"),
    ("Gross profit", "gross_profit", "money"),
    ("Cancel rate", "cancel_rate", "rate"),
    ("Return rate", "return_rate", "rate"),
)


class ReportError(UserError):
    """The report cannot be written (bad month, month without orders, no marts)."""


@dataclass(frozen=True)
class BusinessReport:
    month: date
    path: Path
    kpis: dict[str, Any]


def parse_month(text: str) -> date:
    """``YYYY-MM`` -> the first day of that month; ReportError otherwise."""
    found = MONTH_PATTERN.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ReportError(f"--month {text!r} is not a month: use YYYY-MM, e.g. 2024-03")
    return date(int(found.group(1)), int(found.group(2)), 1)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _display(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return f"${Decimal(value):,.2f}"
    if kind == "rate":
        return f"{Decimal(value) * 100:.2f}%"
    return f"{int(value):,}"


def _change(current: Any, previous: Any, kind: str) -> str:
    if kind == "rate":
        if current is None or previous is None:
            return ""
        return f"{(Decimal(current) - Decimal(previous)) * 100:+.2f} pp"
    change = relative_change(current, previous)
    return "" if change is None else f"{change * 100:+.1f}%"


def collect(marts: Marts, month: date) -> dict[str, Any]:
    """Every figure of the report for ``month`` (first day)."""
    end = _month_end(month)
    bounds = marts.date_bounds()
    if bounds is None:
        raise ReportError("the marts hold no orders yet: run `ecom run` first")
    monthly = marts.sales("month", SalesFilter(_add_months(month, 1 - TREND_MONTHS), end))
    by_month = {row["period_start"]: row for row in monthly}
    if month not in by_month:
        raise ReportError(f"no orders in {month:%Y-%m}: the marts cover {bounds[0]} to {bounds[1]}")
    current = by_month[month]
    previous = by_month.get(_add_months(month, -1))
    cards = [
        {
            "label": label,
            "value": _display(current[key], kind),
            "change": _change(current[key], previous[key], kind) if previous else "",
        }
        for label, key, kind in KPI_CARDS
    ]
    daily = marts.sales("day", SalesFilter(month, end))
    segments = marts.segments()
    return {
        "month": month,
        "month_label": f"{month:%B %Y}",
        "complete": bounds[1] >= end,
        "as_of": marts.ping().get("as_of_date"),
        "kpis": current,
        "previous_label": f"{_add_months(month, -1):%B %Y}" if previous else None,
        "cards": cards,
        "trend_chart": svg.columns(
            [f"{row['period_start']:%Y-%m}" for row in monthly],
            [float(row["net_revenue"]) for row in monthly],
            highlight=len(monthly) - 1,
        ),
        "trend_rows": monthly,
        "daily_chart": svg.line(
            [f"{row['period_start']}" for row in daily],
            [float(row["net_revenue"]) for row in daily],
        ),
        "segments_chart": svg.bars(
            sorted(
                ((row["rfm_segment"], float(row["customers"])) for row in segments),
                key=lambda item: -item[1],
            )
        ),
        "segments": segments,
        "top_products": marts.month_top_products(month, 10),
        "payment_methods": marts.payment_methods(month, end),
    }


def render(figures: dict[str, Any]) -> str:
    """The report's HTML (autoescaped; the SVG charts are inserted as markup)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    environment.filters["money"] = lambda value: _display(value, "money")
    environment.filters["rate"] = lambda value: _display(value, "rate")
    environment.filters["count"] = lambda value: _display(value, "count")
    return environment.get_template("business.html.j2").render(**figures)


def write_business_report(settings: Settings, month: date, out_dir: Path) -> BusinessReport:
    """Write ``<out_dir>/business-<YYYY-MM>.html`` for ``month`` and return where it went."""
    marts = Marts(settings)
    try:
        figures = collect(marts, month)
    finally:
        marts.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"business-{month:%Y-%m}.html"
    path.write_text(render(figures), encoding="utf-8")
    logger.info("business report for %s written to %s", f"{month:%Y-%m}", path)
    return BusinessReport(month=month, path=path, kpis=figures["kpis"])
