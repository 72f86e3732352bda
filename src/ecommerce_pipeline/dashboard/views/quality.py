"""Data quality: the latest run's checks and the trend of failing checks per run."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ecommerce_pipeline.dashboard import charts, data

TITLE = "Data quality"
EMPTY_STATE = (
    "No data-quality results yet: marts.data_quality_results appears after the first "
    "data-quality run."
)


def _history_chart(history: pd.DataFrame) -> alt.Chart:
    """Failing and warning checks per run (stacked bars, runs in time order)."""
    runs = history.assign(run=pd.to_datetime(history["run_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"))
    stacked = charts.long(
        runs[["run", "run_id", "checks", "failed_checks", "warned_checks"]],
        ["run", "run_id", "checks"],
        {"failed_checks": "Failed checks", "warned_checks": "Warned checks"},
    )
    return (
        alt.Chart(stacked)
        .mark_bar()
        .encode(
            x=alt.X("run:O", title="Run at", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
            y=alt.Y("value:Q", title="Checks", stack="zero", axis=charts.axis(charts.COUNT)),
            color=alt.Color("series:N", sort=None, legend=charts.legend_below()),
            order=alt.Order("series:N"),
            tooltip=[
                charts.tip("run_id:N", "Run"),
                charts.tip("run:O", "Run at"),
                charts.tip("series:N", "Series"),
                charts.tip("value:Q", "Checks", charts.COUNT),
                charts.tip("checks:Q", "Checks in the run", charts.COUNT),
            ],
        )
        .properties(height=300)
    )


def _quarantine_chart(quarantine: pd.DataFrame) -> alt.Chart:
    """Quarantined rows per reason, stacked by model."""
    return charts.hbar(
        quarantine,
        value="rows",
        label="reason",
        value_title="Rows",
        value_format=charts.COUNT,
        color=alt.Color("model:N", title="Model"),
        tooltip=[
            charts.tip("reason:N", "Reason"),
            charts.tip("model:N", "Model"),
            charts.tip("rows:Q", "Rows", charts.COUNT),
        ],
        height=280,
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
    charts.draw(_history_chart(history), key="dq_trend")
    st.subheader("Quarantined rows by reason (latest run)")
    if quarantine.empty:
        st.caption("No row was quarantined in the latest run.")
    else:
        charts.draw(_quarantine_chart(quarantine), key="dq_quarantine")
    st.subheader("Latest checks")
    st.dataframe(latest.sort_values("status"), hide_index=True)
