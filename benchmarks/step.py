"""Child-process entry point: ``python -m benchmarks.step NAME PARAMS_JSON RESULT_PATH``.

Runs one step function (registered in :data:`STEPS` as ``module:function``), which times its own
critical region and returns a JSON-serialisable dict (at least ``rows`` and ``seconds``).
"""

from __future__ import annotations

import importlib
import json
import logging
import resource
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
    "transform_build": "benchmarks.transform_steps:transform_build",
    "transform_plain_sql": "benchmarks.transform_steps:transform_plain_sql",
    "api_latency": "benchmarks.serving_steps:api_latency",
    "dashboard_render": "benchmarks.serving_steps:dashboard_render",
    "airflow_prepare_day": "benchmarks.airflow_steps:airflow_prepare_day",
    "airflow_dag_parse": "benchmarks.airflow_steps:airflow_dag_parse",
    "airflow_dag_day": "benchmarks.airflow_steps:airflow_dag_day",
    "airflow_cli_day": "benchmarks.airflow_steps:airflow_cli_day",
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


def _own_peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), or its own children's if they peaked higher.

    Read here rather than from the parent's ``wait4``: on Linux a forked child's ``ru_maxrss``
    starts from the parent's resident set at fork time, so a large parent inflates it.
    """
    peak_kib = 0
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                peak_kib = int(line.split()[1])
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kib == 0:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(peak_kib, children_kib) / 1024


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if len(argv) != 3:
        sys.stderr.write("usage: python -m benchmarks.step NAME PARAMS_JSON RESULT_PATH\n")
        return 2
    name, params_json, result_path = argv
    result = resolve_step(name)(json.loads(params_json))
    result["_peak_rss_mb"] = _own_peak_rss_mb()
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
