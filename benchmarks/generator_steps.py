"""Generator steps (run in a subprocess by :mod:`benchmarks.step`): ours and the naive baseline."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.landing import folder_bytes


def generate_ours(params: dict[str, Any]) -> dict[str, Any]:
    """Time ``ecommerce_pipeline.generate.generate`` writing a fresh landing folder."""
    from ecommerce_pipeline.generate import GeneratorConfig, generate

    out = Path(params["out"])
    shutil.rmtree(out, ignore_errors=True)
    config = GeneratorConfig(
        out=out,
        scale=float(params["scale"]),
        start=date.fromisoformat(params["start"]),
        days=int(params["days"]),
        seed=int(params["seed"]),
        file_format=params["file_format"],
    )
    started = time.perf_counter()
    result = generate(config)
    seconds = time.perf_counter() - started
    rows = {table: int(count) for table, count in result.rows.items()}
    return {
        "rows": sum(rows.values()),
        "rows_by_table": rows,
        "seconds": seconds,
        "files": result.files if isinstance(result.files, int) else len(result.files),
        "bytes": folder_bytes(out),
    }


def generate_naive_slice(params: dict[str, Any]) -> dict[str, Any]:
    """Time the naive per-row Faker generator on a slice of ``counts`` rows over ``days`` days."""
    from benchmarks.naive_generator import generate_naive

    out = Path(params["out"])
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    rows = generate_naive(
        out,
        {table: int(count) for table, count in params["counts"].items()},
        start=date.fromisoformat(params["start"]),
        days=int(params["days"]),
        seed=int(params["seed"]),
    )
    seconds = time.perf_counter() - started
    return {
        "rows": sum(rows.values()),
        "rows_by_table": rows,
        "seconds": seconds,
        "bytes": folder_bytes(out),
    }
