"""Data quality: the latest run's checks and the trend of failing checks per run."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from ecommerce_pipeline.dashboard import data

TITLE = "Data quality"
EMPTY_STATE = (
    "No data-quality results yet: marts.data_quality_results appears after the first "
    "data-quality run."
)


def render() -> None:
    st.title(TITLE)
    if st.button("Reload results", key="dq_reload"):
        data.dq_status.clear()
    available, latest, history, quarantine = data.dq_status()
    if not available or latest.empty:
        st.info(EMPTY_STATE)
        return
    failed = latest["status"].str.lower().isin(["fail", "error"])
    warned = latest["status"].str.lower().eq("warn")
    first, second, third = st.columns(3)
    first.metric("Checks in the latest run", f"{len(latest):,}", border=True)
    second.metric("Failing", f"{int(failed.sum()):,}", border=True)
    third.metric("Warnings", f"{int(warned.sum()):,}", border=True)
    st.caption(f"Run {latest['run_id'].iloc[0]} at {latest['run_at'].iloc[0]}")
    st.subheader("Failing checks per run")
    figure = px.bar(
        history,
        x="run_at",
        y=["failed_checks", "warned_checks"],
        barmode="stack",
        hover_data=["run_id", "checks"],
    )
    figure.update_layout(height=320, margin={"t": 10, "b": 10}, legend_title=None)
    st.plotly_chart(figure, key="dq_trend")
    st.subheader("Quarantined rows by reason (latest run)")
    if quarantine.empty:
        st.caption("No row was quarantined in the latest run.")
    else:
        figure = px.bar(quarantine, x="rows", y="reason", color="model", orientation="h")
        figure.update_layout(height=300, margin={"t": 10, "b": 10}, yaxis_title=None)
        st.plotly_chart(figure, key="dq_quarantine")
    st.subheader("Latest checks")
    st.dataframe(latest.sort_values("status"), hide_index=True)
