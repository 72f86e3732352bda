"""Customers: RFM segment grid, CLV distribution, churn-risk list, cohort retention heatmap."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from ecommerce_pipeline.dashboard import data, filters
from ecommerce_pipeline.serving.queries import period_start

TITLE = "Customers"


def _segments(country: str | None) -> None:
    segments = data.segments(country)
    grid = data.rfm_grid(country)
    left, right = st.columns(2)
    with left:
        st.subheader("RFM segments")
        figure = px.treemap(
            segments,
            path=["rfm_segment"],
            values="customers",
            color="avg_monetary",
            color_continuous_scale="Blues",
            hover_data=["net_revenue", "avg_recency_days"],
        )
        figure.update_layout(height=360, margin={"t": 10, "b": 10, "l": 10, "r": 10})
        st.plotly_chart(figure, key="segments")
    with right:
        st.subheader("RFM grid (customers)")
        pivot = grid.pivot_table(
            index="r_score", columns="f_score", values="customers", fill_value=0
        ).sort_index(ascending=False)
        figure = px.imshow(
            pivot,
            text_auto=True,
            color_continuous_scale="Greens",
            aspect="auto",
            labels={"x": "Frequency score", "y": "Recency score", "color": "Customers"},
        )
        figure.update_layout(height=360, margin={"t": 10, "b": 10})
        st.plotly_chart(figure, key="rfm_grid")


def _clv_and_churn(country: str | None) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("Predicted CLV distribution")
        bins = data.clv_histogram(country)
        bins["predicted_clv"] = (bins["clv_from"] + bins["clv_to"]) / 2
        figure = px.bar(
            bins, x="predicted_clv", y="customers", log_y=True, hover_data=["clv_from", "clv_to"]
        )
        figure.update_layout(height=340, margin={"t": 10, "b": 10}, bargap=0.05)
        st.plotly_chart(figure, key="clv")
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
    pivot = cohorts.pivot_table(
        index="cohort", columns="months_since_first_order", values="retention_rate"
    )
    figure = px.imshow(
        pivot,
        text_auto=".0%",
        color_continuous_scale="Purples",
        aspect="auto",
        labels={"x": "Months since first order", "y": "Cohort", "color": "Retention"},
    )
    figure.update_layout(height=120 + 28 * len(pivot), margin={"t": 10, "b": 10})
    st.plotly_chart(figure, key="cohorts")


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
