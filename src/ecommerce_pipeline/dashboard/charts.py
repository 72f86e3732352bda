"""Altair (Vega-Lite) building blocks shared by the dashboard pages.

Every chart is drawn by :func:`draw` at the width of its container. Vega-Lite's JavaScript is a
fraction of Plotly's, so the first chart of a cold page appears about a second sooner.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import altair as alt
import pandas as pd
import streamlit as st

#: The charts the pages draw (single views and layers).
Drawable = alt.Chart | alt.LayerChart
#: The Vega colour schemes of the pages' continuous colour scales.
Scheme = Literal["blues", "greens", "purples", "reds"]
#: d3 number formats of axes, legends and tooltips.
MONEY = "$,.0f"
MONEY_CENTS = "$,.2f"
COUNT = ",d"
DECIMAL = ",.2f"
PERCENT = ".0%"
PERCENT_1 = ".1%"
PERCENT_2 = ".2%"
#: Colour of a label drawn on a dark heatmap cell / on a light one.
LIGHT_TEXT = "white"
DARK_TEXT = "#31333f"


def draw(chart: Drawable, key: str) -> None:
    """Draw ``chart`` at the full width of the current container."""
    st.altair_chart(chart, width="stretch", key=key)


def axis(fmt: str) -> alt.Axis:
    """A numeric axis labelled with ``fmt``; a count axis has whole-number ticks only."""
    return alt.Axis(format=fmt, tickMinStep=1 if fmt == COUNT else alt.Undefined)


def tip(shorthand: str, title: str, fmt: str | None = None) -> alt.Tooltip:
    """A tooltip line: ``title`` and the field's value (formatted with ``fmt`` if given)."""
    return alt.Tooltip(shorthand, title=title, format=alt.Undefined if fmt is None else fmt)


def legend_below() -> alt.Legend:
    """An untitled horizontal legend under the chart (for series named in the legend)."""
    return alt.Legend(orient="bottom", title=None)


def as_series(chart: alt.Chart, name: str) -> alt.Chart:
    """``chart`` with a constant ``series`` field ``name``: layers of one value each colour by
    ``series:N`` and share one legend."""
    return chart.transform_calculate(series=json.dumps(name))


def long(frame: pd.DataFrame, keep: list[str], series: dict[str, str]) -> pd.DataFrame:
    """``frame`` with the ``series`` columns stacked into ``series`` (their display name, from
    the mapping) and ``value`` columns, one row per (``keep`` values, series)."""
    stacked = frame.melt(
        id_vars=keep, value_vars=list(series), var_name="series", value_name="value"
    )
    stacked["series"] = stacked["series"].map(series)
    return stacked


def hbar(
    frame: pd.DataFrame,
    *,
    value: str,
    label: str,
    value_title: str,
    value_format: str,
    tooltip: list[alt.Tooltip],
    height: int,
    color: Any = alt.Undefined,
) -> alt.Chart:
    """Horizontal bars of ``value`` per ``label``, top to bottom in the frame's row order."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=value_title, axis=axis(value_format)),
            y=alt.Y(f"{label}:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
            color=color,
            tooltip=tooltip,
        )
        .properties(height=height)
    )


def heatmap(
    frame: pd.DataFrame,
    *,
    x: alt.X,
    y: alt.Y,
    value: str,
    value_title: str,
    value_format: str,
    scheme: Scheme,
    tooltip: list[alt.Tooltip],
) -> alt.LayerChart:
    """Cells coloured by ``value`` (one row of ``frame`` per cell), each labelled with it; the
    label is light on the darker half of the colour scale."""
    midpoint = float(frame[value].max()) / 2 if not frame.empty else 0.0
    base = alt.Chart(frame).encode(x=x, y=y, tooltip=tooltip)
    cells = base.mark_rect().encode(
        color=alt.Color(
            f"{value}:Q",
            title=value_title,
            scale=alt.Scale(scheme=scheme),
            legend=alt.Legend(format=value_format),
        )
    )
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text(f"{value}:Q", format=value_format),
        color=alt.when(alt.datum[value] > midpoint)
        .then(alt.value(LIGHT_TEXT))
        .otherwise(alt.value(DARK_TEXT)),
    )
    return alt.LayerChart(layer=[cells, labels])
