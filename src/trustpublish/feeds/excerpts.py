"""Per-channel excerpt feeds (channels of ``type: feed``): entries appear as their slots pass.

:func:`excerpt_feed_items` is the pure core: the channel name, the (slot time,
excerpt) pairs and ``now`` in; the feed items of the slots that have passed out,
newest first. A slot exactly at ``now`` counts as passed.

:func:`provisional_slots` decides which excerpt goes into which slot. **It is a
stand-in until the timetable engine (``trustpublish.timetable`` / the planner)
lands**, which will replace it in :mod:`trustpublish.feeds.builder`: it reads only
the ``at:`` date-times of the channel's timetable entries (``weekly:`` and
``cron:`` are ignored), sorts them, and gives them one excerpt each, in post order
(approved posts oldest first, each post's excerpts in order, skipping posts whose
``channels:`` list leaves this channel out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from ..model import Excerpt, Post, Site
from .items import FeedItem, excerpt_item

__all__ = ["Slotted", "excerpt_feed_items", "provisional_slots"]

Slotted = tuple[dt.datetime, Excerpt]


def excerpt_feed_items(channel: str, slotted: Iterable[Slotted], now: dt.datetime, *,
                       posts: Mapping[str, Post], site: Site) -> list[FeedItem]:
    """Items for the excerpts whose slot is at or before ``now``, newest slot first.

    ``posts`` maps post slugs to posts (for the entry id's date, author, tags, image).
    """
    due = [(slot, ex) for slot, ex in slotted if slot <= now and ex.post_slug in posts]
    due.sort(key=lambda pair: (pair[0], pair[1].id), reverse=True)
    return [excerpt_item(ex, posts[ex.post_slug], site, channel=channel, slot=slot)
            for slot, ex in due]


def _at_values(entry: Mapping[str, Any]) -> list[str]:
    value = entry.get("at")
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _parse_slot(text: str, zone: ZoneInfo) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None  # reported by the schedule checks, not here
    return value if value.tzinfo else value.replace(tzinfo=zone)


def provisional_slots(channel: str, timetable: Iterable[Mapping[str, Any]],
                      posts: Iterable[Post], excerpts_of: Callable[[Post], list[Excerpt]],
                      zone: ZoneInfo) -> list[Slotted]:
    """Stand-in slot assignment (see the module docstring); the timetable engine replaces it."""
    slots = sorted(
        slot
        for entry in timetable if entry.get("channel") == channel
        for text in _at_values(entry)
        if (slot := _parse_slot(text, zone)) is not None
    )
    queue: list[Excerpt] = []
    for post in sorted(posts, key=lambda p: (p.date, p.slug)):
        if not post.approved or (post.channels is not None and channel not in post.channels):
            continue
        queue.extend(excerpts_of(post))
    return list(zip(slots, queue))
