"""Child-process entry point: ``python -m benchmarks.step NAME PARAMS_JSON RESULT_PATH``.

Runs one step function (registered in :data:`STEPS` as ``module:function``), which times its own
critical region and returns a JSON-serialisable dict (at least ``rows`` and ``seconds``).
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

StepFunction = Callable[[dict[str, Any]], dict[str, Any]]

#: Every step a section can run, by name.
STEPS: dict[str, str] = {
    "sleep": "benchmarks.plumbing:sleep_and_allocate",
    "generate_ours": "benchmarks.generator_steps:generate_ours",
    "generate_naive": "benchmarks.generator_steps:generate_naive_slice",
    "load_ours": "benchmarks.load_steps:load_ours",
    "load_bare_duckdb": "benchmarks.load_steps:load_bare_duckdb",
    "load_bare_postgres": "benchmarks.load_steps:load_bare_postgres",
    "load_to_sql": "benchmarks.load_steps:load_to_sql",
}


class UnknownStepError(KeyError):
    """A step name that is not registered in :data:`benchmarks.step.STEPS`."""


def resolve_step(name: str) -> StepFunction:
    """The step function registered under ``name``."""
    if name not in STEPS:
        raise UnknownStepError(f"unknown benchmark step {name!r}; known steps: {sorted(STEPS)}")
    module_name, _, function_name = STEPS[name].partition(":")
    function: StepFunction = getattr(importlib.import_module(module_name), function_name)
    return function


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if len(argv) != 3:
        sys.stderr.write("usage: python -m benchmarks.step NAME PARAMS_JSON RESULT_PATH\n")
        return 2
    name, params_json, result_path = argv
    result = resolve_step(name)(json.loads(params_json))
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
