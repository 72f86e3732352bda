"""Alert channels, through apprise: a Slack-compatible webhook and e-mail over SMTP.

* Webhook (``ECOM_ALERT_WEBHOOK_URL``, e.g. a Slack incoming webhook): apprise's JSON plugin
  (``json://`` / ``jsons://``) with its payload mapped to Slack's shape, ``{"text": "..."}`` and
  nothing else (the ``:message=text`` and ``:key=`` URL arguments of apprise).
* E-mail (``ECOM_ALERT_EMAIL_TO``, ``ECOM_ALERT_EMAIL_FROM``, ``ECOM_SMTP_HOST``,
  ``ECOM_SMTP_PORT``): apprise's ``mailto://`` on that host and port, plain SMTP (no TLS, no
  login), as for a relay inside the network.

A channel that fails is logged and reported in the result; it never raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import apprise

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.errors import UserError

logger = logging.getLogger(__name__)

#: apprise's JSON payload re-mapped to ``{"text": body}`` (title and metadata dropped).
SLACK_PAYLOAD_ARGS = ":message=text&:version=&:title=&:attachments=&:type="


class AlertChannelError(UserError):
    """An alert channel setting cannot be used; the message names the setting."""


def webhook_apprise_url(url: str) -> str:
    """The apprise URL posting ``{"text": ...}`` to the http(s) webhook ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AlertChannelError(
            f"ECOM_ALERT_WEBHOOK_URL must be an http(s) URL (e.g. a Slack incoming webhook); "
            f"got {url!r}"
        )
    scheme = "jsons" if parts.scheme == "https" else "json"
    query = f"{parts.query}&{SLACK_PAYLOAD_ARGS}" if parts.query else SLACK_PAYLOAD_ARGS
    return f"{scheme}://{parts.netloc}{parts.path or '/'}?{query}"


def email_apprise_url(settings: Settings) -> str:
    """The apprise ``mailto://`` URL of the alert e-mails (plain SMTP on host:port)."""
    recipients = [item.strip() for item in (settings.alert_email_to or "").split(",")]
    recipients = [item for item in recipients if item]
    if not recipients:
        raise AlertChannelError("ECOM_ALERT_EMAIL_TO names no recipient")
    host = settings.smtp_host
    return (
        f"mailto://{host}:{settings.smtp_port}?smtp={quote(host)}&mode=insecure"
        f"&from={quote(settings.alert_email_from)}&to={quote(','.join(recipients))}"
    )


@dataclass(frozen=True)
class Channel:
    name: str
    url: str


def configured_channels(settings: Settings) -> list[Channel]:
    """The channels the settings turn on (none: alerts are only logged)."""
    channels = []
    if settings.alert_webhook_url:
        channels.append(Channel("webhook", webhook_apprise_url(settings.alert_webhook_url)))
    if settings.alert_email_to:
        channels.append(Channel("email", email_apprise_url(settings)))
    return channels


def send(settings: Settings, title: str, body: str) -> dict[str, bool]:
    """Send one alert to every configured channel; returns channel name -> delivered."""
    delivered: dict[str, bool] = {}
    for channel in configured_channels(settings):
        notifier = apprise.Apprise()
        if not notifier.add(channel.url):
            logger.error("alert channel %s: apprise rejected its URL", channel.name)
            delivered[channel.name] = False
            continue
        text = body if channel.name == "email" else f"*{title}*\n{body}"
        ok = bool(notifier.notify(title=title, body=text, body_format=apprise.NotifyFormat.TEXT))
        if not ok:
            logger.error("alert channel %s: delivery failed (%s)", channel.name, title)
        delivered[channel.name] = ok
    logger.warning("ALERT %s | %s", title, body.replace("\n", " | "))
    return delivered
