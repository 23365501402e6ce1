"""Deterministic delivery ids and the keys derived from them.

``delivery_id(channel, item, recipient)`` is the first 32 hex digits of
``sha256("channel|item|recipient")``: the same delivery always gets the same id, so
it doubles as the ``Idempotency-Key`` header and, through :func:`tid_from`, as a
Bluesky record key. Pure functions.
"""

from __future__ import annotations

import hashlib

__all__ = ["delivery_id", "tid_from", "TID_ALPHABET"]

#: base32-sortable alphabet of AT Protocol TIDs
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def delivery_id(channel: str, item: str, recipient: str = "") -> str:
    """``sha256(channel|item|recipient)`` truncated to 32 hex digits."""
    return hashlib.sha256(f"{channel}|{item}|{recipient}".encode()).hexdigest()[:32]


def tid_from(key: str) -> str:
    """A valid TID-shaped record key (13 chars, top bit 0) derived from ``key``.

    The 63 low bits of ``sha256(key)`` are written in the TID alphabet; the same key
    always gives the same record key, so a repeated create cannot make a second post.
    """
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") & ((1 << 63) - 1)
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(chars))
