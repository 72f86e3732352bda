"""Sales: KPIs with change vs the previous period, sales per period, geography, payment methods,
fulfillment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ecommerce_pipeline.api.deps import KeyDep, MartsDep, date_range
from ecommerce_pipeline.api.routes.params import Channel, Country, End, Grain, Start
from ecommerce_pipeline.api.schemas import (
    FulfillmentRow,
    GeographyRow,
    Kpis,
    PaymentMethod,
    Sales,
)
from ecommerce_pipeline.serving import SalesFilter

router = APIRouter(prefix="/v1", tags=["sales"])

#: Default KPI window: the last 30 days with orders.
KPI_DEFAULT_DAYS = 30


@router.get("/kpis", response_model=Kpis, summary="KPIs of a date range vs the previous one")
def kpis(
    marts: MartsDep,
    _key: KeyDep,
    start: Start = None,
    end: End = None,
    country: Country = None,
    channel: Channel = None,
) -> dict[str, Any]:
    """Orders, revenue, profit, AOV, cancel and return rates over [start, end] (default: the last
    30 days with orders), the previous window of the same length and the relative change.
    Without country/channel the figures are sums of marts.sales_summary."""
    first, last = date_range(marts, start, end, default_days=KPI_DEFAULT_DAYS)
    return marts.kpis(SalesFilter(first, last, country, channel))


@router.get("/sales", response_model=Sales, summary="Sales KPIs per day, month or quarter")
def sales(
    marts: MartsDep,
    _key: KeyDep,
    grain: Grain = "month",
    start: Start = None,
    end: End = None,
    country: Country = None,
    channel: Channel = None,
) -> dict[str, Any]:
    """marts.sales_summary rows of the periods overlapping [start, end] (recomputed from the
    order facts with the same definitions when filtered by country or channel)."""
    first, last = date_range(marts, start, end)
    rows = marts.sales(grain, SalesFilter(first, last, country, channel))
    return {
        "grain": grain,
        "start": first,
        "end": last,
        "country": country,
        "channel": channel,
        "rows": rows,
    }


@router.get(
    "/geography", response_model=list[GeographyRow], summary="Sales by ship country and region"
)
def geography(
    marts: MartsDep, _key: KeyDep, start: Start = None, end: End = None, country: Country = None
) -> list[dict[str, Any]]:
    """marts.geographic_performance rows of the months overlapping [start, end]."""
    first, last = date_range(marts, start, end)
    return marts.geography(first, last, country)


@router.get(
    "/payment-methods",
    response_model=list[PaymentMethod],
    summary="Payment methods: orders, revenue share, cancel rate",
)
def payment_methods(
    marts: MartsDep, _key: KeyDep, start: Start = None, end: End = None
) -> list[dict[str, Any]]:
    """marts.payment_method_performance summed over the months overlapping [start, end]."""
    first, last = date_range(marts, start, end)
    return marts.payment_methods(first, last)


@router.get(
    "/fulfillment",
    response_model=list[FulfillmentRow],
    summary="Hours to ship and deliver, on-time rate",
)
def fulfillment(
    marts: MartsDep, _key: KeyDep, start: Start = None, end: End = None, country: Country = None
) -> list[dict[str, Any]]:
    """marts.fulfillment_performance rows of the months overlapping [start, end]."""
    first, last = date_range(marts, start, end)
    return marts.fulfillment(first, last, country)
