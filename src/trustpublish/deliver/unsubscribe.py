"""Opaque one-click unsubscribe tokens (``docs/guarantees.md#unsubscribes``, RFC 8058).

A token names one subscriber address and one email channel, **encrypted** with
AES-256-GCM under a key derived (HKDF-SHA256) from the project's secret key: it
cannot be guessed, altered or read. Nothing about the subscriber shows in a link,
a mail client's cache or a web server's access log: the address is padded to a
fixed size before encryption, so every token of an ordinary address has the same
length, and a fresh random nonce makes two tokens for one address look unrelated.

Tokens look like ``u2.<base64url>``. Links sent before this format (itsdangerous
HMAC-signed JSON, readable base64) are still accepted by :meth:`TokenSigner.verify`,
so no email already delivered stops working; new links are never made that way.

The key comes from ``TRUSTPUBLISH_SECRET_KEY``; without it, a random key is
created once in ``state/secret.key`` (mode 0600) and reused. Keys are never
printed or logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from itsdangerous import BadSignature, URLSafeSerializer

from ..env import checked_value
from ..files import ensure_dir

__all__ = ["Unsubscribe", "TokenSigner", "load_secret_key", "InvalidToken"]

_SALT = "trustpublish.deliver.unsubscribe.v1"  # the legacy (readable) format, verify only
_PREFIX = "u2."
_PAD = 96  # plaintexts are padded to a multiple of this many bytes
_MAX_TOKEN = 2048  # longer input is refused before any decoding


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


def _aead_key(key: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"trustpublish unsubscribe token v2").derive(key)


class TokenSigner:
    """Makes and checks unsubscribe tokens and the links that carry them."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(_aead_key(key))
        self._serializer = URLSafeSerializer(key, salt=_SALT)  # legacy tokens

    def __repr__(self) -> str:
        return "TokenSigner(key=***)"

    def token(self, email: str, channel: str) -> str:
        """An opaque token for (email, channel): ``u2.`` + base64url(nonce + ciphertext)."""
        payload = json.dumps([email.lower(), channel], separators=(",", ":"),
                             ensure_ascii=False).encode()
        padded = payload + b" " * (-len(payload) % _PAD)
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, padded, _PREFIX.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")

    def verify(self, token: str) -> Unsubscribe:
        """What ``token`` says; InvalidToken when it was altered, truncated or is foreign.

        Accepts the current encrypted tokens and the signed ones sent by earlier versions.
        """
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
            raise InvalidToken("this unsubscribe link is not valid")
        if token.startswith(_PREFIX):
            return self._open(token[len(_PREFIX):])
        try:
            email, channel = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError) as exc:
            raise InvalidToken("this unsubscribe link is not valid") from exc
        return Unsubscribe(str(email), str(channel))

    def _open(self, body: str) -> Unsubscribe:
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if len(raw) < 12 + 16:
                raise ValueError("too short")
            if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != body:
                raise ValueError("not the canonical encoding")  # one token, one spelling
            plain = self._aead.decrypt(raw[:12], raw[12:], _PREFIX.encode())
            email, channel = json.loads(plain.decode("utf-8").rstrip(" "))
        except (InvalidTag, ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidToken("this unsubscribe link is not valid") from exc
        if not isinstance(email, str) or not isinstance(channel, str):
            raise InvalidToken("this unsubscribe link is not valid")
        return Unsubscribe(email, channel)

    def url(self, base: str, email: str, channel: str) -> str:
        """``base`` (an https URL) with ``?t=<token>`` added."""
        parts = urlsplit(base)
        query = "&".join(q for q in (parts.query, urlencode({"t": self.token(email, channel)})) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
