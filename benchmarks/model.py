"""The result records of a benchmark run, kept as JSON (benchmarks/results/latest.json)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Measurement:
    """One timed step: how many rows it handled, how long it took, how much memory it used.

    ``seconds`` is the timed region inside the step's subprocess (imports and interpreter start-up
    excluded); ``wall_seconds`` is the whole subprocess. When the step ran on a slice,
    ``extrapolated`` is true, ``rows`` and ``seconds`` are the slice's and ``full_rows`` /
    ``full_seconds`` the extrapolation to the whole data set at the same rate.
    """

    key: str
    label: str
    rows: int
    seconds: float
    peak_rss_mb: float
    wall_seconds: float
    extrapolated: bool = False
    full_rows: int | None = None
    full_seconds: float | None = None
    megabytes: float | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rows_per_second"] = self.rows_per_second
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        fields = {key: value for key, value in data.items() if key != "rows_per_second"}
        return cls(**fields)


@dataclass
class Target:
    """A figure compared with a threshold: ``value <= threshold`` or ``value >= threshold``."""

    key: str
    description: str
    value: float
    threshold: float
    comparison: str  # "<=" or ">="
    unit: str = ""

    def __post_init__(self) -> None:
        if self.comparison not in ("<=", ">="):
            raise ValueError(
                f"Target {self.key}: comparison must be '<=' or '>=', not {self.comparison!r}"
            )

    @property
    def passed(self) -> bool:
        if self.comparison == "<=":
            return self.value <= self.threshold
        return self.value >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        return cls(**{key: value for key, value in data.items() if key != "passed"})


@dataclass
class Ratio:
    """A comparison of two measurements reported beside the figures (no threshold)."""

    description: str
    value: float
    unit: str = "x"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ratio:
        return cls(**data)


@dataclass
class SectionResult:
    """What one benchmark section measured."""

    key: str
    title: str
    description: str
    measurements: list[Measurement] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    def measurement(self, key: str) -> Measurement:
        for measurement in self.measurements:
            if measurement.key == key:
                return measurement
        raise KeyError(f"section {self.key} has no measurement {key!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "measurements": [measurement.to_dict() for measurement in self.measurements],
            "targets": [target.to_dict() for target in self.targets],
            "ratios": [ratio.to_dict() for ratio in self.ratios],
            "notes": list(self.notes),
            "seconds": self.seconds,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SectionResult:
        return cls(
            key=data["key"],
            title=data["title"],
            description=data["description"],
            measurements=[Measurement.from_dict(item) for item in data["measurements"]],
            targets=[Target.from_dict(item) for item in data["targets"]],
            ratios=[Ratio.from_dict(item) for item in data["ratios"]],
            notes=list(data["notes"]),
            seconds=data["seconds"],
            error=data.get("error"),
        )


@dataclass
class BenchResults:
    """A whole `make bench` run: the machine, the command and every section."""

    command: str
    scale: float
    machine: dict[str, Any]
    sections: list[SectionResult] = field(default_factory=list)
    started_at: str = ""
    total_seconds: float = 0.0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "scale": self.scale,
            "started_at": self.started_at,
            "total_seconds": self.total_seconds,
            "note": self.note,
            "machine": self.machine,
            "sections": [section.to_dict() for section in self.sections],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchResults:
        return cls(
            command=data["command"],
            scale=data["scale"],
            machine=data["machine"],
            sections=[SectionResult.from_dict(item) for item in data["sections"]],
            started_at=data.get("started_at", ""),
            total_seconds=data.get("total_seconds", 0.0),
            note=data.get("note", ""),
        )
