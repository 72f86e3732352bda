"""Overview: KPI tiles with the change vs the previous period, revenue / orders / AOV trend with
a day/month/quarter switch, cancel and return rates."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from ecommerce_pipeline.dashboard import data, filters
from ecommerce_pipeline.dashboard.format import change, count, money, percent, points

TITLE = "Overview"
TILES_PER_ROW = 4
#: (label, KPI key, formatter, kind) of the tiles; kind "rate" shows the change in points.
TILES: tuple[tuple[str, str, Any, str], ...] = (
    ("Net revenue", "net_revenue", money, "value"),
    ("Orders", "orders", count, "value"),
    ("Avg order value", "avg_order_value", money, "value"),
    ("Customers", "customers", count, "value"),
    ("Gross profit", "gross_profit", money, "value"),
    ("Cancel rate", "cancel_rate", percent, "rate"),
    ("Return rate", "return_rate", percent, "rate"),
)


def _tiles(kpis: dict[str, Any]) -> None:
    current, previous = kpis["current"], kpis["previous"]
    for start in range(0, len(TILES), TILES_PER_ROW):
        row = TILES[start : start + TILES_PER_ROW]
        for column, (label, key, formatter, kind) in zip(
            st.columns(TILES_PER_ROW), row, strict=False
        ):
            if kind == "rate":
                delta = points(current[key], previous[key])
                column.metric(
                    label, formatter(current[key]), delta, delta_color="inverse", border=True
                )
            else:
                delta = change(kpis["change"][key])
                column.metric(label, formatter(current[key]), delta, border=True)


def _trend(grain: str, chosen: filters.Filters) -> None:
    frame = data.sales(grain, chosen.start, chosen.end, chosen.country, chosen.channel)
    if frame.empty:
        st.info("No orders in the selected range.")
        return
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_bar(x=frame["period_start"], y=frame["net_revenue"], name="Net revenue")
    figure.add_scatter(
        x=frame["period_start"],
        y=frame["orders"],
        name="Orders",
        mode="lines+markers",
        secondary_y=True,
    )
    figure.update_layout(height=360, margin={"t": 30, "b": 10}, legend={"orientation": "h"})
    figure.update_yaxes(title_text="Net revenue ($)", secondary_y=False)
    figure.update_yaxes(title_text="Orders", secondary_y=True)
    st.plotly_chart(figure, key="trend")

    left, right = st.columns(2)
    aov = go.Figure()
    aov.add_scatter(x=frame["period_start"], y=frame["avg_order_value"], name="AOV")
    aov.update_layout(
        title="Average order value", height=280, margin={"t": 40, "b": 10}, yaxis_tickprefix="$"
    )
    left.plotly_chart(aov, key="aov")
    rates = go.Figure()
    rates.add_scatter(x=frame["period_start"], y=frame["cancel_rate"], name="Cancel rate")
    rates.add_scatter(x=frame["period_start"], y=frame["return_rate"], name="Return rate")
    rates.update_layout(
        title="Cancel and return rates",
        height=280,
        margin={"t": 40, "b": 10},
        yaxis_tickformat=".1%",
        legend={"orientation": "h"},
    )
    right.plotly_chart(rates, key="rates")


def render() -> None:
    chosen = filters.current()
    st.title(TITLE)
    kpis = data.kpis(chosen.start, chosen.end, chosen.country, chosen.channel)
    st.caption(
        f"{chosen.start} to {chosen.end}, compared with {kpis['previous_start']} to "
        f"{kpis['previous_end']}. Country and channel filters use the ship country and the "
        "order's sales channel."
    )
    _tiles(kpis)
    grain = st.segmented_control(
        "Trend by", ["day", "month", "quarter"], default="day", key="overview_grain"
    )
    _trend(grain or "day", chosen)
