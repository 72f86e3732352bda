"""Run one benchmark step in a fresh subprocess and measure its wall time and peak RSS.

The child is ``python -m benchmarks.step NAME PARAMS_JSON RESULT_PATH``; it times its own critical
region and writes a JSON result. The parent reaps the child with :func:`os.wait4`, whose rusage is
that child's alone (``ru_maxrss`` is its peak resident set size, in KiB on Linux).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]


class StepFailedError(RuntimeError):
    """A benchmark step's subprocess exited with an error or timed out."""


@dataclass(frozen=True)
class StepOutcome:
    """What a step's subprocess reported, plus the parent's view of it."""

    result: dict[str, Any]
    wall_seconds: float
    peak_rss_mb: float


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    return env


def _kill_after(pid: int, timeout: float, timed_out: threading.Event) -> threading.Timer:
    def kill() -> None:
        timed_out.set()
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    return timer


def run_step(
    name: str, params: dict[str, Any], *, scratch: Path, timeout: float = 1800.0
) -> StepOutcome:
    """Run step ``name`` of :mod:`benchmarks.step` with ``params`` in a fresh Python process.

    ``scratch`` is a folder for the result file. Raises :class:`StepFailedError` when the child
    fails or runs longer than ``timeout`` seconds.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    result_path = scratch / f"_step_{name}_{os.getpid()}_{time.monotonic_ns()}.json"
    command = [sys.executable, "-m", "benchmarks.step", name, json.dumps(params), str(result_path)]
    logger.info("step %s: starting", name)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=_child_environment())
    timed_out = threading.Event()
    timer = _kill_after(process.pid, timeout, timed_out)
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    wall_seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if timed_out.is_set():
        raise StepFailedError(f"step {name} ran longer than {timeout:.0f} s and was killed")
    if process.returncode != 0 or not result_path.is_file():
        raise StepFailedError(
            f"step {name} failed (exit code {process.returncode}); its traceback is above"
        )
    result = json.loads(result_path.read_text(encoding="utf-8"))
    result_path.unlink()
    # The child measures itself (see benchmarks.step); wait4's figure is the fallback only.
    peak_rss_mb = float(result.pop("_peak_rss_mb", usage.ru_maxrss / 1024))
    logger.info("step %s: done in %.1f s, peak RSS %.0f MB", name, wall_seconds, peak_rss_mb)
    return StepOutcome(result=result, wall_seconds=wall_seconds, peak_rss_mb=peak_rss_mb)
