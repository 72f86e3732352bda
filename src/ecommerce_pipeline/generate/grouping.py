"""Vectorised operations over rows sorted into contiguous groups (per customer, per order ...)."""

from __future__ import annotations

import numpy as np


def group_starts(groups: np.ndarray) -> np.ndarray:
    """Boolean mask: True where a new group begins (``groups`` sorted)."""
    if not len(groups):
        return np.zeros(0, dtype=bool)
    return np.r_[True, groups[1:] != groups[:-1]]


def cumsum_by_group(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` restarting at each group (``groups`` sorted)."""
    total = np.cumsum(values)
    if not len(values):
        return total
    starts = np.flatnonzero(group_starts(groups))
    offsets = np.repeat(total[starts] - values[starts], np.diff(np.r_[starts, len(values)]))
    return total - offsets


def position_in_group(groups: np.ndarray) -> np.ndarray:
    """0-based position of each row within its group (``groups`` sorted)."""
    positions = np.arange(len(groups))
    first = np.maximum.accumulate(np.where(group_starts(groups), positions, 0))
    return positions - first


def rank_within(groups: np.ndarray, secs: np.ndarray) -> np.ndarray:
    """0-based rank of each row by time within its group (any input order)."""
    order = np.lexsort((secs, groups))
    ranks = np.empty(len(groups), dtype=np.int64)
    ranks[order] = position_in_group(groups[order])
    return ranks


def forward_fill(values: np.ndarray) -> np.ndarray:
    """Replace each -1 by the last non-negative value before it (the first must be set)."""
    positions = np.where(values >= 0, np.arange(len(values)), 0)
    return values[np.maximum.accumulate(positions)] if len(values) else values
