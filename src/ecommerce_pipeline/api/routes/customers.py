"""Customers: 360 view, lists by segment / churn risk (cursor pagination), RFM segments,
cohorts. Personal data (email, name, phone, region, city) only for keys with the `pii` scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from ecommerce_pipeline.api.deps import (
    KeyDep,
    MartsDep,
    check_date,
    decode_cursor,
    encode_cursor,
)
from ecommerce_pipeline.api.routes.params import CustomerCountry, CustomerId, Limit, Segment
from ecommerce_pipeline.api.schemas import CohortRow, Customer360, CustomerPage
from ecommerce_pipeline.api.schemas import Segment as SegmentModel
from ecommerce_pipeline.serving.queries import PII_COLUMNS

router = APIRouter(prefix="/v1", tags=["customers"])


def _contact(row: dict[str, Any]) -> dict[str, Any]:
    """Moves the PII columns of a row into its ``contact`` object."""
    row["contact"] = {name: row.pop(name) for name in PII_COLUMNS}
    return row


@router.get("/customers", response_model=CustomerPage, summary="Customers by segment / churn")
def customers(
    marts: MartsDep,
    key: KeyDep,
    segment: Annotated[Segment | None, Query(description="RFM segment")] = None,
    min_churn_probability: Annotated[
        float | None, Query(ge=0, le=1, description="Only customers at or above this risk")
    ] = None,
    churned: Annotated[bool | None, Query(description="Only churned / active customers")] = None,
    country: CustomerCountry = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="From next_cursor")] = None,
) -> dict[str, Any]:
    """One page of marts.customer_summary ordered by customer_id; follow next_cursor."""
    page, after = marts.customers(
        limit=limit,
        after=decode_cursor(cursor),
        segment=segment,
        min_churn_probability=min_churn_probability,
        churned=churned,
        country=country,
        include_pii=key.pii,
    )
    items = [_contact(row) for row in page] if key.pii else page
    return {
        "items": items,
        "limit": limit,
        "next_cursor": encode_cursor(after) if after else None,
    }


@router.get(
    "/customers/{customer_id}",
    response_model=Customer360,
    summary="A customer's 360 view",
    responses={404: {"description": "No such customer in customer_summary"}},
)
def customer(marts: MartsDep, key: KeyDep, customer_id: CustomerId) -> dict[str, Any]:
    """RFM, CLV, churn and health from marts.customer_summary, plus the last 10 orders."""
    found = marts.customer(customer_id, include_pii=key.pii)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {customer_id!r}")
    return _contact(found) if key.pii else found


@router.get("/segments", response_model=list[SegmentModel], summary="RFM segment counts")
def segments(marts: MartsDep, _key: KeyDep, country: CustomerCountry = None) -> list[Any]:
    """Customers, revenue and mean recency / frequency / monetary per RFM segment."""
    return marts.segments(country)


@router.get("/cohorts", response_model=list[CohortRow], summary="Monthly cohort retention")
def cohorts(
    marts: MartsDep,
    _key: KeyDep,
    start_month: Annotated[date | None, Query(description="First cohort month")] = None,
    end_month: Annotated[date | None, Query(description="Last cohort month")] = None,
) -> list[Any]:
    """marts.cohort_retention rows of the cohorts from start_month to end_month."""
    check_date("start_month", start_month)
    check_date("end_month", end_month)
    return marts.cohorts(start_month, end_month)
