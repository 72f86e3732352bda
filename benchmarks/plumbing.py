"""A trivial step that checks the harness itself (used by the smoke tests)."""

from __future__ import annotations

import time
from typing import Any


def sleep_and_allocate(params: dict[str, Any]) -> dict[str, Any]:
    """Hold ``megabytes`` of memory for ``seconds``; report ``rows`` = the number of bytes held."""
    started = time.perf_counter()
    block = bytearray(int(params["megabytes"] * 1024 * 1024))
    for offset in range(0, len(block), 4096):  # touch every page so it counts in the RSS
        block[offset] = 1
    time.sleep(float(params.get("seconds", 0.0)))
    if params.get("fail"):
        raise RuntimeError("step asked to fail (harness test)")
    return {"rows": len(block), "seconds": time.perf_counter() - started}
