"""Cached reads of the dashboard: every function goes through the shared query layer and is
cached by Streamlit for TTL_SECONDS (per argument combination, shared by all sessions)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from ecommerce_pipeline.config import get_settings
from ecommerce_pipeline.serving import Marts, SalesFilter

TTL_SECONDS = 300


@st.cache_resource
def marts() -> Marts:
    """One query layer per dashboard process (DuckDB: nothing held open; PostgreSQL: a pool)."""
    return Marts(get_settings())


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a DataFrame with decimals as floats (for charts)."""
    converted = [
        {key: float(value) if isinstance(value, Decimal) else value for key, value in row.items()}
        for row in rows
    ]
    return pd.DataFrame(converted)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def bounds() -> tuple[date, date] | None:
    return marts().date_bounds()


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def countries() -> list[str]:
    return marts().countries()


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def kpis(start: date, end: date, country: str | None, channel: str | None) -> dict[str, Any]:
    return marts().kpis(SalesFilter(start, end, country, channel))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def sales(
    grain: str, start: date, end: date, country: str | None, channel: str | None
) -> pd.DataFrame:
    return frame(marts().sales(grain, SalesFilter(start, end, country, channel)))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def segments(country: str | None) -> pd.DataFrame:
    return frame(marts().segments(country))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def rfm_grid(country: str | None) -> pd.DataFrame:
    return frame(marts().rfm_grid(country))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def clv_values(country: str | None) -> pd.DataFrame:
    return frame(marts().clv_values(country))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def churn_risk(country: str | None, limit: int = 20) -> pd.DataFrame:
    return frame(marts().churn_risk(limit, country))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def cohorts(start_month: date, end_month: date) -> pd.DataFrame:
    return frame(marts().cohorts(start_month, end_month))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def ranked_products(
    metric: str, bottom: bool, limit: int = 10, sold_only: bool = False
) -> pd.DataFrame:
    return frame(marts().ranked_products(metric, bottom=bottom, limit=limit, sold_only=sold_only))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def product_scatter() -> pd.DataFrame:
    return frame(marts().product_scatter())


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def turnover_by_category() -> pd.DataFrame:
    return frame(marts().turnover_by_category())


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def clv_histogram(country: str | None, bins: int = 40) -> pd.DataFrame:
    """Customers per predicted-CLV bin (binned here: the browser gets bins, not customers)."""
    customers = clv_values(country)
    values = customers["predicted_clv"] if not customers.empty else []
    counts, edges = np.histogram(np.asarray(values, dtype=float), bins=bins)
    return pd.DataFrame(
        {"clv_from": edges[:-1], "clv_to": edges[1:], "customers": counts.astype(int)}
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def top_pairs(limit: int = 10) -> pd.DataFrame:
    return frame(marts().top_pairs(limit))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def product_names() -> dict[str, str]:
    rows = marts().rows("select product_id, product_name from marts.product_performance")
    return {row["product_id"]: row["product_name"] or row["product_id"] for row in rows}


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def geography(start: date, end: date, country: str | None) -> pd.DataFrame:
    return frame(marts().geography(start, end, country))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def payment_methods(start: date, end: date) -> pd.DataFrame:
    return frame(marts().payment_methods(start, end))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def fulfillment(start: date, end: date, country: str | None) -> pd.DataFrame:
    return frame(marts().fulfillment(start, end, country))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def dq_status() -> tuple[bool, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(available, latest run's checks, failing checks per run, quarantine by reason)."""
    layer = marts()
    if not layer.dq_available():
        return False, pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    return (
        True,
        frame(layer.dq_latest()),
        frame(layer.dq_history()),
        frame(layer.dq_quarantine_reasons()),
    )
