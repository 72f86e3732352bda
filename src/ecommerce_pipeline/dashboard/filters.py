"""Sidebar filters shared by every page: date range, country, sales channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from ecommerce_pipeline.dashboard import data
from ecommerce_pipeline.serving import SALES_CHANNELS

#: Default range: the last DEFAULT_DAYS days with orders (ending at the last order date).
DEFAULT_DAYS = 90
ALL = "All"
STATE_KEY = "ecom_filters"


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    country: str | None
    channel: str | None


def default_range(first: date, last: date) -> tuple[date, date]:
    """The last DEFAULT_DAYS days up to the last order date (not before the first)."""
    return max(first, last - timedelta(days=DEFAULT_DAYS - 1)), last


def sidebar(first: date, last: date) -> Filters:
    """Draws the filters in the sidebar and stores the choice for the pages."""
    st.sidebar.header("Filters")
    chosen = st.sidebar.date_input(
        "Order dates",
        value=default_range(first, last),
        min_value=first,
        max_value=last,
        key="filter_dates",
    )
    if isinstance(chosen, tuple) and len(chosen) == 2:
        start, end = chosen
    else:  # the user has picked only the first day of a new range so far
        start, end = default_range(first, last)
    country = st.sidebar.selectbox(
        "Country", [ALL, *data.countries()], key="filter_country", help="Ship country of orders"
    )
    channel = st.sidebar.selectbox("Sales channel", [ALL, *SALES_CHANNELS], key="filter_channel")
    filters = Filters(
        start=start,
        end=end,
        country=None if country == ALL else country,
        channel=None if channel == ALL else channel,
    )
    st.session_state[STATE_KEY] = filters
    return filters


def current() -> Filters:
    """The filters drawn by the app for this run."""
    filters: Filters = st.session_state[STATE_KEY]
    return filters
