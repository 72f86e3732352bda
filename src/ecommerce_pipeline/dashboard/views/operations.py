"""Operations: fulfillment times and on-time rate, payment methods, geography."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st
from plotly.subplots import make_subplots

from ecommerce_pipeline.dashboard import data, filters

TITLE = "Operations"


def _weighted(frame: pd.DataFrame, value: str, weight: str) -> pd.Series:
    """Per-month mean of ``value`` weighted by ``weight`` (the rows are month x country)."""
    valid = frame.dropna(subset=[value])
    totals = (valid[value] * valid[weight]).groupby(valid["month"]).sum()
    weights = valid[weight].groupby(valid["month"]).sum()
    return (totals / weights.where(weights > 0)).rename(value)


def _fulfillment(chosen: filters.Filters) -> None:
    st.subheader("Fulfillment")
    rows = data.fulfillment(chosen.start, chosen.end, chosen.country)
    if rows.empty:
        st.info("No orders in the selected range.")
        return
    monthly = pd.concat(
        [
            _weighted(rows, "avg_hours_to_ship", "shipped_orders"),
            _weighted(rows, "avg_hours_to_deliver", "delivered_orders"),
            _weighted(rows, "on_time_rate", "delivered_orders"),
        ],
        axis=1,
    ).reset_index()
    monthly["month"] = pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m")
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_bar(x=monthly["month"], y=monthly["avg_hours_to_ship"], name="Hours to ship")
    figure.add_bar(x=monthly["month"], y=monthly["avg_hours_to_deliver"], name="Hours to deliver")
    figure.add_scatter(
        x=monthly["month"],
        y=monthly["on_time_rate"],
        name="On-time rate",
        mode="lines+markers",
        secondary_y=True,
    )
    figure.update_yaxes(title_text="Hours", secondary_y=False)
    figure.update_yaxes(title_text="On-time", tickformat=".0%", secondary_y=True)
    figure.update_layout(height=360, margin={"t": 10, "b": 10}, legend={"orientation": "h"})
    figure.update_xaxes(type="category")
    st.plotly_chart(figure, key="fulfillment")


def _payments_and_geography(chosen: filters.Filters) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("Payment methods")
        methods = data.payment_methods(chosen.start, chosen.end)
        figure = px.bar(
            methods,
            x="payment_method",
            y="net_revenue",
            color="cancel_rate",
            color_continuous_scale="Reds",
            hover_data=["orders", "share_of_revenue"],
        )
        figure.update_layout(height=360, margin={"t": 10, "b": 10}, xaxis_title=None)
        st.plotly_chart(figure, key="payments")
    with right:
        st.subheader("Net revenue by ship country")
        geography = data.geography(chosen.start, chosen.end, chosen.country)
        countries = (
            geography.groupby("country_code", as_index=False)[["net_revenue", "orders"]]
            .sum()
            .sort_values("net_revenue", ascending=False)
        )
        figure = px.bar(countries, x="country_code", y="net_revenue", hover_data=["orders"])
        figure.update_layout(height=360, margin={"t": 10, "b": 10}, xaxis_title=None)
        st.plotly_chart(figure, key="geography")


def render() -> None:
    chosen = filters.current()
    st.title(TITLE)
    st.caption(
        f"Months overlapping {chosen.start} to {chosen.end}; the country filter uses the ship "
        "country (payment methods are shown for every country)."
    )
    _fulfillment(chosen)
    _payments_and_geography(chosen)
