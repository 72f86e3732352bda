"""Tiny inline SVG charts for the self-contained reports (no JavaScript, no external files)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

STATUS_COLORS = {
    "pass": "#2e7d32",
    "warn": "#f9a825",
    "fail": "#c62828",
    "error": "#6a1b9a",
    "skipped": "#9e9e9e",
}


def stacked_bars(
    labels: Sequence[str],
    stacks: Sequence[dict[str, int]],
    *,
    colors: dict[str, str] = STATUS_COLORS,
    width: int = 640,
    height: int = 160,
) -> str:
    """Vertical stacked bars, one per label (e.g. check statuses per run)."""
    if not labels:
        return "<p class='muted'>no runs yet</p>"
    top = max(sum(stack.values()) for stack in stacks) or 1
    slot = width / len(labels)
    bar = max(slot * 0.7, 1.0)
    parts = []
    for index, (label, stack) in enumerate(zip(labels, stacks, strict=True)):
        x = index * slot + (slot - bar) / 2
        y = float(height)
        for key, color in colors.items():
            count = stack.get(key, 0)
            if not count:
                continue
            size = count / top * (height - 10)
            y -= size
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{size:.1f}" '
                f'fill="{color}"><title>{escape(label)}: {count} {key}</title></rect>'
            )
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" height="{height}" role="img" '
        f'aria-label="checks per run">{"".join(parts)}</svg>'
    )


def line(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    width: int = 640,
    height: int = 120,
    color: str = "#1565c0",
    marks: Sequence[bool] | None = None,
) -> str:
    """A line over the labelled points; ``marks`` highlight points (e.g. anomalies) in red."""
    known = [value for value in values if value is not None]
    if not known:
        return "<p class='muted'>no data</p>"
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    points = []
    dots = []
    for index, value in enumerate(values):
        if value is None:
            continue
        x = index * step
        y = height - 8 - (value - low) / span * (height - 16)
        points.append(f"{x:.1f},{y:.1f}")
        if marks is not None and marks[index]:
            dots.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#c62828">'
                f"<title>{escape(labels[index])}: {value:.4g}</title></circle>"
            )
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" height="{height}" role="img">'
        f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{" ".join(points)}"/>'
        f'{"".join(dots)}<text x="2" y="10" font-size="9">{high:.4g}</text>'
        f'<text x="2" y="{height - 1}" font-size="9">{low:.4g}</text></svg>'
    )


def hbars(items: Sequence[tuple[str, float]], *, width: int = 640, unit: str = "") -> str:
    """Horizontal bars with their labels (e.g. the slowest models)."""
    if not items:
        return "<p class='muted'>no data</p>"
    top = max(value for _, value in items) or 1.0
    row = 18
    parts = []
    for index, (label, value) in enumerate(items):
        y = index * row
        size = value / top * (width * 0.55)
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="11">{escape(label)}</text>'
            f'<rect x="{width * 0.4:.1f}" y="{y + 3}" width="{size:.1f}" height="12" '
            f'fill="#1565c0"/><text x="{width * 0.4 + size + 4:.1f}" y="{y + 13}" '
            f'font-size="10">{value:.2f}{unit}</text>'
        )
    height = row * len(items)
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" height="{height}" role="img">'
        f"{''.join(parts)}</svg>"
    )
