"""Overview: KPI tiles with the change vs the previous period, revenue / orders / AOV trend with
a day/month/quarter switch, cancel and return rates."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from ecommerce_pipeline.dashboard import charts, data, filters
from ecommerce_pipeline.dashboard.format import change, count, money, percent, points

TITLE = "Overview"
TILES_PER_ROW = 4
#: Height of the rates chart; the order value chart beside it has no legend, so it is shorter by
#: the height of a legend below the x axis and both plots line up.
RATES_HEIGHT = 330
LEGEND_HEIGHT = 70
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


def _with_period(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """``frame`` with its ``period``: the day as a timestamp (a time axis), a month or a quarter
    as its label ("2024-03", "2024 Q1": one band each)."""
    start = pd.to_datetime(frame["period_start"])
    if grain == "day":
        return frame.assign(period=start)
    if grain == "quarter":
        return frame.assign(period=start.dt.to_period("Q").dt.strftime("%Y Q%q"))
    return frame.assign(period=start.dt.strftime("%Y-%m"))


def _period(grain: str, centred: bool = False) -> tuple[alt.X, alt.Tooltip]:
    """The x encoding and tooltip line of the period. Days are on a time axis where each bar
    spans its day (``centred``: a line's points sit mid-day, over the bars)."""
    if grain != "day":
        x = alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0, labelOverlap=True))
        return x, charts.tip("period:O", "Period")
    x = alt.X(
        "period:T",
        timeUnit="utcyearmonthdate",
        title=None,
        bandPosition=0.5 if centred else alt.Undefined,
    )
    return x, alt.Tooltip("period:T", timeUnit="utcyearmonthdate", title="Day", format="%Y-%m-%d")


def _revenue_and_orders(frame: pd.DataFrame, grain: str) -> alt.LayerChart:
    """Net revenue bars (left axis) and the orders line (right axis)."""
    x, period = _period(grain)
    line_x, _ = _period(grain, centred=True)
    tooltip = [
        period,
        charts.tip("net_revenue:Q", "Net revenue", charts.MONEY_CENTS),
        charts.tip("orders:Q", "Orders", charts.COUNT),
    ]
    base = alt.Chart(frame).encode(tooltip=tooltip)
    color = alt.Color("series:N", sort=None, legend=charts.legend_below())
    bars = base.mark_bar().encode(
        x=x,
        y=alt.Y("net_revenue:Q", title="Net revenue ($)", axis=charts.axis(charts.MONEY)),
        color=color,
    )
    line = base.mark_line(point=True).encode(
        x=line_x,
        y=alt.Y("orders:Q", title="Orders", axis=charts.axis(charts.COUNT)),
        color=color,
    )
    bars, line = charts.as_series(bars, "Net revenue"), charts.as_series(line, "Orders")
    return alt.LayerChart(layer=[bars, line]).resolve_scale(y="independent").properties(height=330)


def _order_value(frame: pd.DataFrame, grain: str) -> alt.Chart:
    x, period = _period(grain)
    return (
        alt.Chart(frame, title="Average order value")
        .mark_line(point=grain != "day")
        .encode(
            x=x,
            y=alt.Y(
                "avg_order_value:Q",
                title=None,
                scale=alt.Scale(zero=False),
                axis=charts.axis(charts.MONEY),
            ),
            tooltip=[period, charts.tip("avg_order_value:Q", "AOV", charts.MONEY_CENTS)],
        )
        .properties(height=RATES_HEIGHT - LEGEND_HEIGHT)
    )


def _rates(frame: pd.DataFrame, grain: str) -> alt.Chart:
    x, period = _period(grain)
    rates = charts.long(
        frame, ["period"], {"cancel_rate": "Cancel rate", "return_rate": "Return rate"}
    )
    return (
        alt.Chart(rates, title="Cancel and return rates")
        .mark_line(point=grain != "day")
        .encode(
            x=x,
            y=alt.Y("value:Q", title=None, axis=charts.axis(charts.PERCENT_1)),
            color=alt.Color("series:N", legend=charts.legend_below()),
            tooltip=[
                period,
                charts.tip("series:N", "Series"),
                charts.tip("value:Q", "Rate", charts.PERCENT_2),
            ],
        )
        .properties(height=RATES_HEIGHT)
    )


def _trend(grain: str, chosen: filters.Filters) -> None:
    frame = data.sales(grain, chosen.start, chosen.end, chosen.country, chosen.channel)
    if frame.empty:
        st.info("No orders in the selected range.")
        return
    columns = ["period", "net_revenue", "orders", "avg_order_value", "cancel_rate", "return_rate"]
    frame = _with_period(frame, grain)[columns]  # only what the charts draw goes to the browser
    charts.draw(_revenue_and_orders(frame, grain), key="trend")
    left, right = st.columns(2)
    with left:
        charts.draw(_order_value(frame, grain), key="aov")
    with right:
        charts.draw(_rates(frame, grain), key="rates")


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
