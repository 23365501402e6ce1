"""Deterministic delivery ids and the keys derived from them.

``delivery_id(channel, item, recipient)`` is the first 32 hex digits of
``sha256("channel|item|recipient")``: the same delivery always gets the same id, so
it doubles as the ``Idempotency-Key`` header and, through :func:`tid_from`, as a
Bluesky record key. Pure functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib

__all__ = ["delivery_id", "tid_from", "tid_for", "tid_time", "TID_ALPHABET"]

#: base32-sortable alphabet of AT Protocol TIDs
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def delivery_id(channel: str, item: str, recipient: str = "") -> str:
    """``sha256(channel|item|recipient)`` truncated to 32 hex digits."""
    return hashlib.sha256(f"{channel}|{item}|{recipient}".encode()).hexdigest()[:32]


def _encode(number: int) -> str:
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def tid_for(key: str, when: dt.datetime, index: int = 0) -> str:
    """The AT Protocol TID of part ``index`` of delivery ``key``, created at ``when``.

    A TID is 64 bits: 0, 53 bits of microseconds since the epoch, 10 bits of clock id.
    The microseconds are ``when`` plus an offset below half a second taken from
    ``sha256(key)`` (so deliveries of the same second differ) plus ``index`` (so the
    parts of a thread sort in order); the clock id is 10 more bits of that hash. The
    same key and time always give the same TID, so a re-send lands on the same record.
    ``when`` must be stored with the delivery (the ledger's creation time), not the
    moment of the attempt.
    """
    digest = hashlib.sha256(key.encode()).digest()
    offset = int.from_bytes(digest[:4], "big") % 500_000
    clock_id = int.from_bytes(digest[4:6], "big") & 1023
    micros = int(when.timestamp()) * 1_000_000 + offset + index
    return _encode(((micros & ((1 << 53) - 1)) << 10) | clock_id)


def tid_time(tid: str) -> dt.datetime:
    """The creation time a TID carries (UTC)."""
    number = 0
    for char in tid:
        number = number * 32 + TID_ALPHABET.index(char)
    return dt.datetime.fromtimestamp((number >> 10) / 1_000_000, dt.timezone.utc)


def tid_from(key: str) -> str:
    """A valid TID-shaped record key (13 chars, top bit 0) derived from ``key`` alone,
    for a delivery that carries no stored creation time (see :func:`tid_for`).

    The 63 low bits of ``sha256(key)`` are written in the TID alphabet; the same key
    always gives the same record key, so a repeated create cannot make a second post.
    """
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") & ((1 << 63) - 1)
    return _encode(number)
