"""Products: top and bottom products, margin vs return-rate scatter, inventory turnover,
cross-sell pairs."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from ecommerce_pipeline.dashboard import data
from ecommerce_pipeline.serving import PRODUCT_METRICS

TITLE = "Products"


def _ranking(metric: str) -> None:
    left, right = st.columns(2)
    for column, bottom, label, key in (
        (left, False, "Top 10", "top_products"),
        (right, True, "Bottom 10", "bottom_products"),
    ):
        with column:
            st.subheader(f"{label} by {metric.replace('_', ' ')}")
            ranked = data.ranked_products(metric, bottom, sold_only=True)
            figure = px.bar(
                ranked.iloc[::-1],
                x=metric,
                y="product_name",
                orientation="h",
                color="category",
                hover_data=["product_id"],
            )
            figure.update_layout(
                height=380, margin={"t": 10, "b": 10}, yaxis_title=None, showlegend=False
            )
            st.plotly_chart(figure, key=key)


def _scatter_and_turnover() -> None:
    products = data.product_scatter()
    left, right = st.columns(2)
    with left:
        st.subheader("Margin vs return rate (top 500 by revenue)")
        figure = px.scatter(
            products,
            x="return_rate",
            y="margin_pct",
            size="net_revenue",
            color="category",
            hover_name="product_name",
            size_max=30,
        )
        figure.update_layout(
            height=380, margin={"t": 10, "b": 10}, xaxis_tickformat=".0%", yaxis_tickformat=".0%"
        )
        st.plotly_chart(figure, key="margin_returns")
    with right:
        st.subheader("Inventory turnover by category (median)")
        turnover = data.turnover_by_category().sort_values("median_turnover")
        figure = px.bar(
            turnover, x="median_turnover", y="category", orientation="h", hover_data=["products"]
        )
        figure.update_layout(height=380, margin={"t": 10, "b": 10}, yaxis_title=None)
        st.plotly_chart(figure, key="turnover")


def _pairs() -> None:
    st.subheader("Strongest cross-sell pairs")
    pairs = data.top_pairs()
    names = data.product_names()
    if pairs.empty:
        st.info("No product pair was bought together often enough yet.")
        return
    pairs.insert(1, "product", pairs["product_id"].map(names))
    pairs.insert(3, "related_product", pairs["related_product_id"].map(names))
    st.dataframe(pairs, hide_index=True)


def render() -> None:
    st.title(TITLE)
    st.caption(
        "Product marts over all orders to date, products that sold (date and country filters "
        "do not apply)."
    )
    metric = st.selectbox(
        "Rank by",
        PRODUCT_METRICS,
        index=0,
        key="products_metric",
        format_func=lambda name: name.replace("_", " "),
    )
    _ranking(metric)
    _scatter_and_turnover()
    _pairs()
