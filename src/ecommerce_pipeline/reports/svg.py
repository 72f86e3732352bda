"""Inline SVG charts for the e-mailable business report (no JavaScript, no external files)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BLUE = "#1f6feb"
GREY = "#8b949e"


def columns(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: int = 680,
    height: int = 180,
    color: str = BLUE,
    highlight: int | None = None,
) -> str:
    """Vertical bars with the first and last label under the axis; ``highlight`` is an index."""
    if not values:
        return "<p class='muted'>no data</p>"
    top = max(max(values), 0.0) or 1.0
    slot = width / len(values)
    bar = max(slot * 0.75, 1.0)
    parts = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        size = max(value, 0.0) / top * (height - 24)
        x = index * slot + (slot - bar) / 2
        fill = color if highlight is None or index == highlight else GREY
        parts.append(
            f"<rect x='{x:.1f}' y='{height - 20 - size:.1f}' width='{bar:.1f}' "
            f"height='{size:.1f}' fill='{fill}'><title>{escape(label)}: {value:,.2f}</title>"
            "</rect>"
        )
    parts.append(_axis_labels(labels, width, height))
    return _svg(width, height, "".join(parts))


def line(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: int = 680,
    height: int = 180,
    color: str = BLUE,
) -> str:
    """A line with dots; the points' values are in their tooltips."""
    if not values:
        return "<p class='muted'>no data</p>"
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    points = [
        (index * step if len(values) > 1 else width / 2, 8 + (high - value) / span * (height - 36))
        for index, value in enumerate(values)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(
        f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{color}'>"
        f"<title>{escape(label)}: {value:,.2f}</title></circle>"
        for (x, y), label, value in zip(points, labels, values, strict=True)
    )
    body = f"<polyline points='{path}' fill='none' stroke='{color}' stroke-width='2'/>{dots}"
    return _svg(width, height, body + _axis_labels(labels, width, height))


def bars(items: Sequence[tuple[str, float]], *, width: int = 680, unit: str = "") -> str:
    """Horizontal bars with their labels and values (e.g. customers per segment)."""
    if not items:
        return "<p class='muted'>no data</p>"
    row = 22
    label_width = 190
    top = max(value for _, value in items) or 1.0
    parts = []
    for index, (label, value) in enumerate(items):
        y = index * row
        size = max(value, 0.0) / top * (width - label_width - 90)
        parts.append(
            f"<text x='0' y='{y + 15}' font-size='12'>{escape(label)}</text>"
            f"<rect x='{label_width}' y='{y + 4}' width='{size:.1f}' height='{row - 8}' "
            f"fill='{BLUE}'/>"
            f"<text x='{label_width + size + 6:.1f}' y='{y + 15}' font-size='12'>"
            f"{unit}{value:,.0f}</text>"
        )
    return _svg(width, row * len(items), "".join(parts))


def _axis_labels(labels: Sequence[str], width: int, height: int) -> str:
    if not labels:
        return ""
    first = escape(labels[0])
    last = escape(labels[-1])
    return (
        f"<text x='0' y='{height - 4}' font-size='11' fill='{GREY}'>{first}</text>"
        f"<text x='{width}' y='{height - 4}' font-size='11' fill='{GREY}' "
        f"text-anchor='end'>{last}</text>"
    )


def _svg(width: int, height: int, body: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='100%' role='img'>{body}</svg>"
    )
