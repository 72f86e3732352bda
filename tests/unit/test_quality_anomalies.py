"""Unit tests of the data quality logic that needs no warehouse: anomalies, freshness, channels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.quality import charts
from ecommerce_pipeline.quality.anomalies import (
    QUARANTINE_METRIC,
    SALES_METRICS,
    judge,
    to_check,
)
from ecommerce_pipeline.quality.channels import (
    AlertChannelError,
    email_apprise_url,
    webhook_apprise_url,
)
from ecommerce_pipeline.quality.freshness import judge_freshness, reference_time

pytestmark = pytest.mark.unit

VOLUME = SALES_METRICS[0]
START = date(2024, 1, 1)  # a Monday


def _weekly_series(days: int, level: float = 100.0) -> dict[date, float | None]:
    """A steady shop: weekends sell 50% more, a small deterministic wobble."""
    series: dict[date, float | None] = {}
    for offset in range(days):
        day = START + timedelta(days=offset)
        weekend = 1.5 if day.weekday() >= 5 else 1.0
        series[day] = level * weekend * (1 + 0.05 * ((offset * 7) % 5 - 2) / 2)
    return series


def test_a_steady_series_stays_quiet_on_every_day_after_the_warm_up() -> None:
    series = _weekly_series(90)
    for offset in range(28, 90):
        verdict = judge(VOLUME, series, START + timedelta(days=offset), window=28, min_history=14)
        assert verdict.judged
        assert not verdict.flagged(4.0), verdict


def test_a_volume_drop_to_30_percent_is_flagged_on_that_day_only() -> None:
    series = _weekly_series(90)
    drop = START + timedelta(days=60)
    series[drop] = (series[drop] or 0) * 0.3
    flagged = [
        day
        for offset in range(28, 90)
        if judge(
            VOLUME, series, day := START + timedelta(days=offset), window=28, min_history=14
        ).flagged(4.0)
    ]
    assert flagged == [drop]
    verdict = judge(VOLUME, series, drop, window=28, min_history=14)
    assert verdict.z is not None and verdict.z < -4


def test_a_missing_day_counts_as_zero_orders() -> None:
    series = _weekly_series(40)
    gap = START + timedelta(days=35)
    del series[gap]
    verdict = judge(VOLUME, series, gap, window=28, min_history=14)
    assert verdict.value == 0.0
    assert verdict.flagged(4.0)


def test_too_little_history_is_not_judged_and_the_check_is_skipped() -> None:
    series = _weekly_series(10)
    verdict = judge(VOLUME, series, START + timedelta(days=9), window=28, min_history=14)
    assert not verdict.judged
    check = to_check(verdict, 4.0)
    assert check.status == "skipped"
    assert not check.is_problem


def test_a_flat_zero_quarantine_rate_flags_a_surge_but_not_noise() -> None:
    series: dict[date, float | None] = {START + timedelta(days=offset): 0.0 for offset in range(40)}
    surge_day = START + timedelta(days=40)
    series[surge_day] = 0.23
    noise_day = START + timedelta(days=41)
    series[noise_day] = 0.002
    surge = judge(QUARANTINE_METRIC, series, surge_day, window=28, min_history=14)
    noise = judge(QUARANTINE_METRIC, series, noise_day, window=28, min_history=14)
    assert surge.flagged(4.0)
    assert not noise.flagged(4.0)
    check = to_check(surge, 4.0)
    assert check.status == "fail"
    assert check.check_type == "anomaly"
    assert check.checked_day == surge_day
    assert "2024-02-10" in (check.failing_rows or "")


def test_freshness_is_measured_to_the_end_of_the_logical_day() -> None:
    loaded = datetime(2024, 3, 10, 2, 0)
    assert reference_time(date(2024, 3, 10)) == datetime(2024, 3, 11)
    fresh = judge_freshness("orders", loaded, date(2024, 3, 10), warn_hours=36, error_hours=72)
    warned = judge_freshness("orders", loaded, date(2024, 3, 11), warn_hours=36, error_hours=72)
    failed = judge_freshness("orders", loaded, date(2024, 3, 13), warn_hours=36, error_hours=72)
    backfill = judge_freshness("orders", loaded, date(2024, 3, 1), warn_hours=36, error_hours=72)
    never = judge_freshness("orders", None, date(2024, 3, 1), warn_hours=36, error_hours=72)
    assert (fresh.status, warned.status, failed.status) == ("pass", "warn", "fail")
    assert warned.observed == pytest.approx(46.0)
    assert backfill.status == "pass" and "backfill" in backfill.message
    assert never.status == "fail"


def test_webhook_url_maps_the_payload_to_slack_text() -> None:
    url = webhook_apprise_url("http://127.0.0.1:8099/hooks/abc")
    assert url.startswith("json://127.0.0.1:8099/hooks/abc?")
    assert ":message=text" in url and ":title=" in url
    assert webhook_apprise_url("https://hooks.example.com/x").startswith("jsons://")
    with pytest.raises(AlertChannelError, match="ECOM_ALERT_WEBHOOK_URL"):
        webhook_apprise_url("ftp://example.com")


def test_email_url_uses_plain_smtp_on_the_configured_host() -> None:
    settings = Settings(
        alert_email_to="a@example.com, b@example.com",
        smtp_host="127.0.0.1",
        smtp_port=2525,
        alert_email_from="dq@example.com",
    )
    url = email_apprise_url(settings)
    assert url.startswith("mailto://127.0.0.1:2525?")
    assert "mode=insecure" in url and "a%40example.com%2Cb%40example.com" in url


def test_charts_are_inline_svg() -> None:
    bars = charts.stacked_bars(["r1", "r2"], [{"pass": 3, "fail": 1}, {"pass": 4}])
    assert bars.startswith("<svg") and bars.count("<rect") == 3
    line = charts.line(["a", "b", "c"], [1.0, None, 3.0], marks=[False, False, True])
    assert "<polyline" in line and line.count("<circle") == 1
