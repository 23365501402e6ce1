"""Per-channel excerpt feeds (channels of ``type: feed``): entries appear as their slots pass.

:func:`excerpt_feed_items` is the pure core: the channel name, the (slot time,
excerpt) pairs and ``now`` in; the feed items of the slots that have passed out,
newest first. A slot exactly at ``now`` counts as passed.

:func:`timetable_slots` decides which excerpt goes into which slot, with the
same timetable and planner as every other channel: each slot of the channel's
timetable takes the next excerpt of its queue (approved posts oldest first, each
post's excerpts in order, skipping posts whose ``channels:`` list leaves this
channel out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from ...content.model import Excerpt, Post, Site
from .items import FeedItem, excerpt_item

__all__ = ["Slotted", "excerpt_feed_items", "timetable_slots"]

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


def timetable_slots(channel: str, timetable: Sequence[Mapping[str, Any]],
                    channels: Mapping[str, Mapping[str, Any]], posts: Iterable[Post],
                    excerpts_of: Callable[[Post], list[Excerpt]], zone: ZoneInfo,
                    now: dt.datetime,
                    allowed: Callable[[Post], bool] = lambda p: p.approved) -> list[Slotted]:
    """The (slot, excerpt) pairs of a feed channel up to ``now``, from the timetable.

    The channel's slots (``cron``, ``weekly`` or ``at``, in the site's timezone) from
    its ``start:`` date (default: the first approved post's date) up to and including
    ``now`` take the channel's queue in post order, exactly as the delivery planner
    assigns them (``publish_after`` and per-post ``channels:`` respected); ``allowed``
    says which posts may be published (the builder passes the privacy guard's verdict).
    """
    from ...content.readers.metadata import parse_date
    from ...plan.planner import candidates, plan
    from ...plan.timetable import expand, parse_timetable

    posts = list(posts)
    options = channels.get(channel, {})
    approved = [p.date for p in posts if p.approved]
    if options.get("start"):
        start = parse_date(options["start"], zone)
    elif approved:
        start = min(approved)
    else:
        return []
    entries = [e for e in parse_timetable(timetable, list(channels)) if e.channel == channel]
    slots = expand(entries, zone, start, now + dt.timedelta(microseconds=1))
    planned = plan(slots, candidates(posts, excerpts_of, allowed), channels,
                   kinds={channel: "feed"})
    by_slug = {p.slug: p for p in posts}  # only the posts the plan reached are split

    def excerpt(excerpt_id: str) -> Excerpt:
        post = by_slug[excerpt_id.split("/", 1)[0]]
        return next(e for e in excerpts_of(post) if e.id == excerpt_id)

    return [(d.when.astimezone(zone), excerpt(d.excerpts[0])) for d in planned
            if d.channel == channel and d.excerpts]
