"""Rows of a table kept as numeric columns until they are written (cheap to merge and sort).

Each row has ``secs`` (its ``updated_at``, which decides the day folder) and a sort ``key``
(``updated_at`` then the entity number), so one ``argsort`` orders rows by day and time.
Arrow tables are built only once per written chunk, already in file order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_NUMBER_BITS = 24


def sort_key(secs: np.ndarray, number: np.ndarray) -> np.ndarray:
    """``updated_at`` first, then the (low bits of the) entity number: a stable file order."""
    low_bits = np.asarray(number, np.int64) & ((1 << _NUMBER_BITS) - 1)
    return (np.asarray(secs, np.int64) << _NUMBER_BITS) + low_bits


@dataclass(frozen=True)
class Versions:
    """Numeric columns of some rows of one table (all arrays the same length)."""

    values: dict[str, np.ndarray]
    key: np.ndarray

    @property
    def secs(self) -> np.ndarray:
        return self.values["secs"]

    def __len__(self) -> int:
        return len(self.key)

    def take(self, index: np.ndarray) -> Versions:
        return Versions(
            {name: column[index] for name, column in self.values.items()}, self.key[index]
        )

    def in_file_order(self) -> Versions:
        return self.take(np.argsort(self.key, kind="stable"))

    @staticmethod
    def concat(parts: list[Versions]) -> Versions:
        parts = [part for part in parts if len(part)] or parts[:1]
        names = parts[0].values.keys()
        return Versions(
            {name: np.concatenate([part.values[name] for part in parts]) for name in names},
            np.concatenate([part.key for part in parts]),
        )


class PendingVersions:
    """Rows waiting for their day: order and item rows of shipping, delivery and returns."""

    def __init__(self) -> None:
        self._waiting: list[Versions] = []

    def add(self, rows: Versions) -> None:
        self._waiting.append(rows)

    def lowest(self, name: str) -> int:
        """Smallest value of column ``name`` among the waiting rows (a huge number if none)."""
        values = [part.values[name].min() for part in self._waiting if len(part)]
        return int(min(values)) if values else np.iinfo(np.int64).max

    def due_before(self, stop_secs: int) -> Versions:
        """Remove and return (in file order) the rows with ``updated_at`` before ``stop_secs``."""
        rows = Versions.concat(self._waiting)
        due = rows.secs < stop_secs
        self._waiting = [rows.take(np.flatnonzero(~due))]
        now = np.flatnonzero(due)
        return rows.take(now[np.argsort(rows.key[now], kind="stable")])
