"""Serving steps (run in a subprocess by :mod:`benchmarks.step`).

- ``api_latency``: starts ``ecom serve api`` on a built warehouse and drives it with a local
  load generator (httpx async client, ``concurrency`` requests in flight, a fixed round-robin
  mix of endpoints) for ``requests`` requests after ``warmup`` ones; reports p50/p95/p99 latency
  (ms) and requests/s. Target: p95 < 50 ms at scale 1.
- ``dashboard_render``: starts ``ecom serve dashboard`` and, in headless Chromium (selenium),
  times each page from navigation until its title and charts are drawn, cold (first visit,
  queries not cached) and warm (second visit). Target: every page < 2 s at scale 1.

Params (both): ``target`` (duckdb | postgres), ``duckdb_path`` or ``postgres_dsn`` of a warehouse
whose marts are built.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

API_KEY = "benchmark-key-0001"
#: The endpoint mix of the load generator (each path once per round).
API_MIX = (
    "/v1/kpis",
    "/v1/kpis?channel=web",
    "/v1/sales?grain=month",
    "/v1/sales?grain=day",
    "/v1/customers?limit=50",
    "/v1/customers?segment=At%20Risk&limit=50",
    "/v1/segments",
    "/v1/cohorts",
    "/v1/products/ranking?metric=net_revenue&limit=10",
    "/v1/products/ranking?metric=margin_pct&direction=bottom&limit=10",
    "/v1/geography",
    "/v1/payment-methods",
    "/v1/fulfillment",
    "/v1/data-quality",
)
#: (url path, title, charts the page draws) of every page; the Data quality page draws its
#: charts only when the warehouse holds data-quality results, so none are waited for there.
DASHBOARD_PAGES = (
    ("", "Overview", 3),
    ("customers", "Customers", 4),
    ("products", "Products", 4),
    ("operations", "Operations", 3),
    ("data-quality", "Data quality", 0),
)

#: A Vega-Lite chart (st.altair_chart, its element is the .vega-embed container) that Vega has
#: drawn: the container holds its canvas or SVG. Each chart matches once.
DRAWN_CHART = ".vega-embed:has(> canvas.marks, > svg.marks)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _warehouse_flags(params: dict[str, Any]) -> list[str]:
    if params["target"] == "duckdb":
        return ["--target", "duckdb", "--duckdb-path", str(params["duckdb_path"])]
    return ["--target", "postgres", "--postgres-dsn", str(params["postgres_dsn"])]


@contextmanager
def _server(args: list[str], health: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """``ecom serve ...`` on a free port until the block ends (its process group is stopped)."""
    port = _free_port()
    env = {**os.environ, "ECOM_API_KEYS": f"{API_KEY}:pii", **(extra_env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "ecommerce_pipeline", "serve", *args, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"`ecom serve {args[0]}` exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url + health, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"`ecom serve {args[0]}` did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


async def _drive(url: str, total: int, concurrency: int) -> tuple[list[float], int, float]:
    """``total`` requests over the mix with ``concurrency`` in flight: latencies, errors, wall."""
    import httpx

    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for index in counter:
            path = API_MIX[index % len(API_MIX)]
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers={"X-API-Key": API_KEY}, limits=limits, timeout=60
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, errors, wall


def api_latency(params: dict[str, Any]) -> dict[str, Any]:
    """p50/p95/p99 latency and requests/s of the data API under the local load generator."""
    total = int(params.get("requests", 2000))
    concurrency = int(params.get("concurrency", 8))
    warmup = int(params.get("warmup", 2 * len(API_MIX)))
    # cache_entries (optional): ECOM_SERVING_CACHE_ENTRIES of the server (0 = result cache off).
    extra_env = (
        {"ECOM_SERVING_CACHE_ENTRIES": str(int(params["cache_entries"]))}
        if "cache_entries" in params
        else None
    )
    with _server(["api", *_warehouse_flags(params)], "/health", extra_env) as url:
        asyncio.run(_drive(url, warmup, concurrency))
        latencies, errors, wall = asyncio.run(_drive(url, total, concurrency))
    milliseconds = [value * 1000 for value in latencies]
    return {
        "rows": total,
        "seconds": wall,
        "requests_per_second": round(total / wall, 1),
        "p50_ms": round(_percentile(milliseconds, 0.50), 2),
        "p95_ms": round(_percentile(milliseconds, 0.95), 2),
        "p99_ms": round(_percentile(milliseconds, 0.99), 2),
        "mean_ms": round(statistics.fmean(milliseconds), 2),
        "errors": errors,
        "concurrency": concurrency,
        "endpoints": len(API_MIX),
    }


def _page_seconds(driver: Any, url: str, title: str, charts: int) -> float:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def rendered(current: Any) -> bool:
        headings = [element.text for element in current.find_elements(By.CSS_SELECTOR, "h1")]
        if title not in headings:
            return False
        if current.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'):
            return False
        return len(current.find_elements(By.CSS_SELECTOR, DRAWN_CHART)) >= charts

    started = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, 120, poll_frequency=0.05).until(rendered)
    return time.perf_counter() - started


def dashboard_render(params: dict[str, Any]) -> dict[str, Any]:
    """Seconds until each dashboard page is drawn in headless Chromium, cold and warm."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--window-size=1440,2000",
    ):
        options.add_argument(flag)
    with _server(["dashboard", *_warehouse_flags(params)], "/_stcore/health") as url:
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            started = time.perf_counter()
            # The first page load also boots Streamlit's frontend (JavaScript bundle, session):
            # timed apart on the Data quality page, whose queries are tiny. "cold" = the
            # pages' queries not cached yet; "warm" = a second visit.
            path, title, charts = DASHBOARD_PAGES[-1]
            boot = _page_seconds(driver, f"{url}/{path}", title, charts)
            cold = {
                title: round(_page_seconds(driver, f"{url}/{path}", title, charts), 3)
                for path, title, charts in DASHBOARD_PAGES
            }
            warm = {
                title: round(_page_seconds(driver, f"{url}/{path}", title, charts), 3)
                for path, title, charts in DASHBOARD_PAGES
            }
            seconds = time.perf_counter() - started
        finally:
            driver.quit()
    return {
        "rows": len(DASHBOARD_PAGES),
        "seconds": seconds,
        "frontend_boot_seconds": round(boot, 3),
        "cold_seconds": cold,
        "warm_seconds": warm,
        "slowest_cold_seconds": max(cold.values()),
        "slowest_warm_seconds": max(warm.values()),
    }
