"""Alerts that really arrive: a webhook receiver and an SMTP server on 127.0.0.1 record them.

The CLI (`ecom report dq --check`) runs the checks of several runs against a loaded DuckDB
warehouse: a freshness breach alerts once per incident (not again on a retry or the next run),
and a recovery message follows when it passes. Task failures from the DAG's callback likewise.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from ecommerce_pipeline import pipeline
from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.quality import notify_task_failure, notify_task_success
from ecommerce_pipeline.quality.store import session

pytestmark = pytest.mark.e2e

TABLES = {"customers", "products", "orders", "order_items"}


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[int, _Mailbox]]:
    box = _Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


@pytest.fixture
def loaded(tmp_path: Path) -> Settings:
    landing = tmp_path / "landing"
    generate(GeneratorConfig(out=landing, scale=0.002, start=date(2024, 1, 1), days=20))
    settings = Settings(
        target=Target.DUCKDB,
        duckdb_path=tmp_path / "wh" / "ecommerce.duckdb",
        landing_dir=landing,
        reports_dir=tmp_path / "reports",
    )
    assert pipeline.load(settings).reconciles
    return settings


def _wait(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _report(env: dict[str, str], settings: Settings, day: date, run_id: str) -> None:
    command = [
        sys.executable,
        "-m",
        "ecommerce_pipeline",
        "report",
        "dq",
        "--date",
        day.isoformat(),
        "--check",
        "--run-id",
        run_id,
        "--target",
        "duckdb",
        "--duckdb-path",
        str(settings.duckdb_path),
        "--out",
        str(settings.reports_dir),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout


def _table(text: str) -> str:
    return next(name for name in sorted(TABLES, key=len, reverse=True) if f"raw.{name}" in text)


def test_one_alert_per_incident_and_a_recovery(
    loaded: Settings,
    webhook: tuple[str, list[dict[str, Any]]],
    mailbox: tuple[int, _Mailbox],
) -> None:
    url, posts = webhook
    port, box = mailbox
    env = {
        **os.environ,
        "ECOM_ALERT_WEBHOOK_URL": url,
        "ECOM_ALERT_EMAIL_TO": "oncall@example.com",
        "ECOM_ALERT_EMAIL_FROM": "dq@example.com",
        "ECOM_SMTP_HOST": "127.0.0.1",
        "ECOM_SMTP_PORT": str(port),
        "ECOM_DQ_ANOMALY_THRESHOLD": "1000",  # this test is about freshness incidents
    }
    with session(loaded) as db:
        load_day = db.fetch("select max(_loaded_at) from raw.orders")[0][0].date()
    stale = load_day + timedelta(days=5)

    _report(env, loaded, stale, "run_1")  # freshness fails on the 4 raw tables
    _wait(lambda: len(posts) >= 4 and len(box.messages) >= 4)
    assert len(posts) == 4 and len(box.messages) == 4
    assert all(set(post) == {"text"} for post in posts)  # Slack-compatible payload
    assert all("FAIL source_freshness" in post["text"] for post in posts)
    assert {_table(post["text"]) for post in posts} == TABLES
    assert {_table(str(mail["Subject"])) for mail in box.messages} == TABLES
    assert all(mail["To"] == "oncall@example.com" for mail in box.messages)

    _report(env, loaded, stale, "run_1")  # a retry of the same run
    _report(env, loaded, stale + timedelta(days=1), "run_2")  # the next run, still stale
    time.sleep(0.5)
    assert len(posts) == 4 and len(box.messages) == 4  # nothing new: same incidents

    _report(env, loaded, load_day, "run_3")  # fresh again
    _wait(lambda: len(posts) >= 8 and len(box.messages) >= 8)
    recoveries = posts[4:]
    assert len(posts) == 8 and len(box.messages) == 8
    assert all("RESOLVED source_freshness" in post["text"] for post in recoveries)
    assert {_table(post["text"]) for post in recoveries} == TABLES
    html = loaded.reports_dir / load_day.isoformat() / "data_quality.html"
    assert html.is_file()
    with session(loaded) as db:
        states = db.fetch("select status, occurrences from marts.dq_incidents")
    assert sorted(states) == [("resolved", 2)] * 4  # run_1 and run_2 (the retry not counted)


def test_task_failures_alert_once_and_recover(
    loaded: Settings,
    webhook: tuple[str, list[dict[str, Any]]],
    mailbox: tuple[int, _Mailbox],
) -> None:
    url, posts = webhook
    port, box = mailbox
    settings = loaded.model_copy(
        update={
            "alert_webhook_url": url,
            "alert_email_to": "oncall@example.com",
            "smtp_port": port,
        }
    )
    record = {
        "kind": "failure",
        "dag_id": "ecommerce_etl_pipeline",
        "task_id": "load_day",
        "run_id": "scheduled__2024-01-05",
        "logical_date": "2024-01-05T02:00:00+00:00",
        "exception": "LoadError: landing folder missing",
    }
    assert notify_task_failure(settings, {**record, "kind": "retry"}) == []
    assert notify_task_failure(settings, record) == [
        "task:ecommerce_etl_pipeline.load_day:ecommerce_etl_pipeline"
    ]
    assert notify_task_failure(settings, {**record, "run_id": "scheduled__2024-01-06"}) == []
    _wait(lambda: len(posts) >= 1 and len(box.messages) >= 1)
    assert len(posts) == 1 and "landing folder missing" in posts[0]["text"]
    success = {**record, "kind": "success", "run_id": "scheduled__2024-01-07"}
    assert notify_task_success(settings, success) == [
        "task:ecommerce_etl_pipeline.load_day:ecommerce_etl_pipeline"
    ]
    _wait(lambda: len(posts) >= 2 and len(box.messages) >= 2)
    assert len(posts) == 2 and "RESOLVED" in posts[1]["text"]
    assert len(box.messages) == 2 and "RESOLVED" in str(box.messages[1]["Subject"])
