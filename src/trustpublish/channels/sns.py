"""Amazon SNS, for SES bounce webhooks: fetch signing certificates, confirm subscriptions.

The URLs come from the SNS message itself: the caller checks them first
(:func:`trustpublish.deliver.provider_events.cert_url_allowed`). A certificate is fetched
once per URL per process, at most 64 KiB, with short timeouts; any failure is a
:class:`~trustpublish.errors.DeliveryError` (the webhook answers 5xx and SNS retries).
"""

from __future__ import annotations

from functools import lru_cache

import requests

from ..errors import DeliveryError

__all__ = ["signing_certificate", "confirm_subscription"]

_MAX = 64 * 1024
_TIMEOUT = (3.05, 10)


@lru_cache(maxsize=16)
def signing_certificate(url: str) -> bytes:
    """The PEM certificate at ``url`` (already checked by the caller)."""
    try:
        with requests.get(url, timeout=_TIMEOUT, stream=True, allow_redirects=False) as reply:
            reply.raise_for_status()
            data = reply.raw.read(_MAX + 1, decode_content=True)
    except requests.RequestException as exc:
        raise DeliveryError(f"cannot fetch the SNS signing certificate "
                            f"({exc.__class__.__name__})", channel="sns") from None
    if len(data) > _MAX or b"BEGIN CERTIFICATE" not in data:
        raise DeliveryError("the SNS signing certificate is not a PEM certificate",
                            channel="sns")
    return data


def confirm_subscription(url: str) -> None:
    """Visit an SNS SubscribeURL (already checked by the caller) to confirm the topic."""
    try:
        requests.get(url, timeout=_TIMEOUT, allow_redirects=False).raise_for_status()
    except requests.RequestException as exc:
        raise DeliveryError(f"cannot confirm the SNS subscription ({exc.__class__.__name__})",
                            channel="sns") from None
