"""Query and path parameters shared by the routers (validated: a bad value gets a 422)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Path, Query

#: Business keys: letters, digits and ``_ . : -`` (no control characters reach the warehouse).
KEY_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"
COUNTRY_PATTERN = r"^([A-Z]{2}|unknown)$"
#: Free text (e.g. a category): no control characters (PostgreSQL text cannot hold NUL).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"

Start = Annotated[date | None, Query(description="First order date (inclusive), YYYY-MM-DD")]
End = Annotated[
    date | None, Query(description="Last order date (inclusive); default: last order date")
]
Country = Annotated[
    str | None,
    Query(pattern=COUNTRY_PATTERN, description="ISO-3166 alpha-2 ship country, or `unknown`"),
]
CustomerCountry = Annotated[
    str | None,
    Query(pattern=COUNTRY_PATTERN, description="Customer's country (ISO-3166 alpha-2)"),
]
Channel = Annotated[
    Literal["web", "mobile_app", "marketplace"] | None, Query(description="Sales channel")
]
Grain = Annotated[Literal["day", "month", "quarter"], Query(description="Period grain")]
Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page (1..500)")]
CustomerId = Annotated[str, Path(pattern=KEY_PATTERN, description="Customer business key")]
ProductId = Annotated[str, Path(pattern=KEY_PATTERN, description="Product business key")]
Segment = Literal[
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Cannot Lose Them",
    "Hibernating",
    "Lost",
]
Metric = Literal[
    "net_revenue",
    "gross_revenue",
    "gross_profit",
    "units_sold",
    "revenue_orders",
    "margin_pct",
    "return_rate",
    "inventory_turnover",
    "product_health_score",
]
