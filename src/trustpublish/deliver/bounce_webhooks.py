"""The handlers behind ``POST /bounces/ses`` and ``POST /bounces/mailgun``.

Each takes the raw body, verifies it (:mod:`trustpublish.deliver.provider_events`), and
records the report with :class:`~trustpublish.deliver.bounces.Bounces`; it answers
``"ok"``, ``"forged"`` (403: nothing changed) or ``"error"`` (503: the provider retries).
A provider is enabled by its settings: ``bounces.ses_topics`` (the SNS topic ARNs SES
publishes to) and the ``TRUSTPUBLISH_MAILGUN_WEBHOOK_KEY`` signing key.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..channels.sns import confirm_subscription, signing_certificate
from ..errors import DeliveryError
from .bounces import Bounces
from .provider_events import (
    DEFAULT_SNS_HOSTS,
    ForgedEvent,
    cert_url_allowed,
    mailgun_report,
    ses_report,
    sns_envelope,
)

__all__ = ["webhook_handlers"]

log = logging.getLogger(__name__)


def webhook_handlers(bounces: Bounces, options: Mapping[str, Any],
                     clock: Callable[[], dt.datetime], mailgun_key: bytes | None
                     ) -> dict[str, Callable[[bytes], str]]:
    """The enabled providers' handlers (``options`` is ``bounces:`` of schedule.yaml)."""
    handlers: dict[str, Callable[[bytes], str]] = {}
    topics = tuple(options.get("ses_topics") or ())
    hosts = tuple(options.get("sns_hosts") or DEFAULT_SNS_HOSTS)

    def certificate(url: str) -> bytes:
        if not cert_url_allowed(url, hosts):
            raise ForgedEvent(f"SNS certificate URL not allowed: {url!r}")
        return signing_certificate(url)

    def ses(body: bytes) -> str:
        try:
            data = sns_envelope(body)
            if data["Type"] == "SubscriptionConfirmation":
                report = ses_report(data, topics, certificate)  # verifies; None for this type
                url = str(data.get("SubscribeURL", ""))
                if not cert_url_allowed(url.split("?", 1)[0] + ".pem", hosts):
                    raise ForgedEvent("SNS SubscribeURL not allowed")
                confirm_subscription(url)
                return "ok"
            report = ses_report(data, topics, certificate)
        except ForgedEvent as exc:
            log.warning("refused an SES webhook: %s", exc)
            return "forged"
        except DeliveryError as exc:
            log.warning("SES webhook: %s", exc.message)
            return "error"
        if report is not None:
            bounces.record(report, clock(), source="amazon ses webhook")
        return "ok"

    seen: set[str] = set()

    def mailgun(body: bytes) -> str:
        assert mailgun_key is not None
        try:
            report = mailgun_report(body, mailgun_key, clock(), seen)
        except ForgedEvent as exc:
            log.warning("refused a Mailgun webhook: %s", exc)
            return "forged"
        if report is not None:
            bounces.record(report, clock(), source="mailgun webhook")
        return "ok"

    if topics:
        handlers["ses"] = ses
    if mailgun_key:
        handlers["mailgun"] = mailgun
    return handlers
