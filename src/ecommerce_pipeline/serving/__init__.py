"""Serving: the one shared, read-only query layer over the marts (API, dashboard, reports)."""

from ecommerce_pipeline.serving.queries import (
    GRAINS,
    PRODUCT_METRICS,
    SALES_CHANNELS,
    Marts,
    SalesFilter,
)

__all__ = ["GRAINS", "PRODUCT_METRICS", "SALES_CHANNELS", "Marts", "SalesFilter"]
