"""Products: top and bottom products, margin vs return-rate scatter, inventory turnover,
cross-sell pairs."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ecommerce_pipeline.dashboard import charts, data
from ecommerce_pipeline.serving import PRODUCT_METRICS

TITLE = "Products"


#: Number format of each ranking metric (counts and scores otherwise).
METRIC_FORMATS = {
    "net_revenue": charts.MONEY,
    "gross_revenue": charts.MONEY,
    "gross_profit": charts.MONEY,
    "units_sold": charts.COUNT,
    "revenue_orders": charts.COUNT,
    "margin_pct": charts.PERCENT,
    "return_rate": charts.PERCENT,
}


def _label(metric: str) -> str:
    return metric.replace("_", " ")


def _ranking_bars(ranked: pd.DataFrame, metric: str) -> alt.Chart:
    """One bar per product in the ranking's order, coloured by category (named in the tooltip)."""
    fmt = METRIC_FORMATS.get(metric, charts.DECIMAL)
    tooltip_fmt = charts.MONEY_CENTS if fmt == charts.MONEY else fmt
    return charts.hbar(
        ranked,
        value=metric,
        label="product_name",
        value_title=_label(metric).capitalize(),
        value_format=fmt,
        color=alt.Color("category:N", legend=None),
        tooltip=[
            charts.tip("product_name:N", "Product"),
            charts.tip("product_id:N", "Product id"),
            charts.tip("category:N", "Category"),
            charts.tip(f"{metric}:Q", _label(metric).capitalize(), tooltip_fmt),
        ],
        height=360,
    )


def _ranking(metric: str) -> None:
    left, right = st.columns(2)
    for column, bottom, label, key in (
        (left, False, "Top 10", "top_products"),
        (right, True, "Bottom 10", "bottom_products"),
    ):
        with column:
            st.subheader(f"{label} by {_label(metric)}")
            ranked = data.ranked_products(metric, bottom, sold_only=True)
            charts.draw(_ranking_bars(ranked, metric), key=key)


def _margin_vs_returns(products: pd.DataFrame) -> alt.Chart:
    """One circle per product, its area the net revenue, coloured by category."""
    return (
        alt.Chart(
            products[["product_name", "category", "net_revenue", "margin_pct", "return_rate"]]
        )
        .mark_circle(opacity=0.7)
        .encode(
            x=alt.X("return_rate:Q", title="Return rate", axis=charts.axis(charts.PERCENT)),
            y=alt.Y("margin_pct:Q", title="Margin", axis=charts.axis(charts.PERCENT)),
            size=alt.Size(
                "net_revenue:Q",
                title="Net revenue",
                scale=alt.Scale(range=[4, 700]),
                legend=None,
            ),
            color=alt.Color("category:N", title="Category"),
            tooltip=[
                charts.tip("product_name:N", "Product"),
                charts.tip("category:N", "Category"),
                charts.tip("net_revenue:Q", "Net revenue", charts.MONEY_CENTS),
                charts.tip("margin_pct:Q", "Margin", charts.PERCENT_1),
                charts.tip("return_rate:Q", "Return rate", charts.PERCENT_1),
            ],
        )
        .properties(height=360)
    )


def _turnover_bars(turnover: pd.DataFrame) -> alt.Chart:
    """Median inventory turnover per category, highest first."""
    return charts.hbar(
        turnover.sort_values("median_turnover", ascending=False),
        value="median_turnover",
        label="category",
        value_title="Median inventory turnover",
        value_format=charts.DECIMAL,
        tooltip=[
            charts.tip("category:N", "Category"),
            charts.tip("median_turnover:Q", "Median turnover", charts.DECIMAL),
            charts.tip("products:Q", "Products", charts.COUNT),
        ],
        height=360,
    )


def _scatter_and_turnover() -> None:
    products = data.product_scatter()
    left, right = st.columns(2)
    with left:
        st.subheader("Margin vs return rate (top 500 by revenue)")
        charts.draw(_margin_vs_returns(products), key="margin_returns")
    with right:
        st.subheader("Inventory turnover by category (median)")
        charts.draw(_turnover_bars(data.turnover_by_category()), key="turnover")


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
        format_func=_label,
    )
    _ranking(metric)
    _scatter_and_turnover()
    _pairs()
