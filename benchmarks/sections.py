"""The benchmark sections, in run order. EXTENSION POINT: append a :class:`Section` to SECTIONS.

A section is a function ``run(ctx, result)`` that runs steps through ``ctx.run(step, params)`` (each
in a fresh subprocess: register new step functions in :data:`benchmarks.step.STEPS`) and fills
``result`` (a :class:`benchmarks.model.SectionResult`) with measurements, targets, ratios and notes
as it goes, so a failure part-way keeps what was measured. The generated landing folders are shared
through ``ctx.landing("csv" | "parquet")``. For the dbt build, add e.g.::

    Section("transform", "Transform: dbt build", "...", run_transform_section)

with ``run_transform_section`` taking ``ctx.loaded_warehouse("duckdb" | "postgres")`` (the CSV
landing loaded into raw once, untimed; a DuckDB path or a PostgreSQL DSN) and timing a
``transform`` step (a function registered in ``benchmarks.step.STEPS`` that calls
``ecommerce_pipeline.transform``) on each; a step that changes the warehouse should copy the
DuckDB file first, or the section should ask for a fresh one per step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.context import BenchContext
from benchmarks.model import SectionResult
from benchmarks.section_airflow import AIRFLOW_DESCRIPTION, run_airflow_section
from benchmarks.section_generator import GENERATOR_DESCRIPTION, run_generator_section
from benchmarks.section_load import LOAD_DESCRIPTION, run_load_section
from benchmarks.section_serving import SERVING_DESCRIPTION, run_serving_section
from benchmarks.section_transform import TRANSFORM_DESCRIPTION, run_transform_section

SectionRunner = Callable[[BenchContext, SectionResult], None]


@dataclass(frozen=True)
class Section:
    """One benchmark section: its key (for ``--sections``), title, description and runner."""

    key: str
    title: str
    description: str
    run: SectionRunner

    def new_result(self) -> SectionResult:
        return SectionResult(key=self.key, title=self.title, description=self.description)


SECTIONS: list[Section] = [
    Section("generator", "Generator", GENERATOR_DESCRIPTION, run_generator_section),
    Section("load", "Load (landing -> raw)", LOAD_DESCRIPTION, run_load_section),
    Section("transform", "Transform: dbt build", TRANSFORM_DESCRIPTION, run_transform_section),
    Section("serving", "Serving: data API and dashboard", SERVING_DESCRIPTION, run_serving_section),
    Section("airflow", "Airflow orchestration", AIRFLOW_DESCRIPTION, run_airflow_section),
]


class UnknownSectionError(ValueError):
    """A ``--sections`` name that no section has."""


def select_sections(names: str, sections: list[Section] | None = None) -> list[Section]:
    """The sections named in a comma-separated list (``all`` = every section), in run order."""
    available = SECTIONS if sections is None else sections
    if names.strip() == "all":
        return list(available)
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    known = {section.key for section in available}
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        raise UnknownSectionError(
            f"unknown benchmark section(s) {unknown or names!r}; "
            f"use 'all' or some of {sorted(known)}"
        )
    return [section for section in available if section.key in wanted]
