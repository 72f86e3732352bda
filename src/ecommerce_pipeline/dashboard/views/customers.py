"""Customers: RFM segments and grid, CLV distribution, churn-risk list, cohort retention heatmap."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ecommerce_pipeline.dashboard import charts, data, filters
from ecommerce_pipeline.serving.queries import period_start

TITLE = "Customers"


def _segment_bars(segments: pd.DataFrame) -> alt.Chart:
    """Customers per RFM segment (largest first), coloured by the average monetary value."""
    return charts.hbar(
        segments.sort_values("customers", ascending=False),
        value="customers",
        label="rfm_segment",
        value_title="Customers",
        value_format=charts.COUNT,
        color=alt.Color(
            "avg_monetary:Q",
            title="Avg monetary",
            scale=alt.Scale(scheme="blues"),
            legend=alt.Legend(format=charts.MONEY),
        ),
        tooltip=[
            charts.tip("rfm_segment:N", "Segment"),
            charts.tip("customers:Q", "Customers", charts.COUNT),
            charts.tip("avg_monetary:Q", "Avg monetary", charts.MONEY_CENTS),
            charts.tip("net_revenue:Q", "Net revenue", charts.MONEY_CENTS),
            charts.tip("avg_recency_days:Q", "Avg recency (days)", ",.1f"),
        ],
        height=340,
    )


def _rfm_heatmap(grid: pd.DataFrame) -> alt.LayerChart:
    """Customers per (recency, frequency) score, every score pair (0 when none); recency 5
    (the most recent) on top."""
    cells = (
        grid.pivot_table(index="r_score", columns="f_score", values="customers", fill_value=0)
        .stack()
        .rename("customers")
        .reset_index()
    )
    return charts.heatmap(
        cells,
        x=alt.X("f_score:O", title="Frequency score", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("r_score:O", title="Recency score", sort="descending"),
        value="customers",
        value_title="Customers",
        value_format=charts.COUNT,
        scheme="greens",
        tooltip=[
            charts.tip("r_score:O", "Recency score"),
            charts.tip("f_score:O", "Frequency score"),
            charts.tip("customers:Q", "Customers", charts.COUNT),
        ],
    ).properties(height=340)


def _segments(country: str | None) -> None:
    segments = data.segments(country)
    grid = data.rfm_grid(country)
    left, right = st.columns(2)
    with left:
        st.subheader("RFM segments")
        charts.draw(_segment_bars(segments), key="segments")
    with right:
        st.subheader("RFM grid (customers)")
        charts.draw(_rfm_heatmap(grid), key="rfm_grid")


def _powers_of_ten(top: int) -> list[int]:
    """1, 10, 100, ... up to the first power of ten at or above ``top`` (the log axis' ticks)."""
    powers = [1]
    while powers[-1] < top:
        powers.append(powers[-1] * 10)
    return powers


def _clv_histogram(bins: pd.DataFrame) -> alt.Chart:
    """Customers per predicted-CLV bin on a log-like scale (symlog: an empty bin stays 0)."""
    return (
        alt.Chart(bins)
        .mark_bar(binSpacing=1)
        .encode(
            x=alt.X(
                "clv_from:Q",
                bin="binned",
                title="Predicted CLV",
                axis=charts.axis(charts.MONEY),
            ),
            x2="clv_to:Q",
            y=alt.Y(
                "customers:Q",
                title="Customers (log scale)",
                scale=alt.Scale(type="symlog"),
                axis=alt.Axis(values=_powers_of_ten(int(bins["customers"].max())), format=",.0f"),
            ),
            tooltip=[
                charts.tip("clv_from:Q", "CLV from", charts.MONEY_CENTS),
                charts.tip("clv_to:Q", "CLV to", charts.MONEY_CENTS),
                charts.tip("customers:Q", "Customers", charts.COUNT),
            ],
        )
        .properties(height=320)
    )


def _clv_and_churn(country: str | None) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("Predicted CLV distribution")
        charts.draw(_clv_histogram(data.clv_histogram(country)), key="clv")
    with right:
        st.subheader("Highest churn risk (not yet churned)")
        st.dataframe(
            data.churn_risk(country),
            hide_index=True,
            height=340,
            column_config={
                "churn_probability": st.column_config.ProgressColumn(
                    "churn probability", min_value=0.0, max_value=1.0, format="percent"
                ),
                "predicted_clv": st.column_config.NumberColumn(format="dollar"),
                "net_revenue": st.column_config.NumberColumn(format="dollar"),
            },
        )


def _cohorts(chosen: filters.Filters) -> None:
    st.subheader("Cohort retention")
    cohorts = data.cohorts(period_start(chosen.start, "month"), chosen.end)
    if cohorts.empty:
        st.info("No cohort starts in the selected range.")
        return
    cohorts["cohort"] = cohorts["cohort_month"].astype(str).str.slice(0, 7)
    columns = ["cohort", "months_since_first_order", "cohort_size", "active_customers"]
    chart = charts.heatmap(
        cohorts[[*columns, "retention_rate"]],
        x=alt.X(
            "months_since_first_order:O",
            title="Months since first order",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("cohort:O", title="Cohort"),
        value="retention_rate",
        value_title="Retention",
        value_format=charts.PERCENT,
        scheme="purples",
        tooltip=[
            charts.tip("cohort:O", "Cohort"),
            charts.tip("months_since_first_order:O", "Months since first order"),
            charts.tip("cohort_size:Q", "Cohort size", charts.COUNT),
            charts.tip("active_customers:Q", "Active customers", charts.COUNT),
            charts.tip("retention_rate:Q", "Retention", charts.PERCENT_1),
        ],
    ).properties(height=alt.Step(28))
    charts.draw(chart, key="cohorts")


def render() -> None:
    chosen = filters.current()
    st.title(TITLE)
    st.caption(
        "Customer marts as of the last run; the country filter uses the customer's country, the "
        "date range selects the cohorts. Customers appear by id only (no personal data)."
    )
    _segments(chosen.country)
    _clv_and_churn(chosen.country)
    _cohorts(chosen)
