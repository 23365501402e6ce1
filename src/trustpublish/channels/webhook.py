"""Generic webhook (channel ``type: webhook``): POST a JSON document, signed.

Config: ``url`` (https://, or http:// on loopback). Environment:
``TRUSTPUBLISH_<NAME>_WEBHOOK_SECRET`` (required: the HMAC key) and optionally
``TRUSTPUBLISH_<NAME>_WEBHOOK_URL`` (overrides ``url`` when the URL itself is secret).

The request: ``POST url`` with ``Content-Type: application/json``,
``Idempotency-Key: <delivery id>`` and ``X-Trustpublish-Signature: sha256=<hex>``,
the HMAC-SHA256 of the exact body bytes under the secret. The body::

    {"id", "channel", "item", "kind", "text", "parts", "link", "title", "summary",
     "image", "image_alt", "language"}

The receiver is expected to drop a repeated ``Idempotency-Key``, so the adapter is
idempotent: timeouts and 5xx are retried. A 2xx answer is success; a JSON answer's
``id``/``url`` are returned.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..env import env_name, secret
from ..errors import ConfigError
from .base import Budget, Channel, Delivery, Result
from .http import HttpClient, check_base_url, timeout_from

__all__ = ["WebhookChannel", "sign", "SIGNATURE_HEADER"]

SIGNATURE_HEADER = "X-Trustpublish-Signature"


def sign(secret_value: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``."""
    return "sha256=" + hmac.new(secret_value.encode(), body, hashlib.sha256).hexdigest()


def _payload(channel: str, delivery: Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "channel": channel, "item": delivery.item_id,
            "kind": delivery.kind, "text": delivery.text, "parts": list(delivery.parts),
            "link": delivery.link, "title": delivery.title, "summary": delivery.summary,
            "image": delivery.image, "image_alt": delivery.image_alt,
            "language": delivery.language}


def _body(channel: str, delivery: Delivery) -> bytes:
    return json.dumps(_payload(channel, delivery), ensure_ascii=False,
                      separators=(",", ":")).encode()


class WebhookChannel(Channel):
    """POSTs each delivery as signed JSON."""

    type = "webhook"
    idempotent = True
    budget = Budget(limit=None, counted_as="characters")
    env_vars = ("WEBHOOK_SECRET", "WEBHOOK_URL")

    @classmethod
    def required_env(cls) -> tuple[str, ...]:
        return ("WEBHOOK_SECRET",)

    @staticmethod
    def _target(name: str, config: Mapping[str, Any]) -> str:
        from_env = secret(name, "webhook_url")
        url = from_env.reveal() if from_env else config.get("url")
        if not url:
            raise ConfigError("a webhook channel needs `url:` (or "
                              f"{env_name(name, 'webhook_url')})", key_path=f"channels.{name}.url")
        return check_base_url(str(url), channel=name, key="url", secret=bool(from_env))

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        key = secret(name, "webhook_secret")
        if not key:
            raise ConfigError(f"{env_name(name, 'webhook_secret')} is not set")
        self._key = key
        self.target = self._target(name, config)
        url_secret = secret(name, "webhook_url")
        self.http = HttpClient(name, self.target, idempotent=True,
                               secrets=[key, url_secret], timeout=timeout_from(config, channel=name))

    @classmethod
    def outbox_request(cls, name: str, config: Mapping[str, Any],
                       delivery: Delivery) -> dict[str, Any]:
        url = config.get("url") or f"${env_name(name, 'webhook_url')}"
        return {"method": "POST", "url": url,
                "headers": {"Content-Type": "application/json",
                            "Idempotency-Key": delivery.id, SIGNATURE_HEADER: "***"},
                "json": _payload(name, delivery)}

    def publish(self, delivery: Delivery) -> Result:
        body = _body(self.name, delivery)
        headers = {"Content-Type": "application/json", "Idempotency-Key": delivery.id,
                   SIGNATURE_HEADER: sign(self._key.reveal(), body)}
        response = self.http.request("POST", self.target, data=body, headers=headers)
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            remote = data.get("id")
            return Result(remote_id=str(remote) if remote is not None else delivery.id,
                          url=data.get("url") if isinstance(data.get("url"), str) else None)
        return Result(remote_id=delivery.id)

    def close(self) -> None:
        self.http.close()
