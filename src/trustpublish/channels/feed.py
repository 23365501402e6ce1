"""The ``feed`` channel: excerpts published into a per-channel feed file, nothing remote.

A delivery to a feed channel needs no credentials and sends nothing: the excerpt
appears in ``dist/feeds/channels/<name>/`` once its slot has passed, written by
``trustpublish build`` (:mod:`trustpublish.actions.feed_files`). ``publish`` only reports
the feed entry id, which is stable (a tag: URI), so delivering twice is harmless.
The engine passes that id as ``delivery.extra["entry_id"]``
(:func:`trustpublish.render.feeds.items.tag_uri`); without it the excerpt id is reported.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Budget, Channel, Delivery, Result

__all__ = ["FeedChannel"]


class FeedChannel(Channel):
    """Records nothing remote; the feed files are the delivery."""

    type: ClassVar[str] = "feed"
    kind = "feed"
    idempotent: ClassVar[bool] = True
    budget: ClassVar[Budget] = Budget(limit=None, counted_as="characters")

    @classmethod
    def credentials_present(cls, name: str) -> bool:
        return True  # nothing to authenticate: the feed is a file we write

    def publish(self, delivery: Delivery) -> Result:
        entry_id = str(delivery.extra.get("entry_id") or delivery.item_id)
        return Result(remote_id=entry_id, url=delivery.link,
                      detail={"channel": self.name, "feed_entry": entry_id})
