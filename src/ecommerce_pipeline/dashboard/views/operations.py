"""Operations: fulfillment times and on-time rate, payment methods, geography."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ecommerce_pipeline.dashboard import charts, data, filters

TITLE = "Operations"


def _weighted(frame: pd.DataFrame, value: str, weight: str) -> pd.Series:
    """Per-month mean of ``value`` weighted by ``weight`` (the rows are month x country)."""
    valid = frame.dropna(subset=[value])
    totals = (valid[value] * valid[weight]).groupby(valid["month"]).sum()
    weights = valid[weight].groupby(valid["month"]).sum()
    return (totals / weights.where(weights > 0)).rename(value)


def _fulfillment_chart(monthly: pd.DataFrame) -> alt.LayerChart:
    """Hours to ship and to deliver (grouped bars, left axis) and the on-time rate (line, right
    axis) per month."""
    hours = charts.long(
        monthly,
        ["month"],
        {"avg_hours_to_ship": "Hours to ship", "avg_hours_to_deliver": "Hours to deliver"},
    )
    month = alt.X("month:O", title=None, axis=alt.Axis(labelAngle=0))
    bars = (
        alt.Chart(hours)
        .mark_bar()
        .encode(
            x=month,
            xOffset=alt.XOffset("series:N", sort=None),
            y=alt.Y("value:Q", title="Hours", axis=charts.axis(",.0f")),
            color=alt.Color("series:N", sort=None, legend=charts.legend_below()),
            tooltip=[
                charts.tip("month:O", "Month"),
                charts.tip("series:N", "Series"),
                charts.tip("value:Q", "Hours", ",.1f"),
            ],
        )
    )
    line = (
        alt.Chart(monthly)
        .mark_line(point=True)
        .encode(
            x=month,
            y=alt.Y(
                "on_time_rate:Q",
                title="On-time",
                scale=alt.Scale(zero=False),
                axis=charts.axis(charts.PERCENT_1),
            ),
            color=alt.Color("series:N", sort=None),
            tooltip=[
                charts.tip("month:O", "Month"),
                charts.tip("on_time_rate:Q", "On-time rate", charts.PERCENT_1),
            ],
        )
    )
    line = charts.as_series(line, "On-time rate")
    return alt.LayerChart(layer=[bars, line]).resolve_scale(y="independent").properties(height=330)


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
    charts.draw(_fulfillment_chart(monthly), key="fulfillment")


def _payments_chart(methods: pd.DataFrame) -> alt.Chart:
    """Net revenue per payment method (highest first), coloured by its cancel rate."""
    return (
        alt.Chart(methods)
        .mark_bar()
        .encode(
            x=alt.X(
                "payment_method:N",
                title=None,
                sort="-y",
                axis=alt.Axis(labelAngle=-45, labelOverlap=False),
            ),
            y=alt.Y("net_revenue:Q", title="Net revenue", axis=charts.axis(charts.MONEY)),
            color=alt.Color(
                "cancel_rate:Q",
                title="Cancel rate",
                scale=alt.Scale(scheme="reds"),
                legend=alt.Legend(format=charts.PERCENT_1),
            ),
            tooltip=[
                charts.tip("payment_method:N", "Payment method"),
                charts.tip("net_revenue:Q", "Net revenue", charts.MONEY_CENTS),
                charts.tip("orders:Q", "Orders", charts.COUNT),
                charts.tip("share_of_revenue:Q", "Share of revenue", charts.PERCENT_1),
                charts.tip("cancel_rate:Q", "Cancel rate", charts.PERCENT_2),
            ],
        )
        .properties(height=340)
    )


def _countries_chart(countries: pd.DataFrame) -> alt.Chart:
    """Net revenue per ship country, highest first."""
    return (
        alt.Chart(countries)
        .mark_bar()
        .encode(
            x=alt.X("country_code:N", title=None, sort="-y", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("net_revenue:Q", title="Net revenue", axis=charts.axis(charts.MONEY)),
            tooltip=[
                charts.tip("country_code:N", "Country"),
                charts.tip("net_revenue:Q", "Net revenue", charts.MONEY_CENTS),
                charts.tip("orders:Q", "Orders", charts.COUNT),
            ],
        )
        .properties(height=340)
    )


def _payments_and_geography(chosen: filters.Filters) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("Payment methods")
        charts.draw(_payments_chart(data.payment_methods(chosen.start, chosen.end)), key="payments")
    with right:
        st.subheader("Net revenue by ship country")
        geography = data.geography(chosen.start, chosen.end, chosen.country)
        countries = geography.groupby("country_code", as_index=False)[
            ["net_revenue", "orders"]
        ].sum()
        charts.draw(_countries_chart(countries), key="geography")


def render() -> None:
    chosen = filters.current()
    st.title(TITLE)
    st.caption(
        f"Months overlapping {chosen.start} to {chosen.end}; the country filter uses the ship "
        "country (payment methods are shown for every country)."
    )
    _fulfillment(chosen)
    _payments_and_geography(chosen)
