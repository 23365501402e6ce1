"""Signed one-click unsubscribe tokens (PRODUCT §9, RFC 8058).

A token names one subscriber address and one email channel, signed with HMAC
(itsdangerous) under the project's secret key, so it cannot be guessed or
altered. The key comes from ``TRUSTPUBLISH_SECRET_KEY``; without it, a random
key is created once in ``state/secret.key`` (mode 0600) and reused. Keys are
never printed or logged.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..env import checked_value
from ..files import ensure_dir

from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_encode

__all__ = ["Unsubscribe", "TokenSigner", "load_secret_key", "InvalidToken"]

_SALT = "trustpublish.deliver.unsubscribe.v1"


class InvalidToken(ValueError):
    """The token was altered, truncated, or signed with another key."""


@dataclass(frozen=True)
class Unsubscribe:
    """What a valid token says: this address leaves this channel."""

    email: str
    channel: str


def load_secret_key(state_dir: Path) -> bytes:
    """The signing key: the environment's, else the one kept in ``state/secret.key``."""
    env = checked_value("TRUSTPUBLISH_SECRET_KEY")
    if env:
        return env.encode()
    path = state_dir / "secret.key"
    if path.is_file():
        return path.read_bytes().strip()
    ensure_dir(state_dir, private=True)
    key = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class TokenSigner:
    """Makes and checks unsubscribe tokens and the links that carry them."""

    def __init__(self, key: bytes) -> None:
        self._serializer = URLSafeSerializer(key, salt=_SALT)
        self._signer = self._serializer.make_signer()

    def __repr__(self) -> str:
        return "TokenSigner(key=***)"

    def token(self, email: str, channel: str) -> str:
        """The serializer's token format without its compression step (a fan-out makes
        thousands; ``verify`` reads compressed and uncompressed payloads alike)."""
        payload = json.dumps([email.lower(), channel], separators=(",", ":")).encode()
        return self._signer.sign(base64_encode(payload)).decode("ascii")

    def verify(self, token: str) -> Unsubscribe:
        try:
            email, channel = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError) as exc:
            raise InvalidToken("this unsubscribe link is not valid") from exc
        return Unsubscribe(str(email), str(channel))

    def url(self, base: str, email: str, channel: str) -> str:
        """``base`` (an https URL) with ``?t=<token>`` added."""
        parts = urlsplit(base)
        query = "&".join(q for q in (parts.query, urlencode({"t": self.token(email, channel)})) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
