"""Keyed step functions of time: "the value valid at t" lookups used for SCD-style histories."""

from __future__ import annotations

import numpy as np

_TIME_BITS = 36  # about 2,000 years of seconds


class Timeline:
    """For each key, a series of changes; the value at ``t`` is the last change at or before ``t``.

    ``keys`` and ``times`` need not be sorted. Every key looked up must have a change at or before
    the time asked (its creation), otherwise the lookup returns -1 for it.
    """

    def __init__(self, keys: np.ndarray, times: np.ndarray, values: dict[str, np.ndarray]) -> None:
        order = np.lexsort((times, keys))
        self.keys = np.asarray(keys)[order]
        self.times = np.asarray(times, dtype=np.int64)[order]
        self.values = {name: np.asarray(column)[order] for name, column in values.items()}
        self._base = int(self.times.min()) - 1 if len(self.times) else 0
        self._composite = self._key(self.keys, self.times)

    def _key(self, keys: np.ndarray, times: np.ndarray) -> np.ndarray:
        return (np.asarray(keys, dtype=np.int64) << _TIME_BITS) + (
            np.asarray(times, dtype=np.int64) - self._base
        )

    def index_at(self, keys: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Index (into the sorted changes) of the change valid at ``times``; -1 when none."""
        position = np.searchsorted(self._composite, self._key(keys, times), side="right") - 1
        found = (position >= 0) & (self.keys[np.maximum(position, 0)] == keys)
        return np.where(found, position, -1)

    def value_at(self, name: str, keys: np.ndarray, times: np.ndarray) -> np.ndarray:
        return self.values_at((name,), keys, times)[0]

    def values_at(
        self, names: tuple[str, ...], keys: np.ndarray, times: np.ndarray
    ) -> list[np.ndarray]:
        """The values of ``names`` valid at each (key, time), from one lookup."""
        index = self.index_at(keys, times)
        if (index < 0).any():
            raise ValueError(f"timeline lookup of {names} before the key's first change")
        return [self.values[name][index] for name in names]
