"""Bounce and complaint webhooks of email services, verified before they are believed.

* **Amazon SES through SNS**: an SNS message signed with the certificate at its
  ``SigningCertURL`` (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA), checked with
  :mod:`cryptography` over the canonical string SNS documents. Only topics listed in
  ``bounces.ses_topics`` are accepted (anyone can sign messages from their own topic), and
  the certificate must come over https from an allowed host (``sns.<region>.amazonaws.com``
  by default). The SES notification inside (``Bounce`` with ``Permanent``/``Transient``, or
  ``Complaint``) becomes a :class:`~trustpublish.deliver.bounces.Report`.
* **Mailgun**: the ``signature`` block (HMAC-SHA256 of timestamp + token under the webhook
  signing key, ``TRUSTPUBLISH_MAILGUN_WEBHOOK_KEY``), fresh within 15 minutes and each token
  used once; ``failed`` events (``permanent``/``temporary``) and ``complained``.

Pure: bytes and keys in, a report (or :class:`ForgedEvent`) out; fetching certificates is
the caller's (``channels/sns.py``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urlsplit

from .bounces import Report

__all__ = ["ForgedEvent", "mailgun_report", "sns_envelope", "ses_report", "sns_string_to_sign",
           "verify_sns", "cert_url_allowed", "DEFAULT_SNS_HOSTS"]

DEFAULT_SNS_HOSTS = (r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?",)
_MESSAGE_ID = re.compile(r"<?([^<>\s]+@[^<>\s]+)>?")


class ForgedEvent(ValueError):
    """The event's signature does not check out (or it is stale, replayed, not ours)."""


# -- Mailgun ---------------------------------------------------------------------------------
def mailgun_report(body: bytes, key: bytes, now: dt.datetime, seen: set[str]) -> Report | None:
    """The report in a Mailgun webhook, or None for events that are not bounces/complaints.

    ``seen`` holds the tokens already accepted (replay protection); this adds to it.
    """
    try:
        data = json.loads(body)
        signature = data["signature"]
        timestamp, token = str(signature["timestamp"]), str(signature["token"])
        given = str(signature["signature"])
        event = data["event-data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ForgedEvent("not a Mailgun webhook") from exc
    expected = hmac.new(key, (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise ForgedEvent("the Mailgun signature does not match the signing key")
    if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > 15 * 60:
        raise ForgedEvent("the Mailgun event is older than 15 minutes")
    if token in seen:
        raise ForgedEvent("the Mailgun event was already received")
    seen.add(token)
    kind = {"complained": "complaint"}.get(str(event.get("event")))
    if event.get("event") == "failed":
        kind = "hard" if event.get("severity") == "permanent" else "soft"
    if kind is None or not event.get("recipient"):
        return None
    headers = (event.get("message") or {}).get("headers") or {}
    found = _MESSAGE_ID.search(str(headers.get("message-id", "")))
    reason = (event.get("delivery-status") or {}).get("description") or event.get("reason", "")
    return Report(kind, (str(event["recipient"]).lower(),),  # type: ignore[arg-type]
                  f"<{found.group(1)}>" if found else None, detail=str(reason)[:300],
                  reporter="mailgun")


# -- Amazon SNS / SES ------------------------------------------------------------------------
_SIGNED = {"Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
           "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp",
                                        "Token", "TopicArn", "Type"),
           "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp",
                                       "Token", "TopicArn", "Type")}


def sns_envelope(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ForgedEvent("not an SNS message") from exc
    if not isinstance(data, dict) or data.get("Type") not in _SIGNED:
        raise ForgedEvent("not an SNS message")
    return data


def sns_string_to_sign(data: dict[str, Any]) -> bytes:
    """The canonical text SNS signs: ``key\\nvalue\\n`` for its fields, in its order."""
    lines = []
    for key in _SIGNED[data["Type"]]:
        if key in data and data[key] is not None:
            lines += [key, str(data[key])]
    return ("\n".join(lines) + "\n").encode("utf-8")


def cert_url_allowed(url: str, hosts: Collection[str]) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    loopback = host in ("127.0.0.1", "localhost", "::1")
    return ((parts.scheme == "https" or (loopback and parts.scheme == "http"))
            and parts.path.endswith(".pem")
            and any(re.fullmatch(pattern, host) for pattern in hosts))


def verify_sns(data: dict[str, Any], cert_pem: bytes) -> None:
    """Raise ForgedEvent unless ``data`` is signed by the certificate ``cert_pem``."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    version = str(data.get("SignatureVersion", "1"))
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)
    if algorithm is None:
        raise ForgedEvent(f"unknown SNS SignatureVersion {version!r}")
    try:
        key = x509.load_pem_x509_certificate(cert_pem).public_key()
        signature = base64.b64decode(str(data.get("Signature", "")), validate=True)
    except ValueError as exc:
        raise ForgedEvent("the SNS certificate or signature cannot be read") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ForgedEvent("the SNS certificate is not an RSA certificate")
    try:
        key.verify(signature, sns_string_to_sign(data), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise ForgedEvent("the SNS signature does not match its certificate") from None


def ses_report(data: dict[str, Any], topics: Collection[str],
               certificate: Callable[[str], bytes]) -> Report | None:
    """The report in a verified SNS Notification from an allowed topic (None: not one)."""
    if data.get("TopicArn") not in topics:
        raise ForgedEvent(f"SNS topic {data.get('TopicArn')!r} is not in bounces.ses_topics")
    verify_sns(data, certificate(str(data.get("SigningCertURL", ""))))
    if data["Type"] != "Notification":
        return None
    try:
        event = json.loads(data["Message"])
    except (ValueError, TypeError):
        return None
    kind_name = event.get("notificationType") or event.get("eventType")
    mail = event.get("mail") or {}
    message_id = (mail.get("commonHeaders") or {}).get("messageId") or ""
    found = _MESSAGE_ID.search(str(message_id))
    mid = f"<{found.group(1)}>" if found else None
    if kind_name == "Bounce":
        bounce = event.get("bounce") or {}
        kind = "hard" if bounce.get("bounceType") == "Permanent" else "soft"
        addresses = [r.get("emailAddress", "") for r in bounce.get("bouncedRecipients", [])]
        detail = f"{bounce.get('bounceType', '')}/{bounce.get('bounceSubType', '')}"
    elif kind_name == "Complaint":
        complaint = event.get("complaint") or {}
        kind = "complaint"
        addresses = [r.get("emailAddress", "") for r in
                     complaint.get("complainedRecipients", [])]
        detail = str(complaint.get("complaintFeedbackType", "abuse"))
    else:
        return None
    addresses = [a.lower() for a in addresses if a]
    if not addresses:
        return None
    return Report(kind, tuple(addresses), mid, envelope=(str(mail.get("source", "")),),  # type: ignore[arg-type]
                  detail=detail, reporter="amazon ses")
