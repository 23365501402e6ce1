"""When did an entry last change? A content-hash record, so ``updated`` moves only on edits.

The record (kept by the builder in ``state/feeds-cache.json``) maps each entry id to
the hash of its content and the time that content was first seen::

    {"version": 1,
     "entries": {"tag:...": {"hash": "…", "updated": "2025-01-21T00:00:00-06:00"}},
     "feeds": {"<feed id>": "2026-11-30T15:00:00+00:00"}}

Rules, applied by :func:`resolve_updated` (pure: the record and ``now`` go in, the
dated items and the new record come out):

1. An ``updated:`` field in the post's front matter wins, always.
2. An entry seen for the first time is dated by its ``published`` time, so a first
   build does not depend on when it ran.
3. The same content as last time keeps the recorded time.
4. Changed content is dated ``now`` (the build that first saw the change).

A feed with no entries takes the time its id was first seen (rule 2 has nothing to
go on), so an empty feed is byte-identical across rebuilds too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .items import FeedItem, content_hash

__all__ = ["resolve_updated", "feed_updated", "empty_record"]


def empty_record() -> dict[str, Any]:
    return {"version": 1, "entries": {}, "feeds": {}}


def _parse(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def resolve_updated(items: list[FeedItem], record: dict[str, Any], now: dt.datetime,
                    *, scope: str = "", hashes: Mapping[str, str] | None = None
                    ) -> tuple[list[FeedItem], dict[str, Any]]:
    """Items with ``updated`` set by the rules above, and the updated record.

    ``scope`` separates feeds that carry the same entry id with different content
    (one excerpt in two channel feeds, each with its own tracking link). ``hashes``
    gives the :func:`content_hash` of items by id when it is already known (the items
    may then be stubs without their content).
    """
    entries: dict[str, Any] = dict(record.get("entries") or {})
    out: list[FeedItem] = []
    for item in items:
        digest = hashes[item.id] if hashes is not None else content_hash(item)
        key = f"{scope} {item.id}" if scope else item.id
        seen = entries.get(key) or {}
        recorded = _parse(seen.get("updated"))
        if item.stated_updated is not None:
            when = item.stated_updated
        elif recorded is not None and seen.get("hash") == digest:
            when = recorded
        elif recorded is None:
            when = item.published
        else:
            when = now
        when = max(when, item.published)
        entries[key] = {"hash": digest, "updated": when.isoformat()}
        same = when == item.updated and when.utcoffset() == item.updated.utcoffset()
        out.append(item if same else replace(item, updated=when))  # the same text: kept
    new = {**empty_record(), **record, "entries": entries}
    return out, new


def feed_updated(feed_id: str, items: list[FeedItem], record: dict[str, Any],
                 now: dt.datetime) -> tuple[dt.datetime, dict[str, Any]]:
    """The feed's own ``updated``: its newest entry's, else when the feed was first seen."""
    if items:
        return max(i.updated for i in items), record
    feeds: dict[str, Any] = dict(record.get("feeds") or {})
    first = _parse(feeds.get(feed_id))
    if first is None:
        first = now
        feeds[feed_id] = now.isoformat()
    return first, {**empty_record(), **record, "feeds": feeds}
