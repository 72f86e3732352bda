"""Response models of the data API (they document the OpenAPI schema at /docs).

Money is a JSON number with at most 2 decimals, rates are fractions (0.25 = 25%) with at most 6;
both are the marts' values as they are stored (decimals, serialised exactly).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(description="`ok` when the marts are readable")
    target: str = Field(description="Warehouse: duckdb | postgres")
    first_order_date: date | None
    last_order_date: date | None
    as_of_date: date | None = Field(description="As-of date of the marts' day counts")


class KpiTotals(BaseModel):
    orders: int
    revenue_orders: int
    cancelled_orders: int
    customers: int = Field(description="Distinct customers with a revenue order in the range")
    new_customers: int | None = Field(
        description="Customers whose first revenue order is in the range (null when filtered)"
    )
    gross_revenue: float
    net_revenue: float
    gross_profit: float
    units_sold: int
    returned_units: int
    shipping_revenue: float
    tax_collected: float
    avg_order_value: float | None
    cancel_rate: float | None
    return_rate: float | None


class Kpis(BaseModel):
    start: date
    end: date
    previous_start: date = Field(description="Start of the previous window of the same length")
    previous_end: date
    country: str | None
    channel: str | None
    current: KpiTotals
    previous: KpiTotals
    change: dict[str, float | None] = Field(
        description="Relative change current vs previous ((current - previous) / previous)"
    )


class SalesRow(BaseModel):
    period_start: date
    orders: int
    revenue_orders: int
    cancelled_orders: int
    customers: int
    new_customers: int | None
    gross_revenue: float
    net_revenue: float
    gross_profit: float
    avg_order_value: float | None
    cancel_rate: float | None
    units_sold: int
    returned_units: int
    return_rate: float | None
    shipping_revenue: float
    tax_collected: float


class Sales(BaseModel):
    grain: str
    start: date
    end: date
    country: str | None
    channel: str | None
    rows: list[SalesRow]


class CustomerContact(BaseModel):
    """PII: only returned to keys with the `pii` scope."""

    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None


class CustomerListItem(BaseModel):
    customer_id: str
    rfm_segment: str
    rfm_score: str
    recency_days: int
    frequency: int
    monetary: float
    net_revenue: float
    predicted_clv: float
    customer_health_score: float
    churn_probability: float
    is_churned: bool
    country_code: str | None
    loyalty_tier: str | None
    last_order_date: date
    contact: CustomerContact | None = Field(None, description="Null without the `pii` scope")


class CustomerPage(BaseModel):
    items: list[CustomerListItem]
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")


class RecentOrder(BaseModel):
    order_id: str
    order_date: date
    order_status: str
    sales_channel: str | None
    payment_method: str | None
    net_revenue: float


class Customer360(BaseModel):
    customer_id: str
    first_order_date: date
    last_order_date: date
    order_count: int
    net_revenue: float
    avg_order_value: float
    recency_days: int
    frequency: int
    monetary: float
    r_score: int
    f_score: int
    m_score: int
    rfm_score: str
    rfm_segment: str
    historical_clv: float
    predicted_clv: float
    customer_health_score: float
    is_churned: bool
    churn_probability: float
    cohort_month: date
    country_code: str | None
    acquisition_channel: str | None
    loyalty_tier: str | None
    as_of_date: date
    region: str | None = Field(None, description="Null without the `pii` scope")
    city: str | None = Field(None, description="Null without the `pii` scope")
    contact: CustomerContact | None = Field(None, description="Null without the `pii` scope")
    recent_orders: list[RecentOrder]


class Segment(BaseModel):
    rfm_segment: str
    customers: int
    share_of_customers: float | None
    churned_customers: int
    net_revenue: float
    predicted_clv: float
    avg_recency_days: float | None
    avg_frequency: float | None
    avg_monetary: float | None


class CohortRow(BaseModel):
    cohort_month: date
    months_since_first_order: int
    activity_month: date
    cohort_size: int
    active_customers: int
    retention_rate: float
    net_revenue: float


class Product(BaseModel):
    product_id: str
    product_name: str | None
    category: str | None
    subcategory: str | None
    brand: str | None
    is_active: bool | None
    revenue_orders: int
    units_sold: int
    returned_units: int
    gross_revenue: float
    net_revenue: float
    gross_profit: float
    margin_pct: float | None
    return_rate: float | None
    cost_of_goods_sold: float
    avg_inventory_value: float | None
    inventory_turnover: float | None
    days_of_inventory: float | None
    product_health_score: float
    top_cross_sell_product_id: str | None


class ProductRanking(BaseModel):
    metric: str
    direction: str
    category: str | None
    items: list[Product]


class CrossSellPartner(BaseModel):
    related_product_id: str
    related_product_name: str | None
    orders_together: int
    support: float
    confidence: float
    lift: float


class CrossSell(BaseModel):
    product_id: str
    partners: list[CrossSellPartner]


class GeographyRow(BaseModel):
    country_code: str
    region: str
    month: date
    customers: int
    orders: int
    revenue_orders: int
    net_revenue: float
    avg_order_value: float | None


class PaymentMethod(BaseModel):
    payment_method: str
    orders: int
    revenue_orders: int
    cancelled_orders: int
    net_revenue: float
    share_of_revenue: float | None
    cancel_rate: float | None


class FulfillmentRow(BaseModel):
    month: date
    ship_country_code: str
    shipped_orders: int
    delivered_orders: int
    avg_hours_to_ship: float | None
    avg_hours_to_deliver: float | None
    on_time_rate: float | None


class DataQualityCheck(BaseModel):
    run_id: str
    check_name: str
    model: str | None = None
    status: str
    failures: int | None = None
    run_at: datetime
    severity: str | None = None
    check_type: str | None = None


class QuarantineReason(BaseModel):
    model: str = Field(description="Raw table, e.g. raw.orders")
    reason: str
    rows: int


class DataQuality(BaseModel):
    available: bool = Field(description="False until marts.data_quality_results exists")
    run_id: str | None
    run_at: datetime | None
    checks: int
    failed_checks: int
    results: list[DataQualityCheck]
    quarantine_by_reason: list[QuarantineReason]


class Problem(BaseModel):
    detail: str
